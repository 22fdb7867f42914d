import { parseArgs } from 'node:util';
import { createClient, createOrg, issueGrantCode } from '../../auth/org-setup.js';
import { ALL_BULK_SCOPES, parseScopeList } from '../../auth/scopes.js';
import type { Config } from '../../config.js';
import { OrgSchemaError } from '../../domain/org-schema.js';
import type { Org } from '../../domain/types.js';
import { applyOrgSchemaFile } from '../../org-schema-file.js';
import { openStorage } from '../../storage/open-storage.js';
import type { OAuthClient, Storage } from '../../storage/storage.js';
import { configFrom, presentedUrls, UsageError } from './server-commands.js';

/**
 * Admin commands over the server's data folder (they run server code, like `credentials`): orgs, OAuth
 * clients and grant codes, so scripts can set up many orgs and the authorization_code flow.
 * Every command takes --data-dir and --json (one JSON value on stdout).
 */

const COMMON = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Seconds a grant code may live: Zoho's Self Client offers 3 to 10 minutes; shorter ones help tests. */
const MAX_GRANT_CODE_SECONDS = 600;

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

Examples:
  bulkwrite org create --name "Acme EU" --time-zone Europe/Berlin --json
  bulkwrite org list --json`;

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

export const GRANT_CODE_HELP = `Usage: bulkwrite grant-code --org ID [--client ID] [--scopes a,b] [--expires-in S] [--json]

Issues a single-use grant code (authorization code), as Zoho's API console does for a Self Client.
Exchange it at the token endpoint with grant_type=authorization_code, the client's id and secret,
and code=<the code> for an access token and a refresh token. A code works once and expires.

