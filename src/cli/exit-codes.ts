/** The CLI's exit codes (docs/cli.md lists them; they are public API). */
export const EXIT = {
  /** Done; for import and result: every row was written. */
  OK: 0,
  /** An unexpected failure (a bug): please report it. */
  INTERNAL: 1,
  /** A usage problem: unknown command or flag, a missing file, a CSV header that does not fit the mapping, no credentials or org configured. */
  USAGE: 2,
  /** The job completed, but some rows were skipped (or not processed). */
  ROWS_SKIPPED: 3,
  /** The job failed as a whole (status FAILED). */
  JOB_FAILED: 4,
  /** The API refused the request (an unknown job id, an invalid mapping, a bad file, a result that is not ready). */
  API_ERROR: 5,
  /** Authentication or permission: an invalid or expired token, a missing scope, a refused refresh token or client. */
  AUTH: 6,
  /** The server could not be reached, or what answered is not Zoho or bulkwrite (a wrong domain). */
  UNREACHABLE: 7,
  /** --timeout passed before the job finished (the job goes on on the server). */
  TIMEOUT: 8,
  /** Interrupted with Ctrl-C (the job goes on on the server). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one clear message, with its exit code; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
