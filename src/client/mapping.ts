import type { CsvHeader } from './csv-source.js';
import { InputError } from './errors.js';
import type { FieldMapping } from './schema.js';

export interface MappingOptions {
  /**
   * CSV column header → field API name. The target may name a lookup's key as `Field.find_by`
   * (`Account_Name.Account_Name`). An empty target leaves the column out. Columns not named here keep
   * their header as the API name, so only the columns whose header differs need an entry.
   */
  columns?: Record<string, string | null>;
  /** Field API name → a value for every row whose cell is empty or that has no column for it. */
  defaults?: Record<string, string>;
  /** The resource's find_by; it must be one of the mapped fields (or `id`). */
  findBy?: string;
}

const API_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const TARGET = /^([A-Za-z][A-Za-z0-9_]*)(?:\.([A-Za-z][A-Za-z0-9_]*))?$/;

export type MappingProblem =
  'unknown-column' | 'unmapped-columns' | 'bad-target' | 'duplicate-field' | 'find-by-not-mapped' | 'empty-header';

function mismatch(problem: MappingProblem, message: string, details: Record<string, unknown>): InputError {
  return new InputError('CSV_HEADER_MISMATCH', message, { problem, ...details });
}

function findColumn(columns: readonly string[], name: string): number {
  const exact = columns.indexOf(name);
  if (exact >= 0) return exact;
  const wanted = name.trim().toLowerCase();
  return columns.findIndex((c) => c.trim().toLowerCase() === wanted);
}

/**
 * Builds `field_mappings` for a CSV header. Without `columns` or `defaults` it returns undefined, and the
 * server maps the header itself (spec §4.1): the header must then hold field API names. Either way the
 * header is checked first, so a file that does not fit fails here, before anything is uploaded.
 */
export function buildFieldMappings(header: CsvHeader, opts: MappingOptions): FieldMapping[] | undefined {
  const cols = header.columns;
  if (cols.length === 0 || cols.every((c) => c === ''))
    throw mismatch('empty-header', 'the CSV has no header row', { header: cols });

  const columnMap = opts.columns ?? {};
  const targetOf = new Map<number, string | null>();
  for (const [name, target] of Object.entries(columnMap)) {
    const at = findColumn(cols, name);
    if (at < 0) {
      throw mismatch('unknown-column', `the mapping names a column "${name}" that is not in the CSV header`, {
        column: name,
        header: cols,
      });
    }
    targetOf.set(at, target === null || target.trim() === '' ? null : target.trim());
  }

  const mappings: FieldMapping[] = [];
  const unmapped: string[] = [];
  const seen = new Map<string, string>();
  cols.forEach((column, index) => {
    const target = targetOf.has(index) ? targetOf.get(index)! : column;
    if (target === null) return;
    const match = TARGET.exec(target);
    if (!match) {
      if (targetOf.has(index)) {
        throw mismatch('bad-target', `"${target}" is not a field API name (letters, digits and _)`, {
          column,
          target,
        });
      }
      unmapped.push(column);
      return;
    }
    const apiName = match[1]!;
    const earlier = seen.get(apiName.toLowerCase());
    if (earlier !== undefined) {
      throw mismatch('duplicate-field', `columns "${earlier}" and "${column}" both map to ${apiName}`, {
        field: apiName,
        columns: [earlier, column],
      });
    }
    seen.set(apiName.toLowerCase(), column);
    mappings.push({ api_name: apiName, index, ...(match[2] ? { find_by: match[2] } : {}) });
  });
  if (unmapped.length > 0) {
    throw mismatch(
      'unmapped-columns',
      `these CSV columns are not field API names: ${unmapped.map((c) => `"${c}"`).join(', ')}`,
      { columns: unmapped, header: cols },
    );
  }

  for (const [field, value] of Object.entries(opts.defaults ?? {})) {
    if (!API_NAME.test(field))
      throw mismatch('bad-target', `"${field}" is not a field API name (letters, digits and _)`, { target: field });
    const mapped = mappings.find((m) => m.api_name.toLowerCase() === field.toLowerCase());
    if (mapped) mapped.default_value = { value };
    else mappings.push({ api_name: field, default_value: { value } });
  }

  if (opts.findBy !== undefined) {
    const wanted = opts.findBy.toLowerCase();
    if (!mappings.some((m) => m.api_name.toLowerCase() === wanted && m.index !== undefined)) {
      throw mismatch('find-by-not-mapped', `find_by is ${opts.findBy}, but no CSV column maps to ${opts.findBy}`, {
        find_by: opts.findBy,
        fields: mappings.map((m) => m.api_name),
        header: cols,
      });
    }
  }

  const explicit = Object.keys(columnMap).length > 0 || Object.keys(opts.defaults ?? {}).length > 0;
  return explicit ? mappings : undefined;
}
