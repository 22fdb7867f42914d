import { errorText, zoho } from '../api.js';
import { h, notice, num, replace, spawn, time } from '../dom.js';
import { chooseOrg, orgChoice, type PageLife } from '../state.js';

interface RecordsAnswer {
  data: Array<Record<string, unknown>>;
  info: { page: number; per_page: number; more_records: boolean };
}

const PER_PAGE = 50;
const SYSTEM = new Set([
  'Owner',
  'Created_Time',
  'Modified_Time',
  'Created_By',
  'Modified_By',
  'Last_Activity_Time',
  'Tag',
  'Layout',
]);

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return typeof o.name === 'string' ? o.name : typeof o.id === 'string' ? o.id : JSON.stringify(v);
  }
  return String(v);
}

function timeCell(v: unknown): string {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? cell(v) : time(ms);
}

/** A module's records through the records API, a page at a time, searchable by one field. */
export async function recordsPage(main: HTMLElement, life: PageLife): Promise<void> {
  const choice = await orgChoice(main, 'Records', 'rec-org');
  if (choice === null) return;
  const orgSel = choice.select;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  if (choice.orgs.some((o) => o.org_id === params.get('org_id'))) orgSel.value = params.get('org_id')!;
  const moduleSel = h('select', { id: 'rec-module' });
  const fieldSel = h('select', { id: 'rec-field' });
  const valueIn = h('input', { id: 'rec-value', type: 'search' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Find records' },
    h('div', { class: 'field' }, h('label', { for: 'rec-org' }, 'Org'), orgSel),
    h('div', { class: 'field' }, h('label', { for: 'rec-module' }, 'Module'), moduleSel),
    h('div', { class: 'field' }, h('label', { for: 'rec-field' }, 'Search field'), fieldSel),
    h('div', { class: 'field' }, h('label', { for: 'rec-value' }, 'equals'), valueIn),
    h('button', { type: 'submit' }, 'Search'),
  );
  const body = h('div', { id: 'records', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' });
  replace(main, h('h1', {}, 'Records'), form, body, pager);
  let page = 1;
  let columns: string[] = [];

  const load = async () => {
    const org = orgSel.value;
    const module = moduleSel.value;
    const field = fieldSel.value;
    const value = valueIn.value.trim();
    const path =
      value === '' || field === ''
        ? `/crm/v2.1/${encodeURIComponent(module)}?page=${page}&per_page=${PER_PAGE}`
        : `/crm/v2.1/${encodeURIComponent(module)}/search?criteria=${encodeURIComponent(`(${field}:equals:${value.replace(/[(),\\]/g, (c) => `\\${c}`)})`)}&page=${page}&per_page=${PER_PAGE}`;
    const a = await zoho<RecordsAnswer>(org, 'GET', path).catch((e: unknown) => {
      replace(body, notice('error', `Could not read records: ${errorText(e)}`));
      return undefined;
    });
    if (a === undefined || !life.alive) return;
    const data = a?.data ?? [];
    if (data.length === 0) {
      replace(
        body,
        notice(
          'empty',
          value === '' ? `No ${module} records yet. ` : 'No record matches. ',
          value === '' ? h('a', { href: '#/import' }, 'Import some.') : '',
        ),
      );
    } else {
      // The fields these records fill, in the module's order; the system's own fields last.
      const filled = columns.filter((c) => c !== 'id' && !SYSTEM.has(c) && data.some((r) => cell(r[c]) !== ''));
      const shown = ['id', ...filled.slice(0, 8), 'Modified_Time'];
      replace(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'records' },
            h('caption', { class: 'visually-hidden' }, `${module} records`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                shown.map((c) => h('th', { scope: 'col' }, c)),
              ),
            ),
            h(
              'tbody',
              {},
              data.map((r) =>
                h(
                  'tr',
                  { 'data-id': String(r.id) },
                  shown.map((c) => h('td', {}, c.endsWith('_Time') ? timeCell(r[c]) : cell(r[c]))),
                ),
              ),
            ),
          ),
        ),
      );
    }
    const more = a?.info.more_records === true;
    replace(
      pager,
      h('button', { type: 'button', disabled: page === 1, onclick: () => ((page -= 1), spawn(load())) }, '← Previous'),
      h('span', {}, `Page ${num(page)}`),
      h('button', { type: 'button', disabled: !more, onclick: () => ((page += 1), spawn(load())) }, 'Next →'),
    );
  };
  const loadFields = async () => {
    const a = await zoho<{ fields: Array<{ api_name: string; data_type: string }> }>(
      orgSel.value,
      'GET',
      `/crm/v2.1/settings/fields?module=${encodeURIComponent(moduleSel.value)}`,
    );
    const fields = a?.fields ?? [];
    columns = fields
      .filter((f) => !['subform', 'multiselectpicklist', 'fileupload', 'imageupload'].includes(f.data_type))
      .map((f) => f.api_name);
    replace(
      fieldSel,
      h('option', { value: '' }, '(no search)'),
      columns.map((c) => h('option', { value: c }, c)),
    );
    page = 1;
    await load();
  };
  const loadModules = async () => {
    const a = await zoho<{ modules: Array<{ api_name: string; api_supported: boolean }> }>(
      orgSel.value,
      'GET',
      '/crm/v2.1/settings/modules',
    );
    const mods = (a?.modules ?? []).filter((m) => m.api_supported).map((m) => m.api_name);
    const want = params.get('module') ?? moduleSel.value;
    replace(
      moduleSel,
      mods.map((m) => h('option', { value: m }, m)),
    );
    moduleSel.value = mods.includes(want) ? want : mods.includes('Leads') ? 'Leads' : (mods[0] ?? '');
    await loadFields();
  };
  orgSel.addEventListener('change', () => {
    chooseOrg(orgSel.value);
    spawn(loadModules());
  });
  moduleSel.addEventListener('change', () => spawn(loadFields()));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    page = 1;
    spawn(load());
  });
  await loadModules();
}
