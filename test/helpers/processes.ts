import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

/**
 * `bulkwrite <args>` as a long-running process (serve, worker), resolved once its stdout matches
 * `ready`; `stopAll` kills whatever is still running. For tests of several processes on one store.
 */
export function cliProcesses(env: NodeJS.ProcessEnv) {
  const procs: ChildProcess[] = [];
  return {
    start(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
      const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(proc);
      return new Promise((resolve, reject) => {
        let out = '';
        proc.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = ready.exec(out);
          if (m) resolve({ proc, match: m });
        });
        proc.once('exit', (code) => reject(new Error(`bulkwrite ${args[0]} exited with ${code}: ${out}`)));
      });
    },
    stopAll(): void {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}
