import { compileDatePattern, type ParsedDateTime } from './date-pattern.js';
import { compileNumberFormat } from './number-format.js';
import { normaliseValue, uniqueKey, type ValueContext } from './field-values.js';
import type { FieldDef, ModuleDef } from './modules.js';
import { isParentLink, parentKey } from './parent-child.js';
import { lookupTargetOf } from './job-request.js';
import { findLayout } from './layouts.js';
import { STANDARD_CATALOGUE, type Catalogue } from './org-schema.js';
import {
  writeOperationOf,
  type JobResource,
  type JobSpec,
  type Operation,
  type RecordData,
  type RecordValue,
} from './types.js';

export interface PlanColumn {
  field: FieldDef;
  index: number | null;
  defaultValue: string | null;
  ctx: ValueContext;
  /** For lookups: the target field to match on (id, a unique field, the display field), or for Owner id/email. */
  findBy: string | null;
  /**
   * The lookup's target module; null for a multi-module lookup (What_Id) whose row names it in
   * `$se_module`. A What_Id mapping that names its `module` has that one.
   */
  targetModule: ModuleDef | null;
  /** A multi-module lookup whose mapping names its module: every row's `$se_module` is that module. */
  fixedSeModule: string | null;
  /**
   * `default_value: {name, module}`: an empty cell falls back to the record of `target` whose display
   * field (`findBy`) is `name`, resolved like any lookup cell.
   */
  defaultLookup: { name: string; target: ModuleDef; findBy: string } | null;
  /**
   * The child's link to its parent in a parent/child job: the parent rows' key values → the records they
   * became. The cell is looked up here instead of among stored records.
   */
  parentIds: ReadonlyMap<string, string> | null;
}

export interface RowPlan {
  module: ModuleDef;
  operation: Operation;
  findBy: string | null;
  ignoreEmpty: boolean;
  columns: PlanColumn[];
  findByColumn: PlanColumn | null;
  uniqueColumns: PlanColumn[];
  /** A multi-module lookup column (What_Id), if mapped; its rows pick the target module by `$se_module`. */
  multiModuleColumn: PlanColumn | null;
  /** Target modules a `$se_module` value may name, by that value. */
  seModules: ReadonlyMap<string, ModuleDef>;
}

/** A lookup cell the worker must resolve against stored records or users before deciding. */
export interface LookupRef {
  column: PlanColumn;
  value: string;
  /** The module to look in: the column's target, or for a multi-module lookup the row's `$se_module`. */
  target: ModuleDef | null;
  /** The target's field to match the value on: null or `id` for a record id. */
  findBy: string | null;
}

/** How a lookup value is matched in its target module: by id, by a unique key, or by display text. */
export type LookupMatch = { by: 'id' } | { by: 'key'; field: string } | { by: 'text'; fields: string[] };

/**
 * A lookup's match in its target. A unique field matches by its key; any other field (a display field
 * such as Product_Name) by its text, and Full_Name by First_Name and Last_Name joined, as Zoho derives it.
 */
export function lookupMatch(target: ModuleDef, findBy: string | null): LookupMatch {
  if (findBy === null || findBy === 'id') return { by: 'id' };
  if (target.fields.get(findBy)?.unique) return { by: 'key', field: findBy };
  if (findBy === 'Full_Name' && target.fields.has('Last_Name'))
    return { by: 'text', fields: ['First_Name', 'Last_Name'] };
  return { by: 'text', fields: [findBy] };
}

export interface MappedRow {
  rowNo: number;
  /** Fields to write. A null value clears the field; a field left out is not touched. */
  values: RecordData;
  /** Error code → field API names, in the order found. */
  errors: Map<string, string[]>;
  /** The normalised find_by value (a record id or a unique key), or null when the cell is empty. */
  matchKey: string | null;
  lookups: LookupRef[];
  /**
   * Upsert with ignore_empty: the mandatory fields whose cells are empty. Whether the row updates (and
   * leaves them alone) or inserts (and cannot do without them) is known only once it is matched.
   */
  emptyMandatory: string[];
}

