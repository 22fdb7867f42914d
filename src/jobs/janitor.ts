import type { Blobs } from '../blobs/blobs.js';
import { resultBlobKey } from '../blobs/result-key.js';
import type { Logger } from '../log.js';
import type { Storage } from '../storage/storage.js';

const HOUR_MS = 3_600_000;
/** Rows per statement: small enough that the event loop (SQLite answers synchronously) is never held long. */
const BATCH = 200;
/** A temp file nobody has written for this long belongs to an upload that was cut off. */
const TEMP_IDLE_MS = HOUR_MS;
/** A blob with no row is left alone this long: an upload moves its zip into place just before it stores the row. */
const ORPHAN_GRACE_MS = HOUR_MS;

export interface Retention {
  /** Hours each is kept; 0: forever. */
  uploadRetentionHours: number;
  resultRetentionHours: number;
  jobRetentionHours: number;
}

export interface JanitorDeps {
  storage: Storage;
  blobs: Blobs;
  retention: Retention;
  log: Logger;
  now: () => number;
  /** Whether a process id is a live process on this machine (default: process.kill(pid, 0)). */
  isAlive?: (pid: number) => boolean;
}

export interface Swept {
  results: number;
  jobs: number;
  files: number;
  temps: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, and belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `step` on batches of `find` until a batch comes back short; how many items it handled. */
async function inBatches<T>(find: () => Promise<T[]>, step: (item: T) => Promise<void>): Promise<number> {
  let n = 0;
  for (;;) {
    const batch = await find();
    for (const item of batch) await step(item);
    n += batch.length;
    if (batch.length < BATCH) return n;
  }
}

/**
 * One pass of retention over both kinds of store (the same Storage.ops calls): results whose link
 * expired (their zip, then their row outcomes), finished jobs past their time (zip, outcomes, row),
 * uploads past theirs that no unfinished job reads (row first, then zip: a crash in between leaves a
 * zip without a row, which `removeOrphans` finds), and temp files idle for an hour. Each step may run
 * again after a crash and finishes what was left; several processes may sweep at once.
 */
export async function sweep(deps: JanitorDeps): Promise<Swept> {
  const { storage, blobs, retention } = deps;
  const now = deps.now();
  const out: Swept = { results: 0, jobs: 0, files: 0, temps: 0 };
  if (retention.resultRetentionHours > 0) {
    const before = now - retention.resultRetentionHours * HOUR_MS;
    out.results = await inBatches(
      () => storage.ops.expiredResults(before, BATCH),
      async (j) => {
        await blobs.remove(resultBlobKey(j.orgId, j.jobId));
        await storage.ops.purgeResults(j.jobId, now);
      },
    );
  }
  if (retention.jobRetentionHours > 0) {
    const before = now - retention.jobRetentionHours * HOUR_MS;
    out.jobs = await inBatches(
      () => storage.ops.expiredJobs(before, BATCH),
      async (j) => {
        await blobs.remove(resultBlobKey(j.orgId, j.jobId));
        await storage.ops.deleteJob(j.jobId);
      },
    );
  }
  if (retention.uploadRetentionHours > 0) {
    const before = now - retention.uploadRetentionHours * HOUR_MS;
    // Files an unfinished job reads are left out, so a short batch may still not be the last: go on
    // while a batch deletes anything.
    for (;;) {
      const batch = await storage.ops.expiredFiles(before, BATCH);
      for (const f of batch) {
        await storage.ops.deleteFile(f.orgId, f.fileId);
        await blobs.remove(f.blobKey);
      }
      out.files += batch.length;
      if (batch.length === 0) break;
    }
  }
  for (const t of await blobs.temps()) {
    if (now - t.mtimeMs < TEMP_IDLE_MS) continue;
    await blobs.removeTemp(t.path);
    out.temps++;
  }
  return out;
}

/**
 * At start, before the server takes requests: temp files of uploads cut off by a crash (written by
 * this process id, reused after a restart, or by a process that no longer runs), upload zips no file
 * row names, and result zips of jobs that are gone (both older than an hour).
 */
export async function removeOrphans(deps: JanitorDeps): Promise<{ temps: number; uploads: number; results: number }> {
  const { storage, blobs } = deps;
  const isAlive = deps.isAlive ?? processAlive;
  const now = deps.now();
  const out = { temps: 0, uploads: 0, results: 0 };
  for (const t of await blobs.temps()) {
    if (t.pid !== null && t.pid !== process.pid && isAlive(t.pid) && now - t.mtimeMs < TEMP_IDLE_MS) continue;
    await blobs.removeTemp(t.path);
    out.temps++;
  }
  // The row that names a blob: an upload's file, a result's job.
  const owner = {
    uploads: (orgId: string, id: string) => storage.files.get(orgId, id),
    results: (orgId: string, id: string) => storage.jobs.get(orgId, id),
  };
  for (const area of ['uploads', 'results'] as const) {
    for await (const b of blobs.list(area)) {
      const [, orgId, name] = b.key.split('/') as [string, string, string];
      const id = /^(\d{1,19})\.zip$/.exec(name)?.[1];
      if (now - b.mtimeMs < ORPHAN_GRACE_MS || (id && (await owner[area](orgId, id)))) continue;
      await blobs.remove(b.key);
      out[area]++;
    }
  }
  return out;
}

/** Sweeps every `intervalMs` (the first time after one interval); `stop` waits for a sweep in hand. */
export function startJanitor(deps: JanitorDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      try {
        const swept = await sweep(deps);
        if (swept.results + swept.jobs + swept.files + swept.temps > 0) deps.log.info('retention sweep', { ...swept });
      } catch (e) {
        deps.log.error('retention sweep failed', { error: (e as Error).stack });
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
