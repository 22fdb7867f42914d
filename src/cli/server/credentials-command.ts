import { ensureDefaultOrg, issueCredentials } from '../../auth/org-setup.js';
import { parseScopeList } from '../../auth/scopes.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { presentedUrls } from './presented-urls.js';
import { configFrom } from './server-commands.js';
import { openExistingStorage, requireSqliteStore } from './store.js';

export const CREDENTIALS_HELP = `Usage: bulkwrite credentials [--json] [--scopes a,b] [--data-dir DIR] [--init]

Prints the default org's Self Client and a fresh refresh token, access token and grant code, from the
store in the server's data folder (or its PostgreSQL database), with the api_domain of the server that
runs on that folder. Every run issues new tokens; earlier ones stay valid until they expire or, as at
Zoho, until the Self Client's 21st refresh token for the user revokes the oldest.

Options:
  --json          one JSON object (org_id, client_id, client_secret, refresh_token, access_token,
                  grant_code, api_domain, accounts_url, token_url)
  --scopes a,b    grant only these scopes (default: every bulk write scope)
  --data-dir DIR  the server's data folder (default ./data, or BULKWRITE_DATA_DIR); a folder with no
                  store is refused (it is likely not the server's), as is a server that answers at the
                  api_domain but runs on another folder
  --init          create the store (and the default org) if the folder or database holds none yet
  --public-url U, --dc DC, --port N
                  name these hosts in api_domain and accounts_url (default: what serve presents)

Examples:
  bulkwrite credentials --json
  bulkwrite credentials --scopes ZohoCRM.modules.ALL --json`;

export async function credentialsCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('credentials', argv, {
    json: { type: 'boolean' },
    scopes: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'public-url': { type: 'string' },
    dc: { type: 'string' },
    init: { type: 'boolean' },
  });
  if (help) {
    console.log(CREDENTIALS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const config = configFrom(values);
  const init = values.init === true;
  // Both checks before anything is written: no new store for tokens that no server would accept.
  requireSqliteStore(config, { init });
  const { apiDomain, accountsUrl } = await presentedUrls(config, values.port !== undefined);
  const storage = await openExistingStorage(config, { init });
  try {
    // The emulator clock (docs/admin-api.md#the-clock): tokens expire by the time the server reads.
    const now = Date.now() + (await storage.emulator.clockOffset());
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
