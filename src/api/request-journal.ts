import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultRoute } from '../domain/faults.js';
import { faultRouteOf } from './request-faults.js';
import { onePerStore } from './ttl-snapshot.js';

/** The calls a process remembers; the oldest goes first. */
export const REQUEST_JOURNAL_SIZE = 1_000;

export interface JournaledRequest {
  time: string;
  method: string;
  /** The path without its query string (which may hold a token or a client secret). */
  path: string;
  status: number;
  /** The `code` of Zoho's error envelope (or an OAuth `error`), null for a success. */
  code: string | null;
  ms: number;
  /** The route as fault rules name it (`job_details`, …), null for a path no route serves. */
  route: FaultRoute | null;
  /** The org of the access token, when the call carried a valid one. */
  org_id: string | null;
}

/**
 * The request journal (`GET /_bulkwrite/requests`): the last REQUEST_JOURNAL_SIZE Zoho API calls this
 * process answered, in a ring in its memory. Per process on purpose: a write to the store per call
 * would cost the job-details hot path a write, and a test suite talks to one process. Admin calls are
 * not journaled.
 */
export class RequestJournal {
  private readonly ring: JournaledRequest[] = [];
  private next = 0;

  add(entry: JournaledRequest): void {
    if (this.ring.length < REQUEST_JOURNAL_SIZE) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % REQUEST_JOURNAL_SIZE;
  }

  /** The last `limit` entries that pass `keep`, oldest first. */
  last(limit: number, keep: (e: JournaledRequest) => boolean): JournaledRequest[] {
    const out: JournaledRequest[] = [];
    const n = this.ring.length;
    for (let i = 1; i <= n && out.length < limit; i++) {
      const e = this.ring[(this.next - i + n * 2) % n]!;
      if (keep(e)) out.push(e);
    }
    return out.reverse();
  }

  /** Removes every entry (`orgId` undefined) or one org's. */
  clear(orgId?: string): void {
    const kept = orgId === undefined ? [] : this.last(REQUEST_JOURNAL_SIZE, (e) => e.org_id !== orgId);
    this.ring.length = 0;
    this.next = 0;
    for (const e of kept) this.add(e);
  }
}

/** The one journal of this process (its store stands for the process's app). */
export const requestJournal = onePerStore(() => new RequestJournal());

const CODE = /"(?:code|error)"\s*:\s*"([A-Za-z0-9_.-]{1,100})"/;

function isAdmin(req: FastifyRequest): boolean {
  if (req.routeOptions.config.admin === true) return true;
  const path = req.url.slice(0, 12).toLowerCase();
  return path.startsWith('/_bulkwrite') || path.startsWith('/%5fbulkwrite') || path.startsWith('/console');
}

/** The org of the request's access token, when the pipeline accepted one (`req.auth` throws otherwise). */
function orgOf(req: FastifyRequest): string | null {
  if (req.routeOptions.config.scope === undefined) return null;
  try {
    return req.auth.orgId;
  } catch {
    return null;
  }
}

/** Journals every answered request that is not an admin call. Register with the first hooks. */
export function registerRequestJournal(app: FastifyInstance, journal: RequestJournal, now: () => number): void {
  // Journaled as the answer is sent, not after: a client that reads the journal as soon as it has its
  // answer finds the call there.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!isAdmin(req)) {
      let code: string | null = null;
      // Error answers only: Zoho's envelope names its code near the start (OAuth errors: `error`).
      if (typeof payload === 'string' && (reply.statusCode >= 400 || payload.startsWith('{"error"')))
        code = CODE.exec(payload.slice(0, 300))?.[1] ?? null;
      journal.add({
        time: new Date(now()).toISOString(),
        method: req.method,
        path: req.url.split('?', 1)[0]!,
        status: reply.statusCode,
        code,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        route: faultRouteOf(req.method, req.routeOptions.url),
        org_id: orgOf(req),
      });
    }
    done(null, payload);
  });
}
