import { ERROR_CODES, type ErrorCode } from './codes.js';

export type ErrorDetails = Record<string, unknown>;

export interface ZohoErrorBody {
  code: string;
  details: ErrorDetails;
  message: string;
  status: 'error';
}

/** The one exception type of the server: a Zoho error code with its HTTP status and wire body. */
export class ZohoError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly httpStatus: number;

  constructor(
    code: ErrorCode,
    options: { message?: string; details?: ErrorDetails; httpStatus?: number; cause?: unknown } = {},
  ) {
    const entry = ERROR_CODES[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZohoError';
    this.code = code;
    this.details = options.details ?? {};
    this.httpStatus = options.httpStatus ?? entry.httpStatus;
  }

  toWire(): ZohoErrorBody {
    return { code: this.code, details: this.details, message: this.message, status: 'error' };
  }
}
