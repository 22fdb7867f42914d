/** Domain values of a bulk write job. Zoho's snake_case wire names live only in api/wire.ts. */

export type Operation = 'insert' | 'update' | 'upsert';
export const OPERATIONS: readonly Operation[] = ['insert', 'update', 'upsert'];

/** A job's operation: the three of bulk write, or a bulk read (docs/bulk-read.md). */
export type JobOperation = Operation | 'read';

/** A write job's operation; a bulk read job reaching write code is a bug, said at once. */
export function writeOperationOf(spec: { operation: JobOperation }): Operation {
  if (spec.operation === 'read') throw new Error('a bulk read job has no write operation');
  return spec.operation;
}

export type JobStatus = 'ADDED' | 'INPROGRESS' | 'COMPLETED' | 'FAILED';

export interface User {
  id: string;
  name: string;
  email: string;
}

export interface Org {
  id: string;
  name: string;
  /** An IANA time zone name; times on the wire carry this zone's offset. */
  timeZone: string;
  user: User;
  createdAt: number;
}

export interface FieldMapping {
  apiName: string;
  index: number | null;
  format: string | null;
  findBy: string | null;
  module: string | null;
  defaultValue: Record<string, unknown> | null;
  /** v6+ parent/child jobs: the key column's index in the parent CSV. Absent in jobs of earlier versions. */
  parentColumnIndex?: number | null;
}

export interface JobResource {
  type: 'data';
  module: { apiName: string; id: string };
  fileId: string;
  findBy: string | null;
  /** The resource-level setting; null when the request gave none (the job's top-level value then applies). */
  ignoreEmpty: boolean | null;
  /** As requested; when the request had none they are derived from the CSV header. */
  fieldMappings: FieldMapping[];
  /** True when the request had no field_mappings and the header row named the fields. */
  autoMapped: boolean;
  /** v6+: the CSV names inside the zip this resource reads, as requested; absent when not given. */
  fileNames?: string[];
  /**
   * The CSV of the zip this resource reads, resolved from `fileNames` when the zip holds several;
   * absent when the zip holds one CSV (jobs stored before parent/child support never have it).
   */
  csvName?: string;
  /** Parent/child jobs: the rows of this resource's CSV, as counted at upload. Absent in one-resource jobs. */
  csvRows?: number;
}

export interface JobCounts {
  added: number;
  updated: number;
  skipped: number;
  total: number;
}

/** Bulk read criteria (docs/bulk-read.md#criteria): one condition, or a group of two or more joined by and/or. */
export type ReadCriteria = ReadCondition | ReadGroup;

export const READ_COMPARATORS = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'less_than',
  'less_equal',
  'greater_than',
  'greater_equal',
  'between',
  'not_between',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
] as const;
export type ReadComparator = (typeof READ_COMPARATORS)[number];

export interface ReadCondition {
  apiName: string;
  comparator: ReadComparator;
  /** As given: a string, number or boolean; an array for in, not_in, between, not_between. */
  value: string | number | boolean | Array<string | number | boolean>;
  /** True when the request named the field as `field: {api_name}` (v8's shape), so it is echoed so. */
  byField: boolean;
}

export interface ReadGroup {
  groupOperator: 'and' | 'or';
  group: ReadCriteria[];
}

/** What a bulk read job was asked for (its `query` and `file_type`). */
export interface ReadQuery {
  module: { apiName: string; id: string };
  /** The requested columns (API names), in the order asked; null when the request named none (every field). */
  fields: string[] | null;
  page: number;
  criteria: ReadCriteria | null;
  fileType: 'csv' | 'ics';
  /** Records a page holds, fixed when the job is created (BULKWRITE_READ_PAGE_SIZE); absent: 200,000. */
  perPage?: number;
  /** v7+: the `page_token` the job was created with (echoed), and the record id its page starts after. */
  pageToken?: string;
  afterId?: string;
}

/** A finished bulk read job's page: how many records it holds and whether more match after it. */
export interface ReadResult {
  count: number;
  moreRecords: boolean;
  /** The id of the page's last record (absent when it holds none): where a next_page_token continues. */
  lastId?: string;
}

export interface JobSpec {
  operation: JobOperation;
  /** Bulk read jobs only (operation 'read'); they have no resources. */
  read?: ReadQuery;
  characterEncoding: string;
  ignoreEmpty: boolean;
  /** True when the request set ignore_empty at the top level, so it is echoed there. */
  ignoreEmptyGiven: boolean;
  callback: { url: string; method: 'post' } | null;
  resources: JobResource[];
}

/** What one resource of a parent/child job has done so far; one-resource jobs use `Job.counts` alone. */
export type ResourceCounts = Omit<JobCounts, 'total'>;

export interface Job extends JobSpec {
  id: string;
  orgId: string;
  apiVersion: string;
  status: JobStatus;
  createdAt: number;
  createdBy: User;
  counts: JobCounts;
  /**
   * Parent/child jobs: the counts of each resource (in `resources` order); `counts` is their sum.
   * Null for a one-resource job, whose resource has `counts`.
   */
  resourceCounts: ResourceCounts[] | null;
  /** Name of the CSV inside the uploaded zip (the first resource's CSV in a parent/child job). */
  fileName: string;
  /**
   * The last input row (1-based, header excluded) whose outcome is committed. In a parent/child job rows
   * are numbered across the resources' CSVs in `resources` order: the second CSV's first row follows the
   * first CSV's last.
   */
  checkpointRow: number;
  failure: { code: string; message: string } | null;
  resultReady: boolean;
  /**
   * When a worker first took the job (emulator clock); kept when another worker takes it over after a
   * lost lease. Null until then, and for jobs first claimed before bulkwrite stored it.
   */
  startedAt: number | null;
  finishedAt: number | null;
  /** A completed bulk read job's page; null otherwise. */
  readResult?: ReadResult | null;
}

/** One CSV of an uploaded zip, as read at upload. */
export interface CsvEntrySummary {
  name: string;
  header: string[];
  delimiter: string;
  /** Data rows (the header row excluded; empty lines not counted). */
  rowCount: number;
  /** The encoding detected at upload, when it is not UTF-8; a job without character_encoding reads the CSV in it. */
  encoding?: string;
}

export interface UploadedFile {
  id: string;
  orgId: string;
  /** Name of the uploaded zip. */
  name: string;
  /** Name of the (first) CSV inside it; `header`, `delimiter` and `rowCount` are that CSV's. */
  csvName: string;
  size: number;
  blobKey: string;
  header: string[];
  delimiter: string;
  rowCount: number;
  createdAt: number;
  /**
   * Every CSV of the zip, in zip order; the first is the one above. More than one only in zips for
   * parent/child jobs (uploaded through a v6+ path).
   */
  csvs: CsvEntrySummary[];
}

export type RowStatus = 'ADDED' | 'UPDATED' | 'SKIPPED';

export interface RowResult {
  rowNo: number;
  status: RowStatus;
  recordId: string | null;
  errors: string | null;
}

export type RecordValue = string | number | boolean | string[] | null;
export type RecordData = Record<string, RecordValue>;

export interface StoredRecord {
  id: string;
  module: string;
  data: RecordData;
  createdAt: number;
  modifiedAt: number;
}
