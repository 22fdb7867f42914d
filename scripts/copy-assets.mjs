// Copies the non-TypeScript files the server reads at run time (SQL migrations) next to the compiled code.
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
