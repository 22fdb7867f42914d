/**
 * Parent/child jobs (v6+): one zip with a CSV per module, the parent first in `resource`. A child row
 * names its parent by a value that also appears in the parent CSV: the child mapping's `index` column
 * holds it, and its `parent_column_index` says which column of the parent CSV to compare it with.
 * The parent's rows are written first; then each child row is linked to the record its parent row
 * became (subform and line-item rows through `Parent_Id`, linking-module rows through their lookup to
 * the parent module).
 */
import type { CsvEntrySummary, FieldMapping, JobResource, UploadedFile } from './types.js';
import type { FieldDef, ModuleDef } from './modules.js';

/** CSVs one zip may hold: one parent and its children. */
export const MAX_CSVS_PER_ZIP = 10;

/** True for the mapping that links a child resource's rows to the parent's (it has `parent_column_index`). */
export function isParentLink(m: FieldMapping): m is FieldMapping & { parentColumnIndex: number } {
  return m.parentColumnIndex !== undefined && m.parentColumnIndex !== null;
}

/** The parent CSV column a child resource links through; null for a parent or a one-resource job. */
export function parentColumnOf(resource: JobResource): number | null {
  return resource.fieldMappings.find(isParentLink)?.parentColumnIndex ?? null;
}

/** True when a child's `field` can point at a record of `parent`: the key of a parent/child link. */
export function linksToParent(field: FieldDef, parent: ModuleDef): boolean {
  if (field.type !== 'lookup' || field.lookupModules !== undefined) return false;
  return (field.lookupModule ?? '').toLowerCase() === parent.apiName.toLowerCase();
}

/** How parent and child cells are compared: exactly, apart from surrounding spaces. */
export function parentKey(cell: string): string {
  return cell.trim();
}

/** The CSV a resource reads: the one its `csvName` names, or the zip's only one. */
export function csvOf(file: UploadedFile, resource: Pick<JobResource, 'csvName'>): CsvEntrySummary | undefined {
  if (resource.csvName === undefined) return file.csvs.length === 1 ? file.csvs[0] : undefined;
  return file.csvs.find((c) => c.name === resource.csvName);
}
