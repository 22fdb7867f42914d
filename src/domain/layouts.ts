import type { Layout, ModuleDef } from './module-def.js';

/**
 * A module's layouts: `Standard`, which every module with a `Layout` field has, then the org's own
 * (the schema document's `layouts`). Zoho's create-job page says to put the layout's *name* in the CSV,
 * and its samples give a layout *id* in `default_value`; both are read here, and a value that is neither
 * is refused (INVALID_DATA-Layout) rather than stored.
 */

/** The Standard layout's id: 19 digits from the module's id (its 14th–15th digits `09`). */
export function standardLayoutId(module: Pick<ModuleDef, 'id'>): string {
  return `${module.id.slice(0, 13)}09${module.id.slice(-4)}`;
}

export function layoutsOf(module: ModuleDef): readonly Layout[] {
  return [{ id: standardLayoutId(module), name: 'Standard' }, ...(module.layouts ?? [])];
}

/** The layout a CSV cell or a default names: by id, or by name without case or surrounding space. */
export function findLayout(module: ModuleDef, value: string): Layout | undefined {
  const v = value.trim();
  const all = layoutsOf(module);
  if (/^\d{1,19}$/.test(v)) return all.find((l) => l.id === v);
  const lower = v.toLowerCase();
  return all.find((l) => l.name.toLowerCase() === lower);
}
