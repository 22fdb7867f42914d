import {
  array,
  boolean,
  count,
  id,
  integer,
  knownString,
  nullable,
  object,
  oneOf,
  optional,
  record,
  string,
  type Infer,
} from './schema-kit.js';

/**
 * Every request and response of the Bulk Write API v2.1, written once: the schemas below check values at
 * run time and `Infer` gives their TypeScript types. Names are Zoho's own (snake_case), as in Zoho's docs,
 * so a body printed by the CLI reads like the documentation. Sources: the seed, spec §3–§6 and §10.
 */

export const OPERATIONS = ['insert', 'update', 'upsert'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Top-level job statuses. Zoho's prose also spells "IN PROGRESS"; responses say INPROGRESS. */
export const JOB_STATUSES = ['ADDED', 'INPROGRESS', 'IN PROGRESS', 'COMPLETED', 'FAILED'] as const;
export const FINAL_STATUSES: readonly string[] = ['COMPLETED', 'FAILED'];

// ── requests ──────────────────────────────────────────────────────────────────────────────────────────

export const FieldMappingSchema = object({
  api_name: string(),
  index: optional(nullable(integer())),
  format: optional(nullable(string())),
  find_by: optional(nullable(string())),
  module: optional(nullable(string())),
  default_value: optional(nullable(record())),
});
export type FieldMapping = Infer<typeof FieldMappingSchema>;

export const CallbackSchema = object({ url: string(), method: oneOf(['post']) });
export type Callback = Infer<typeof CallbackSchema>;

export const ResourceRequestSchema = object({
  type: oneOf(['data']),
  module: object({ api_name: optional(string()), id: optional(id()) }),
  file_id: id(),
  find_by: optional(string()),
  ignore_empty: optional(boolean()),
  field_mappings: optional(array(FieldMappingSchema)),
});
export type ResourceRequest = Infer<typeof ResourceRequestSchema>;

/** POST /crm/bulk/v2.1/write (spec §4.1). */
export const CreateJobRequestSchema = object({
  operation: oneOf(OPERATIONS),
  character_encoding: optional(string()),
  ignore_empty: optional(boolean()),
  callback: optional(CallbackSchema),
  resource: array(ResourceRequestSchema),
});
export type CreateJobRequest = Infer<typeof CreateJobRequestSchema>;

// ── responses ─────────────────────────────────────────────────────────────────────────────────────────

/** The CRM error envelope (spec §9.1): `{code, details, message, status: "error"}`. */
export const ErrorBodySchema = object({
  code: string(),
  details: optional(record()),
  message: optional(string()),
  status: oneOf(['error']),
});
export type ErrorBody = Infer<typeof ErrorBodySchema>;

/** POST /crm/v2.1/upload → 200 (spec §3.2). */
export const UploadResponseSchema = object({
  status: oneOf(['success']),
  code: knownString(['FILE_UPLOAD_SUCCESS']),
  message: string(),
  details: object({ file_id: id(), created_time: optional(string()) }),
});
export type UploadResponse = Infer<typeof UploadResponseSchema>;

export const UserSchema = object({ id: id(), name: optional(string()), email: optional(string()) });
export type User = Infer<typeof UserSchema>;

/** POST /crm/bulk/v2.1/write → 201 (spec §4.2). */
export const CreateJobResponseSchema = object({
  status: oneOf(['success']),
  code: knownString(['SUCCESS']),
  message: string(),
  details: object({ id: id(), created_by: optional(UserSchema) }),
});
export type CreateJobResponse = Infer<typeof CreateJobResponseSchema>;

/** Each field mapping as the job details echo it, unset keys as null (spec §5.2). */
export const FieldMappingEchoSchema = object({
  api_name: string(),
  index: optional(nullable(integer())),
  format: optional(nullable(string())),
  find_by: optional(nullable(string())),
  module: optional(nullable(string())),
  default_value: optional(nullable(record())),
  parent_column_index: optional(nullable(integer())),
});
export type FieldMappingEcho = Infer<typeof FieldMappingEchoSchema>;

/** The `file` of a resource: running counts; a queued job has only status (and name). */
export const FileProgressSchema = object({
  status: optional(knownString(['ADDED', 'INPROGRESS', 'IN PROGRESS', 'COMPLETED', 'SKIPPED', 'FAILED'])),
  name: optional(string()),
  added_count: optional(count()),
  skipped_count: optional(count()),
  updated_count: optional(count()),
  total_count: optional(count()),
});
export type FileProgress = Infer<typeof FileProgressSchema>;

export const ResourceDetailsSchema = object({
  status: optional(knownString(['ADDED', 'INPROGRESS', 'IN PROGRESS', 'COMPLETED', 'SKIPPED', 'FAILED'])),
  type: optional(string()),
  module: optional(object({ id: optional(id()), api_name: optional(string()) })),
  find_by: optional(nullable(string())),
  ignore_empty: optional(nullable(boolean())),
  field_mappings: optional(nullable(array(FieldMappingEchoSchema))),
  file: optional(FileProgressSchema),
  code: optional(string()),
  message: optional(string()),
});
export type ResourceDetails = Infer<typeof ResourceDetailsSchema>;

/** GET /crm/bulk/v2.1/write/{id} → 200 (spec §5.2, the seed's SUCCESS RESPONSE). */
export const JobDetailsSchema = object({
  status: knownString(JOB_STATUSES),
  character_encoding: optional(nullable(string())),
  resource: array(ResourceDetailsSchema),
  id: id(),
  callback: optional(nullable(object({ url: string(), method: string() }))),
  result: optional(nullable(object({ download_url: string() }))),
  created_by: optional(UserSchema),
  ignore_empty: optional(nullable(boolean())),
  operation: knownString(OPERATIONS),
  created_time: optional(string()),
});
export type JobDetails = Infer<typeof JobDetailsSchema>;

/** POST {accounts}/oauth/v2/token → 200, success or `{"error": "<code>"}` (spec §10.2–10.3). */
export const TokenResponseSchema = object({
  access_token: optional(string()),
  refresh_token: optional(string()),
  api_domain: optional(string()),
  token_type: optional(string()),
  expires_in: optional(count()),
  expires_in_sec: optional(count()),
  scope: optional(string()),
  error: optional(string()),
});
export type TokenResponse = Infer<typeof TokenResponseSchema>;

/** The three columns Zoho appends to every row of the result CSV (spec §6). */
export const RESULT_COLUMNS = ['STATUS', 'RECORD_ID', 'ERRORS'] as const;
export const ROW_STATUSES = ['ADDED', 'UPDATED', 'SKIPPED', 'UNPROCESSED'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number] | (string & {});
