import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Zoho-shaped secrets: `1000.<hex>.<hex>` for tokens and codes, `1000.<UPPERCASE>` for client ids. */
export function newToken(): string {
  return `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
}

export function newClientId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(30);
  return `1000.${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export function newClientSecret(): string {
  return randomBytes(21).toString('hex');
}

/** Tokens and codes are stored only as this hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * True when `secret` hashes to one of `hashes` (hex sha256, as hashSecret writes them). Every stored
 * hash is compared, each in constant time, so the answer's timing says nothing of which byte differed.
 */
export function matchesSecretHash(secret: string, hashes: readonly string[]): boolean {
  const presented = createHash('sha256').update(secret).digest();
  let found = false;
  for (const hash of hashes) {
    const stored = Buffer.from(hash, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = true;
  }
  return found;
}
