import { createOrg } from '../../auth/org-setup.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { clientJson, orgJson, print } from './admin-json.js';
import { schemaCommand } from './schema-command.js';
import { configFrom } from './server-commands.js';
import { withStorage } from './store.js';

/**
 * Admin commands over the server's data folder (they run server code, like `credentials`): orgs, OAuth
 * clients, grant codes and org schemas, so scripts can set up many orgs and the authorization_code flow.
 * Every command takes --data-dir and --json (one JSON value on stdout).
 */

export const ORG_HELP = `Usage: bulkwrite org <create|list> [options]
       bulkwrite org schema <apply FILE|show> [--org ID]   (custom modules and fields; see --help there)

Creates or lists organizations. Each org has a numeric id (its zgid, what X-CRM-ORG and soid name),
one admin user, and a Self Client; files, jobs, records, clients and tokens belong to one org only.
The oldest org is the default one, which serve and credentials use.

  bulkwrite org create [--name N] [--time-zone TZ] [--user-name N] [--user-email E] [--json]
  bulkwrite org list [--json]

Options:
  --name N         the org's name (default "bulkwrite")
  --time-zone TZ   an IANA time zone, e.g. Asia/Kolkata; times on the wire carry its offset (default UTC)
  --user-name N    the admin user's name (default "Bulkwrite Admin")
  --user-email E   the admin user's email (default admin@org<id>.bulkwrite.local)
  --json           print JSON: create prints the org with its Self Client; list prints an array
  --data-dir DIR   the server's data folder (default ./data, or BULKWRITE_DATA_DIR)
  --init           create the store if the folder (or PostgreSQL database) holds none yet; without it,
                   a folder with no store is refused: it is likely not the one the server uses

Examples:
  bulkwrite org create --name "Acme EU" --time-zone Europe/Berlin --json
  bulkwrite org list --json`;

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new CliError(`--time-zone must be an IANA time zone such as Europe/Berlin, got "${zone}"`);
  }
}

export async function orgCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'schema') return schemaCommand(argv.slice(1));
  const { values, positionals, help } = parseCommand('org', argv, {
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
    name: { type: 'string' },
    'time-zone': { type: 'string' },
    'user-name': { type: 'string' },
    'user-email': { type: 'string' },
    init: { type: 'boolean' },
  });
  if (help) {
    console.log(ORG_HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  const config = configFrom(values);
  if (action === 'create') {
    if (values['time-zone'] !== undefined) checkTimeZone(values['time-zone']);
    const { org, client } = await withStorage(
      config,
      (storage) =>
        createOrg(storage, {
          name: values.name,
          timeZone: values['time-zone'],
          userName: values['user-name'],
          userEmail: values['user-email'],
          now: Date.now(),
        }),
      { init: values.init === true },
    );
    const result = { ...orgJson(org), client: clientJson(client) };
    print(
      values.json,
      result,
      `org_id         ${org.id}
name           ${org.name}
time_zone      ${org.timeZone}
user           ${org.user.name} <${org.user.email}> (${org.user.id})
client_id      ${client.clientId}
client_secret  ${client.clientSecret}`,
    );
    return 0;
  }
  if (action === 'list') {
    // The oldest org is the default one, which `serve` and `credentials` use.
    const orgs = await withStorage(config, (storage) => storage.orgs.list(), { init: values.init === true });
    print(
      values.json,
      orgs.map((o, i) => ({ ...orgJson(o), default: i === 0 })),
      orgs
        .map((o, i) => `${o.id}  ${o.name}  (${o.timeZone}, ${o.user.email})${i === 0 ? '  default' : ''}`)
        .join('\n') || '(no orgs yet)',
    );
    return 0;
  }
  throw new CliError(`"bulkwrite org" takes create or list, got ${action ? `"${action}"` : 'nothing'}\n\n${ORG_HELP}`);
}
