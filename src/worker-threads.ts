import { Worker } from 'node:worker_threads';
import type { Config } from './config.js';
import type { PinoLogger } from './log.js';

/**
 * Starts a job worker thread (see worker-thread.ts). The thread builds its own logger from `config`
 * (a logger cannot cross a thread boundary); `log` is for what happens to the thread itself.
 * `downloadBase` is the origin of the result links in callback bodies (presentation.ts).
 */
export function startWorkerThread(config: Config, downloadBase: string, log: PinoLogger): Worker {
  const worker = new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: { config, downloadBase } });
  worker.on('error', (err) => log.error({ err, thread: worker.threadId }, 'worker thread failed'));
  return worker;
}

/**
 * Asks a worker thread to stop after the chunk in hand (an unfinished job is handed back, not lost)
 * and waits for it; a thread that does not answer within `graceMs` is terminated.
 */
export function stopWorkerThread(worker: Worker, graceMs = 30_000): Promise<void> {
  return new Promise<void>((resolve) => {
    // terminate() settles once the thread is gone; either way there is nothing left to wait for.
    const end = (): void => {
      worker.terminate().then(
        () => resolve(),
        () => resolve(),
      );
    };
    const timer = setTimeout(end, graceMs);
    worker.on('message', (msg: unknown) => {
      if (msg !== 'stopped') return;
      clearTimeout(timer);
      end();
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage('stop');
  });
}
