import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

/**
 * `bulkwrite serve --port 0` in a process of its own (so that a test can kill it with SIGKILL), with
 * `env` as its whole environment; resolves with the URL it prints once it listens.
 */
export function serveProcess(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}
