import type { AttemptStart, CallbackAttempt, OutboxEntry } from '../storage.js';
import type { Params, Row } from './sql-dialect.js';

export const toOutboxEntry = (r: Row): OutboxEntry => ({
  jobId: String(r.job_id),
  orgId: String(r.org_id),
  url: String(r.url),
  state: r.state as OutboxEntry['state'],
  attempts: Number(r.attempts),
  dueAt: Number(r.due_at),
  createdAt: Number(r.created_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

export const toCallbackAttempt = (r: Row): CallbackAttempt => ({
  id: Number(r.id),
  orgId: String(r.org_id),
  jobId: String(r.job_id),
  url: String(r.url),
  method: String(r.method),
  attempt: Number(r.attempt),
  sentAt: Number(r.sent_at),
  statusCode: r.status_code === null ? null : Number(r.status_code),
  error: r.error === null ? null : String(r.error),
  body: String(r.body),
});

/** callback_attempts (org_id, job_id, url, method, attempt, sent_at, body) of an attempt about to be made. */
export const attemptInsertParams = (a: AttemptStart): Params => [
  a.orgId,
  a.jobId,
  a.url,
  a.method,
  a.attempt,
  a.sentAt,
  a.body,
];
