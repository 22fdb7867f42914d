import { readFileSync } from 'node:fs';

/**
 * The package's version, read once from its package.json (two folders up from this file, in the source
 * tree as in dist/ and in an installed package).
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
