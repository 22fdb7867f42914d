import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Runs the README as a newcomer would: the curl walk's `sh` blocks in order in one bash, in a folder
// laid out like a clone (`npx bulkwrite` finds the package's command there), then the CLI section's
// blocks with `bulkwrite` on the PATH as after `npm install -g .`. Each answer is compared with the
// sample the README shows, ids, tokens, times and the port aside.
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const CLI = join(REPO, 'dist/src/cli/main.js');
const WALK = '## A whole job with curl';
const SESSION = '## The `bulkwrite` command: a bulk import in one line';
// The home folder of the README's sample session.
const README_HOME = '/home/ada';

interface Block {
  lang: string;
  text: string;
  /** The json or csv block right after this one: the answer it shows. */
  answer?: Block;
}

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no section "${heading}"`);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  return README.slice(start, end < 0 ? undefined : end);
}

function blocks(text: string): Block[] {
  const out: Block[] = [];
  let previousEnd = -1;
  for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const block: Block = { lang: m[1]!, text: m[2]! };
    const last = out.at(-1);
    const adjacent = last && text.slice(previousEnd, m.index).trim() === '';
    if (last?.lang === 'sh' && adjacent && (block.lang === 'json' || block.lang === 'csv')) last.answer = block;
    else out.push(block);
    previousEnd = m.index + m[0].length;
  }
  return out;
}

/** Text with what differs from run to run (ids, tokens, times, the port, the home folder) replaced; CRLF as LF. */
function normalise(text: string, home: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split(home)
    .join(README_HOME)
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?/g, '<time>')
    .replace(/\b1000\.[0-9a-f]{32}\.[0-9a-f]{32}\b/g, '<token>')
    .replace(/ in \d+(\.\d+)? s\b/g, ' in <t> s')
    .replace(/\b\d{6,}\b/g, '<n>')
    .replace(/[ \t]+/g, ' ')
    .replace(/ $/gm, '')
    .trim();
}

function normaliseJson(value: unknown, home: string): unknown {
  if (typeof value === 'string') return normalise(value, home);
  if (Array.isArray(value)) return value.map((v) => normaliseJson(v, home));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseJson(v, home)]));
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('the README, run as written', () => {
  const root = mkdtempSync(join(tmpdir(), 'bulkwrite-readme-'));
  const clone = join(root, 'clone');
  const home = join(root, 'home');
  let env: Record<string, string>;
  let server: ChildProcess;

  before(async () => {
    // The clone: `npx bulkwrite` runs the package's command, and yazl and yauzl are there to require.
    mkdirSync(join(clone, 'node_modules', '.bin'), { recursive: true });
    const command = `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`;
    writeFileSync(join(clone, 'node_modules', '.bin', 'bulkwrite'), command);
    chmodSync(join(clone, 'node_modules', '.bin', 'bulkwrite'), 0o755);
    for (const pkg of ['yazl', 'yauzl']) symlinkSync(join(REPO, 'node_modules', pkg), join(clone, 'node_modules', pkg));
    // The home folder, with `bulkwrite` installed globally.
    mkdirSync(join(home, 'bin'), { recursive: true });
    writeFileSync(join(home, 'bin', 'bulkwrite'), command);
    chmodSync(join(home, 'bin', 'bulkwrite'), 0o755);

    const port = await freePort();
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) =>
          !k.startsWith('BULKWRITE_') && !k.startsWith('XDG_') && !k.startsWith('npm_') && k !== 'NODE_TEST_CONTEXT',
      ),
    ) as Record<string, string>;
    env = {
      ...base,
      HOME: home,
      PATH: `${join(home, 'bin')}:${process.env.PATH ?? ''}`,
      // The README's port is 8080; this run uses a free one, through the documented setting.
      BULKWRITE_PORT: String(port),
      BULKWRITE_LOG_LEVEL: 'warn',
      // npx must find the clone's own command, never fetch a package.
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      NO_COLOR: '1',
    };

    const [serve, ...rest] = blocks(section(WALK));
    assert.equal(serve?.text.trim(), 'npx bulkwrite serve', 'the walk starts with the server');
    assert.ok(rest.length > 0);
    server = spawn('bash', ['-c', serve!.text], { cwd: clone, env, detached: true });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), 60_000);
      const listen = (c: Buffer) => {
        output += c.toString();
        if (output.includes(`listening on http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout!.on('data', listen);
      server.stderr!.on('data', listen);
      server.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
    });
  });

  after(async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the curl walk in one shell, and every answer has the shape and content the README shows', () => {
    // Its sh blocks; a json block that is no block's answer (a fuller request) is for reading only.
    const walk = blocks(section(WALK))
      .slice(1)
      .filter((b) => b.lang === 'sh');
    const script = ['set -e -o pipefail'];
    walk.forEach((b, i) => script.push(`printf '\\n@@%s@@\\n' ${i}; printf '\\n@@%s@@\\n' ${i} >&2`, b.text));
    const run = spawnSync('bash', ['-c', script.join('\n')], { cwd: clone, env, encoding: 'utf8', timeout: 120_000 });
    const split = (s: string) => s.split(/\n@@\d+@@\n/).slice(1);
    const stdout = split(run.stdout);
    const stderr = split(run.stderr);
    assert.equal(run.status, 0, `the walk failed:\n${run.stdout}\n${run.stderr}`);
    assert.equal(stdout.length, walk.length);

    const printed: string[] = [];
    walk.forEach((block, i) => {
      const out = stdout[i]!.trim();
      const where = `block ${i + 2} of the walk:\n${block.text}`;
      assert.equal(stderr[i]!.trim(), '', `${where}\nwrote to stderr`);
      if (block.answer?.lang === 'json') {
        assert.deepEqual(
          normaliseJson(JSON.parse(out), home),
          normaliseJson(JSON.parse(block.answer.text), home),
          where,
        );
      } else if (block.answer?.lang === 'csv') {
        assert.equal(normalise(out, home), normalise(block.answer.text, home), where);
      } else {
        // A block without an answer prints nothing, or (an alternative for a missing tool) what another did.
        assert.ok(out === '' || printed.includes(out), `${where}\nprinted: ${out}`);
      }
      if (out !== '') printed.push(out);
    });

    const creds = JSON.parse(readFileSync(join(clone, 'creds.json'), 'utf8')) as Record<string, unknown>;
    const listed = /`creds\.json` holds ([^.]+)\./.exec(section(WALK))![1]!.match(/`(\w+)`/g)!;
    for (const key of listed) assert.ok(key.slice(1, -1) in creds, `creds.json has ${key}`);
  });

  it('runs the CLI session: each command answers and exits as the README shows', () => {
    const [csv, session, ...others] = blocks(section(SESSION));
    assert.equal(csv?.lang, 'sh', 'the session starts by writing its CSV');
    assert.equal(session?.lang, 'console');
    assert.equal(others.length, 0);
    const write = spawnSync('bash', ['-c', csv!.text], { cwd: clone, env, encoding: 'utf8' });
    assert.equal(write.status, 0, write.stderr);

    // `$ command` lines, each followed by what it printed.
    const steps: { command: string; output: string[] }[] = [];
    for (const line of session!.text.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
      else steps.at(-1)!.output.push(line);
    }
    const ids = new Map<string, string>(); // the README's ids to this run's
    let status = 0;
    for (const step of steps) {
      const command = step.command.replace(/\b\d{19}\b/g, (id) => ids.get(id) ?? id);
      const run = spawnSync('bash', ['-c', `(exit ${status}); ${command}`], { cwd: clone, env, encoding: 'utf8' });
      status = run.status ?? 1;
      const lines = `${run.stdout}\n${run.stderr}`.split('\n');
      for (const expected of step.output) {
        // The progress bar is drawn on a terminal only; elsewhere it is one line per poll.
        if (expected.trim() === '' || expected.includes('█')) continue;
        const seen = lines.find((l) => normalise(l, home) === normalise(expected, home));
        assert.ok(
          seen !== undefined,
          `$ ${command}\nprinted no line like:\n${expected}\nit printed:\n${lines.join('\n')}`,
        );
        const theirs = seen.match(/\b\d{19}\b/g) ?? [];
        (expected.match(/\b\d{19}\b/g) ?? []).forEach((id, k) => ids.set(id, theirs[k]!));
      }
    }
    const echo = steps.findIndex((s) => s.command === 'echo $?');
    assert.ok(echo > 0, 'the session shows an exit code');
  });

  it('leaves in the clone only files git ignores', (t) => {
    if (spawnSync('git', ['rev-parse', '--git-dir'], { cwd: REPO }).status !== 0) return t.skip('not a git checkout');
    for (const entry of readdirSync(clone, { withFileTypes: true })) {
      const name = entry.isDirectory() ? `${entry.name}/` : entry.name;
      const ignored = spawnSync('git', ['check-ignore', '-q', '--no-index', name], { cwd: REPO });
      assert.equal(ignored.status, 0, `${name}, written by the README's commands, is not git-ignored`);
    }
  });
});
