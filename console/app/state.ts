import { h, notice, replace } from './dom.js';
import { admin } from './api.js';

export interface OrgInfo {
  org_id: string;
  name: string;
  time_zone: string;
  created_time: string;
  default?: boolean;
  user: { id: string; name: string; email: string };
}

let orgs: OrgInfo[] | null = null;

/** The store's orgs, read once per page load (the Orgs page reloads them after a create). */
export async function loadOrgs(fresh = false): Promise<OrgInfo[]> {
  if (orgs === null || fresh) orgs = (await admin<{ orgs: OrgInfo[] }>('GET', '/_bulkwrite/orgs')).orgs;
  return orgs;
}

export function zoneOf(orgId: string): string | undefined {
  return orgs?.find((o) => o.org_id === orgId)?.time_zone;
}

export function nameOf(orgId: string): string {
  return orgs?.find((o) => o.org_id === orgId)?.name ?? orgId;
}

/** The org the pages default to: the last one chosen in this browser, else the store's default. */
export function currentOrg(list: OrgInfo[]): string {
  const kept = localStorage.getItem('bw-org');
  if (kept !== null && list.some((o) => o.org_id === kept)) return kept;
  return (list.find((o) => o.default) ?? list[0])?.org_id ?? '';
}

export function chooseOrg(orgId: string): void {
  localStorage.setItem('bw-org', orgId);
}

/** Stops the current page's timers and requests when another page is shown. */
export class PageLife {
  private timers: number[] = [];
  readonly abort = new AbortController();
  every(ms: number, fn: () => void): void {
    this.timers.push(window.setInterval(fn, ms));
  }
  later(ms: number, fn: () => void): void {
    this.timers.push(window.setTimeout(fn, ms));
  }
  get alive(): boolean {
    return !this.abort.signal.aborted;
  }
  end(): void {
    for (const t of this.timers) {
      clearInterval(t);
      clearTimeout(t);
    }
    this.abort.abort();
  }
}

/**
 * The orgs and a select of them (the current one chosen), or null after telling the page there is
 * no org yet.
 */
export async function orgChoice(
  main: HTMLElement,
  title: string,
  id: string,
): Promise<{ orgs: OrgInfo[]; select: HTMLSelectElement } | null> {
  const orgs = await loadOrgs();
  if (orgs.length === 0) {
    replace(
      main,
      h('h1', {}, title),
      notice('empty', 'There is no org yet. ', h('a', { href: '#/orgs' }, 'Create one first.')),
    );
    return null;
  }
  const select = h(
    'select',
    { id },
    orgs.map((o) => h('option', { value: o.org_id }, `${o.name} (${o.org_id})`)),
  );
  select.value = currentOrg(orgs);
  return { orgs, select };
}
