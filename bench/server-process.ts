import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BulkWriteApi } from './api.js';

/** Starts `bulkwrite serve` as a separate process on a free loopback port, with a data folder of its own. */

/**
 * The CLI of this build, or of another one given by `--server-cli` (run.ts sets BULKWRITE_BENCH_CLI):
 * the same driver and files against an older build, for before/after figures from one run.
 */
export const cli = (): string =>
  process.env.BULKWRITE_BENCH_CLI ?? fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface BenchServer {
  pid: number;
  url: string;
  dataDir: string;
  api: BulkWriteApi;
  /** The end of what the server printed to stderr, and how it exited if it did: for error reports. */
  diagnostics(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; removes the data folder unless kept. */
  stop(opts?: { graceMs?: number; keepData?: boolean }): Promise<void>;
}

export interface ServerOptions {
  env?: Record<string, string>;
  /** Options for node itself, before the script (e.g. --cpu-prof; Node 20 refuses it in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Arguments after `serve` besides --port and --data-dir (e.g. --no-worker). */
  args?: string[];
  dataDir?: string;
}

export const SERVER_ENV = {
  BULKWRITE_MAX_ROWS: '2000000',
  BULKWRITE_MAX_UPLOAD_BYTES: '1000000000',
  BULKWRITE_LOG_LEVEL: 'warn',
};

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startBenchServer(opts: ServerOptions = {}): Promise<BenchServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'bulkwrite-bench-'));
  // SQLite unless the scenario names a database: BULKWRITE_DATABASE_URL in the driver's environment is
  // meant for the PostgreSQL scenarios only.
  const env = { ...process.env, ...SERVER_ENV, BULKWRITE_DATABASE_URL: '', ...opts.env };
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), cli(), 'serve', '--port', '0', '--data-dir', dataDir, ...(opts.args ?? [])],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let errText = '';
  child.stderr!.on('data', (c: Buffer) => {
    errText = (errText + c.toString()).slice(-20_000);
  });
  // A server that fails to start leaves no process and no folder behind.
  const cleanUp = () => {
    child.kill('SIGKILL');
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s: ${errText}`)), 20_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /bulkwrite listening on (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${errText}`));
    });
  }).catch((e: unknown) => {
    cleanUp();
    throw e;
  });

  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [cli(), 'credentials', '--json', '--data-dir', dataDir], {
      env,
    }));
  } catch (e) {
    cleanUp();
    throw e;
  }
  const creds = JSON.parse(stdout) as { access_token: string; org_id: string };

  return {
    pid: child.pid!,
    url,
    dataDir,
    api: new BulkWriteApi(url, creds.access_token, creds.org_id),
    diagnostics: () => {
      const exit =
        child.exitCode !== null || child.signalCode !== null
          ? `server exited (${child.exitCode ?? child.signalCode}); `
          : '';
      return `${exit}server stderr: ${errText.slice(-800).trim() || '(empty)'}`;
    },
    async stop({ graceMs = 40_000, keepData = false } = {}) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, graceMs))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
      if (!keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
