/** Domain values of a bulk write job. Zoho's snake_case wire names live only in api/wire.ts. */

export type Operation = 'insert' | 'update' | 'upsert';
export const OPERATIONS: readonly Operation[] = ['insert', 'update', 'upsert'];

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
}

export interface JobCounts {
  added: number;
  updated: number;
  skipped: number;
  total: number;
}

export interface JobSpec {
  operation: Operation;
  characterEncoding: string;
  ignoreEmpty: boolean;
  /** True when the request set ignore_empty at the top level, so it is echoed there. */
  ignoreEmptyGiven: boolean;
  callback: { url: string; method: 'post' } | null;
  resources: JobResource[];
}

export interface Job extends JobSpec {
  id: string;
  orgId: string;
  apiVersion: string;
  status: JobStatus;
  createdAt: number;
  createdBy: User;
  counts: JobCounts;
  /** Name of the CSV inside the uploaded zip. */
  fileName: string;
  /** The last input row (1-based, header excluded) whose outcome is committed. */
  checkpointRow: number;
  failure: { code: string; message: string } | null;
  resultReady: boolean;
  finishedAt: number | null;
}

export interface UploadedFile {
  id: string;
  orgId: string;
  /** Name of the uploaded zip. */
  name: string;
  /** Name of the one CSV inside it. */
  csvName: string;
  size: number;
  blobKey: string;
  header: string[];
  delimiter: string;
  rowCount: number;
  createdAt: number;
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
