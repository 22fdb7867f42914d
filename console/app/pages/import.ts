import { errorText, isObject, zoho } from '../api.js';
import { h, notice, num, replace, spawn } from '../dom.js';
import { chooseOrg, orgChoice, type PageLife } from '../state.js';
import { csvHeader, firstEntryHead, storedZip } from '../zip.js';
import { jobHref } from './jobs.js';

interface FieldMeta {
  api_name: string;
  field_label: string;
  data_type: string;
  system_mandatory: boolean;
  unique: unknown;
  bulk_writable?: boolean;
  read_only?: boolean;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The field a column most likely means: its api name or its label, ignoring case, spaces and underscores. */
export function suggestField(column: string, fields: FieldMeta[]): string {
  const c = norm(column.replace(/\.id$/i, ''));
  return (
    fields.find((f) => norm(f.api_name) === c)?.api_name ??
    fields.find((f) => norm(f.field_label) === c)?.api_name ??
    ''
  );
}

function labelled(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

/** Drop a CSV or zip, map its columns, start the job through the upload and create-job API, land on it. */
export async function importPage(main: HTMLElement, life: PageLife): Promise<void> {
  const choice = await orgChoice(main, 'Import', 'imp-org');
  if (choice === null) return;
  const orgSel = choice.select;
  const moduleSel = h('select', { id: 'imp-module' });
  const opSel = h(
    'select',
    { id: 'imp-operation' },
    ['insert', 'update', 'upsert'].map((o) => h('option', { value: o }, o)),
  );
  const fileIn = h('input', { id: 'imp-file', type: 'file', accept: '.csv,.zip,text/csv,application/zip' });
  const drop = h(
    'div',
    { class: 'dropzone' },
    h('p', {}, 'Drop a CSV or a zip here, or '),
    labelled('imp-file', 'choose a file', fileIn),
  );
  const fileNote = h('p', { id: 'imp-file-note', 'aria-live': 'polite' });
  const mapBox = h('section', { 'aria-labelledby': 'map-h' });
  const status = h('div', { 'aria-live': 'assertive' });
  const startBtn = h('button', { type: 'submit', id: 'imp-start', disabled: true }, 'Start the import');
  const form = h(
    'form',
    { class: 'import' },
    h(
      'div',
      { class: 'toolbar' },
      labelled('imp-org', 'Org', orgSel),
      labelled('imp-module', 'Module', moduleSel),
      labelled('imp-operation', 'Operation', opSel),
    ),
    drop,
    fileNote,
    mapBox,
    status,
    startBtn,
  );
  replace(
    main,
    h('h1', {}, 'Import'),
    h('p', {}, 'The file goes through the same upload and create-job API every client uses.'),
    form,
  );

  let fields: FieldMeta[] = [];
  let header: string[] = [];
  let upload: { blob: Blob; name: string } | null = null;
  const selects: HTMLSelectElement[] = [];
  const findBySel = h('select', { id: 'imp-find-by' });
  const defaults = h('div', { id: 'imp-defaults' });

  const loadModules = async () => {
    const org = orgSel.value;
    const a = await zoho<{ modules: Array<{ api_name: string; api_supported: boolean; plural_label: string }> }>(
      org,
      'GET',
      '/crm/v2.1/settings/modules',
    );
    const mods = (a?.modules ?? []).filter((m) => m.api_supported);
    const keep = moduleSel.value;
    replace(
      moduleSel,
      mods.map((m) => h('option', { value: m.api_name }, m.api_name)),
    );
    moduleSel.value = mods.some((m) => m.api_name === keep)
      ? keep
      : mods.some((m) => m.api_name === 'Leads')
        ? 'Leads'
        : (mods[0]?.api_name ?? '');
    await loadFields();
  };
  const loadFields = async () => {
    const a = await zoho<{ fields: FieldMeta[] }>(
      orgSel.value,
      'GET',
      `/crm/v2.1/settings/fields?module=${encodeURIComponent(moduleSel.value)}`,
    );
    fields = (a?.fields ?? []).filter((f) => f.bulk_writable !== false && f.read_only !== true);
    renderMapping();
  };
  const fieldOptions = (chosen: string, empty: string) => [
    h('option', { value: '' }, empty),
    fields.map((f) =>
      h(
        'option',
        { value: f.api_name, selected: f.api_name === chosen },
        `${f.api_name}${f.system_mandatory ? ' (mandatory)' : ''}`,
      ),
    ),
  ];
  const addDefault = () => {
    const i = defaults.children.length;
    const field = h(
      'select',
      { id: `imp-default-field-${i}`, class: 'default-field' },
      fieldOptions('', 'Choose a field'),
    );
    const value = h('input', { id: `imp-default-value-${i}`, class: 'default-value', type: 'text' });
    defaults.appendChild(
      h(
        'div',
        { class: 'toolbar' },
        labelled(`imp-default-field-${i}`, 'Default for field', field),
        labelled(`imp-default-value-${i}`, 'Value', value),
      ),
    );
  };
  const renderMapping = () => {
    selects.length = 0;
    if (header.length === 0) {
      replace(mapBox);
      startBtn.disabled = true;
      return;
    }
    const rows = header.map((col, i) => {
      const suggested = suggestField(col, fields);
      const sel = h(
        'select',
        { id: `imp-map-${i}`, 'data-column': col },
        fieldOptions(suggested, '(leave this column out)'),
      );
      selects.push(sel);
      const flag = h('span', { class: 'flag' }, suggested === '' ? 'no field of this name' : '');
      sel.addEventListener('change', () => (flag.textContent = sel.value === '' ? 'left out' : ''));
      return h(
        'tr',
        { 'data-unknown': suggested === '' ? 'true' : 'false' },
        h('td', { class: 'num' }, String(i)),
        h('th', { scope: 'row' }, h('label', { for: `imp-map-${i}` }, col)),
        h('td', {}, sel),
        h('td', {}, flag),
      );
    });
    const unknown = header.filter((c) => suggestField(c, fields) === '').length;
    replace(findBySel, fieldOptions('', '(none)'));
    replace(defaults);
    replace(
      mapBox,
      h('h2', { id: 'map-h' }, `Columns → fields of ${moduleSel.value}`),
      unknown > 0
        ? notice(
            'info',
            `${num(unknown)} column(s) match no field of ${moduleSel.value}: choose one or leave them out.`,
          )
        : null,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['#', 'Column', 'Field', ''].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, rows),
        ),
      ),
      h(
        'div',
        { class: 'toolbar' },
        labelled('imp-find-by', 'find_by (update and upsert: the field that finds the record)', findBySel),
      ),
      defaults,
      h('button', { type: 'button', class: 'secondary', onclick: addDefault }, 'Add a default value'),
    );
    startBtn.disabled = false;
  };

  const readFile = async (file: File) => {
    replace(fileNote, `Reading ${file.name}…`);
    const isZip = /\.zip$/i.test(file.name) || file.type === 'application/zip';
    let text: string;
    if (isZip) {
      const { name, head } = await firstEntryHead(file);
      text = new TextDecoder().decode(head);
      upload = { blob: file, name: file.name };
      replace(fileNote, `${file.name}: ${name}, ${num(file.size)} bytes`);
    } else {
      const data = new Uint8Array(await file.arrayBuffer());
      text = new TextDecoder().decode(data.subarray(0, 65536));
      upload = { blob: storedZip(file.name, data), name: file.name.replace(/\.[^.]*$/, '') + '.zip' };
      replace(fileNote, `${file.name}: ${num(file.size)} bytes (sent zipped)`);
    }
    header = csvHeader(text);
    renderMapping();
  };
  const takeFile = (file: File | undefined) => {
    if (!file) return;
    readFile(file).catch((e: unknown) => {
      header = [];
      upload = null;
      renderMapping();
      replace(fileNote, notice('error', `Could not read ${file.name}: ${errorText(e)}`));
    });
  };
  fileIn.addEventListener('change', () => takeFile(fileIn.files?.[0]));
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    takeFile(ev.dataTransfer?.files[0]);
  });
  orgSel.addEventListener('change', () => {
    chooseOrg(orgSel.value);
    spawn(loadModules());
  });
  moduleSel.addEventListener('change', () => spawn(loadFields()));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (upload === null) return;
    const org = orgSel.value;
    const mappings: Array<Record<string, unknown>> = selects.flatMap((s, i) =>
      s.value === '' ? [] : [{ api_name: s.value, index: i }],
    );
    for (const row of defaults.children) {
      const f = row.querySelector<HTMLSelectElement>('.default-field')?.value ?? '';
      const v = row.querySelector<HTMLInputElement>('.default-value')?.value ?? '';
      if (f !== '') mappings.push({ api_name: f, default_value: { value: v } });
    }
    if (mappings.length === 0) {
      replace(status, notice('error', 'Map at least one column to a field.'));
      return;
    }
    startBtn.disabled = true;
    replace(status, notice('info', 'Uploading…'));
    const { blob, name } = upload;
    (async () => {
      const body = new FormData();
      body.append('file', blob, name);
      const up = await zoho<{ details?: { file_id?: string } }>(org, 'POST', '/crm/v2.1/upload', body, {
        feature: 'bulk-write',
        'X-CRM-ORG': org,
      });
      const fileId = up?.details?.file_id;
      if (!fileId) throw new Error('the upload answered without a file id');
      replace(status, notice('info', 'Creating the job…'));
      const resource: Record<string, unknown> = {
        type: 'data',
        module: { api_name: moduleSel.value },
        file_id: fileId,
        field_mappings: mappings,
      };
      if (findBySel.value !== '') resource.find_by = findBySel.value;
      const created = await zoho<{ details?: { id?: string } }>(
        org,
        'POST',
        '/crm/bulk/v2.1/write',
        JSON.stringify({ operation: opSel.value, resource: [resource] }),
        { 'content-type': 'application/json' },
      );
      const id = isObject(created) && created.details?.id;
      if (!id) throw new Error('the job was not created');
      if (life.alive) location.hash = jobHref({ org_id: org, id });
    })().catch((e: unknown) => {
      startBtn.disabled = false;
      replace(status, notice('error', `The import did not start: ${errorText(e)}`));
    });
  });

  await loadModules();
}
