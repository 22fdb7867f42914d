import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Entry of the WAL checkpointer thread (see background-checkpoints.ts): every `intervalMs` it copies the
 * committed WAL frames into the database file with a PASSIVE checkpoint, which never blocks the writer.
 */
const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A checkpoint that could not run now runs at the next tick; the writer's size guard is the backstop.
  }
}, intervalMs);
parentPort?.on('message', (msg: unknown) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.postMessage('stopped');
});
