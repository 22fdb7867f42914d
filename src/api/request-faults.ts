import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { matchesRequest, rolls, type FaultRequest, type FaultRoute, type FaultRule } from '../domain/faults.js';
import { ZohoError } from '../errors/zoho-error.js';
import type { Storage } from '../storage/storage.js';
import { onePerStore, TtlSnapshot } from './ttl-snapshot.js';
import { tokenParams } from './token-params.js';

/** How long a process serves the fault rules it read before it reads them again (changes made elsewhere). */
export const FAULT_RULES_TTL_MS = 500;

/** The Zoho routes a rule can name, by method and route URL; every other `/crm/:version/…` route is `records`. */
const ROUTES: Readonly<Record<string, FaultRoute>> = {
  'POST /oauth/v2/token': 'token',
  'POST /oauth/v2/auth': 'token',
  'POST /oauth/v2/token/revoke': 'token',
  'POST /crm/:version/upload': 'upload',
  'POST /crm/bulk/:version/write': 'create_job',
  'GET /crm/bulk/:version/write/:jobId': 'job_details',
  'GET /:dl/crm/:orgId/bulk-write/:jobId/:fileName': 'download',
};

export function faultRouteOf(method: string, url: string | undefined): FaultRoute | null {
  if (url === undefined) return null;
  return ROUTES[`${method} ${url}`] ?? (url.startsWith('/crm/:version/') ? 'records' : null);
}

/**
 * The request rules (respond, delay, drop) as this process knows them. The store holds them, so every
 * API process applies the same rules; each process reads them at most every FAULT_RULES_TTL_MS, and at
 * once after a change made through it (the admin routes call invalidate()). Without rules, a request
 * costs one array check.
 */
export class RequestFaultRules {
  /** Rules seen to have no firing left, skipped until the next read. */
  private readonly spent = new Set<string>();
  private readonly snapshot: TtlSnapshot<FaultRule[]>;

  constructor(storage: Storage) {
    this.snapshot = new TtlSnapshot(
      async () =>
        (await storage.faults.list()).filter(
          (r) => r.remaining !== 0 && r.effect.kind !== 'job' && r.effect.kind !== 'callback',
        ),
      [],
      FAULT_RULES_TTL_MS,
      () => this.spent.clear(),
    );
  }

  invalidate(): void {
    this.snapshot.invalidate();
  }

  current(): readonly FaultRule[] | Promise<readonly FaultRule[]> {
    return this.snapshot.current();
  }

  markSpent(id: string): void {
    this.spent.add(id);
  }

  isSpent(id: string): boolean {
    return this.spent.has(id);
  }
}

/** The one rule cache of a store in this process, shared by the request hook and the admin routes. */
export const requestFaultRules = onePerStore((storage) => new RequestFaultRules(storage));

/** The org of a token request: the one its client (query, urlencoded or multipart form `client_id`) belongs to, if known. */
async function tokenOrg(storage: Storage, req: FastifyRequest): Promise<string | null> {
  const clientId = (await tokenParams(req)).client_id;
  if (typeof clientId !== 'string' || clientId === '') return null;
  return (await storage.oauth.getClient(clientId))?.orgId ?? null;
}

/**
 * Applies the fault rules to Zoho API requests, after the pipeline has authenticated them (so a rule can
 * match the token's org) and before the handler: the first rule that matches and fires (its probability,
 * its `times` counted in the store) has its effect: Zoho's error envelope, a delay before the real answer,
 * or the connection closed without an answer. Register after registerPipeline.
 */
export function registerRequestFaults(
  app: FastifyInstance,
  storage: Storage,
  random: () => number = Math.random,
): void {
  const cache = requestFaultRules(storage);
  app.addHook('preHandler', async (req, reply) => {
    const rules = await cache.current();
    if (rules.length === 0) return;
    const route = faultRouteOf(req.method, req.routeOptions.url);
    if (route === null) return;
    const params = req.params as { jobId?: string };
    let orgId: string | null | undefined;
    for (const rule of rules) {
      if (cache.isSpent(rule.id)) continue;
      if (rule.match.orgId !== null && orgId === undefined)
        orgId = req.routeOptions.config.scope !== undefined ? req.auth.orgId : await tokenOrg(storage, req);
      const request: FaultRequest = { route, method: req.method, orgId: orgId ?? null, jobId: params.jobId ?? null };
      if (!matchesRequest(rule.match, request) || !rolls(rule, random)) continue;
      if (!(await storage.faults.fire(rule.id))) {
        cache.markSpent(rule.id);
        continue;
      }
      const effect = rule.effect;
      req.log.debug({ fault: rule.id, route }, 'fault rule applied');
      switch (effect.kind) {
        case 'respond':
          throw new ZohoError(effect.code, {
            message: effect.message,
            details: effect.details,
            httpStatus: effect.status,
          });
        case 'delay':
          await sleep(effect.ms);
          return;
        case 'drop':
          reply.hijack();
          req.raw.socket.destroy();
          return;
        default:
          return;
      }
    }
  });
}
