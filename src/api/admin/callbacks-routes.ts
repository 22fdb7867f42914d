import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ZohoError } from '../../errors/zoho-error.js';
import type { CallbackAttempt } from '../../storage/storage.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { INBOX_LIMITS, type Inbox } from './inbox.js';
import { INBOX_SIGNATURE_HEADER, validInboxSignature } from '../../egress/inbox-signature.js';

/** The longest a `wait_ms` long poll is held. */
export const MAX_WAIT_MS = 30_000;
/** Entries answered at most per call (the journal is read oldest first; `after` pages on). */
const MAX_ENTRIES = 1_000;

const send = (reply: FastifyReply, status: number, body: unknown) =>
  reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));

const invalid = (param: string, message: string) =>
  new ZohoError('INVALID_DATA', { message, details: { param_name: param } });

type Query = Record<string, string | string[] | undefined>;

/** A query parameter as one string: absent → undefined, given twice or too long → INVALID_DATA. */
function param(query: Query, name: string, maxLength = 100): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(name, `${name} may be given once`);
  if (v.length > maxLength) throw invalid(name, `${name} is longer than ${maxLength} characters`);
  return v;
}

function wholeNumber(query: Query, name: string, max: number): number {
  const raw = param(query, name, 20);
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw invalid(name, `${name} must be a whole number from 0 to ${max}`);
  return Number(raw);
}

/** Polls `probe` until it finds something, the wait is over or the client went away. */
async function longPoll<T>(req: FastifyRequest, waitMs: number, probe: () => Promise<T[]>): Promise<T[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const found = await probe();
    if (found.length > 0 || Date.now() >= until || req.raw.destroyed) return found;
    await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
  }
}

const journalEntry = (a: CallbackAttempt) => ({
  id: a.id,
  job_id: a.jobId,
  org_id: a.orgId,
  url: a.url,
  method: a.method,
  attempt: a.attempt,
  sent_at: new Date(a.sentAt).toISOString(),
  status_code: a.statusCode,
  error: a.error,
  body: a.body,
});

/**
 * The callback journal and the built-in receiver (docs/callbacks.md#journal-and-inbox):
 * `GET /callbacks?org_id=&job_id=&after=&wait_ms=` lists every callback attempt from the store (any
 * worker's); `POST /inbox/{name}` keeps what it is sent and answers 200, `GET /inbox/{name}?wait_ms=`
 * returns it. The inbox is this process's memory (inbox.ts).
 */
export function callbackRoutes(deps: AppDeps, inbox: Inbox): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  return async (app: FastifyInstance) => {
    app.get('/callbacks', async (req, reply) => {
      const query = req.query as Query;
      const orgId = param(query, 'org_id');
      const jobId = param(query, 'job_id');
      const afterId = wholeNumber(query, 'after', Number.MAX_SAFE_INTEGER);
      const waitMs = wholeNumber(query, 'wait_ms', MAX_WAIT_MS);
      const found = await longPoll(req, waitMs, () =>
        deps.storage.callbacks.attempts({ orgId, jobId, afterId, limit: MAX_ENTRIES }),
      );
      return send(reply, 200, { callbacks: found.map(journalEntry) });
    });

    const nameOf = (req: FastifyRequest): string => {
      const { name } = req.params as { name: string };
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
        throw invalid('name', 'an inbox name is 1 to 64 letters, digits, dots, dashes or underscores');
      }
      return name;
    };

    app.post('/inbox/:name', { bodyLimit: INBOX_LIMITS.bodyBytes }, async (req, reply) => {
      // Let through by the admin guard on a signature instead of the key (egress/inbox-signature.ts).
      const signature = req.headers[INBOX_SIGNATURE_HEADER];
      const key = deps.config.adminKey;
      if (key !== '' && signature !== undefined && req.headers['x-bulkwrite-admin-key'] === undefined) {
        const body = typeof req.body === 'string' ? req.body : '';
        if (typeof signature !== 'string' || !validInboxSignature(key, body, signature))
          throw new ZohoError('ADMIN_KEY_INVALID');
      }
      inbox.add(nameOf(req), {
        received_at: new Date(now()).toISOString(),
        method: req.method,
        headers: req.headers,
        body: typeof req.body === 'string' ? req.body : '',
      });
      return send(reply, 200, { status: 'received' });
    });

    app.get('/inbox/:name', async (req, reply) => {
      const name = nameOf(req);
      const waitMs = wholeNumber(req.query as Query, 'wait_ms', MAX_WAIT_MS);
      const found = await longPoll(req, waitMs, async () => inbox.get(name));
      return send(reply, 200, { messages: found });
    });
  };
}
