import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { ZohoError } from '../errors/zoho-error.js';

/**
 * Fault rules of the emulator (docs/admin-api.md, "Faults"): a test scripts Zoho's failures on demand.
 * A rule matches requests (or jobs, or callbacks) and has one effect. This file is the pure part: what
 * a rule is, how the admin API's JSON becomes one (every refusal names its JSON path), which requests a
 * rule matches, and what a job's effects add up to. Rules live in the store (storage.faults), so that
 * every API and worker process applies the same ones.
 */

/** The Zoho API routes a request fault can name. */
export const FAULT_ROUTES = ['token', 'upload', 'create_job', 'job_details', 'download', 'records'] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface FaultMatch {
  orgId: string | null;
  route: FaultRoute | null;
  method: string | null;
  jobId: string | null;
}

/** A job's scripted behaviour; several may apply to one job (see mergeJobEffects). */
export interface JobEffect {
  /** The job ends FAILED once this many rows are committed. */
  failAtRow?: number;
  /** The code (and message) the job fails with at failAtRow. */
  code?: string;
  message?: string;
  /** Slow processing: at most this many rows a second. */
  rowsPerSecond?: number;
  /** The job stays ADDED until released (POST /_bulkwrite/jobs/{id}/release). */
  hold?: boolean;
}

export type FaultEffect =
  | { kind: 'respond'; status: number; code: ErrorCode; message: string; details: Record<string, unknown> }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' }
  | { kind: 'job'; job: JobEffect }
  | { kind: 'callback'; status: number };

export interface FaultRule {
  id: string;
  match: FaultMatch;
  /** How many times the rule fires in all; null: every time. */
  times: number | null;
  /** How many firings are left (null: unlimited). */
  remaining: number | null;
  /** The chance that a matching request (job, callback attempt) fires the rule; null: always. */
  probability: number | null;
  effect: FaultEffect;
  /** How many times it fired so far. */
  hits: number;
  createdAt: number;
}

/** The longest delay a rule may ask for (ten minutes): a client's timeout is the thing under test, not a hang. */
export const MAX_DELAY_MS = 600_000;

type Json = Record<string, unknown>;

function invalid(path: string, message: string): ZohoError {
  return new ZohoError('INVALID_DATA', { message, details: { json_path: path } });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Json, path: string, allowed: readonly string[]): void {
  const unknown = Object.keys(obj).find((k) => !allowed.includes(k));
  if (unknown !== undefined)
    throw invalid(`${path}.${unknown}`, `unknown key '${unknown}'; expected one of: ${allowed.join(', ')}`);
}

function integerIn(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalid(path, `must be an integer from ${min} to ${max}`);
  return v;
}

function idText(v: unknown, path: string): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,19}$/.test(s)) throw invalid(path, 'must be an id of 1 to 19 digits');
  return s;
}

function registryCode(v: unknown, path: string): ErrorCode {
  if (typeof v !== 'string' || !Object.hasOwn(ERROR_CODES, v))
    throw invalid(path, 'must be a code of the error registry (docs/errors.md)');
  return v as ErrorCode;
}

function optionalText(v: unknown, path: string, max = 1000): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) throw invalid(path, `must be a string of at most ${max} characters`);
  return v;
}

function parseMatch(v: unknown): FaultMatch {
  const match: FaultMatch = { orgId: null, route: null, method: null, jobId: null };
  if (v === undefined) return match;
  if (!isObject(v)) throw invalid('$.match', 'must be an object');
  onlyKeys(v, '$.match', ['org_id', 'route', 'method', 'job_id']);
  if (v.org_id !== undefined) match.orgId = idText(v.org_id, '$.match.org_id');
  if (v.job_id !== undefined) match.jobId = idText(v.job_id, '$.match.job_id');
  if (v.route !== undefined) {
    if (typeof v.route !== 'string' || !(FAULT_ROUTES as readonly string[]).includes(v.route))
      throw invalid('$.match.route', `must be one of: ${FAULT_ROUTES.join(', ')}`);
    match.route = v.route as FaultRoute;
  }
  if (v.method !== undefined) {
    const m = typeof v.method === 'string' ? v.method.toUpperCase() : '';
    if (!(METHODS as readonly string[]).includes(m))
      throw invalid('$.match.method', `must be one of: ${METHODS.join(', ')}`);
    match.method = m;
  }
  return match;
}

function parseRespond(v: unknown): FaultEffect {
  if (!isObject(v)) throw invalid('$.respond', 'must be an object with a code');
  onlyKeys(v, '$.respond', ['status', 'code', 'message', 'details']);
  const code = registryCode(v.code, '$.respond.code');
  const status =
    v.status === undefined ? ERROR_CODES[code].httpStatus : integerIn(v.status, '$.respond.status', 400, 599);
  if (v.details !== undefined && !isObject(v.details)) throw invalid('$.respond.details', 'must be an object');
  return {
    kind: 'respond',
    status,
    code,
    message: optionalText(v.message, '$.respond.message') ?? ERROR_CODES[code].message,
    details: (v.details as Json | undefined) ?? {},
  };
}