Options:
  --org ID          the org whose admin user the code acts for
  --client ID       the client it is for (default: the org's first Self Client)
  --scopes a,b      the scopes it grants (default: every bulk write scope)
  --expires-in S    seconds until it expires, 1 to ${MAX_GRANT_CODE_SECONDS} (default ${MAX_GRANT_CODE_SECONDS})
  --json            print JSON (code, client_id, org_id, scopes, expires_in, expires_at, token_url)
  --data-dir DIR    the server's data folder (default ./data, or BULKWRITE_DATA_DIR)

Examples:
  bulkwrite grant-code --org 694902309 --scopes ZohoCRM.bulk.ALL,ZohoCRM.modules.leads.CREATE,ZohoFiles.files.ALL --json
  bulkwrite grant-code --org 694902309 --client 1000.ABC… --expires-in 180`;

async function withStorage<T>(config: Config, run: (storage: Storage) => Promise<T>): Promise<T> {
  // The store the server uses: SQLite in the data folder, or PostgreSQL with BULKWRITE_DATABASE_URL.
  const storage = await openStorage(config);
  try {
    return await run(storage);
  } finally {
    await storage.close();
  }
}

async function findOrg(storage: Storage, id: string | undefined): Promise<Org> {
  if (!id) throw new UsageError('--org is required (see "bulkwrite org list")');
  const org = await storage.orgs.get(id);
  if (!org) throw new UsageError(`no org ${id} in this data folder (see "bulkwrite org list")`);
  return org;
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

const orgJson = (org: Org) => ({
  org_id: org.id,
  name: org.name,
  time_zone: org.timeZone,
  created_time: new Date(org.createdAt).toISOString(),
  user: { id: org.user.id, name: org.user.name, email: org.user.email },
});

const clientJson = (c: OAuthClient) => ({
  client_id: c.clientId,
  client_secret: c.clientSecret,
  org_id: c.orgId,
  client_type: c.clientType,
  redirect_uri: c.redirectUri,
  name: c.name,
});

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new UsageError(`--time-zone must be an IANA time zone such as Europe/Berlin, got "${zone}"`);
  }
}

export async function orgCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'schema') return schemaCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      name: { type: 'string' },
      'time-zone': { type: 'string' },
      'user-name': { type: 'string' },
      'user-email': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(ORG_HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const config = configFrom(values);
  if (action === 'create') {
    if (values['time-zone'] !== undefined) checkTimeZone(values['time-zone']);
    const { org, client } = await withStorage(config, (storage) =>
      createOrg(storage, {
        name: values.name,
        timeZone: values['time-zone'],
        userName: values['user-name'],
        userEmail: values['user-email'],
        now: Date.now(),
      }),
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
    const orgs = await withStorage(config, (storage) => storage.orgs.list());
    print(
      values.json,
      orgs.map((o, i) => ({ ...orgJson(o), default: i === 0 })),
      orgs
        .map((o, i) => `${o.id}  ${o.name}  (${o.timeZone}, ${o.user.email})${i === 0 ? '  default' : ''}`)
        .join('\n') || '(no orgs yet)',
    );
    return 0;
  }
  throw new UsageError(
    `"bulkwrite org" takes create or list, got ${action ? `"${action}"` : 'nothing'}\n\n${ORG_HELP}`,
  );
}

export async function clientCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, org: { type: 'string' }, 'redirect-uri': { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(CLIENT_HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (action !== 'create' && action !== 'list') {
    throw new UsageError(
      `"bulkwrite client" takes create or list, got ${action ? `"${action}"` : 'nothing'}\n\n${CLIENT_HELP}`,
    );
  }
  const redirectUri = values['redirect-uri'];
  if (redirectUri !== undefined && !URL.canParse(redirectUri))
    throw new UsageError(`--redirect-uri must be an absolute URL, got "${redirectUri}"`);
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

export async function grantCodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      org: { type: 'string' },
      client: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(GRANT_CODE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const seconds = values['expires-in'] === undefined ? MAX_GRANT_CODE_SECONDS : Number(values['expires-in']);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_GRANT_CODE_SECONDS) {
    throw new UsageError(
      `--expires-in must be a whole number of seconds from 1 to ${MAX_GRANT_CODE_SECONDS}, got "${values['expires-in']}"`,
    );
  }
  const scopes = values.scopes === undefined ? ALL_BULK_SCOPES : parseScopeList(values.scopes);
  if (scopes.length === 0) throw new UsageError('--scopes names no scope');
  const config = configFrom(values);
  const now = Date.now();
  const { code, expiresAt, client, org } = await withStorage(config, async (storage) => {
    const org = await findOrg(storage, values.org);
    const client = values.client
      ? await storage.oauth.getClient(values.client)
      : (await storage.oauth.clientsOf(org.id)).find((c) => c.clientType === 'self');
    // Another org's client is "not found" here too: nothing crosses orgs.
    if (!client || client.orgId !== org.id) {
      throw new UsageError(
        values.client ? `no client ${values.client} in org ${org.id}` : `org ${org.id} has no Self Client`,
      );
    }
    return {
      ...(await issueGrantCode(storage, org, client, { scopes, expiresInMs: seconds * 1000, now })),
      client,
      org,
    };
  });
  const { accountsUrl } = presentedUrls(config, false);
  const result = {
    code,
    client_id: client.clientId,
    org_id: org.id,
    scopes,
    expires_in: seconds,
    expires_at: new Date(expiresAt).toISOString(),
    token_url: `${accountsUrl}/oauth/v2/token`,
  };
  print(
    values.json,
    result,
    `code        ${code}   (single use, ${seconds} s)
client_id   ${client.clientId}
org_id      ${org.id}
scopes      ${scopes.join(',')}
token_url   ${result.token_url}`,
  );
  return 0;
}

export const SCHEMA_HELP = `Usage: bulkwrite org schema <apply FILE|show> [--org ID] [--data-dir DIR] [--json]

Custom modules and custom fields of an org (docs/modules.md#custom-modules-and-fields).
  apply FILE   validate the JSON document in FILE and store it as the org's schema; a running server
               and its workers use it from their next request or job, without a restart, and the
               records already stored are kept
  show         print the org's stored schema document
--org names the org (default: the default org, the oldest).`;

/** `bulkwrite org schema …`: an admin command over the server's store, like `org` and `client`. */
export async function schemaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      org: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(SCHEMA_HELP);
    return 0;
  }
  const [action, file, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (action !== 'apply' && action !== 'show') {
    throw new UsageError(
      `"bulkwrite org schema" takes apply or show, got ${action ? `"${action}"` : 'nothing'}\n\n${SCHEMA_HELP}`,
    );
  }
  if (action === 'apply' && !file) throw new UsageError(`"schema apply" needs the schema file\n\n${SCHEMA_HELP}`);
  if (action === 'show' && file) throw new UsageError(`unexpected argument "${file}"`);
  const storage = await openStorage(configFrom(values));
  try {
    const org = values.org ? await storage.orgs.get(values.org) : await storage.orgs.getDefault();
    if (!org) throw new UsageError(values.org ? `no org with id ${values.org}` : 'there is no org yet');
    if (action === 'show') {
      const stored = await storage.schemas.get(org.id);
      const document = stored ? (JSON.parse(stored.document) as unknown) : { modules: [], fields: {} };
      console.log(
        JSON.stringify(
          values.json ? { org_id: org.id, version: stored?.version ?? 0, schema: document } : document,
          null,
          2,
        ),
      );
      return 0;
    }
    try {
      const applied = await applyOrgSchemaFile(storage, org.id, file!, Date.now());
      const summary = {
        org_id: org.id,
        version: applied.schema.version,
        changed: applied.changed,
        custom_modules: applied.modules,
        custom_fields: applied.fields,
      };
      console.log(
        values.json
          ? JSON.stringify(summary, null, 2)
          : `${applied.changed ? 'applied' : 'unchanged'}: org ${org.id}, schema version ${applied.schema.version}, ` +
              `${applied.modules} custom module(s), ${applied.fields} custom field(s)`,
      );
      return 0;
    } catch (e) {
      if (e instanceof OrgSchemaError) throw new UsageError(e.message);
      throw e;
    }
  } finally {
    await storage.close();
  }
}
