import { issueGrantCode } from '../../auth/org-setup.js';
import { ALL_BULK_SCOPES, parseScopeList } from '../../auth/scopes.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { print } from './admin-json.js';
import { presentedUrls } from './presented-urls.js';
import { configFrom } from './server-commands.js';
import { findOrg, withStorage } from './store.js';

/** Seconds a grant code may live: Zoho's Self Client offers 3 to 10 minutes; shorter ones help tests. */
const MAX_GRANT_CODE_SECONDS = 600;

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

export async function grantCodeCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('grant-code', argv, {
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
    org: { type: 'string' },
    client: { type: 'string' },
    scopes: { type: 'string' },
    'expires-in': { type: 'string' },
  });
  if (help) {
    console.log(GRANT_CODE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const seconds = values['expires-in'] === undefined ? MAX_GRANT_CODE_SECONDS : Number(values['expires-in']);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_GRANT_CODE_SECONDS) {
    throw new CliError(
      `--expires-in must be a whole number of seconds from 1 to ${MAX_GRANT_CODE_SECONDS}, got "${values['expires-in']}"`,
    );
  }
  const scopes = values.scopes === undefined ? ALL_BULK_SCOPES : parseScopeList(values.scopes);
  if (scopes.length === 0) throw new CliError('--scopes names no scope');
  const config = configFrom(values);
  const { code, expiresAt, client, org } = await withStorage(config, async (storage) => {
    // The emulator clock (docs/admin-api.md#the-clock): the code expires by the time the server reads.
    const now = Date.now() + (await storage.emulator.clockOffset());
    const org = await findOrg(storage, values.org);
    const client = values.client
      ? await storage.oauth.getClient(values.client)
      : (await storage.oauth.clientsOf(org.id)).find((c) => c.clientType === 'self');
    // Another org's client is "not found" here too: nothing crosses orgs.
    if (!client || client.orgId !== org.id) {
      throw new CliError(
        values.client ? `no client ${values.client} in org ${org.id}` : `org ${org.id} has no Self Client`,
      );
    }
    return {
      ...(await issueGrantCode(storage, org, client, { scopes, expiresInMs: seconds * 1000, now })),
      client,
      org,
    };
  });
  const { accountsUrl } = await presentedUrls(config, false);
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
