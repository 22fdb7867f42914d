import type { FastifyInstance } from 'fastify';
import { ensureDefaultOrg } from '../../auth/org-setup.js';
import type { EmulatorClock } from '../../domain/emulator-clock.js';
import type { AppDeps } from '../deps.js';
import { requestFaultRules } from '../request-faults.js';
import { jsonBody, optionalString, orgOf, sendJson } from './admin-wire.js';
import { credentialsFor } from './org-routes.js';
import type { Inbox } from './inbox.js';

/** What else a process keeps that a reset must empty (the request journal, the limits cache). */
export interface ResetListener {
  /** An org was reset (its id), or the whole store (undefined). */
  onReset(orgId: string | undefined): void;
}

/** Journal entries read per page while collecting what an org's callbacks sent (to take them out of the inbox). */
const JOURNAL_PAGE = 1_000;

async function callbackBodiesOf(deps: AppDeps, orgId: string): Promise<Set<string>> {
  const bodies = new Set<string>();
  for (let afterId = 0; ;) {
    const page = await deps.storage.callbacks.attempts({ orgId, afterId, limit: JOURNAL_PAGE });
    for (const a of page) bodies.add(a.body);
    if (page.length < JOURNAL_PAGE) return bodies;
    afterId = page[page.length - 1]!.id;
  }
}

/**
 * `POST /reset` `{org_id?}` (docs/admin-api.md, "Reset"). With `org_id`: the org's jobs, uploads, results,
 * records, credit use, callback journal and the inbox messages its callbacks sent go; the org, its
 * clients, tokens, schema and limits stay. Without: the store returns to a fresh start (every org, token,
 * rule and file gone, the clock back to real time) with a new default org, whose credentials are the
 * answer. A job a worker is running finds its job gone at its next chunk and stops without writing
 * (jobs/worker.ts). Resets through one process run one at a time.
 */
export function registerResetRoute(
  app: FastifyInstance,
  deps: AppDeps,
  inbox: Inbox,
  listeners: readonly ResetListener[],
): void {
  const clock = deps.clock as EmulatorClock;
  let running: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = running.then(work, work);
    running = next.catch(() => undefined);
    return next;
  };

  app.post('/reset', async (req, reply) => {
    const body = jsonBody(req, ['org_id']);
    const orgId = optionalString(body, 'org_id', 19);
    if (orgId !== undefined) {
      await orgOf(deps.storage, orgId);
      await serially(async () => {
        const bodies = await callbackBodiesOf(deps, orgId);
        await deps.storage.emulator.reset(orgId);
        await Promise.all([deps.blobs.removeFolder(`uploads/${orgId}`), deps.blobs.removeFolder(`results/${orgId}`)]);
        inbox.removeBodies(bodies);
        for (const l of listeners) l.onReset(orgId);
      });
      return sendJson(reply, 200, { reset: 'org', org_id: orgId });
    }
    const org = await serially(async () => {
      await deps.storage.emulator.reset();
      await clock.setOffset(0);
      await Promise.all([deps.blobs.removeFolder('uploads'), deps.blobs.removeFolder('results')]);
      inbox.clear();
      requestFaultRules(deps.storage).invalidate();
      for (const l of listeners) l.onReset(undefined);
      const { org: fresh } = await ensureDefaultOrg(deps.storage, clock.now());
      await deps.onDefaultOrgCreated?.(fresh.id);
      return fresh;
    });
    return sendJson(reply, 200, {
      reset: 'store',
      ...(await credentialsFor(deps, org)),
      name: org.name,
      time_zone: org.timeZone,
    });
  });
}
