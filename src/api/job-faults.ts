import { rolls } from '../domain/faults.js';
import type { Storage } from '../storage/storage.js';

/**
 * Binds the job effects of the fault rules that wait for the next job of an org (rules with a job
 * effect and no job_id) to a job about to be stored, so that the worker finds them when it claims the
 * job (a `hold` keeps it from being claimed at all). Read from the store every time: jobs are created
 * rarely, and a rule added through another process counts at once.
 */
export async function bindJobFaults(
  storage: Storage,
  orgId: string,
  jobId: string,
  random: () => number = Math.random,
): Promise<void> {
  for (const rule of await storage.faults.list()) {
    const { effect, match } = rule;
    if (effect.kind !== 'job' || match.jobId !== null || rule.remaining === 0) continue;
    if (match.orgId !== null && match.orgId !== orgId) continue;
    if (!rolls(rule, random) || !(await storage.faults.fire(rule.id))) continue;
    await storage.faults.bindJob({ jobId, ruleId: rule.id, effect: effect.job });
  }
}
