import { createClient } from '../../auth/org-setup.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { clientJson, print } from './admin-json.js';
import { configFrom } from './server-commands.js';
import { findOrg, withStorage } from './store.js';

export const CLIENT_HELP = `Usage: bulkwrite client <create|list> --org ID [options]

Registers an OAuth client of an org, or lists them. Without --redirect-uri it is a Self Client; with
one, a server-based client whose authorization_code exchanges must send that redirect_uri.

  bulkwrite client create --org ID [--redirect-uri URL] [--name N] [--json]
  bulkwrite client list --org ID [--json]

Options:
  --org ID            the org (see "bulkwrite org list")
  --redirect-uri URL  make a server-based client with this redirect URI
  --name N            the client's name
  --json              print JSON (client_id, client_secret, org_id, client_type, redirect_uri)
  --data-dir DIR      the server's data folder (default ./data, or BULKWRITE_DATA_DIR)

Examples:
  bulkwrite client create --org 694902309 --json
  bulkwrite client create --org 694902309 --redirect-uri https://app.example.com/oauth/callback --json`;

export async function clientCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('client', argv, {
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
    org: { type: 'string' },
    'redirect-uri': { type: 'string' },
    name: { type: 'string' },
  });
  if (help) {
    console.log(CLIENT_HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  if (action !== 'create' && action !== 'list') {
    throw new CliError(
      `"bulkwrite client" takes create or list, got ${action ? `"${action}"` : 'nothing'}\n\n${CLIENT_HELP}`,
    );
  }
  const redirectUri = values['redirect-uri'];
  if (redirectUri !== undefined && !URL.canParse(redirectUri))
    throw new CliError(`--redirect-uri must be an absolute URL, got "${redirectUri}"`);
  const config = configFrom(values);
  if (action === 'list') {
    const clients = await withStorage(config, async (storage) => {
      const org = await findOrg(storage, values.org);
      return storage.oauth.clientsOf(org.id);
    });
    print(
      values.json,
      clients.map(clientJson),
      clients
        .map((c) => `${c.clientId}  ${c.clientType}  ${c.name}${c.redirectUri ? `  ${c.redirectUri}` : ''}`)
        .join('\n'),
    );
    return 0;
  }
  const client = await withStorage(config, async (storage) => {
    const org = await findOrg(storage, values.org);
    return createClient(storage, org, { redirectUri, name: values.name, now: Date.now() });
  });
  print(
    values.json,
    clientJson(client),
    `client_id      ${client.clientId}
client_secret  ${client.clientSecret}
org_id         ${client.orgId}
client_type    ${client.clientType}${client.redirectUri ? `\nredirect_uri   ${client.redirectUri}` : ''}`,
  );
  return 0;
}
