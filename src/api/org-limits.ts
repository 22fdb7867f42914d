import type { FastifyInstance } from 'fastify';
import {
  CREATE_JOB_CREDITS,
  creditsHeader,
  minuteOf,
  orgLimitsFromText,
  READ_DOWNLOAD_WINDOW_MS,
  windowStart,
  type OrgLimits,
} from '../domain/org-limits.js';
import { ZohoError } from '../errors/zoho-error.js';
import type { Storage } from '../storage/storage.js';
import { faultRouteOf } from './request-faults.js';
import { onePerStore, TtlSnapshot } from './ttl-snapshot.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The limits of the token's org when it has any (set before the handler), else null. */
    orgLimits: OrgLimits | null;
  }
}

/** How long a process serves the limits it read before it reads them again (changes made elsewhere). */
export const ORG_LIMITS_TTL_MS = 500;

/**
 * Every org's limits as this process knows them: read from the store at most every ORG_LIMITS_TTL_MS
 * (one query for all orgs), and at once after a change made through this process. Orgs without limits
 * are not in it: with none, a request costs one size check. Also counts each org's calls in flight in
 * this process (the `concurrency` limit).
 */
export class OrgLimitsCache {
  readonly inFlight = new Map<string, number>();
  private readonly snapshot: TtlSnapshot<ReadonlyMap<string, OrgLimits>>;

  constructor(storage: Storage) {
    this.snapshot = new TtlSnapshot<ReadonlyMap<string, OrgLimits>>(
      async () => {
        const byOrg = new Map<string, OrgLimits>();
        for (const [orgId, text] of await storage.emulator.allLimits()) {
          const limits = orgLimitsFromText(text);
          if (limits) byOrg.set(orgId, limits);
        }
        return byOrg;
      },
      new Map(),
      ORG_LIMITS_TTL_MS,
    );
  }

  invalidate(): void {
    this.snapshot.invalidate();
  }

  current(): ReadonlyMap<string, OrgLimits> | Promise<ReadonlyMap<string, OrgLimits>> {
    return this.snapshot.current();
  }
}

/** The one limits cache of a store in this process, shared by the request hook and the admin routes. */
export const orgLimitsCache = onePerStore((storage) => new OrgLimitsCache(storage));

/** The route of a bulk read result download (api/routes/bulk-read.ts). */
const READ_DOWNLOAD_ROUTE = '/crm/bulk/:version/read/:jobId/result';

const tooMany = (message: string) => new ZohoError('TOO_MANY_REQUESTS', { message });

/**
 * Applies an org's limits to its Zoho API calls (every route that takes an access token), after the
 * pipeline has authenticated them and before the fault rules: more than `concurrency` calls in flight,
 * a job created beyond `max_concurrent_jobs`, or a call the credits left do not cover get 429
 * TOO_MANY_REQUESTS in Zoho's envelope, and so does a bulk read download beyond
 * `read_downloads_per_minute` downloads of the org in the last minute of the emulator clock (Zoho's 10;
 * only downloads let through count). A call that passes spends its credits (500 to create a job, 1
 * otherwise) in the store, in the minute of the emulator clock, and carries X-API-CREDITS-REMAINING once
 * half the window's credits are used. The file limits (`max_rows`, `max_file_bytes`, `max_columns`) are
 * read by the upload and create-job routes from `req.orgLimits`. Register after registerPipeline.
 */
export function registerOrgLimits(app: FastifyInstance, storage: Storage, now: () => number): void {
  const cache = orgLimitsCache(storage);
  app.decorateRequest('orgLimits', null);
  app.addHook('preHandler', async (req, reply) => {
    if (req.routeOptions.config.scope === undefined) return;
    const all = await cache.current();
    if (all.size === 0) return;
    const orgId = req.auth.orgId;
    const limits = all.get(orgId);
    if (!limits) return;
    req.orgLimits = limits;

    const inFlight = cache.inFlight.get(orgId) ?? 0;
    if (limits.concurrency !== null && inFlight >= limits.concurrency)
      throw tooMany(`more than ${limits.concurrency} calls of this org are in flight (the concurrency limit)`);
    cache.inFlight.set(orgId, inFlight + 1);
    reply.raw.once('close', () => {
      const n = (cache.inFlight.get(orgId) ?? 1) - 1;
      if (n <= 0) cache.inFlight.delete(orgId);
      else cache.inFlight.set(orgId, n);
    });

    const createsJob = faultRouteOf(req.method, req.routeOptions.url) === 'create_job';
    if (createsJob && limits.maxConcurrentJobs !== null) {
      const active = await storage.jobs.countActive(orgId);
      if (active >= limits.maxConcurrentJobs)
        throw tooMany(`the org has ${active} bulk write jobs queued or running; at most ${limits.maxConcurrentJobs}`);
    }
    const at = now();
    const download =
      limits.readDownloadsPerMinute !== null && req.method === 'GET' && req.routeOptions.url === READ_DOWNLOAD_ROUTE;
    if (download) {
      const recent = await storage.emulator.readDownloads(orgId, at - READ_DOWNLOAD_WINDOW_MS, at);
      if (recent >= limits.readDownloadsPerMinute!)
        throw tooMany(
          `the org downloaded ${recent} bulk read results in the last minute; at most ${limits.readDownloadsPerMinute} are allowed in a minute`,
        );
    }
    const counted = async () => {
      if (download) await storage.emulator.addReadDownload(orgId, at, at - READ_DOWNLOAD_WINDOW_MS);
    };
    if (limits.dailyCredits === null) return counted();
    const cost = createsJob ? CREATE_JOB_CREDITS : 1;
    const used = await storage.emulator.creditsSpent(orgId, windowStart(at));
    if (used + cost > limits.dailyCredits) {
      reply.header('X-API-CREDITS-REMAINING', String(Math.max(0, limits.dailyCredits - used)));
      throw tooMany(
        `the org's API credits for the last 24 hours are spent (${used} of ${limits.dailyCredits} used; this call costs ${cost})`,
      );
    }
    await storage.emulator.spendCredits(orgId, minuteOf(at), cost);
    await counted();
    const remaining = creditsHeader(limits.dailyCredits, used + cost);
    if (remaining !== null) reply.header('X-API-CREDITS-REMAINING', String(remaining));
  });
}
