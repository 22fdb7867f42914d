import { rolls } from '../domain/faults.js';
import type { Storage } from '../storage/storage.js';

/**
 * The answer a fault rule scripts for one callback attempt of a job (`{"callback":{"status":503}}`), or
 * null to send it for real. Read from the store at each attempt, so a rule made through any process
 * applies, and `times` counts attempts across processes.
 */
export async function scriptedCallbackStatus(
  storage: Storage,
  orgId: string,
  jobId: string,
  random: () => number = Math.random,
): Promise<number | null> {
  for (const rule of await storage.faults.list()) {
    const { effect, match } = rule;
    if (effect.kind !== 'callback' || rule.remaining === 0) continue;
    if ((match.orgId !== null && match.orgId !== orgId) || (match.jobId !== null && match.jobId !== jobId)) continue;
    if (rolls(rule, random) && (await storage.faults.fire(rule.id))) return effect.status;
  }
  return null;
}
