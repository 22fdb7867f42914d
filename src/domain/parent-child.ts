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

/**
 * Rows one parent record may have in a subform or line-item CSV: Zoho's limitations page ("Subform and
 * line-item CSVs are limited to 200 rows").
 */
export const MAX_CHILD_ROWS_PER_PARENT = 200;

/**
 * Counts a subform's or line items' rows per parent, by the cell that names the parent (`Parent_Id`),
 * in file order: the 201st row naming one parent, and every later one, is over the limit. It sees every
 * row of the CSV, those before a resume's checkpoint included, so a resumed job refuses the same rows.
 * Null for a module that is neither a subform nor line items, or a job that does not map `Parent_Id`.
 */
export function childRowLimit(
  module: ModuleDef,
  resource: JobResource,
): { field: string; over(cells: readonly string[]): boolean } | null {
  if (module.subformOf === undefined) return null;
  const link = resource.fieldMappings.find((m) => m.apiName === 'Parent_Id' && m.index !== null);
  if (!link) return null;
  const index = link.index!;
  const counts = new Map<string, number>();
  return {
    field: link.apiName,
    over(cells) {
      const key = parentKey(cells[index] ?? '');
      if (key === '') return false;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n > MAX_CHILD_ROWS_PER_PARENT;
    },
  };
}
