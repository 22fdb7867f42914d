// DOM building without innerHTML: every value a server sent is set as text, never parsed as markup.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

const numbers = new Intl.NumberFormat();
/** A count with the user's thousands separators. */
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : numbers.format(n);
}

const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** A time in the user's zone; with `orgZone`, the org's wall time follows (the zone its API answers in). */
export function time(ms: number | null | undefined, orgZone?: string): string {
  if (ms === null || ms === undefined) return '–';
  const here = local.format(ms);
  if (orgZone === undefined) return here;
  const userZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (orgZone === userZone) return `${here} (${orgZone})`;
  try {
    const there = new Intl.DateTimeFormat(undefined, { timeStyle: 'short', dateStyle: 'short', timeZone: orgZone });
    return `${here} · ${there.format(ms)} ${orgZone}`;
  } catch {
    return here;
  }
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.toLowerCase()}` }, status);
}

/** A progress bar with its label for screen readers. */
export function progress(done: number, total: number | null, label: string): HTMLElement {
  const max = total !== null && total > 0 ? total : Math.max(done, 1);
  return h('progress', { max, value: Math.min(done, max), 'aria-label': label }, `${num(done)} / ${num(total)}`);
}

export function notice(kind: 'error' | 'info' | 'empty', ...children: Child[]): HTMLElement {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

/** Runs a promise whose failure the page has already shown (or need not): a rejection is only logged. */
export function spawn(p: Promise<unknown>): void {
  p.catch((e: unknown) => console.error(e));
}

/** A scrollable table with a header row of column names and the given body rows. */
export function table(columns: string[], rows: HTMLElement[], attrs: Attrs = {}, caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
