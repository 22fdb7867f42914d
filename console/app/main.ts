import { admin, ApiError, errorText, setCsrf } from './api.js';
import { h, notice, replace } from './dom.js';
import { loadOrgs, PageLife } from './state.js';
import { jobsPage } from './pages/jobs.js';
import { jobPage } from './pages/job.js';
import { importPage } from './pages/import.js';
import { recordsPage } from './pages/records.js';
import { connectPage } from './pages/connect.js';
import { orgsPage } from './pages/orgs.js';

interface Session {
  key_required: boolean;
  signed_in: boolean;
  csrf_token: string | null;
}

export type Page = (main: HTMLElement, life: PageLife, params: string[]) => Promise<void>;

const PAGES: Array<{ path: string; title: string; page: Page; nav: boolean }> = [
  { path: 'jobs', title: 'Jobs', page: jobsPage, nav: true },
  { path: 'job', title: 'Job', page: jobPage, nav: false },
  { path: 'import', title: 'Import', page: importPage, nav: true },
  { path: 'records', title: 'Records', page: recordsPage, nav: true },
  { path: 'connect', title: 'Connect', page: connectPage, nav: true },
  { path: 'orgs', title: 'Orgs', page: orgsPage, nav: true },
];

const root = document.getElementById('app')!;
let life: PageLife | null = null;

function shell(): { nav: HTMLElement; main: HTMLElement } {
  const nav = h('nav', { 'aria-label': 'Console' });
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(
    root,
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/jobs' }, 'bulkwrite'), nav),
    main,
  );
  return { nav, main };
}

let layout: { nav: HTMLElement; main: HTMLElement } | null = null;

async function route(): Promise<void> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const entry = PAGES.find((p) => p.path === parts[0]) ?? PAGES[0]!;
  layout ??= shell();
  replace(
    layout.nav,
    h(
      'ul',
      {},
      PAGES.filter((p) => p.nav).map((p) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `#/${p.path}`,
              'aria-current': p === entry || (entry.path === 'job' && p.path === 'jobs') ? 'page' : null,
            },
            p.title,
          ),
        ),
      ),
    ),
  );
  life?.end();
  life = new PageLife();
  document.title = `${entry.title} · bulkwrite console`;
  replace(layout.main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await entry.page(layout.main, life, parts.slice(1));
  } catch (e) {
    if (e instanceof ApiError && (e.code === 'ADMIN_KEY_REQUIRED' || e.code === 'ADMIN_KEY_INVALID')) return signIn();
    replace(
      layout.main,
      h('h1', {}, entry.title),
      notice('error', `Could not show this page: ${errorText(e)}. Reload to try again.`),
    );
  }
}

function signIn(message?: string): void {
  life?.end();
  layout = null;
  document.title = 'Sign in · bulkwrite console';
  const input = h('input', {
    id: 'admin-key',
    name: 'key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { role: 'alert', class: 'form-error' }, message ?? '');
  const form = h(
    'form',
    { class: 'card signin' },
    h('h1', {}, 'bulkwrite console'),
    h('p', {}, 'This server has an admin key (BULKWRITE_ADMIN_KEY). Enter it once; the browser keeps a session.'),
    h('label', { for: 'admin-key' }, 'Admin key'),
    input,
    status,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    admin<Session>('POST', '/_bulkwrite/console/session', { key: input.value })
      .then((s) => {
        setCsrf(s.csrf_token);
        return route();
      })
      .catch((e: unknown) => {
        status.textContent = e instanceof ApiError && e.status === 401 ? 'That is not the admin key.' : errorText(e);
        input.select();
      });
  });
  replace(root, h('main', { id: 'main' }, form));
  input.focus();
}

async function start(): Promise<void> {
  let session: Session;
  try {
    session = await admin<Session>('GET', '/_bulkwrite/console/session');
  } catch (e) {
    replace(root, h('main', { id: 'main' }, h('h1', {}, 'bulkwrite console'), notice('error', errorText(e))));
    return;
  }
  if (!session.signed_in) return signIn();
  setCsrf(session.csrf_token);
  await loadOrgs().catch(() => undefined);
  window.addEventListener('hashchange', () => {
    route().catch(() => undefined);
  });
  await route();
}

start().catch((e: unknown) => replace(root, notice('error', errorText(e))));
