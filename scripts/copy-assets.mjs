// Copies the non-TypeScript files the server reads at run time next to the compiled code: SQL migrations,
// and the console's page and stylesheet (its scripts are compiled by console/tsconfig.json).
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.sql')) cpSync(path, join('dist', path));
  }
}
if (existsSync('src')) walk('src');
for (const file of ['index.html', 'style.css']) {
  if (existsSync(join('console', file))) cpSync(join('console', file), join('dist', 'console', file));
}