export function compileRowPlan(
  spec: JobSpec,
  resource: JobResource,
  offset: string,
  catalogue: Catalogue = STANDARD_CATALOGUE,
  /** A child resource of a parent/child job: its parent rows' key values → their record ids. */
  parentIds: ReadonlyMap<string, string> | null = null,
  /** The job's creation time in the org's zone: the centre of the century window of two-digit years. */
  reference?: ParsedDateTime,
): RowPlan {
  const findModule = catalogue.find;
  const module = findModule({ apiName: resource.module.apiName });
  if (!module) throw new Error(`module ${resource.module.apiName} vanished from the catalogue`);
  const columns: PlanColumn[] = resource.fieldMappings.map((m) => {
    const field = module.fields.get(m.apiName);
    if (!field) throw new Error(`field ${m.apiName} vanished from ${module.apiName}`);
    // A Layout's default may name the layout (`name`); any other field's is its `value`.
    const dv = m.defaultValue?.value ?? (field.type === 'layout' ? m.defaultValue?.name : undefined);
    const target = lookupTargetOf(catalogue, field, m.module) ?? null;
    const dvName = m.defaultValue?.name;
    const dvTarget =
      typeof dvName === 'string' && field.type === 'lookup'
        ? lookupTargetOf(catalogue, field, (m.defaultValue?.module as string | undefined) ?? m.module)
        : undefined;
    return {
      field,
      index: m.index,
      defaultValue: dv === undefined || dv === null ? null : String(dv),
      ctx: valueContext(field, m.format, offset, reference),
      findBy: m.findBy,
      targetModule: target,
      fixedSeModule: field.lookupModules && target ? target.apiName : null,
      defaultLookup: dvTarget ? { name: dvName as string, target: dvTarget, findBy: dvTarget.displayField } : null,
      parentIds: isParentLink(m) ? parentIds : null,
    };
  });
  const multi = columns.find((c) => c.field.lookupModules !== undefined) ?? null;
  return {
    module,
    operation: writeOperationOf(spec),
    findBy: resource.findBy,
    ignoreEmpty: resource.ignoreEmpty ?? spec.ignoreEmpty,
    columns,
    findByColumn: resource.findBy ? (columns.find((c) => c.field.apiName === resource.findBy) ?? null) : null,
    uniqueColumns: columns.filter((c) => c.field.unique),
    multiModuleColumn: multi,
    seModules: new Map(
      (multi?.field.lookupModules ?? []).flatMap((name) => {
        const m = findModule({ apiName: name });
        return m ? [[name, m] as const] : [];
      }),
    ),
  };
}

function valueContext(
  field: FieldDef,
  format: string | null,
  offset: string,
  reference?: ParsedDateTime,
): ValueContext {
  if (format === null) return { dateParser: null, offset };
  if (field.type === 'date' || field.type === 'datetime') {
    return { dateParser: compileDatePattern(format, reference), offset };
  }
  return { dateParser: null, offset, numberFormat: compileNumberFormat(format) ?? undefined };
}

function addErrorTo(errors: Map<string, string[]>, code: string, field: string): void {
  const list = errors.get(code);
  if (list) {
    if (!list.includes(field)) list.push(field);
  } else errors.set(code, [field]);
}

// Most rows have no errors and no lookups: they share these empty containers, replaced on first use.
const NO_ERRORS: Map<string, string[]> = new Map();
const NO_LOOKUPS: LookupRef[] = [];
const NO_FIELDS: string[] = [];

