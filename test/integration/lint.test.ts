import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// scripts/lint.mjs (npm run lint), run on a small folder of its own with the project's ESLint and Prettier.
const LINT = fileURLToPath(new URL('../../../scripts/lint.mjs', import.meta.url));
const WELL_FORMATTED = 'export const answer = 42;\n';
// Prettier would rewrite it, and ESLint's recommended rules refuse the unused variable.
const BADLY_FORMATTED = 'const   unused=1\nexport const answer = 42\n';

const folders: string[] = [];
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-lint-'));
  folders.push(dir);
  writeFileSync(join(dir, 'eslint.config.mjs'), 'export default [{ rules: { "no-unused-vars": "error" } }];\n');
  writeFileSync(join(dir, 'tracked.js'), WELL_FORMATTED);
  writeFileSync(join(dir, 'mine.js'), BADLY_FORMATTED);
  return dir;
}

function git(dir: string, ...args: string[]): void {
  const run = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
}

function lint(dir: string) {
  const run = spawnSync(process.execPath, [LINT], { cwd: dir, encoding: 'utf8' });
  return { code: run.status, output: run.stdout + run.stderr };
}

describe('npm run lint', () => {
  it("checks the files git tracks, not a user's own untracked file in the clone", () => {
    const dir = folder();
    git(dir, 'init', '-q');
    git(dir, 'add', 'eslint.config.mjs', 'tracked.js');
    const clean = lint(dir);
    assert.equal(clean.code, 0, clean.output);
    assert.doesNotMatch(clean.output, /mine\.js/);

    git(dir, 'add', 'mine.js');
    const dirty = lint(dir);
    assert.equal(dirty.code, 1, dirty.output);
    assert.match(dirty.output, /mine\.js/);
    assert.match(dirty.output, /'unused' is assigned a value but never used/);
  });

  it('checks the whole folder outside a git checkout', () => {
    const dir = folder();
    const run = lint(dir);
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /mine\.js/);
  });
});
