import { createHash, randomBytes } from 'node:crypto';

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
