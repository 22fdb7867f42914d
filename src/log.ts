import { pino, type DestinationStream, type LevelWithSilent, type Logger as PinoLogger } from 'pino';

/**
 * The one logger factory. The HTTP server (Fastify's `loggerInstance`), the job worker threads and the
 * CLI's server commands all log through pino built here: JSON lines on stderr (stdout is the CLI's), one
 * level, and the same redaction, so no process or thread logs a token or a secret.
 */

export type { PinoLogger };

/** pino's levels, most severe first, and 'silent' for none. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(value: string): value is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** A setting that names a log level; anything else stops the start with a message that says what is allowed. */
export function parseLogLevel(setting: string, value: string): LevelWithSilent {
  if (!isLogLevel(value)) throw new Error(`${setting} must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value;
}

/**
 * Fields that may carry a credential wherever they appear in a log line. Request headers and bodies are
 * never logged whole; these cover an object that is logged by mistake, and PostgreSQL's error `detail`,
 * which quotes the values of the row that failed (CSV cells).
 */
const REDACT = [
  'authorization',
  'access_token',
  'refresh_token',
  'client_secret',
  'token',
  'password',
  '*.authorization',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.token',
  '*.password',
  'req.headers.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-bulkwrite-admin-key"]',
  '*.headers["x-bulkwrite-admin-key"]',
  // @fastify/multipart logs the options it hands busboy, request headers included, at trace.
  'busboyOptions.headers',
  'err.detail',
  'error.detail',
];

export interface LoggerSettings {
  level: string;
  /** Which part of bulkwrite logs: `bulkwrite` (the API), `worker` (a job worker thread). */
  name: string;
  /** Fields every line of this logger carries (a worker thread's id). */
  bindings?: Record<string, unknown>;
}

let stderr: DestinationStream | undefined;

/** Written synchronously, so a crash loses no line; one per process or thread. */
function stderrDestination(): DestinationStream {
  return (stderr ??= pino.destination({ dest: 2, sync: true }));
}

/** Builds a logger; `destination` defaults to stderr. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): PinoLogger {
  const logger = pino(
    {
      level: parseLogLevel('the log level', settings.level),
      name: settings.name,
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination ?? stderrDestination(),
  );
  return settings.bindings ? logger.child(settings.bindings) : logger;
}

/** The (message, fields) call shape of the job worker; lines go to a pino logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function messageFirst(logger: PinoLogger): Logger {
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
  };
}
