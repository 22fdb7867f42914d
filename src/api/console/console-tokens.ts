import { createHash } from 'node:crypto';
import { issueAccessToken } from '../../auth/org-setup.js';
import { hashSecret } from '../../auth/tokens.js';
import type { Org } from '../../domain/types.js';
import type { Storage } from '../../storage/storage.js';
import { keepAtMost } from './result-rows.js';

/**
 * The Zoho token the console uses for an org's Zoho API (upload, create job, records): one per browser
 * session and org, shared by every tab of that session, made again only when it nears its expiry. It is
 * an access token alone, with no refresh token, so however many tabs or sessions are opened it never
 * counts toward Zoho's 20 refresh tokens per user and client, and never revokes a token the user holds.
 * Kept in this process's memory (several processes behind one address each make their own); a session
 * that signs out has its tokens revoked.
 */

export const CONSOLE_SCOPES = [
  'ZohoCRM.bulk.ALL',
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoFiles.files.ALL',
];

const MAX_HELD = 1_000;
/** A held token is handed out while it has at least this long to live (or half its life, if shorter). */
const REUSE_MARGIN_MS = 5 * 60_000;

interface Held {
  token: string;
  expiresAt: number;
}

export interface ConsoleTokens {
  /** The session's token for the org (`session`: a value only that session's requests carry; null: none). */
  tokenFor(session: string | null, org: Org): Promise<Held>;
  /** Revokes and forgets every token of a session. */
  forget(session: string | null): Promise<void>;
}

export function consoleTokens(storage: Storage, ttlSeconds: number, now: () => number): ConsoleTokens {
  // Promises, so that tabs opened together share the one token being made.
  const held = new Map<string, Promise<Held>>();
  const sessionOf = (session: string) => createHash('sha256').update(session).digest('base64url');
  const margin = Math.min(REUSE_MARGIN_MS, (ttlSeconds * 1000) / 2);
  const mint = async (org: Org): Promise<Held> => {
    const t = await issueAccessToken(storage, org, { scopes: CONSOLE_SCOPES, now: now(), tokenTtlSeconds: ttlSeconds });
    return { token: t.accessToken, expiresAt: t.expiresAt };
  };
  return {
    async tokenFor(session, org) {
      if (session === null) return mint(org);
      const key = `${sessionOf(session)}/${org.id}`;
      const kept = held.get(key);
      if (kept !== undefined) {
        const t = await kept.catch(() => null);
        // Still live (on the emulator clock, which a test may move) and not revoked by a reset.
        if (
          t !== null &&
          t.expiresAt - now() > margin &&
          (await storage.oauth.getAccessToken(hashSecret(t.token), now()))
        )
          return t;
        if (held.get(key) !== kept) return (await held.get(key))!;
      }
      const made = mint(org);
      keepAtMost(held, MAX_HELD, key, made);
      made.catch(() => held.get(key) === made && held.delete(key));
      return made;
    },
    async forget(session) {
      if (session === null) return;
      const prefix = `${sessionOf(session)}/`;
      for (const [key, t] of [...held]) {
        if (!key.startsWith(prefix)) continue;
        held.delete(key);
        const token = await t.catch(() => null);
        if (token !== null) await storage.oauth.revokeAccessToken(hashSecret(token.token), now());
      }
    },
  };
}
