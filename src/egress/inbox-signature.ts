import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callbacks a server sends to its own built-in inbox while BULKWRITE_ADMIN_KEY is set (docs/callbacks.md):
 * the sender signs the body with the key (HMAC-SHA256) and the inbox accepts a POST whose signature
 * holds instead of the key itself. The key never leaves the server, not even to a URL that only looks
 * like its own: a signature of one body opens nothing else.
 */
export const INBOX_SIGNATURE_HEADER = 'x-bulkwrite-inbox-signature';

export const inboxSignature = (adminKey: string, body: string): string =>
  createHmac('sha256', adminKey).update(body).digest('hex');

/** A URL (or a request path) of the built-in inbox, `/_bulkwrite/inbox/{name}`. */
export function isInboxPath(urlOrPath: string): boolean {
  let path = urlOrPath;
  try {
    path = new URL(urlOrPath, 'http://x').pathname;
  } catch {
    return false;
  }
  return /^\/_bulkwrite\/inbox\/[^/]+\/?$/i.test(path);
}

export function validInboxSignature(adminKey: string, body: string, given: string): boolean {
  const want = Buffer.from(inboxSignature(adminKey, body));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}
