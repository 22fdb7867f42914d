import type { OAuthClient } from '../../storage/storage.js';

/** What the admin commands print: one JSON value with --json, else the text for a person. */
export function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

export { orgJson } from '../../api/admin/admin-wire.js';

/** A client's secret is known only when it was just made (only its hash is stored). */
export const clientJson = (c: OAuthClient & { clientSecret?: string }) => ({
  client_id: c.clientId,
  ...(c.clientSecret === undefined ? {} : { client_secret: c.clientSecret }),
  org_id: c.orgId,
  client_type: c.clientType,
  redirect_uri: c.redirectUri,
  name: c.name,
});
