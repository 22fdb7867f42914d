/**
 * The registry of every error code bulkwrite answers with: Zoho's own codes, HTTP statuses and
 * messages, verbatim where Zoho publishes them (the seed, the docs, the official SDK's enum).
 * Codes are public API: add here, then to docs/errors.md, then a golden test.
 */
export const ERROR_CODES = {
  // Seed (Postman job-details examples): exact codes, statuses and messages.
  INVALID_URL_PATTERN: { httpStatus: 404, message: 'Please check if the URL trying to access is a correct one' },
  INVALID_REQUEST_METHOD: { httpStatus: 400, message: 'The http request method type is not a valid one' },
  AUTHENTICATION_FAILURE: { httpStatus: 401, message: 'Authentication failed' },
  RESOURCE_NOT_FOUND: { httpStatus: 400, message: "The requested resource doesn't exist." },
  OAUTH_SCOPE_MISMATCH: { httpStatus: 401, message: 'invalid oauth scope to access this URL' },
  // Common CRM codes.
  INVALID_TOKEN: { httpStatus: 401, message: 'invalid oauth token' },
  NO_PERMISSION: { httpStatus: 403, message: 'Permission denied to create' },
  AUTHORIZATION_FAILED: { httpStatus: 400, message: 'User does not have sufficient privilege to create.' },
  INTERNAL_ERROR: { httpStatus: 500, message: 'Internal server error occurred.' },
  TOO_MANY_REQUESTS: { httpStatus: 429, message: 'Too many requests. Please try again later.' },
  // Upload.
  INVALID_FILE_FORMAT: { httpStatus: 400, message: 'invalid file format. only zip format is supported' },
  FILE_TOO_LARGE: { httpStatus: 413, message: 'File size too large to process' },
  FILE_NOT_SUPPORTED: { httpStatus: 400, message: 'File not supported for bulk write' },
  NOT_SUPPORTED_FEATURE: { httpStatus: 400, message: 'Feature is not supported' },
  // Create job.
  MANDATORY_NOT_FOUND: { httpStatus: 400, message: 'required key operation is not found in request body.' },
  MANDATORY_FIELDS_NOT_MAPPED: { httpStatus: 400, message: 'All mandatory fields are not mapped for the layout' },
  INVALID_FIELD: { httpStatus: 400, message: 'invalid mapping. invalid api_name ast_Name.' },
  INVALID_FORMAT: { httpStatus: 400, message: 'invalid format' },
  INVALID_FILE_ID: { httpStatus: 400, message: 'improper file id' },
  HEADER_LIMIT_EXCEEDED: { httpStatus: 400, message: 'header limit exceeded' },
  COLUMN_INDEX_NOT_FOUND: { httpStatus: 400, message: 'column index not found' },
  MODULE_NOT_AVAILABLE: { httpStatus: 400, message: "Requested module 'asdf' is not available." },
  INVALID_DATA: { httpStatus: 400, message: 'invalid data' },
  LIMIT_EXCEEDED: { httpStatus: 400, message: 'limit exceeded' },
  // v8 (OAS8 `Invalid_Callback_Method`, details `{supported_callback_methods}`); the message is not published.
  INVALID_CALLBACK_METHOD: { httpStatus: 400, message: 'invalid callback method' },
  // v8 (OAS8 createBulkWriteJob 400 `INVALID_CALLBACK_URL`, example "for an unreachable callback").
  INVALID_CALLBACK_URL: { httpStatus: 400, message: 'Invalid callback URL provided' },
  // v8 create-job codes of Zoho's OpenAPI file (v8.0/bulk_write/bulk_write.yaml), HTTP 400; it gives
  // their triggers in a phrase and no message, so the messages are ours (docs/errors.md says where each is sent).
  COEXISTENCE_NOT_ALLOWED: { httpStatus: 400, message: 'the keys given cannot be used together' },
  FILE_NOT_FOUND: { httpStatus: 400, message: 'no uploaded file exists for the given file id' },
  INVALID_REQUEST: { httpStatus: 400, message: 'the request body is malformed' },
  REQUEST_BODY_NOT_SUPPORTED: { httpStatus: 400, message: 'the request body content type is not supported' },
  // Records and metadata APIs (GET /crm/{version}/{module} …): the official SDK's enums and Zoho's answers.
  INVALID_MODULE: { httpStatus: 400, message: 'the given module is not supported for this api' },
  REQUIRED_PARAM_MISSING: { httpStatus: 400, message: 'One of the expected parameter is missing' },
  INVALID_QUERY: { httpStatus: 400, message: 'invalid query formed' },
  // Records list from v4 on (Zoho's v8 OAS: DiscretePaginationLimitExceededError with `details.limit`,
  // ExpiredValueError with `details.param_name`); the messages are bulkwrite's.
  DISCRETE_PAGINATION_LIMIT_EXCEEDED: {
    httpStatus: 400,
    message: 'You can only get the first 2000 records without using page_token param.',
  },
  AMBIGUITY_DURING_PROCESSING: { httpStatus: 400, message: 'You cannot use both page and page_token.' },
  EXPIRED_VALUE: { httpStatus: 400, message: 'the page_token has expired' },
  // bulkwrite's own, answered only under /_bulkwrite/ (the admin API, docs/admin-api.md): Zoho never uses them.
  ADMIN_KEY_REQUIRED: { httpStatus: 401, message: 'this admin call needs the X-Bulkwrite-Admin-Key header' },
  ADMIN_KEY_INVALID: { httpStatus: 401, message: 'the X-Bulkwrite-Admin-Key header does not hold the admin key' },
  ADMIN_LOOPBACK_ONLY: {
    httpStatus: 403,
    message: 'admin calls are answered on loopback connections only while BULKWRITE_ADMIN_KEY is not set',
  },
  // bulkwrite's own: a browser's state-changing admin call without the console's CSRF token.
  CSRF_TOKEN_INVALID: {
    httpStatus: 403,
    message: 'this call from a browser needs the X-Bulkwrite-Csrf header the console session gave',
  },
  // bulkwrite's own: the data folder is short of space (BULKWRITE_MIN_FREE_DISK_MB); Zoho has no code for it.
  INSUFFICIENT_STORAGE: {
    httpStatus: 507,
    message: 'the server is short of disk space and cannot take uploads now; try again later',
  },
  // Bulk read create job (docs/bulk-read.md#errors): codes and message templates of the official SDKs'
  // bulk_read APIException enum (json_details.json of @zohocrm/typescript-sdk-2.1 and nodejs-sdk-2.0);
  // CVID_NOT_SUPPORTED and PAGE_RANGE_EXCEEDED's details from Zoho's v8 OpenAPI file (bulk_read.json).
  REQUEST_BODY_IS_EMPTY: { httpStatus: 400, message: 'Request body is empty.' },
  REQUEST_BODY_NOT_READABLE: { httpStatus: 400, message: 'Unable to parse the request body.' },
  MODULE_NOT_SUPPORTED: { httpStatus: 400, message: 'Invalid module for the query.' },
  QUERY_NOT_SUPPORTED: { httpStatus: 400, message: 'Invalid query for bulk read job.' },
  CVID_NOT_SUPPORTED: { httpStatus: 400, message: 'Invalid custom view id for the query.' },
  FIELD_NOT_SUPPORTED: { httpStatus: 400, message: 'Invalid field for the module provided in fields.' },
  PAGE_NOT_SUPPORTED: { httpStatus: 400, message: 'Invalid page number for query.' },
  PAGE_RANGE_EXCEEDED: { httpStatus: 400, message: 'Invalid page number for query.' },
  INVALID_CRITERIA: { httpStatus: 400, message: 'Invalid criteria for the query.' },
  AMBIGUOUS_CRITERIA: {
    httpStatus: 400,
    message: 'Ambiguous criteria. Criteria can have either {group, group_operator} or {api_name, comparator, value}.',
  },
  AMBIGUOUS_GROUP_IN_CRITERIA: {
    httpStatus: 400,
    message: 'Ambiguous group in criteria. Group should be used only when there are more than one criteria',
  },
  GROUP_OPERATOR_NOT_SUPPORTED: {
    httpStatus: 400,
    message: "Criteria doesn't support this logical group operator. Supported operators are 'and', 'or'.",
  },
  CRITERIA_LIMIT_EXCEEDED: { httpStatus: 400, message: 'Number of criteria exceeded the maximum limit' },
  FIELD_IN_CRITERIA_NOT_SUPPORTED: { httpStatus: 400, message: 'Field api name for criteria is not supported.' },
  FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED: {
    httpStatus: 400,
    message: "Field api name doesn't support this comparator for criteria.",
  },
  COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE: {
    httpStatus: 400,
    message: 'Comparator is not supported with value for criteria.',
  },
  FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE: {
    httpStatus: 400,
    message: 'Field is not supported with value for criteria.',
  },
  VALUE_LIMIT_EXCEEDED_IN_CRITERIA: { httpStatus: 400, message: 'Value exceeded limit' },
  // Job failure reasons (never an HTTP answer of their own, but they go through the same registry).
  CANNOT_PROCESS: { httpStatus: 400, message: 'The file could not be processed' },
} as const satisfies Record<string, { httpStatus: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
