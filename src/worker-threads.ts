import { Worker } from 'node:worker_threads';
import type { Config } from './config.js';

/** Starts a job worker thread (see worker-thread.ts). */
export function startWorkerThread(config: Config, baseUrl: string): Worker {
  const worker = new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: { config, baseUrl } });
  worker.on('error', (e) => process.stderr.write(`worker thread failed: ${e.stack ?? e.message}\n`));
  return worker;
}

/**
 * Asks a worker thread to stop after the chunk in hand (an unfinished job is handed back, not lost)
 * and waits for it; a thread that does not answer within `graceMs` is terminated.
 */
export function stopWorkerThread(worker: Worker, graceMs = 30_000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), graceMs);
    worker.on('message', (msg: unknown) => {
      if (msg !== 'stopped') return;
      clearTimeout(timer);
      void worker.terminate().then(() => resolve());
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage('stop');
  });
}
