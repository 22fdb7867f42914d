import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BackgroundCheckpoints } from '../../src/storage/sqlite/background-checkpoints.js';

function openDb(): { db: Database.Database; file: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-checkpoints-'));
  const file = join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  return { db, file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `transactions` transactions of 64 rows × 4 KiB (256 KiB each), calling `after` after each. */
function write(db: Database.Database, transactions: number, after: () => void): void {
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
  const chunk = db.transaction(() => {
    for (let i = 0; i < 64; i++) insert.run(Buffer.alloc(4096, i));
  });
  for (let i = 0; i < transactions; i++) {
    chunk.immediate();
    after();
  }
}

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

describe('BackgroundCheckpoints', () => {
  it('copies committed pages into the database file from a thread of its own', async () => {
    const { db, file, done } = openDb();
    const checkpoints = new BackgroundCheckpoints(db, file, { intervalMs: 5, guardBytes: 1 << 30 });
    try {
      write(db, 16, () => checkpoints.afterCommit());
      // The writer never checkpoints here (no auto-checkpoint, guard out of reach): only the thread can.
      const until = Date.now() + 5000;
      while (size(file) < 4 << 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(size(file) >= 4 << 20, `database file has ${size(file)} bytes`);
    } finally {
      await checkpoints.stop();
      db.close();
      done();
    }
  });

  it('checkpoints on the writer once the WAL passes the guard, so the WAL stays bounded', async () => {
    const { db, file, done } = openDb();
    // A checkpointer that never gets to run: the guard is all that bounds the WAL.
    const checkpoints = new BackgroundCheckpoints(db, file, { intervalMs: 3_600_000, guardBytes: 1 << 20 });
    try {
      let peak = 0;
      write(db, 40, () => {
        peak = Math.max(peak, size(`${file}-wal`));
        checkpoints.afterCommit();
      });
      assert.ok(peak < 2 << 20, `WAL peaked at ${peak} bytes for 10 MiB written`);
      assert.ok(size(file) >= 8 << 20, `database file has ${size(file)} bytes`);
      assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 40 * 64);
    } finally {
      await checkpoints.stop();
      db.close();
      done();
    }
  });

  it('hands checkpoints back to the writer when its thread cannot open the database', async () => {
    const { db, file, done } = openDb();
    // The thread is given a path it cannot open, so it fails at start.
    const checkpoints = new BackgroundCheckpoints(db, join(file, 'missing', 'test.db'), { intervalMs: 5 });
    try {
      const autocheckpoint = () => db.pragma('wal_autocheckpoint', { simple: true }) as number;
      assert.equal(autocheckpoint(), 0);
      const until = Date.now() + 5000;
      while (autocheckpoint() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(autocheckpoint(), 1000);
      let peak = 0;
      write(db, 40, () => (peak = Math.max(peak, size(`${file}-wal`))));
      assert.ok(peak < 6 << 20, `WAL peaked at ${peak} bytes for 10 MiB written`);
    } finally {
      await checkpoints.stop();
      db.close();
      done();
    }
  });
});
