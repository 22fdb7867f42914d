import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureDefaultOrg, issueCredentials } from '../../auth/org-setup.js';
import { parseScopeList } from '../../auth/scopes.js';
import { loadConfig, publicBaseUrl, type Config } from '../../config.js';
import { DATA_CENTRE_NAMES, isDataCentreName, presentation } from '../../data-centres.js';
import { openStorage } from '../../storage/open-storage.js';
import { serverInfoPath, startServer } from '../../server.js';

/** The commands that run server code: `serve` and `credentials`. */

export class UsageError extends Error {}

export function configFrom(values: {
  port?: string;
  'data-dir'?: string;
  host?: string;
  'public-url'?: string;
  dc?: string;
}): Config {
  const overrides: Partial<Config> = {};
  if (values['public-url'] !== undefined) {
    if (!/^https?:\/\/[^/]+/i.test(values['public-url']))
      throw new UsageError(`--public-url must be an http(s) URL, got "${values['public-url']}"`);
    overrides.publicUrl = values['public-url'];
  }
  if (values.dc !== undefined) {
    const dc = values.dc.toLowerCase();
    if (dc !== '' && !isDataCentreName(dc))
      throw new UsageError(`--dc must be one of ${DATA_CENTRE_NAMES.join(', ')}, got "${values.dc}"`);
    overrides.dc = dc as Config['dc'];
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number, got "${values.port}"`);
    overrides.port = port;
  }
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  if (values.host !== undefined) overrides.host = values.host;
  return loadConfig(process.env, overrides);
}

export const SERVE_HELP = `Usage: bulkwrite serve [--port N] [--host H] [--data-dir DIR] [--public-url URL] [--dc DC] [--no-worker]

Starts the Bulk Write API and its job worker in one process, with SQLite in the data folder.

Options:
  --port N        port to listen on (default 8080, or BULKWRITE_PORT); 0 picks a free one
  --host H        address to bind (default 127.0.0.1, or BULKWRITE_HOST)
  --data-dir DIR  where the database and files live (default ./data, or BULKWRITE_DATA_DIR)
  --public-url U  the URL clients reach the server at; api_domain and download links use it
                  (or BULKWRITE_PUBLIC_URL)
  --dc DC         present as a Zoho data centre: ${DATA_CENTRE_NAMES.join(', ')} (or BULKWRITE_DC);
                  api_domain and download links then name that DC's hosts (see docs/data-centres.md)
  --no-worker     serve the API only; jobs wait for a worker

Examples:
  bulkwrite serve
  bulkwrite serve --port 0 --data-dir /tmp/bw
  bulkwrite serve --port 8443 --dc eu`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'public-url': { type: 'string' },
      dc: { type: 'string' },
      'no-worker': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const config = configFrom(values);
  if (values['no-worker']) config.worker = false;
  const server = await startServer(config);
  console.log(`bulkwrite listening on ${server.url}`);
  if (server.presentation.apiDomain !== server.url) console.log(`presenting as: ${server.presentation.apiDomain}`);
  console.log(`data folder: ${config.dataDir}`);
  console.log(`org: ${server.org.id}${server.orgCreated ? ' (created now)' : ''}`);
  console.log(
    `get a token: npx bulkwrite credentials --json${values['data-dir'] ? ` --data-dir ${values['data-dir']}` : ''}`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

export const CREDENTIALS_HELP = `Usage: bulkwrite credentials [--json] [--scopes a,b] [--data-dir DIR]

Prints the default org's Self Client and a fresh refresh token, access token and grant code.
Every run issues new tokens; earlier ones stay valid until they expire or, as at Zoho, until the
Self Client's 21st refresh token for the user revokes the oldest.

Options:
  --json          one JSON object (org_id, client_id, client_secret, refresh_token, access_token,
                  grant_code, api_domain, accounts_url, token_url)
  --scopes a,b    grant only these scopes (default: every bulk write scope)
  --data-dir DIR  the server's data folder (default ./data, or BULKWRITE_DATA_DIR)
  --public-url U, --dc DC
                  name these hosts in api_domain and accounts_url (default: what serve presents)

Examples:
  bulkwrite credentials --json
  bulkwrite credentials --scopes ZohoCRM.modules.ALL --json`;

/**
 * The api_domain and accounts URL clients should use: the running server's own (from server.json, which
 * `serve` writes), unless a public URL, a data centre or an explicit --port says otherwise.
 */
export function presentedUrls(config: Config, portGiven: boolean): { apiDomain: string; accountsUrl: string } {
  const info = serverInfoPath(config);
  if (!portGiven && !config.publicUrl && !config.dc && existsSync(info)) {
    const saved = JSON.parse(readFileSync(info, 'utf8')) as { url: string; api_domain?: string; accounts_url?: string };
    return { apiDomain: saved.api_domain ?? saved.url, accountsUrl: saved.accounts_url ?? saved.url };
  }
  const p = presentation(config, publicBaseUrl(config));
  return { apiDomain: p.apiDomain, accountsUrl: p.accountsUrl };
}

export async function credentialsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      scopes: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'public-url': { type: 'string' },
      dc: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(CREDENTIALS_HELP);
    return 0;
  }
  const config = configFrom(values);
  const { apiDomain, accountsUrl } = presentedUrls(config, values.port !== undefined);
  const storage = await openStorage(config);
  try {
    const now = Date.now();
    const { org } = await ensureDefaultOrg(storage, now);
    const creds = await issueCredentials(storage, org, {
      scopes: values.scopes ? parseScopeList(values.scopes) : undefined,
      now,
      tokenTtlSeconds: config.tokenTtlSeconds,
      apiDomain,
      accountsUrl,
    });
    if (values.json) {
      console.log(JSON.stringify(creds, null, 2));
    } else {
      console.log(`org_id         ${creds.org_id}
client_id      ${creds.client_id}
client_secret  ${creds.client_secret}
refresh_token  ${creds.refresh_token}
access_token   ${creds.access_token}   (valid ${creds.expires_in} s)
grant_code     ${creds.grant_code}   (single use, 10 minutes)
scopes         ${creds.scopes.join(',')}
api_domain     ${creds.api_domain}
token_url      ${creds.token_url}

curl -H "Authorization: Zoho-oauthtoken ${creds.access_token}" ${creds.api_domain}/crm/bulk/v2.1/write/<job_id>`);
    }
  } finally {
    await storage.close();
  }
  return 0;
}
