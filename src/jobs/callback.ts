import { metrics } from '../metrics.js';

export interface CallbackOptions {
  attempts: number;
  timeoutMs: number;
  backoffMs: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

/**
 * POSTs the finished job's details to its callback URL. Retries a few times on a network error or a
 * non-2xx answer, then gives up; a failing callback never changes the job.
 */
export async function sendCallback(url: string, body: unknown, opts: CallbackOptions): Promise<boolean> {
  const payload = JSON.stringify(body);
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=utf-8', 'user-agent': 'bulkwrite-callback' },
        body: payload,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      metrics.callbackAttempt(res.ok);
      if (res.ok) return true;
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