/** Maps one CSV row to field values, validating each; errors are collected, never thrown. */
export function mapRow(
  plan: RowPlan,
  rowNo: number,
  cells: readonly string[],
  /** The row's text holds characters decoded from invalid bytes (U+FFFD): such a cell is INVALID_DATA. */
  undecodable = false,
): MappedRow {
  const values: RecordData = {};
  const row: MappedRow = {
    rowNo,
    values,
    errors: NO_ERRORS,
    matchKey: null,
    lookups: NO_LOOKUPS,
    emptyMandatory: NO_FIELDS,
  };
  const inserting = plan.operation === 'insert';

  for (const col of plan.columns) {
    const name = col.field.apiName;
    let raw = col.index === null ? '' : (cells[col.index] ?? '');
    if (undecodable && raw.includes('\uFFFD')) {
      // Never store a guess for bytes the encoding cannot read.
      addRowError(row, 'INVALID_DATA', name);
      continue;
    }
    let empty = raw.trim() === '';
    if (empty && col.defaultValue !== null) {
      raw = col.defaultValue;
      empty = raw.trim() === '';
    }
    if (empty && col.defaultLookup !== null) {
      const { name: dvName, target, findBy } = col.defaultLookup;
      if (row.lookups === NO_LOOKUPS) row.lookups = [];
      row.lookups.push({ column: col, value: dvName, target, findBy });
      values[name] = dvName;
      continue;
    }

    if (col === plan.findByColumn) {
      if (empty) {
        if (!inserting) addRowError(row, 'MANDATORY_NOT_FOUND', name);
        continue;
      }
      if (col.field.type === 'id') {
        if (!/^\d{1,19}$/.test(raw.trim())) addRowError(row, 'INVALID_DATA', name);
        else row.matchKey = raw.trim();
        continue;
      }
    }

    if (empty) {
      if (col.field.mandatory && (inserting || !plan.ignoreEmpty)) {
        // On update a mandatory field may be left alone (ignore_empty) but never cleared.
        addRowError(row, 'MANDATORY_NOT_FOUND', name);
      } else if (col.field.mandatory && plan.operation === 'upsert') {
        if (row.emptyMandatory === NO_FIELDS) row.emptyMandatory = [];
        row.emptyMandatory.push(name);
      } else if (!plan.ignoreEmpty) {
        values[name] = null;
      }
      continue;
    }

    if (col.field.type === 'layout') {
      // Zoho: "specify the name of the custom layout in your CSV file"; its samples give ids. Either is
      // stored as the layout's id; one the module does not have is refused, not stored.
      const layout = findLayout(plan.module, raw);
      if (layout) values[name] = layout.id;
      else addRowError(row, 'INVALID_DATA', name);
      continue;
    }

    if (col.parentIds !== null) {
      // No parent row with this key became a record (none has it, or it was skipped).
      const id = col.parentIds.get(parentKey(raw));
      if (id === undefined) addRowError(row, 'RESOURCE_NOT_FOUND', name);
      else values[name] = id;
      continue;
    }

    // A lookup matched on another field of its module (find_by) carries that field's value, not an id.
    const byOtherField = col.field.type === 'lookup' && col.findBy !== null && col.findBy !== 'id';
    const result = byOtherField ? { ok: true as const, value: raw.trim() } : normaliseValue(col.field, raw, col.ctx);
    if (!result.ok) {
      addRowError(row, 'INVALID_DATA', name);
      continue;
    }
    if (col.field.type === 'lookup' || col.field.type === 'ownerlookup') {
      if (row.lookups === NO_LOOKUPS) row.lookups = [];
      row.lookups.push({ column: col, value: String(result.value), target: col.targetModule, findBy: col.findBy });
    }
    values[name] = result.value;
    if (col === plan.findByColumn) row.matchKey = uniqueKey(result.value);
  }

  if (plan.multiModuleColumn !== null) resolveSeModule(plan, row);
  // A mandatory field that is not mapped at all (allowed on update) is never touched, so it cannot be missing.
  return row;
}

/** What_Id points into the module its row's `$se_module` names; without one it cannot be resolved. */
function resolveSeModule(plan: RowPlan, row: MappedRow) {
  const ref = row.lookups.find((l) => l.column === plan.multiModuleColumn);
  if (!ref) return;
  const fixed = plan.multiModuleColumn!.fixedSeModule;
  if (fixed !== null || ref.target !== null) {
    // The mapping's module (or a default's) names the target: a $se_module cell may only agree with it.
    const wanted = ref.target?.apiName ?? fixed!;
    const se = row.values.$se_module;
    if (typeof se === 'string' && se.toLowerCase() !== wanted.toLowerCase())
      addRowError(row, 'INVALID_DATA', '$se_module');
    else row.values.$se_module = wanted;
    return;
  }
  // A bad $se_module cell is already reported as such.
  if (row.errors.get('INVALID_DATA')?.includes('$se_module')) return;
  const se = row.values.$se_module;
  const target = typeof se === 'string' ? plan.seModules.get(se) : undefined;
  if (target) ref.target = target;
  else if (se === undefined || se === null) addRowError(row, 'MANDATORY_NOT_FOUND', '$se_module');
  else addRowError(row, 'INVALID_DATA', '$se_module');
}

/** Zoho's ERRORS cell: one `CODE-field,field` group per code, groups joined with `:`. */
export function formatErrors(errors: Map<string, string[]>): string {
  return [...errors].map(([code, fields]) => `${code}-${fields.join(',')}`).join(':');
}

/** The `CODE-field,field` groups of an ERRORS cell written by formatErrors (none for null or ''). */
export function errorGroups(errors: string | null): string[] {
  return errors === null || errors === '' ? [] : errors.split(':');
}

export function addRowError(row: MappedRow, code: string, field: string): void {
  if (row.errors === NO_ERRORS) row.errors = new Map();
  addErrorTo(row.errors, code, field);
}

export function uniqueValuesOf(plan: RowPlan, values: RecordData): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const col of plan.uniqueColumns) {
    const v: RecordValue | undefined = values[col.field.apiName];
    const k = v === undefined ? null : uniqueKey(v);
    if (k !== null) out.push([col.field.apiName, k]);
  }
  return out;
}
