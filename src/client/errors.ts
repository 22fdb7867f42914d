/**
 * Known error codes. Codes from the API are Zoho's own (see docs/errors.md); token errors keep the
 * accounts server's lowercase codes (`invalid_code`, `invalid_client`); the rest are the client's:
 * NETWORK_ERROR (nothing answered), UNEXPECTED_RESPONSE (something answered, but not like Zoho),
 * LINK_NOT_VALID (the download server's 403).
 */
export type ZohoErrorCode =
  | 'INVALID_TOKEN'
  | 'AUTHENTICATION_FAILURE'
  | 'OAUTH_SCOPE_MISMATCH'
  | 'NO_PERMISSION'
  | 'AUTHORIZATION_FAILED'
  | 'INVALID_URL_PATTERN'
  | 'INVALID_REQUEST_METHOD'
  | 'RESOURCE_NOT_FOUND'
  | 'INVALID_FILE_FORMAT'
  | 'FILE_TOO_LARGE'
  | 'FILE_NOT_SUPPORTED'
  | 'NOT_SUPPORTED_FEATURE'
  | 'MANDATORY_NOT_FOUND'
  | 'MANDATORY_FIELDS_NOT_MAPPED'
  | 'INVALID_FIELD'
  | 'INVALID_FORMAT'
  | 'INVALID_FILE_ID'
  | 'HEADER_LIMIT_EXCEEDED'
  | 'COLUMN_INDEX_NOT_FOUND'
  | 'MODULE_NOT_AVAILABLE'
  | 'INVALID_DATA'
  | 'LIMIT_EXCEEDED'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR'
  | 'invalid_code'
  | 'invalid_client'
  | 'invalid_client_secret'
  | 'NETWORK_ERROR'
  | 'UNEXPECTED_RESPONSE'
  | 'LINK_NOT_VALID'
  | (string & {});

/** The step of the bulk write flow a request belonged to. */
export type Step = 'token' | 'upload' | 'create' | 'job' | 'download';

/** Any failure of a request to Zoho or bulkwrite: the API's error answer, or no usable answer at all. */
export class ZohoApiError extends Error {
  override readonly name = 'ZohoApiError';
  /** Zoho's code, or one of the client's (see ZohoErrorCode). */
  readonly code: ZohoErrorCode;
  /** The HTTP status of the answer; 0 when there was no answer (network error). */
  readonly httpStatus: number;
  /** Zoho's `details` object, or what the client knows (url, content type, the cause's code). */
  readonly details: Record<string, unknown>;
  readonly step: Step;
  readonly method: string;
  readonly url: string;

  constructor(init: {
    code: ZohoErrorCode;
    httpStatus: number;
    message: string;
    details?: Record<string, unknown>;
    step: Step;
    method: string;
    url: string;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.details = init.details ?? {};
    this.step = init.step;
    this.method = init.method;
    this.url = init.url;
  }
}

export type InputErrorCode =
  'FILE_NOT_FOUND' | 'FILE_NOT_READABLE' | 'CSV_EMPTY' | 'CSV_HEADER_MISMATCH' | 'INVALID_OPTION';

/** A problem with what the caller gave (a missing file, a mapping that does not fit the CSV), found before any request. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly code: InputErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
