import { STANDARD_CATALOGUE } from '../../src/domain/org-schema.js';
import { compileRowPlan, type RowPlan } from '../../src/domain/row-plan.js';
import type { FieldMapping, JobResource, JobSpec, Operation } from '../../src/domain/types.js';

/** A field mapping as a validated job keeps it: nothing but the field and its column unless told. */
export const fieldMapping = (
  apiName: string,
  index: number | null,
  extra: Partial<FieldMapping> = {},
): FieldMapping => ({
  apiName,
  index,
  format: null,
  findBy: null,
  module: null,
  defaultValue: null,
  ...extra,
});

/** The row plan of a one-resource job over the standard catalogue, its org at UTC+05:30. */
export function planOf(
  operation: Operation,
  module: string,
  mappings: FieldMapping[],
  opts: {
    findBy?: string;
    ignoreEmpty?: boolean | null;
    jobIgnoreEmpty?: boolean;
    parentIds?: ReadonlyMap<string, string>;
  } = {},
): RowPlan {
  const resource: JobResource = {
    type: 'data',
    module: { apiName: module, id: '1' },
    fileId: '1',
    findBy: opts.findBy ?? null,
    ignoreEmpty: opts.ignoreEmpty ?? null,
    fieldMappings: mappings,
    autoMapped: false,
  };
  const spec: JobSpec = {
    operation,
    characterEncoding: 'UTF-8',
    ignoreEmpty: opts.jobIgnoreEmpty ?? false,
    ignoreEmptyGiven: false,
    callback: null,
    resources: [resource],
  };
  return compileRowPlan(spec, resource, '+05:30', STANDARD_CATALOGUE, opts.parentIds ?? null);
}
