import { ZohoError } from '../errors/zoho-error.js';

/**
 * Zoho's `page_token` for records lists (v4 and later): `info.next_page_token` of one page, sent back as
 * `page_token=` for the next. Zoho's tokens are opaque and expire after a day; so do these.
 *
 * A token is the page's position, not a copy of anything: the id of the last record handed out (the
 * next page lists the records after it, however many came before: keyset paging, the same cost at any
 * depth), the next page's number (for `info.page`), the org and module it was made for, and when it
 * expires. It is not signed: all it can name is a position in the caller's own module, which `page`
 * names too. Base64url of JSON, so it travels in a query string as it is.
 */
export interface PageToken {
  orgId: string;
  module: string;
  /** The last record id of the page before. */
  afterId: string;
  /** The number of the page this token reads. */
  page: number;
  /** Epoch ms after which the token is refused (EXPIRED_VALUE). */
  expiresAt: number;
}

/** Zoho: a page token is valid for 24 hours. */
export const PAGE_TOKEN_TTL_MS = 24 * 3_600_000;

/** The longest token accepted: Zoho's OAS caps `page_token` at 2,000 characters; ours are ~150. */
const MAX_TOKEN_LENGTH = 2000;

export function writePageToken(t: PageToken): string {
  return Buffer.from(JSON.stringify([1, t.orgId, t.module, t.afterId, t.page, t.expiresAt])).toString('base64url');
}

const invalid = () =>
  new ZohoError('INVALID_DATA', { message: 'invalid page_token', details: { param_name: 'page_token' } });

/** The token of `text`, for this org and module; INVALID_DATA when it is not one, EXPIRED_VALUE when old. */
export function readPageToken(text: string, orgId: string, module: string, now: number): PageToken {
  if (text.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 6 || parsed[0] !== 1) throw invalid();
  const [, o, m, afterId, page, expiresAt] = parsed as unknown[];
  if (
    o !== orgId ||
    m !== module ||
    typeof afterId !== 'string' ||
    !/^\d{1,19}$/.test(afterId) ||
    !Number.isSafeInteger(page) ||
    (page as number) < 2 ||
    !Number.isSafeInteger(expiresAt)
  )
    throw invalid();
  if ((expiresAt as number) <= now) {
    throw new ZohoError('EXPIRED_VALUE', { details: { param_name: 'page_token' } });
  }
  return { orgId, module, afterId, page: page as number, expiresAt: expiresAt as number };
}
