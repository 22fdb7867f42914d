/**
 * bulkwrite/client: a typed client for Zoho CRM's Bulk Write API v2.1, for real Zoho (every data centre)
 * and for a bulkwrite server. It imports no server code.
 *
 * ```ts
 * import { createClient } from 'bulkwrite/client';
 * const client = createClient({ dc: 'EU', orgId: '20123456', credentials: { clientId, clientSecret, refreshToken } });
 * const { job, result } = await client.importCsv('leads.csv', { module: 'Leads', operation: 'upsert', findBy: 'Email' });
 * ```
 */
export {
  BulkWriteClient,
  createClient,
  jobProgress,
  type ClientOptions,
  type ExportEvent,
  type ExportOptions,
  type ExportOutcome,
  type ImportEvent,
  type ImportOptions,
  type ImportOutcome,
  type JobProgress,
  type RequestOptions,
  type ResultDownload,
  type WaitOptions,
} from './client.js';
export {
  READ_COMPARATORS,
  READ_FINAL_STATES,
  type ReadComparator,
  type ReadCriteria,
  type ReadJobDetails,
  type ReadJobRequest,
} from './bulk-read.js';
export { TokenSource, tokenUrlOf, type Credentials, type IssuedToken, type RefreshCredentials } from './auth.js';
export { InputError, ZohoApiError, type InputErrorCode, type Step, type ZohoErrorCode } from './errors.js';
export { DATA_CENTRES, isLocalUrl, preset, type DataCentre, type Endpoints } from './presets.js';
export { buildFieldMappings, type MappingOptions, type MappingProblem } from './mapping.js';
export {
  parseResultCsv,
  parseRowErrors,
  unzipResult,
  unzipResults,
  type ResultFile,
  type ResultRow,
  type RowError,
} from './result.js';
export { readCsvHeader, type CsvHeader } from './csv-source.js';
export type { UploadSource } from './upload-body.js';
export * from './schema.js';
export { SchemaError, type Infer, type Schema } from './schema-kit.js';
export {
  AdminApiError,
  BulkwriteAdmin,
  type AdminCredentials,
  type AdminOptions,
  type AdminOrg,
  type ClockState,
  type CreatedOrg,
  type Health,
} from './admin.js';
