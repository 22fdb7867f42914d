import { randomUUID } from 'node:crypto';
import type { Blobs } from '../blobs/blobs.js';
import { resultBlobKey } from '../blobs/result-key.js';
import { mergeJobEffects } from '../domain/faults.js';
import type { Job, Org } from '../domain/types.js';
import type { EgressPolicy } from '../egress/egress-policy.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import { LeaseLostError, type Storage } from '../storage/storage.js';
import { CallbackDelivery } from './callback-delivery.js';
import { IdAllocator } from './id-allocator.js';
import { processBulkRead } from './process-bulk-read.js';
import { JobFailure, processBulkWrite } from './process-bulk-write.js';
import type { ResultColumns } from './result-file.js';
import { PipelineWarmUp } from './warm-up.js';

export interface WorkerDeps {
  storage: Storage;
  blobs: Blobs;
  log: Logger;
  batchSize: number;
  leaseMs: number;
  pollIntervalMs: number;
  callback: { attempts: number; timeoutMs: number; backoffMs: number };
  /** Where callbacks may go (egress/egress-policy.ts), checked on the address dialled. */
  egress: EgressPolicy;
  /** BULKWRITE_ADMIN_KEY, to sign callbacks to the built-in inbox. */
  adminKey?: string;
  /** The job-details JSON for a job, as GET answers it; posted to the callback URL. */
  renderJobDetails: (job: Job, org: Org) => unknown;
  /** The emulator clock (domain/emulator-clock.ts): the times a job writes. */
  now?: () => number;
  /** Real time, for leases: moving the emulator clock never takes a job from its worker (default: now). */
  leaseNow?: () => number;
  /** Reads the emulator clock again from the store; called before each claim. */
  refreshClock?: () => Promise<void>;
  /** Called after each committed chunk (tests use it to look at a job half way). */
  onChunk?: (job: Job, checkpointRow: number) => void | Promise<void>;
  /** Called after each batch of records a bulk read job has read (tests use it to look at a job half way). */
  onReadBatch?: (job: Job, written: number) => void | Promise<void>;
  /** The input columns result CSVs echo (BULKWRITE_RESULT_COLUMNS; default Zoho's). */
  resultColumns?: ResultColumns;
  /** Warm the job pipeline up the first time the worker finds no job (warm-up.ts); off by default. */
  warmUp?: boolean;
}

class StopRequested extends Error {}

/**
 * The worker loop: claim a job → process it → finish (its callback enters the store's outbox in the same
 * transaction), then look for the next one. Beside it, a delivery loop sends the outbox's due callbacks,
 * of this worker's jobs or any other's.
 */
export class JobWorker {
  readonly workerId = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  private running = false;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  /** A wake-up came: a job may be waiting (it stops the warm-up). */
  private woken = false;
  private loop: Promise<void> | null = null;
  /** Stops the store's watch of the job queue (Storage.jobs.watchQueue), once it is set up. */
  private watch: Promise<(() => Promise<void>) | null> | null = null;
  private readonly ids: IdAllocator;
  private readonly now: () => number;
  private readonly leaseNow: () => number;
  private readonly delivery: CallbackDelivery;
  private deliveryLoop: Promise<void> | null = null;
  private wakeDelivery: (() => void) | null = null;
  /** The store as jobs are processed on it: each committed chunk also counts its rows (metrics.ts). */
  private readonly countingStorage: Storage;

