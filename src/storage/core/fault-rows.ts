import type { FaultEffect, FaultRoute, FaultRule, JobEffect } from '../../domain/faults.js';
import type { JobFaultBinding } from '../storage.js';
import type { Params, Row } from './sql-dialect.js';

const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toFaultRule(r: Row): FaultRule {
  return {
    id: String(r.id),
    match: {
      orgId: textOrNull(r.org_id),
      route: textOrNull(r.route) as FaultRoute | null,
      method: textOrNull(r.method),
      jobId: textOrNull(r.job_id),
    },
    times: numberOrNull(r.times),
    remaining: numberOrNull(r.remaining),
    probability: numberOrNull(r.probability),
    effect: JSON.parse(String(r.effect)) as FaultEffect,
    hits: Number(r.hits),
    createdAt: Number(r.created_at),
  };
}

/** fault_rules (id, org_id, route, method, job_id, times, remaining, probability, effect, created_at) */
export const faultInsertParams = (f: FaultRule): Params => [
  f.id,
  f.match.orgId,
  f.match.route,
  f.match.method,
  f.match.jobId,
  f.times,
  f.remaining,
  f.probability,
  JSON.stringify(f.effect),
  f.createdAt,
];

/** fault_jobs (job_id, rule_id, effect, held); held as 1/0, which both stores read as a flag. */
export const faultBindParams = (b: JobFaultBinding): Params => [
  b.jobId,
  b.ruleId,
  JSON.stringify(b.effect),
  b.effect.hold === true ? 1 : 0,
];

export const toJobEffect = (r: Row): JobEffect => JSON.parse(String(r.effect)) as JobEffect;
