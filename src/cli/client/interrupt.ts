import { CliError, EXIT } from '../exit-codes.js';

/**
 * An AbortSignal for a long wait that fires on Ctrl-C or after `timeoutMs`. The job itself goes on on
 * the server either way; `stopped()` turns the abort into the message and exit code.
 */
export class Stopper {
  private readonly controller = new AbortController();
  private why: 'timeout' | 'interrupt' | null = null;
  private readonly timer: ReturnType<typeof setTimeout> | null;
  private readonly onSigint = () => {
    if (this.why === 'interrupt') process.exit(EXIT.INTERRUPTED);
    this.why = 'interrupt';
    this.controller.abort(new Error('interrupted'));
  };

  constructor(private readonly timeoutMs?: number) {
    this.timer =
      timeoutMs !== undefined
        ? setTimeout(() => {
            this.why = 'timeout';
            this.controller.abort(new Error('timed out'));
          }, timeoutMs)
        : null;
    process.on('SIGINT', this.onSigint);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The error to report if `error` came from this stopper, else null. */
  stopped(error: unknown, jobId: string | null): CliError | null {
    if (!this.controller.signal.aborted || error !== this.controller.signal.reason) return null;
    const follow = jobId ? ` The job goes on on the server: bulkwrite job ${jobId} --wait` : '';
    if (this.why === 'timeout') {
      const s = (this.timeoutMs ?? 0) / 1000;
      return new CliError(
        `${jobId ? `job ${jobId} has not finished` : 'the import did not finish'} within --timeout ${s} s.${follow}`,
        EXIT.TIMEOUT,
      );
    }
    return new CliError(`interrupted.${follow}`, EXIT.INTERRUPTED);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGINT', this.onSigint);
  }
}
