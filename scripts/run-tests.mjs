// Runs every compiled test file with node's test runner. Node 20's `node --test` does not
// expand globs and silently finds no .ts files, so this lists the files itself and fails
// when there are none.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const only = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

let files;
try {
  files = collect(root);
} catch {
  files = [];
}
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (did the build run?)');
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
process.stdout.write(result.stdout ?? '');
const m = /^ℹ tests (\d+)$/m.exec(result.stdout ?? '');
const total = m ? Number(m[1]) : 0;
if (result.status === 0 && total === 0) {
  console.error('run-tests: the runner executed zero tests');
  process.exit(1);
}
const pass = /^ℹ pass (\d+)$/m.exec(result.stdout ?? '')?.[1] ?? '0';
const fail = /^ℹ fail (\d+)$/m.exec(result.stdout ?? '')?.[1] ?? '0';
const skipped = /^ℹ skipped (\d+)$/m.exec(result.stdout ?? '')?.[1] ?? '0';
console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(result.status ?? 1);
