import { matchesRequest, rolls } from '../domain/faults.js';
import { postJson } from '../egress/callback-post.js';
import { INBOX_SIGNATURE_HEADER, inboxSignature, isInboxPath } from '../egress/inbox-signature.js';
import type { EgressPolicy } from '../egress/egress-policy.js';
import type { Job, Org } from '../domain/types.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import type { OutboxEntry, Storage } from '../storage/storage.js';
import { scriptedCallbackStatus } from './callback-faults.js';

export interface CallbackDeliveryDeps {
  storage: Storage;
  log: Logger;
  workerId: string;
  now: () => number;
  callback: { attempts: number; timeoutMs: number; backoffMs: number };
  /** Where callbacks may go (egress/egress-policy.ts), checked on the address dialled. */
  egress: EgressPolicy;
  /** The job-details JSON for a job, as GET answers it: the callback's body. */
  renderJobDetails: (job: Job, org: Org) => unknown;
  /** BULKWRITE_ADMIN_KEY: callbacks to the built-in inbox are signed with it (egress/inbox-signature.ts). */
  adminKey?: string;
  /** For the fault rules' probability (tests pass their own). */
  random?: () => number;
}

/** Why an answer is not a delivery, or null for a 2xx. */
function answerError(status: number): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return `answered ${status}; redirects are not followed`;
  return `answered ${status}`;
}

/**
 * The status a `{"callback":{"status":N}}` fault rule (admin API, docs/admin-api.md) makes this attempt
 * look answered with, without sending it; undefined when no rule fires. Read from the store each time,
 * so a rule added through any process applies at once.
 */
async function callbackFault(
  storage: Storage,
  orgId: string,
  jobId: string,
  random: () => number,
): Promise<{ status: number; ruleId: string } | undefined> {
  for (const rule of await storage.faults.list()) {
    if (rule.effect.kind !== 'callback' || rule.remaining === 0) continue;
    if (!matchesRequest(rule.match, { route: null, method: 'POST', orgId, jobId }) || !rolls(rule, random)) continue;
    if (await storage.faults.fire(rule.id)) return { status: rule.effect.status, ruleId: rule.id };
  }
  return undefined;
}

/**
 * Delivers the callbacks the store's outbox holds (docs/callbacks.md#delivery): one due entry at a time,
 * leased so that no other worker sends it meanwhile; every attempt is journaled with its outcome in the
 * transaction that reschedules the entry (backoff doubling from BULKWRITE_CALLBACK_BACKOFF_MS) or closes
 * it (delivered, or failed after BULKWRITE_CALLBACK_ATTEMPTS). A sender that dies mid-attempt leaves the
 * lease to expire, and the callback is sent again: at least once.
 */
export class CallbackDelivery {
  /** Long enough for one attempt to time out and be recorded. */
  private readonly leaseMs: number;

  constructor(private readonly deps: CallbackDeliveryDeps) {
    this.leaseMs = deps.callback.timeoutMs * 2 + 1_000;
  }

  /** Makes one attempt of the entry due first; false when none is due. */
  async deliverDue(): Promise<boolean> {
    const { storage, now, workerId } = this.deps;
    // A read first: an idle worker polls, and a claim is a write (a lock on SQLite) even when nothing is due.
    const due = await storage.callbacks.nextDue();
    if (due === undefined || due > now()) return false;
    const entry = await storage.callbacks.claimDue(workerId, this.leaseMs, now());
    if (!entry) return false;
    await this.attempt(entry);
    return true;
  }

  /** Delivers until nothing is pending (waiting for retries that are due later); for tests and drains. */
  async deliverAll(): Promise<void> {
    for (;;) {
      if (await this.deliverDue()) continue;
      const next = await this.deps.storage.callbacks.nextDue();
      if (next === undefined) return;
      await new Promise((r) => setTimeout(r, Math.min(Math.max(next - this.deps.now(), 5), 200)));
    }
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const { storage, now, log, callback } = this.deps;
    const [job, org] = await Promise.all([storage.jobs.get(entry.orgId, entry.jobId), storage.orgs.get(entry.orgId)]);
    const attempt = entry.attempts;
    const body = job && org ? JSON.stringify(this.deps.renderJobDetails(job, org)) : '';
    const id = await storage.callbacks.beginAttempt({
      orgId: entry.orgId,
      jobId: entry.jobId,
      url: entry.url,
      method: 'POST',
      attempt,
      sentAt: now(),
      body,
    });
    let statusCode: number | null = null;
    let error: string | null = 'the job no longer exists';
    const fault =
      job && org ? await callbackFault(storage, entry.orgId, entry.jobId, this.deps.random ?? Math.random) : undefined;
    if (fault) {
      statusCode = fault.status;
      const why = answerError(fault.status);
      error = why === null ? null : `${why} (fault rule ${fault.ruleId}; not sent)`;
    } else if (job && org) {
      try {
        // A fault rule's callback effect: the attempt is not sent, and counts as answered with its status.
        const scripted = await scriptedCallbackStatus(storage, entry.orgId, entry.jobId);
        const res =
          scripted !== null
            ? { status: scripted }
            : await postJson(entry.url, body, {
                policy: this.deps.egress,
                timeoutMs: callback.timeoutMs,
                ...(this.deps.adminKey && isInboxPath(entry.url)
                  ? { headers: { [INBOX_SIGNATURE_HEADER]: inboxSignature(this.deps.adminKey, body) } }
                  : {}),
              });
        statusCode = res.status;
        error = answerError(res.status);
      } catch (e) {
        error = (e as Error).message;
      }
    }
    const delivered = error === null;
    const state = delivered ? 'delivered' : !job || attempt >= callback.attempts ? 'failed' : 'pending';
    const endedAt = now();
    const dueAt = state === 'pending' ? endedAt + callback.backoffMs * 2 ** (attempt - 1) : endedAt;
    await storage.callbacks.settle(
      this.deps.workerId,
      { id, jobId: entry.jobId, statusCode, error, endedAt },
      { state, dueAt },
    );
    metrics.callbackAttempt(delivered);
    if (state === 'failed') metrics.callbackFailed();
    const fields = { job: entry.jobId, url: entry.url, attempt, status: statusCode, error };
    if (delivered) log.info('callback delivered', fields);
    else if (state === 'failed') log.warn('callback failed for good', fields);
    else log.warn('callback attempt failed; will retry', fields);
  }
}
