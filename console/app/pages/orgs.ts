import { admin, errorText } from '../api.js';
import { h, notice, replace, spawn, time } from '../dom.js';
import { loadOrgs, type PageLife } from '../state.js';

interface SchemaAnswer {
  schema: unknown;
  version: number | null;
}

/** The store's orgs: list, create (with a schema document), and each org's schema. */
export async function orgsPage(main: HTMLElement, life: PageLife): Promise<void> {
  const list = h('div', { id: 'orgs-list' });
  const schemaBox = h('section', { 'aria-labelledby': 'schema-h', id: 'schema' });
  const name = h('input', { id: 'org-name', type: 'text', required: true, maxlength: 200 });
  const zone = h('input', {
    id: 'org-zone',
    type: 'text',
    value: Intl.DateTimeFormat().resolvedOptions().timeZone,
    maxlength: 100,
  });
  const schema = h('textarea', {
    id: 'org-schema',
    rows: 6,
    placeholder: '{"modules": [...]} (optional; see docs/modules.md)',
  });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card' },
    h('h2', {}, 'Create an org'),
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field' }, h('label', { for: 'org-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'org-zone' }, 'Time zone (IANA)'), zone),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'org-schema' }, 'Custom modules and fields (schema document, JSON)'),
      schema,
    ),
    status,
    h('button', { type: 'submit' }, 'Create the org'),
  );
  replace(main, h('h1', {}, 'Orgs'), list, schemaBox, form);

  const showSchema = async (orgId: string) => {
    const a = await admin<SchemaAnswer>('GET', `/_bulkwrite/console/orgs/${encodeURIComponent(orgId)}/schema`);
    if (!life.alive) return;
    replace(
      schemaBox,
      h('h2', { id: 'schema-h' }, `Schema of ${orgId}`),
      a.schema === null
        ? notice('empty', 'No custom modules or fields: the standard modules only.')
        : h('pre', { tabindex: '0' }, JSON.stringify(a.schema, null, 2)),
    );
  };
  const render = async (fresh: boolean) => {
    const orgs = await loadOrgs(fresh);
    if (!life.alive) return;
    replace(
      list,
      orgs.length === 0
        ? notice('empty', 'No org yet: create one below.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              {},
              h('caption', { class: 'visually-hidden' }, 'Orgs, oldest first'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Org id', 'Name', 'Time zone', 'User', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                orgs.map((o) =>
                  h(
                    'tr',
                    { 'data-org': o.org_id },
                    h('td', {}, o.org_id, o.default ? ' (default)' : ''),
                    h('td', {}, o.name),
                    h('td', {}, o.time_zone),
                    h('td', {}, o.user.email),
                    h('td', { class: 'time' }, time(Date.parse(o.created_time), o.time_zone)),
                    h(
                      'td',
                      {},
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'secondary',
                          'aria-label': `Show the schema of ${o.name}`,
                          onclick: () => spawn(showSchema(o.org_id)),
                        },
                        'Schema',
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let doc: unknown;
    if (schema.value.trim() !== '') {
      try {
        doc = JSON.parse(schema.value);
      } catch {
        replace(status, notice('error', 'The schema is not valid JSON.'));
        return;
      }
    }
    admin<{ org_id: string }>('POST', '/_bulkwrite/orgs', {
      name: name.value,
      time_zone: zone.value || undefined,
      ...(doc === undefined ? {} : { schema: doc }),
    })
      .then(async (o) => {
        replace(status, notice('info', `Created org ${o.org_id}. Get a token for it on the Connect page.`));
        await render(true);
      })
      .catch((e: unknown) => replace(status, notice('error', `Not created: ${errorText(e)}`)));
  });
  await render(false);
}
