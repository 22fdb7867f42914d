import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// scripts/run-tests.mjs, run on folders of tiny test files (never on dist/test, which holds this file).
const RUNNER = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));
const PG_MODULE = createRequire(import.meta.url).resolve('pg');
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

const FILES = {
  'passes.test.js': `const { test } = require('node:test');
test('adds', () => { if (1 + 1 !== 2) throw new Error('arithmetic'); });
test('waits for a later release', { skip: 'not yet' }, () => {});`,
  'fails.test.js': `const { test } = require('node:test');
test('compares', () => { throw new Error('expected failure'); });`,
  'throws-at-import.test.js': `throw new Error('this file cannot load');`,
  'declares-nothing.test.js': `require('node:test');`,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const folders: string[] = [];
function folderWith(names: (keyof typeof FILES)[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-runner-'));
  folders.push(dir);
  for (const name of names) writeFileSync(join(dir, name), FILES[name]);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

function runner(args: string[], env: Record<string, string> = {}, onStart?: (child: ReturnType<typeof spawn>) => void) {
  // Not a child of this test run: the runner must not inherit the context node:test gives its own files.
  const { NODE_TEST_CONTEXT: _context, ...base } = process.env;
  const child = spawn(process.execPath, [RUNNER, ...args], { env: { ...base, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  onStart?.(child);
  return new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The one summary line, which must be the last line printed. */
function summaryOf(run: Run): { passed: number; failed: number; skipped: number } {
  const lines = run.stdout.trimEnd().split('\n');
  const summaries = lines.filter((l) => SUMMARY.test(l));
  assert.equal(summaries.length, 1, `one summary line expected in:\n${run.stdout}`);
  assert.equal(lines.at(-1), summaries[0], 'the summary is the last line');
  const [, passed, failed, skipped] = SUMMARY.exec(summaries[0]!)!.map(Number);
  return { passed: passed!, failed: failed!, skipped: skipped! };
}

after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/run-tests.mjs', () => {
  it('counts a failing test and a file that throws at import as failures, and exits 1', async () => {
    const run = await runner(['--dir', folderWith(['passes.test.js', 'fails.test.js', 'throws-at-import.test.js'])]);
    assert.deepEqual(summaryOf(run), { passed: 1, failed: 2, skipped: 1 });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /✔ adds/, 'the spec report is printed');
    assert.match(run.stdout, /✖ compares/);
    assert.match(run.stdout, /throws-at-import\.test\.js/);
  });

  it('exits 0 when every test passes', async () => {
    const run = await runner(['--dir', folderWith(['passes.test.js'])]);
    assert.deepEqual(summaryOf(run), { passed: 1, failed: 0, skipped: 1 });
    assert.equal(run.code, 0);
  });

  it('runs only the files whose names contain a filter', async () => {
    const dir = folderWith(['passes.test.js', 'fails.test.js']);
    const run = await runner(['--dir', dir, 'pass']);
    assert.deepEqual(summaryOf(run), { passed: 1, failed: 0, skipped: 1 });
    assert.equal(run.code, 0);
  });

  it('fails when there are no test files, or a filter matches none', async () => {
    for (const args of [
      ['--dir', folderWith([])],
      ['--dir', folderWith(['passes.test.js']), 'no-such-file'],
    ]) {
      const run = await runner(args);
      assert.deepEqual(summaryOf(run), { passed: 0, failed: 0, skipped: 0 });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /no test files/);
    }
  });

  it('fails when the files hold no test', async () => {
    const run = await runner(['--dir', folderWith(['declares-nothing.test.js'])]);
    assert.deepEqual(summaryOf(run), { passed: 0, failed: 0, skipped: 0 });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /zero tests/);
  });
});

describe('the PostgreSQL of a test run', () => {
  // A test file that records where the runner's PostgreSQL lives, checks what the suite relies on, and,
  // when asked to, then waits to be interrupted.
  const probe = (report: string, wait: boolean) => `const { test } = require('node:test');
const pg = require(${JSON.stringify(PG_MODULE)});
test('talks to the PostgreSQL the runner provides', async () => {
  const url = process.env.BULKWRITE_TEST_POSTGRES_URL;
  const client = new pg.Client(url);
  await client.connect();
  const { rows: [{ dir, version }] } = await client.query(
    "SELECT current_setting('data_directory') AS dir, current_setting('server_version_num')::int AS version");
  await client.query('CREATE DATABASE runner_probe');
  await client.query('DROP DATABASE runner_probe WITH (FORCE)');
  await client.end();
  require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ url, dir, version }));
  if (version < 130000) throw new Error('PostgreSQL 13 or later expected, got ' + version);
  ${wait ? 'await new Promise((resolve) => setTimeout(resolve, 120000));' : ''}
});`;
  const DEAD = 'postgres://postgres@127.0.0.1:1/test';

  async function refusesConnections(url: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return false;
    } catch {
      return true;
    }
  }

  it('starts a throwaway PostgreSQL when none answers at BULKWRITE_TEST_POSTGRES_URL, and removes it at the end', async () => {
    const dir = folderWith([]);
    const report = join(dir, 'report.json');
    writeFileSync(join(dir, 'probe.test.js'), probe(report, false));
    const run = await runner(['--dir', dir], { BULKWRITE_TEST_POSTGRES_URL: DEAD });
    assert.deepEqual(summaryOf(run), { passed: 1, failed: 0, skipped: 0 }, run.stdout + run.stderr);
    assert.equal(run.code, 0);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { url: string; dir: string };
    assert.notEqual(seen.url, DEAD);
    assert.match(run.stderr, /no usable PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    assert.equal(existsSync(seen.dir), false, 'its data folder is removed');
    assert.equal(await refusesConnections(seen.url), true, 'it is stopped');
  });

  it('stops and removes the throwaway PostgreSQL when the run is interrupted', async () => {
    const dir = folderWith([]);
    const report = join(dir, 'report.json');
    writeFileSync(join(dir, 'probe.test.js'), probe(report, true));
    let waited = 0;
    const run = await runner(['--dir', dir], { BULKWRITE_TEST_POSTGRES_URL: DEAD }, (child) => {
      const poll = setInterval(() => {
        waited += 100;
        if (existsSync(report) || waited > 60_000) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 100);
    });
    assert.equal(run.code, 130, run.stdout + run.stderr);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { url: string; dir: string };
    assert.equal(existsSync(seen.dir), false, 'its data folder is removed');
    assert.equal(await refusesConnections(seen.url), true, 'it is stopped');
  });
});
