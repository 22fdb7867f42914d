import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { IssuedToken } from '../../client/index.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { stateDir } from './paths.js';

/**
 * What the CLI keeps between runs, in its state folder: the jobs it created (Zoho has no endpoint that
 * lists bulk write jobs, so `bulkwrite jobs` reads this) and the access tokens it refreshed (Zoho allows
 * only 10 new access tokens per refresh token in 10 minutes, so each run must not refresh again).
 */

export interface HistoryEntry {
  jobId: string;
  apiDomain: string;
  org: string | null;
  module: string;
  operation: string;
  file: string;
  createdAt: string;
  profile: string | null;
}

const MAX_HISTORY = 200;

export function historyPath(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'history.json');
}

export function readHistory(env: NodeJS.ProcessEnv): HistoryEntry[] {
  const raw = readJsonFile(historyPath(env), 'job history');
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { jobs?: unknown }).jobs)) return [];
  return ((raw as { jobs: unknown[] }).jobs as HistoryEntry[]).filter(
    (j) => typeof j?.jobId === 'string' && typeof j.apiDomain === 'string',
  );
}

export function recordJob(env: NodeJS.ProcessEnv, entry: HistoryEntry): void {
  // Job ids are unique per server, not across servers: two local servers hand out the same ones.
  const same = (j: HistoryEntry) => j.jobId === entry.jobId && j.apiDomain === entry.apiDomain;
  const jobs = [entry, ...readHistory(env).filter((j) => !same(j))].slice(0, MAX_HISTORY);
  writeJsonFile(historyPath(env), { jobs });
}

interface CachedToken {
  accessToken: string;
  expiresAt: number | null;
}

function tokensPath(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'tokens.json');
}

/** Tokens are filed under a hash of where they come from; the refresh token itself is not written again. */
export function tokenKey(tokenUrl: string, clientId: string, refreshToken: string): string {
  return createHash('sha256').update(`${tokenUrl}\n${clientId}\n${refreshToken}`).digest('hex').slice(0, 32);
}

export function readCachedToken(env: NodeJS.ProcessEnv, key: string, now: number): CachedToken | null {
  try {
    const raw = readJsonFile(tokensPath(env), 'token cache') as Record<string, CachedToken> | undefined;
    const hit = raw?.[key];
    if (!hit || typeof hit.accessToken !== 'string') return null;
    if (hit.expiresAt !== null && hit.expiresAt <= now) return null;
    return hit;
  } catch {
    return null; // a broken cache is only a cache
  }
}

export function writeCachedToken(env: NodeJS.ProcessEnv, key: string, token: IssuedToken, now: number): void {
  let all: Record<string, CachedToken> = {};
  try {
    all = (readJsonFile(tokensPath(env), 'token cache') as Record<string, CachedToken> | undefined) ?? {};
  } catch {
    all = {};
  }
  for (const [k, v] of Object.entries(all)) if (v.expiresAt !== null && v.expiresAt <= now) delete all[k];
  all[key] = { accessToken: token.accessToken, expiresAt: token.expiresAt };
  writeJsonFile(tokensPath(env), all);
}
