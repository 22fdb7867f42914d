// `npm run lint`: ESLint and Prettier over the files git tracks, so a file of one's own in the clone
// (notes, a downloaded CSV, creds.json) never fails the project's lint. Outside a git checkout (an
// unpacked tarball) it lints the whole folder, as `eslint .` and `prettier --check .` would.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT_SOURCES = /\.(ts|mts|cts|js|mjs|cjs)$/;
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function tracked() {
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' });
  if (top.status !== 0) return null;
  const root = top.stdout.trim();
  const list = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (list.status !== 0) return null;
  // A tracked file deleted in the work tree is not there to lint.
  return { root, files: list.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f))) };
}

function run(command, args, cwd) {
  return spawnSync(bin(command), args, { cwd, stdio: 'inherit' }).status === 0;
}

const git = tracked();
let ok;
if (git === null) {
  ok = [run('eslint', ['.']), run('prettier', ['--check', '.'])].every(Boolean);
} else {
  const sources = git.files.filter((f) => SCRIPT_SOURCES.test(f));
  ok = [
    sources.length === 0 || run('eslint', ['--no-warn-ignored', '--', ...sources], git.root),
    run('prettier', ['--check', '--ignore-unknown', '--', ...git.files], git.root),
  ].every(Boolean);
}
process.exit(ok ? 0 : 1);
