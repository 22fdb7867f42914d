import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EmulatorClock } from '../../domain/emulator-clock.js';
import {
  orgLimitsFromText,
  orgLimitsToText,
  orgLimitsToWire,
  parseOrgLimits,
  READ_DOWNLOAD_WINDOW_MS,
  windowStart,
  type OrgLimits,
} from '../../domain/org-limits.js';
import type { AppDeps } from '../deps.js';
import { orgLimitsCache } from '../org-limits.js';
import { jsonBody, orgOf, sendJson } from './admin-wire.js';

/**
 * Zoho's limits for one org (docs/admin-api.md, "Limits and credits"): `PUT /orgs/{org_id}/limits` sets
 * them (or `{"profile":"zoho"}`), `GET` shows them with the usage, `DELETE` turns them off. Settings and
 * credits live in the store; this process's cache is refreshed at once, others within 0.5 s.
 */
export function registerLimitsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const clock = deps.clock as EmulatorClock;
  const cache = orgLimitsCache(deps.storage);

  const answer = async (reply: FastifyReply, orgId: string, limits: OrgLimits | null) => {
    const now = clock.now();
    const used = await deps.storage.emulator.creditsSpent(orgId, windowStart(now));
    const daily = limits?.dailyCredits ?? null;
    return sendJson(reply, 200, {
      org_id: orgId,
      enabled: limits !== null,
      limits: orgLimitsToWire(limits),
      usage: {
        credits_used: used,
        credits_remaining: daily === null ? null : Math.max(0, daily - used),
        window_hours: 24,
        calls_in_flight: cache.inFlight.get(orgId) ?? 0,
        active_jobs: await deps.storage.jobs.countActive(orgId),
        read_downloads_last_minute: await deps.storage.emulator.readDownloads(
          orgId,
          now - READ_DOWNLOAD_WINDOW_MS,
          now,
        ),
      },
    });
  };

  app.get<{ Params: { orgId: string } }>('/orgs/:orgId/limits', async (req, reply) => {
    const org = await orgOf(deps.storage, req.params.orgId);
    const text = await deps.storage.emulator.limits(org.id);
    return answer(reply, org.id, text === undefined ? null : orgLimitsFromText(text));
  });

  app.put<{ Params: { orgId: string } }>('/orgs/:orgId/limits', async (req, reply) => {
    const body = jsonBody(req, [
      'daily_credits',
      'concurrency',
      'max_concurrent_jobs',
      'max_rows',
      'max_file_bytes',
      'max_columns',
      'read_downloads_per_minute',
      'profile',
      'edition',
      'users',
    ]);
    const limits = parseOrgLimits(body);
    const org = await orgOf(deps.storage, req.params.orgId);
    await deps.storage.emulator.putLimits(org.id, limits && orgLimitsToText(limits), clock.now());
    cache.invalidate();
    return answer(reply, org.id, limits);
  });

  app.delete<{ Params: { orgId: string } }>('/orgs/:orgId/limits', async (req, reply) => {
    const org = await orgOf(deps.storage, req.params.orgId);
    await deps.storage.emulator.putLimits(org.id, null, clock.now());
    cache.invalidate();
    return answer(reply, org.id, null);
  });
}
