import { admin, errorText, query } from '../api.js';
import { duration, h, notice, num, progress, replace, spawn, statusBadge, table, time } from '../dom.js';
import type { PageLife } from '../state.js';
import { running, type JobSummary } from './jobs.js';

interface JobAnswer {
  job: JobSummary;
  org: { org_id: string; name: string; time_zone: string };
  details: Record<string, unknown>;
  callback: { state: string } | null;
  now: number;
}

interface Row {
  row: number;
  status: string;
  record_id: string | null;
  errors: string | null;
}

interface RowsAnswer {
  rows: Row[];
  next_from: number | null;
  committed_rows: number;
}

interface CodesAnswer {
  codes: Array<{ code: string; rows: number }>;
  skipped: number;
  counted_rows: number;
  committed_rows: number;
}

interface Attempt {
  id: number;
  url: string;
  attempt: number;
  sent_at: string;
  status_code: number | null;
  error: string | null;
}

const ROWS_PER_PAGE = 100;

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}

/** One job: its details readable and raw, its rows (all or skipped, by code), the download, its callbacks. */
export async function jobPage(main: HTMLElement, life: PageLife, params: string[]): Promise<void> {
  const [orgId = '', jobId = ''] = params;
  const base = `/_bulkwrite/console/orgs/${encodeURIComponent(orgId)}/jobs/${encodeURIComponent(jobId)}`;
  const first = await admin<JobAnswer>('GET', base);
  const head = h('div', {});
  const facts = h('div', { class: 'grid2' });
  const codesBox = h('section', { 'aria-labelledby': 'codes-h' });
  const rowsBox = h('section', { 'aria-labelledby': 'rows-h' });
  const callbacksBox = h('section', { 'aria-labelledby': 'callbacks-h' });
  const raw = h('pre', { id: 'raw-json', tabindex: '0', 'aria-label': 'Job details as JSON' });
  replace(
    main,
    head,
    facts,
    codesBox,
    rowsBox,
    callbacksBox,
    h(
      'details',
      {},
      h('summary', {}, h('h2', { style: 'display:inline' }, 'Raw JSON (GET /crm/bulk/{version}/write/{id})')),
      raw,
    ),
  );

  const showJob = (a: JobAnswer) => {
    const j = a.job;
    const zone = a.org.time_zone;
    const end = j.finished_time ?? a.now;
    const elapsed = end - j.created_time;
    // Rows per second from the first claim to the end (or now), so time spent queued does not count.
    const working = j.started_time === null ? null : end - j.started_time;
    const rate = working !== null && working > 0 ? Math.round((j.counts.processed * 1000) / working) : null;
    replace(
      head,
      h('p', {}, h('a', { href: '#/jobs' }, '← All jobs')),
      h('h1', {}, `Job ${j.id} `, h('span', { id: 'job-status', 'data-status': j.status }, statusBadge(j.status))),
      running(j.status) ? progress(j.counts.processed, j.rows, 'Job progress') : null,
      j.failure ? notice('error', `${j.failure.code}: ${j.failure.message}`) : null,
    );
    const resource = (a.details.resource as Array<Record<string, unknown>> | undefined) ?? [];
    const mappings = resource.flatMap((r) => (r.field_mappings as Array<Record<string, unknown>> | undefined) ?? []);
    replace(
      facts,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'facts-h' },
        h('h2', { id: 'facts-h' }, 'Details'),
        h(
          'dl',
          { class: 'facts' },
          fact('Org', `${a.org.name} (${a.org.org_id}), ${zone}`),
          fact('Module', j.modules.join(', ')),
          fact('Operation', j.operation),
          fact('File', j.file_name),
          fact('API version', j.api_version),
          fact('Created', time(j.created_time, zone)),
          fact(
            'Started',
            j.started_time === null
              ? j.status === 'ADDED'
                ? 'waiting for a worker'
                : 'not recorded'
              : time(j.started_time, zone),
          ),
          fact('Finished', j.finished_time === null ? 'not yet' : time(j.finished_time, zone)),
          fact('Took', `${duration(elapsed)}${j.finished_time === null ? ' so far' : ''}`),
          working === null ? null : fact('Worked', `${duration(working)}${j.finished_time === null ? ' so far' : ''}`),
          fact(
            'Rows per second',
            rate === null ? '–' : h('span', { id: 'rows-per-second', 'data-rate': rate }, num(rate)),
          ),
          fact('Rows', `${num(j.counts.processed)} of ${num(j.rows)}`),
          fact('Added', num(j.counts.added)),
          fact('Updated', num(j.counts.updated)),
          fact('Skipped', num(j.counts.skipped)),
          fact(
            'Result',
            j.result_ready
              ? h('a', { href: `${base}/result`, download: `${j.id}.zip`, id: 'download' }, `Download ${j.id}.zip`)
              : running(j.status)
                ? 'when the job finishes'
                : 'none',
          ),
          fact('Callback', a.callback ? a.callback.state : 'none'),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'map-h' },
        h('h2', { id: 'map-h' }, 'Field mappings'),
        mappings.length === 0
          ? h('p', {}, 'Mapped from the CSV header.')
          : table(
              ['Field', 'Column', 'find_by', 'Default'],
              mappings.map((m) =>
                h(
                  'tr',
                  {},
                  h('td', {}, String(m.api_name ?? '')),
                  h('td', { class: 'num' }, m.index === undefined || m.index === null ? '–' : String(m.index)),
                  h('td', {}, m.find_by === undefined ? '' : String(m.find_by)),
                  h('td', {}, m.default_value === undefined ? '' : JSON.stringify(m.default_value)),
                ),
              ),
            ),
      ),
    );
    raw.textContent = JSON.stringify(a.details, null, 2);
  };

  // --- Rows: a page at a time from the stored outcomes; "skipped only" and one code filter. ---
  const filter = { skipped: false, code: '' };
  const starts: number[] = [1];
  let pageAt = 0;
  let nextFrom: number | null = null;
  const skippedBox = h('input', { type: 'checkbox', id: 'skipped-only' });
  const codeNote = h('span', { id: 'code-filter' });
  const rowsTable = h('div', { id: 'rows', 'aria-live': 'polite' });
  const rowsPager = h('div', { class: 'pager' });
  skippedBox.addEventListener('change', () => {
    filter.skipped = skippedBox.checked;
    resetRows();
  });
  replace(
    rowsBox,
    h('h2', { id: 'rows-h' }, 'Rows'),
    h('div', { class: 'toolbar' }, h('label', {}, skippedBox, ' Skipped only'), codeNote),
    rowsTable,
    rowsPager,
  );
  const resetRows = () => {
    starts.length = 1;
    pageAt = 0;
    spawn(loadRows());
  };
  /** One page: a filtered read may stop early (it reads a bounded slice per call); it goes on from there. */
  const readPage = async (): Promise<RowsAnswer> => {
    let a: RowsAnswer | null = null;
    for (
      let calls = 0;
      calls < 20 && (a === null || (a.rows.length < ROWS_PER_PAGE && a.next_from !== null));
      calls++
    ) {
      const more: RowsAnswer = await admin<RowsAnswer>(
        'GET',
        `${base}/rows${query({ from: a?.next_from ?? starts[pageAt], limit: ROWS_PER_PAGE - (a?.rows.length ?? 0), skipped: filter.skipped ? 1 : undefined, code: filter.code })}`,
      );
      a = a === null ? more : { ...more, rows: [...a.rows, ...more.rows] };
      if (!life.alive) break;
    }
    return a!;
  };
  const loadRows = async () => {
    const a = await readPage().catch((e: unknown) => {
      replace(rowsTable, notice('error', `Could not read the rows: ${errorText(e)}`));
      return null;
    });
    if (a === null || !life.alive) return;
    nextFrom = a.next_from;
    replace(
      codeNote,
      filter.code === ''
        ? ''
        : h(
            'span',
            {},
            `Code ${filter.code} `,
            h(
              'button',
              { type: 'button', class: 'secondary', onclick: () => ((filter.code = ''), resetRows()) },
              'Show every code',
            ),
          ),
    );
    if (a.rows.length === 0) {
      replace(
        rowsTable,
        notice(
          'empty',
          a.committed_rows === 0
            ? 'No rows are done yet; they appear here as the job commits them.'
            : filter.skipped || filter.code
              ? 'No row matches this filter.'
              : 'No rows here.',
        ),
      );
    } else {
      replace(
        rowsTable,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'rows' },
            h('caption', { class: 'visually-hidden' }, 'Result rows'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col', class: 'num' }, 'Row'),
                ['Status', 'Record id', 'Errors'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              a.rows.map((r) =>
                h(
                  'tr',
                  { 'data-row': r.row, 'data-status': r.status },
                  h('td', { class: 'num' }, num(r.row)),
                  h('td', {}, h('span', { class: `badge badge-${r.status.toLowerCase()}` }, r.status)),
                  h('td', {}, r.record_id ?? ''),
                  h('td', { class: 'errors' }, r.errors ?? ''),
                ),
              ),
            ),
          ),
        ),
      );
    }
    replace(
      rowsPager,
      h(
        'button',
        { type: 'button', disabled: pageAt === 0, onclick: () => ((pageAt -= 1), spawn(loadRows())) },
        '← Previous',
      ),
      h(
        'span',
        {},
        a.rows.length > 0
          ? `Rows ${num(a.rows[0]!.row)}–${num(a.rows.at(-1)!.row)} of ${num(a.committed_rows)} done`
          : '',
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: nextFrom === null,
          onclick: () => {
            starts[pageAt + 1] = nextFrom ?? 1;
            pageAt += 1;
            spawn(loadRows());
          },
        },
        'Next →',
      ),
    );
  };

  const loadCodes = async () => {
    const c = await admin<CodesAnswer>('GET', `${base}/codes`);
    if (!life.alive) return;
    replace(
      codesBox,
      h('h2', { id: 'codes-h' }, 'Skipped rows by error'),
      c.codes.length === 0
        ? notice('empty', c.committed_rows === 0 ? 'Nothing done yet.' : 'No row was skipped.')
        : h(
            'ul',
            { class: 'codes' },
            c.codes.map((x) =>
              h(
                'li',
                { 'data-code': x.code },
                h('span', { class: 'count' }, `${num(x.rows)} × `),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary',
                    'aria-label': `Show the ${num(x.rows)} rows with ${x.code}`,
                    onclick: () => ((filter.code = x.code), resetRows()),
                  },
                  x.code,
                ),
              ),
            ),
          ),
      c.counted_rows < c.committed_rows
        ? h('p', {}, `Counted ${num(c.counted_rows)} of ${num(c.committed_rows)} rows so far…`)
        : null,
    );
    if (c.counted_rows < c.committed_rows) life.later(500, () => spawn(loadCodes()));
  };

  const loadCallbacks = async () => {
    const a = await admin<{ callbacks: Attempt[] }>(
      'GET',
      `/_bulkwrite/callbacks${query({ org_id: orgId, job_id: jobId })}`,
    ).catch(() => null);
    if (!life.alive) return;
    const attempts = a?.callbacks ?? [];
    replace(
      callbacksBox,
      h('h2', { id: 'callbacks-h' }, 'Callback attempts'),
      attempts.length === 0
        ? notice('empty', 'No callback attempt (the job has no callback, or it is not finished).')
        : table(
            ['#', 'Sent', 'URL', 'Answer', 'Error'],
            attempts.map((x, i) =>
              h(
                'tr',
                {},
                h('td', {}, String(x.attempt ?? i + 1)),
                h('td', { class: 'time' }, time(Date.parse(x.sent_at), zone())),
                h('td', { class: 'file' }, x.url),
                h('td', {}, x.status_code === null ? '–' : String(x.status_code)),
                h('td', {}, x.error ?? ''),
              ),
            ),
          ),
    );
  };

  const zone = () => first.org.time_zone;
  showJob(first);
  await Promise.all([loadRows(), loadCodes(), loadCallbacks()]);
  // Live until the job finishes; then once more so rows, codes and callbacks settle.
  let wasRunning = running(first.job.status);
  const poll = async () => {
    const a = await admin<JobAnswer>('GET', base);
    if (!life.alive) return;
    showJob(a);
    const now = running(a.job.status);
    if (now || wasRunning) {
      if (pageAt === 0 && nextFrom === null) await loadRows();
      await loadCodes();
    }
    if (!now && wasRunning) await loadCallbacks();
    if (now || wasRunning) life.later(1000, () => spawn(poll()));
    else life.later(3000, () => spawn(loadCallbacks()));
    wasRunning = now;
  };
  if (wasRunning) life.later(1000, () => spawn(poll()));
}
