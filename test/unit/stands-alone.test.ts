import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// Spelled in two parts so that this file does not mention the folder itself.
const OUTSIDE = ['..', 'shared'].join('/');

it(`no tracked file reads or links ${OUTSIDE}, a folder outside the repository`, (t) => {
  const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: REPO, encoding: 'utf8' });
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return t.skip('not a git checkout');
  // package-lock.json is npm's record of third-party packages, not the project's own text.
  const grep = spawnSync('git', ['grep', '-n', '-F', OUTSIDE, '--', '.', ':(exclude)package-lock.json'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.notEqual(grep.status, 0, `tracked files mention ${OUTSIDE}:\n${grep.stdout}`);
  assert.equal(grep.status, 1, `git grep failed: ${grep.stderr}`);
});