function parseJob(v: unknown): JobEffect {
  if (!isObject(v)) throw invalid('$.job', 'must be an object');
  onlyKeys(v, '$.job', ['fail_at_row', 'code', 'message', 'rows_per_second', 'hold']);
  const job: JobEffect = {};
  if (v.fail_at_row !== undefined) {
    job.failAtRow = integerIn(v.fail_at_row, '$.job.fail_at_row', 0, 1_000_000_000);
    job.code = v.code === undefined ? 'CANNOT_PROCESS' : registryCode(v.code, '$.job.code');
    const message = optionalText(v.message, '$.job.message');
    if (message !== undefined) job.message = message;
  } else if (v.code !== undefined || v.message !== undefined) {
    throw invalid('$.job.code', 'code and message go with fail_at_row');
  }
  if (v.rows_per_second !== undefined) {
    const r = v.rows_per_second;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 1 || r > 1_000_000)
      throw invalid('$.job.rows_per_second', 'must be a number from 1 to 1000000');
    job.rowsPerSecond = r;
  }
  if (v.hold !== undefined) {
    if (v.hold !== true) throw invalid('$.job.hold', 'must be true');
    job.hold = true;
  }
  if (Object.keys(job).length === 0) throw invalid('$.job', 'needs fail_at_row, rows_per_second or hold');
  return job;
}

const EFFECT_KEYS = ['respond', 'delay_ms', 'drop', 'job', 'callback'] as const;

function parseEffect(body: Json): FaultEffect {
  const given = EFFECT_KEYS.filter((k) => body[k] !== undefined);
  if (given.length !== 1) throw invalid('$', `a rule has exactly one effect of: ${EFFECT_KEYS.join(', ')}`);
  switch (given[0]!) {
    case 'respond':
      return parseRespond(body.respond);
    case 'delay_ms':
      return { kind: 'delay', ms: integerIn(body.delay_ms, '$.delay_ms', 0, MAX_DELAY_MS) };
    case 'drop':
      if (body.drop !== true) throw invalid('$.drop', 'must be true');
      return { kind: 'drop' };
    case 'job':
      return { kind: 'job', job: parseJob(body.job) };
    case 'callback': {
      const c = body.callback;
      if (!isObject(c)) throw invalid('$.callback', 'must be an object with a status');
      onlyKeys(c, '$.callback', ['status']);
      return { kind: 'callback', status: integerIn(c.status, '$.callback.status', 100, 599) };
    }
  }
}

/**
 * A rule from the admin API's JSON (`POST /_bulkwrite/faults`), or INVALID_DATA naming what is wrong.
 * Job and callback effects match by org and job only.
 */
export function parseFaultRule(body: unknown, id: string, now: number): FaultRule {
  if (!isObject(body)) throw invalid('$', 'the body must be a JSON object');
  onlyKeys(body, '$', ['match', 'times', 'probability', ...EFFECT_KEYS]);
  const match = parseMatch(body.match);
  const effect = parseEffect(body);
  if ((effect.kind === 'job' || effect.kind === 'callback') && (match.route !== null || match.method !== null))
    throw invalid('$.match', `a ${effect.kind} effect matches by org_id and job_id only`);
  const times = body.times === undefined ? null : integerIn(body.times, '$.times', 1, 1_000_000_000);
  let probability: number | null = null;
  if (body.probability !== undefined) {
    const p = body.probability;
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) throw invalid('$.probability', 'must be a number in (0, 1]');
    probability = p;
  }
  return { id, match, times, remaining: times, probability, effect, hits: 0, createdAt: now };
}

/** What a request is, for matching: its route (null: not a Zoho API route), method, org and job. */
export interface FaultRequest {
  route: FaultRoute | null;
  method: string;
  orgId: string | null;
  jobId: string | null;
}

/** True when the rule's match names nothing the request contradicts; a rule naming an org needs a known org. */
export function matchesRequest(match: FaultMatch, req: FaultRequest): boolean {
  return (
    (match.route === null || match.route === req.route) &&
    (match.method === null || match.method === req.method) &&
    (match.orgId === null || match.orgId === req.orgId) &&
    (match.jobId === null || match.jobId === req.jobId)
  );
}

/** Whether a rule that matches fires this time, by its probability (`random` in [0, 1)). */
export function rolls(rule: FaultRule, random: () => number): boolean {
  return rule.probability === null || random() < rule.probability;
}

/** The effects bound to one job, in the order they were bound: later ones override earlier ones key by key. */
export function mergeJobEffects(effects: readonly JobEffect[]): JobEffect | null {
  if (effects.length === 0) return null;
  return Object.assign({}, ...effects) as JobEffect;
}

/** A rule as the admin API shows it (snake_case, the same keys it was made with). */
export function faultRuleToWire(rule: FaultRule): Record<string, unknown> {
  const match: Json = {};
  if (rule.match.orgId !== null) match.org_id = rule.match.orgId;
  if (rule.match.route !== null) match.route = rule.match.route;
  if (rule.match.method !== null) match.method = rule.match.method;
  if (rule.match.jobId !== null) match.job_id = rule.match.jobId;
  const e = rule.effect;
  const effect: Json =
    e.kind === 'respond'
      ? { respond: { status: e.status, code: e.code, message: e.message, details: e.details } }
      : e.kind === 'delay'
        ? { delay_ms: e.ms }
        : e.kind === 'drop'
          ? { drop: true }
          : e.kind === 'callback'
            ? { callback: { status: e.status } }
            : { job: jobEffectToWire(e.job) };
  return {
    id: rule.id,
    match,
    times: rule.times,
    remaining: rule.remaining,
    probability: rule.probability,
    ...effect,
    hits: rule.hits,
    created_at: new Date(rule.createdAt).toISOString(),
  };
}

function jobEffectToWire(j: JobEffect): Json {
  const out: Json = {};
  if (j.failAtRow !== undefined) out.fail_at_row = j.failAtRow;
  if (j.code !== undefined) out.code = j.code;
  if (j.message !== undefined) out.message = j.message;
  if (j.rowsPerSecond !== undefined) out.rows_per_second = j.rowsPerSecond;
  if (j.hold) out.hold = true;
  return out;
}
