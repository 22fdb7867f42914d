import { postJson } from '../egress/callback-post.js';
import type { EgressPolicy } from '../egress/egress-policy.js';
import { metrics } from '../metrics.js';

export interface CallbackOptions {
  attempts: number;
  timeoutMs: number;
  backoffMs: number;
  policy: EgressPolicy;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** A fault rule's answer for an attempt (callback-faults.ts): the attempt is not sent and counts as answered so. */
  scripted?: () => Promise<number | null>;
}

/**
 * POSTs the finished job's details to its callback URL under the egress policy (a redirect is not
 * followed: it counts as a failed try). Retries a few times on a network error or a non-2xx answer, then
 * gives up; a failing callback never changes the job.
 */
export async function sendCallback(url: string, body: unknown, opts: CallbackOptions): Promise<boolean> {
  const payload = JSON.stringify(body);
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      const scripted = (await opts.scripted?.()) ?? null;
      const res =
        scripted !== null
          ? { status: scripted }
          : await postJson(url, payload, { policy: opts.policy, timeoutMs: opts.timeoutMs });
      const delivered = res.status >= 200 && res.status < 300;
      metrics.callbackAttempt(delivered);
      if (delivered) return true;
      opts.log('callback answered with an error status', { url, status: res.status, attempt });
    } catch (e) {
      metrics.callbackAttempt(false);
      opts.log('callback failed', { url, attempt, error: (e as Error).message });
    }
    if (attempt < opts.attempts) await new Promise((r) => setTimeout(r, opts.backoffMs * 2 ** (attempt - 1)));
  }
  metrics.callbackFailed();
  return false;
}
