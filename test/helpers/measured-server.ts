import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A server in a process of its own (test/helpers/serve-peak-rss.ts), whose peak RSS and CPU time can be asked. */
export async function startMeasuredServer(env: Record<string, string> = {}) {
  const script = fileURLToPath(new URL('./serve-peak-rss.js', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, string | number>;
  const info = await next();
  return {
    url: String(info.url),
    token: String(info.access_token),
    org: String(info.org_id),
    async peakMiB(): Promise<number> {
      child.stdin.write('rss\n');
      return Number((await next()).peakKiB) / 1024;
    },
    /** The CPU time (user and system) the server process has used so far, in ms: unlike wall time, not stretched by other load. */
    async cpuMs(): Promise<number> {
      child.stdin.write('cpu\n');
      return Number((await next()).cpuMicros) / 1000;
    },
    async stop(): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