  constructor(private readonly deps: WorkerDeps) {
    this.ids = new IdAllocator(deps.storage);
    this.now = deps.now ?? Date.now;
    this.leaseNow = deps.leaseNow ?? this.now;
    this.delivery = new CallbackDelivery({
      storage: deps.storage,
      log: deps.log,
      workerId: this.workerId,
      now: this.now,
      callback: deps.callback,
      egress: deps.egress,
      renderJobDetails: deps.renderJobDetails,
      adminKey: deps.adminKey,
    });
    const { jobs } = deps.storage;
    this.countingStorage = {
      ...deps.storage,
      jobs: {
        ...jobs,
        commitChunk: async (chunk) => {
          await jobs.commitChunk(chunk);
          metrics.rows(chunk);
        },
      },
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A job created or handed back in another process wakes this worker too, where the store can tell.
    this.watch =
      this.deps.storage.jobs
        .watchQueue?.(() => this.wake())
        .catch((e: unknown) => {
          this.deps.log.warn('cannot watch the job queue; polling only', { error: (e as Error).message });
          return null;
        }) ?? null;
    this.loop = this.run();
    this.deliveryLoop = this.deliver();
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops after the chunk and the callback attempt in hand; an unfinished job or callback is not lost. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    this.wakeDelivery?.();
    await Promise.all([this.loop, this.deliveryLoop]);
    const unwatch = await this.watch;
    await unwatch?.();
    this.watch = null;
    this.running = false;
  }

  /** Processes jobs until none is waiting, then delivers every pending callback; for tests and one-shot runs. */
  async drain(): Promise<void> {
    while (await this.runOne()) {
      /* keep going */
    }
    await this.delivery.deliverAll();
  }

  /** Sends due callbacks until stopped; woken when this worker finishes a job. */
  private deliver(): Promise<void> {
    return this.loopUntilStopped(
      'callback delivery error',
      () => this.delivery.deliverDue(),
      (wake) => {
        this.wakeDelivery = wake;
      },
    );
  }

  private run(): Promise<void> {
    let warm = this.deps.warmUp === true ? new PipelineWarmUp(this.deps.storage) : null;
    return this.loopUntilStopped(
      'worker loop error',
      async () => {
        this.woken = false;
        const worked = await this.runOne();
        // A wake-up that came while the claim found nothing may be for a job queued just after it looked.
        if (worked || warm === null) return worked || this.woken;
        // Warm up for at most a poll interval, then look for jobs again (a job created in another
        // process wakes no one here where the store cannot tell, as SQLite); a wake-up stops it at once.
        if (await this.warmUp(warm)) warm = null;
        return true;
      },
      (wake) => {
        this.wakeUp = wake;
      },
    );
  }

  /** Runs `step` until stopped; after a step that found nothing to do, waits a poll interval or a wake-up. */
  private async loopUntilStopped(
    failure: string,
    step: () => Promise<boolean>,
    setWake: (wake: (() => void) | null) => void,
  ): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await step();
      } catch (e) {
        this.deps.log.error(failure, { error: (e as Error).stack });
      }
      if (!worked && !this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.deps.pollIntervalMs);
          setWake(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        setWake(null);
      }
    }
  }

  /**
   * Runs the warm-up (warm-up.ts) for a poll interval at most, or until woken; true once it is over
   * (done, or failed: it never fails the loop).
   */
  private async warmUp(warm: PipelineWarmUp): Promise<boolean> {
    const until = performance.now() + this.deps.pollIntervalMs;
    try {
      const done = await warm.run(() => !this.woken && !this.stopping && performance.now() < until);
      if (done) this.deps.log.debug('job pipeline warmed up', { rows: warm.rows });
      return done;
    } catch (e) {
      this.deps.log.warn('job pipeline warm-up failed', { error: (e as Error).stack });
      return true;
    }
  }

  private async runOne(): Promise<boolean> {
    const { storage, log } = this.deps;
    await this.deps.refreshClock?.();
    const started = this.now();
    const job = await storage.jobs.claimNext(this.workerId, this.deps.leaseMs, this.leaseNow(), started);
    if (!job) return false;
    log.info('job claimed', { job: job.id, resumeAfterRow: job.checkpointRow });
    try {
      // Fault rules bound to the job (docs/admin-api.md, "Faults"), read once when it is taken.
      const fault = mergeJobEffects(await storage.faults.jobEffects(job.id));
      if (job.operation === 'read') {
        await processBulkRead(
          {
            storage,
            blobs: this.deps.blobs,
            workerId: this.workerId,
            leaseMs: this.deps.leaseMs,
            now: this.now,
            leaseNow: this.leaseNow,
            onBatch: async (j, written) => {
              await this.deps.onReadBatch?.(j, written);
              if (this.stopping) throw new StopRequested();
            },
          },
          job,
        );
      } else
        await processBulkWrite(
          {
            storage: this.countingStorage,
            blobs: this.deps.blobs,
            workerId: this.workerId,
            batchSize: this.deps.batchSize,
            leaseMs: this.deps.leaseMs,
            ids: this.ids,
            now: this.now,
            leaseNow: this.leaseNow,
            onChunk: async (j, row) => {
              await this.deps.onChunk?.(j, row);
              if (this.stopping) throw new StopRequested();
            },
            fault,
            resultColumns: this.deps.resultColumns,
          },
          job,
        );
      log.info('job completed', { job: job.id, ms: this.now() - started });
      metrics.jobFinished('COMPLETED', this.now() - started);
    } catch (e) {
      if (e instanceof StopRequested) {
        await storage.jobs.releaseLease(job.id, this.workerId);
        log.info('job handed back on stop', { job: job.id });
        return false;
      }
      if (e instanceof LeaseLostError) {
        // Gone from the store (an admin reset): nothing of it is written back, and a result zip adopted
        // just before the reset goes too.
        if (!(await storage.jobs.get(job.orgId, job.id))) {
          await this.deps.blobs.remove(resultBlobKey(job.orgId, job.id));
          log.info('job removed while running (reset); stopped', { job: job.id });
          return true;
        }
        log.warn('job lease lost; another worker has it', { job: job.id });
        return true;
      }
      const failure =
        e instanceof JobFailure
          ? { code: e.code, message: e.message, resultReady: e.resultReady }
          : { code: 'INTERNAL_ERROR', message: 'the job could not be processed' };
      if (!(e instanceof JobFailure)) log.error('job failed', { job: job.id, error: (e as Error).stack });
      try {
        await storage.jobs.fail(job.id, this.workerId, failure, this.now());
        metrics.jobFinished('FAILED', this.now() - started);
      } catch (failError) {
        if (!(failError instanceof LeaseLostError)) throw failError;
      }
    }
    this.wakeDelivery?.();
    return true;
  }
}
