import type { Job, Org } from '../domain/types.js';
import { setBounded } from './bounded-map.js';
import { deepFreeze } from './deep-freeze.js';
import type { AccessToken, Storage } from './storage.js';

export interface ReadCacheOptions {
  /** How long an org or an access token, once read, is served from memory. 0 turns the caches off. */
  ttlMs: number;
  /** Milliseconds that only go forward; tests may pass their own. */
  clock?: () => number;
}

/** Bounds, so a flood of distinct tokens cannot grow the process: the oldest entry makes room. */
const MAX_ORGS = 1_000;
const MAX_TOKENS = 10_000;
const MAX_FINISHED_JOBS = 1_000;

interface Entry<V> {
  value: V;
  /** clock() after which the entry is read again from the store. */
  until: number;
}

/**
 * Wraps a store with short-lived caches for what every API request reads before its real work: the
 * access token behind the Authorization header and the token's org (with its first user). Job details
 * are polled; these two reads were ~20 % of such a request.
 *
 * Safe with several processes on one database (docs/deployment.md): an entry lives `ttlMs` at most, so
 * a change made elsewhere (an admin command, another API process revoking a token) is seen within that
 * time. Revocations through this store (the revoke endpoint, the token caps) drop every cached token at
 * once, and a lookup that was under way meanwhile is not cached. Entries are keyed by token hash and org
 * id, the same keys the store is asked by, so one org's object is never served for another. Unknown
 * tokens and orgs are not cached: a token issued by another process works at once.
 *
 * A job is cached only once it is COMPLETED or FAILED: no statement of either store changes such a row
 * again (storage.ts), so it needs no expiry. Jobs in progress are read from the store every time.
 * One frozen object is handed out per finished job, which lets the API reuse its rendered answer.
 */
export function withReadCache(storage: Storage, options: ReadCacheOptions): Storage {
  const { ttlMs } = options;
  if (ttlMs <= 0) return storage;
  const clock = options.clock ?? (() => performance.now());
  const orgs = new Map<string, Entry<Org>>();
  const tokens = new Map<string, Entry<AccessToken>>();
  const finishedJobs = new Map<string, Job>();
  // Bumped by every revocation: a lookup that started before it may have read the token still live.
  let tokenGeneration = 0;
  const dropTokens = () => {
    tokenGeneration++;
    tokens.clear();
  };
  /** Drops the cached tokens when a prune revoked any (or failed half-way, to be safe). */
  const dropAfter = async (revoking: Promise<number>): Promise<number> => {
    let revoked = -1;
    try {
      revoked = await revoking;
      return revoked;
    } finally {
      if (revoked !== 0) dropTokens();
    }
  };

  return {
    ...storage,
    orgs: {
      ...storage.orgs,
      async create(org) {
        orgs.delete(org.id);
        await storage.orgs.create(org);
      },
      async get(orgId) {
        const started = clock();
        const hit = orgs.get(orgId);
        if (hit !== undefined && started < hit.until) return hit.value;
        const org = await storage.orgs.get(orgId);
        if (org) {
          // Shared by every request of the org from now on: nobody may change it in place.
          Object.freeze(org.user);
          setBounded(orgs, MAX_ORGS, orgId, { value: Object.freeze(org), until: started + ttlMs });
        } else orgs.delete(orgId);
        return org;
      },
    },
    jobs: {
      ...storage.jobs,
      async get(orgId, jobId) {
        const finished = finishedJobs.get(jobId);
        if (finished !== undefined && finished.orgId === orgId) return finished;
        const job = await storage.jobs.get(orgId, jobId);
        if (job && (job.status === 'COMPLETED' || job.status === 'FAILED')) {
          setBounded(finishedJobs, MAX_FINISHED_JOBS, jobId, deepFreeze(job));
        }
        return job;
      },
    },
    oauth: {
      ...storage.oauth,
      async getAccessToken(tokenHash, now) {
        const started = clock();
        const hit = tokens.get(tokenHash);
        // The store answers only tokens with expiresAt > now; a cached one is held to the same rule.
        if (hit !== undefined && started < hit.until) return hit.value.expiresAt > now ? hit.value : undefined;
        const generation = tokenGeneration;
        const token = await storage.oauth.getAccessToken(tokenHash, now);
        if (token && generation === tokenGeneration) {
          Object.freeze(token.scopes);
          setBounded(tokens, MAX_TOKENS, tokenHash, { value: Object.freeze(token), until: started + ttlMs });
        } else if (!token) tokens.delete(tokenHash);
        return token;
      },
      async revokeRefreshToken(tokenHash, now) {
        try {
          return await storage.oauth.revokeRefreshToken(tokenHash, now);
        } finally {
          dropTokens();
        }
      },
      async revokeAccessToken(tokenHash, now) {
        try {
          return await storage.oauth.revokeAccessToken(tokenHash, now);
        } finally {
          dropTokens();
        }
      },
      // Called on every token issue; they revoke only beyond the caps, and only then is there anything to drop.
      async pruneAccessTokens(refreshTokenHash, keep, now) {
        return dropAfter(storage.oauth.pruneAccessTokens(refreshTokenHash, keep, now));
      },
      async pruneRefreshTokens(clientId, userId, keep, now) {
        return dropAfter(storage.oauth.pruneRefreshTokens(clientId, userId, keep, now));
      },
    },
    ops: {
      ...storage.ops,
      // Retention deleted it: this process stops answering it at once. (Another process sharing the store
      // may answer a deleted finished job from its own cache until it is pushed out of it.)
      async deleteJob(jobId) {
        try {
          return await storage.ops.deleteJob(jobId);
        } finally {
          finishedJobs.delete(jobId);
        }
      },
    },
  };
}
