import { ensureDefaultOrg, issueCredentials } from '../../auth/org-setup.js';
import { parseScopeList } from '../../auth/scopes.js';
import { openStorage } from '../../storage/open-storage.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { configFrom, presentedUrls } from './server-commands.js';

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

export async function credentialsCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('credentials', argv, {
    json: { type: 'boolean' },
    scopes: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'public-url': { type: 'string' },
    dc: { type: 'string' },
  });
  if (help) {
    console.log(CREDENTIALS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
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
