import { admin, errorText, query } from '../api.js';
import { h, notice, num, progress, replace, spawn, statusBadge, time } from '../dom.js';
import { loadOrgs, nameOf, zoneOf, type PageLife } from '../state.js';

export interface JobSummary {
  id: string;
  org_id: string;
  status: string;
  operation: string;
  modules: string[];
  file_name: string;
  api_version: string;
  created_time: number;
  /** When a worker first took the job; null until then (and for jobs from before it was stored). */
  started_time: number | null;
  finished_time: number | null;
  counts: { added: number; updated: number; skipped: number; processed: number };
  rows: number | null;
  failure: { code: string; message: string } | null;
  result_ready: boolean;
}

interface JobsAnswer {
  jobs: JobSummary[];
  next: string | null;
}

const STATUSES = ['ADDED', 'INPROGRESS', 'COMPLETED', 'FAILED'];
const OPERATIONS = ['insert', 'update', 'upsert'];
const PAGE_SIZE = 50;

export function jobHref(j: { org_id: string; id: string }): string {
  return `#/job/${encodeURIComponent(j.org_id)}/${encodeURIComponent(j.id)}`;
}

export const running = (status: string) => status === 'ADDED' || status === 'INPROGRESS';

function select(id: string, label: string, options: Array<[string, string]>, value: string): HTMLSelectElement {
  const s = h('select', { id, name: id });
  for (const [v, text] of options) s.appendChild(h('option', { value: v, selected: v === value }, text));
  return s;
}

/** Every job of every org (or one), newest first, a page at a time, refreshed while any shown job runs. */
export async function jobsPage(main: HTMLElement, life: PageLife): Promise<void> {
  const orgs = await loadOrgs();
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const filters = {
    org_id: params.get('org_id') ?? '',
    status: params.get('status') ?? '',
    module: params.get('module') ?? '',
    operation: params.get('operation') ?? '',
  };
  const orgSel = select(
    'f-org',
    'Org',
    [['', 'All orgs'], ...orgs.map((o): [string, string] => [o.org_id, `${o.name} (${o.org_id})`])],
    filters.org_id,
  );
  const statusSel = select(
    'f-status',
    'Status',
    [['', 'Any status'], ...STATUSES.map((s): [string, string] => [s, s])],
    filters.status,
  );
  const opSel = select(
    'f-operation',
    'Operation',
    [['', 'Any operation'], ...OPERATIONS.map((s): [string, string] => [s, s])],
    filters.operation,
  );
  const moduleIn = h('input', {
    id: 'f-module',
    name: 'module',
    type: 'search',
    value: filters.module,
    placeholder: 'e.g. Contacts',
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    h('div', { class: 'field' }, h('label', { for: 'f-org' }, 'Org'), orgSel),
    h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), statusSel),
    h('div', { class: 'field' }, h('label', { for: 'f-module' }, 'Module'), moduleIn),
    h('div', { class: 'field' }, h('label', { for: 'f-operation' }, 'Operation'), opSel),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const apply = () => {
    const q = query({
      org_id: orgSel.value,
      status: statusSel.value,
      module: moduleIn.value.trim(),
      operation: opSel.value,
    });
    location.hash = `#/jobs${q}`;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  for (const s of [orgSel, statusSel, opSel]) s.addEventListener('change', apply);

  const body = h('div', { id: 'jobs-list', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' });
  replace(main, h('h1', {}, 'Jobs'), form, body, pager);

  // Cursors of the pages before this one, so "Newer" walks back without offsets.
  const cursors: Array<string | undefined> = [undefined];
  let at = 0;
  let next: string | null = null;

  const load = async (): Promise<void> => {
    const a = await admin<JobsAnswer>(
      'GET',
      `/_bulkwrite/console/jobs${query({ ...filters, after: cursors[at], limit: PAGE_SIZE })}`,
    );
    if (!life.alive) return;
    next = a.next;
    render(a.jobs);
    replace(
      pager,
      h('button', { type: 'button', disabled: at === 0, onclick: () => spawn(go(at - 1)) }, '← Newer'),
      h('span', {}, `Page ${num(at + 1)}`),
      h('button', { type: 'button', disabled: next === null, onclick: () => spawn(go(at + 1)) }, 'Older →'),
    );
    // Live: every second while a job on this page runs; otherwise a slower look for new jobs on page 1.
    const anyRunning = a.jobs.some((j) => running(j.status));
    life.later(anyRunning ? 1000 : at === 0 ? 5000 : 60_000, () => spawn(load()));
  };
  const go = async (page: number): Promise<void> => {
    if (page > at) cursors[page] = next ?? undefined;
    at = page;
    await load().catch((e: unknown) => replace(body, notice('error', `Could not load jobs: ${errorText(e)}`)));
  };

  const render = (jobs: JobSummary[]) => {
    if (jobs.length === 0) {
      const filtered = Object.values(filters).some((v) => v !== '');
      replace(
        body,
        notice(
          'empty',
          filtered ? 'No job matches these filters. ' : 'No jobs yet. ',
          filtered ? h('a', { href: '#/jobs' }, 'Show every job') : h('a', { href: '#/import' }, 'Start an import'),
          filtered ? '' : ' or create one through the API (see Connect).',
        ),
      );
      return;
    }
    const rows = jobs.map((j) => {
      const zone = zoneOf(j.org_id);
      return h(
        'tr',
        { 'data-job': j.id, 'data-status': j.status },
        h('td', {}, h('a', { href: jobHref(j) }, j.id)),
        h('td', {}, statusBadge(j.status)),
        h('td', {}, j.modules.join(', ')),
        h('td', {}, j.operation),
        h('td', { class: 'file' }, j.file_name),
        h('td', { class: 'num', 'data-count': 'processed' }, num(j.counts.processed)),
        h('td', { class: 'num' }, num(j.counts.added)),
        h('td', { class: 'num' }, num(j.counts.updated)),
        h('td', { class: 'num' }, num(j.counts.skipped)),
        h(
          'td',
          { class: 'progress-cell' },
          running(j.status)
            ? progress(j.counts.processed, j.rows, `Job ${j.id} progress`)
            : j.failure
              ? j.failure.code
              : '',
        ),
        h('td', {}, nameOf(j.org_id)),
        h('td', { class: 'time' }, time(j.created_time, zone)),
      );
    });
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'jobs' },
          h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'Job',
                'Status',
                'Module',
                'Operation',
                'File',
                'Rows done',
                'Added',
                'Updated',
                'Skipped',
                'Progress',
                'Org',
                'Created',
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, rows),
        ),
      ),
    );
  };

  await load();
}
