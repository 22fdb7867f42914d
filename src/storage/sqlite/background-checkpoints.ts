import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface BackgroundCheckpointOptions {
  /** How often the checkpointer thread copies committed WAL frames into the database file. */
  intervalMs?: number;
  /** A WAL bigger than this after a commit is checkpointed by the writer itself (the checkpointer lags). */
  guardBytes?: number;
}

/**
 * Moves WAL checkpoints off a busy writer's thread. SQLite's auto-checkpoint runs inside the COMMIT that
 * crosses 1,000 pages, so a job's thread paid for copying pages into the database file (and its fsync):
 * 12–28 % of its time (bench/README.md, proposal 2). Here the writer never auto-checkpoints; a thread
 * of its own with its own connection runs PASSIVE checkpoints, and when that thread falls behind (the
 * WAL passes `guardBytes`) the writer checkpoints itself, so the WAL stays bounded.
 */
export class BackgroundCheckpoints {
  private readonly worker: Worker;
  private readonly walFile: string;
  private readonly guardBytes: number;

  constructor(
    private readonly db: Database.Database,
    file: string,
    opts: BackgroundCheckpointOptions = {},
  ) {
    this.walFile = `${file}-wal`;
    this.guardBytes = opts.guardBytes ?? 256 << 20;
    db.pragma('wal_autocheckpoint = 0');
    // A WAL that grew while the checkpointer lagged is cut back to this size when it restarts.
    db.pragma(`journal_size_limit = ${64 << 20}`);
    this.worker = new Worker(new URL('./checkpointer-thread.js', import.meta.url), {
      workerData: { file, intervalMs: opts.intervalMs ?? 50 },
    });
    this.worker.unref();
    // Without its thread (it could not open the database), the writer checkpoints itself as SQLite does.
    this.worker.on('error', () => db.pragma('wal_autocheckpoint = 1000'));
  }

  /** Call after a write transaction: checkpoints on this thread only if the WAL has passed the guard. */
  afterCommit(): void {
    let size = 0;
    try {
      size = statSync(this.walFile).size;
    } catch {
      return;
    }
    if (size > this.guardBytes) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.worker.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    await this.worker.terminate();
  }
}
