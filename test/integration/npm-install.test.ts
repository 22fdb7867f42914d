import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ADDON = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  assert.equal(run.status, 0, `npm ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

describe('the bulkwrite command, installed globally from a packed clone', () => {
  let dir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-pack-'));
    // The suite has built dist/ already; `npm pack` without --ignore-scripts would build it first (prepare).
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as [
      { filename: string },
    ];
    const prefix = join(dir, 'prefix');
    // One install, from the npm cache where it can. better-sqlite3's install script compiles SQLite for a
    // minute or more; its addon is the one this clone's own install built, for the same version and Node.
    npm(
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        join(dir, packed.filename),
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
      ],
      dir,
    );
    const installed = join(prefix, 'lib', 'node_modules', 'bulkwrite');
    mkdirSync(join(installed, ADDON, '..'), { recursive: true });
    copyFileSync(join(ROOT, ADDON), join(installed, ADDON));
    bin = join(prefix, 'bin', 'bulkwrite');
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BULKWRITE_'))),
      HOME: dir,
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('puts a bulkwrite command on the PATH of the prefix that prints its help', () => {
    const help = spawnSync(bin, ['--help'], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: bulkwrite <command> \[options\]$/m);
    assert.equal(existsSync(join(dir, 'prefix', 'lib', 'node_modules', 'bulkwrite', 'dist', 'test')), false);
  });

  it('issues credentials over a new data folder: the migrations are in the package', () => {
    const run = spawnSync(
      bin,
      ['credentials', '--init', '--json', '--data-dir', join(dir, 'data'), '--public-url', 'http://127.0.0.1:9'],
      { cwd: dir, env, encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    const creds = JSON.parse(run.stdout) as Record<string, string>;
    assert.match(creds.access_token!, /^1000\./);
    assert.equal(creds.api_domain, 'http://127.0.0.1:9');
  });

  it('serves on a free port with its worker thread, and stops on SIGTERM', async () => {
    const server = spawn(bin, ['serve', '--port', '0', '--data-dir', join(dir, 'data')], {
      cwd: dir,
      env: { ...env, BULKWRITE_LOG_LEVEL: 'warn' },
    });
    let output = '';
    server.stdout.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 30_000);
      server.stdout.on('data', () => {
        const m = /bulkwrite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      exited.then((code) => reject(new Error(`serve exited with ${code}: ${output}`)), reject);
    });
    const res = await fetch(`${url}/crm/bulk/v2.1/write/1`);
    assert.equal(res.status, 401);
    server.kill('SIGTERM');
    assert.equal(await exited, 0, output);
  });
});
