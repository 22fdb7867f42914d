// Rewrites the server settings table of docs/configuration.md from src/config.ts (run after the build:
// `npm run docs:config`). test/unit/configuration-doc.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../dist/src/config-doc.js';

const path = new URL('../docs/configuration.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withSettingsTable(before);
if (after === before) {
  console.log('docs/configuration.md is up to date');
} else {
  writeFileSync(path, after);
  console.log('docs/configuration.md: server settings table rewritten');
}
