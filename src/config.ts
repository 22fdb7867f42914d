import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DATA_CENTRE_NAMES, type DataCentreName } from './data-centres.js';
import { EgressPolicy, parseRules } from './egress/egress-policy.js';
import { LOG_LEVELS } from './log.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** A postgres:// URL: share one PostgreSQL between processes. Empty: SQLite in dataDir. */
  databaseUrl: string;
  /** The URL clients reach this server at; download_url and api_domain are built from it. Empty: derived from host and port. */
  publicUrl: string;
  /** The Zoho data centre to present as (api_domain, accounts URL, download host) when publicUrl is empty. '': this server's own address. */
  dc: DataCentreName | '';
  /** PEM files of a certificate (chain) and its key: `serve` speaks HTTPS with them. Empty: plain HTTP. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Peers (CIDRs, addresses) whose X-Forwarded-For/-Proto/-Host are believed. Empty: nobody's. */
  trustedProxies: string[];
  /** Runs the job worker inside `serve`. */
  worker: boolean;
  /** Serves the web console at /console/ (docs/console.md). */
  console: boolean;
  limits: {
    maxUploadBytes: number;
    maxRows: number;
    maxColumns: number;
    /** An upload's CSV bytes once inflated (all its CSVs together). */
    maxUncompressedBytes: number;
    /** Inflated bytes per compressed byte of one CSV of an upload, counted past its first MiB. */
    maxCompressionRatio: number;
    /** The longest header line of an uploaded CSV, in bytes. */
    maxHeaderBytes: number;
    /** The longest record of an uploaded CSV, in bytes (line breaks inside quotes included). */
    maxRecordBytes: number;
  };
  /** Rows per transaction while processing a job. Memory is bounded by this, not by the file. */
  batchSize: number;
  /** Records one bulk read page (one read job) holds; Zoho's is 200,000. */
  readPageSize: number;
  tokenTtlSeconds: number;
  /** Access tokens one refresh token may get per 10 minutes (Zoho: 10); 0 turns the limit off. */
  tokenRateLimit: number;
  callback: {
    attempts: number;
    timeoutMs: number;
    backoffMs: number;
    /** Egress rules (CIDRs, addresses, host patterns) that permit a callback target the defaults refuse. */
    allow: string[];
    /** Egress rules that refuse a callback target whatever else says (egress/egress-policy.ts). */
    deny: string[];
  };
  /** 'documented': upload errors answer 400/413 as Zoho's docs say; 'observed': 200 with status "error", as recorded from Zoho. */
  uploadErrorStatus: 'documented' | 'observed';
  /** How often an idle worker looks for new jobs, in milliseconds (it is also woken directly when a job is created). */
  pollIntervalMs: number;
  /** A worker thread warms its job pipeline up on generated rows the first time it is idle (jobs/warm-up.ts). */
  warmUp: boolean;
  /** How long a claimed job stays leased to a worker without renewal. */
  leaseMs: number;
  /**
   * How long the API serves an access token or an org from memory once read (storage/read-cache.ts): a
   * token revoked or an org changed by another process is seen within this time. 0 turns it off.
   */
  cacheTtlMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** A custom modules and fields document applied to the default org at start (docs/modules.md). Empty: none. */
  schemaFile: string;
  /**
   * The key every /_bulkwrite/ (admin) call and the console must present. Empty: they are answered on
   * loopback connections only.
   */
  adminKey: string;
  /** Hours an uploaded file is kept (jobs/janitor.ts); 0: forever. A file an unfinished job reads is kept. */
  uploadRetentionHours: number;
  /** Hours a finished job's result (zip, row outcomes) is kept and its download link valid; 0: forever. */
  resultRetentionHours: number;
  /** Hours a finished job is kept, then deleted with its result; 0: forever. */
  jobRetentionHours: number;
  /** The input columns a result CSV echoes: Zoho's first three mapped ones, or all (jobs/result-file.ts). */
  resultColumns: 'zoho' | 'all';
  /** How often the janitor removes what retention let go. */
  janitorIntervalMs: number;
  /** Below this many MB free in the data folder, uploads are refused with INSUFFICIENT_STORAGE; 0: no check. */
  minFreeDiskMb: number;
}

/** One setting: its variable, the serve/credentials flag that overrides it, its default and its meaning. */
export interface Setting {
  env: `BULKWRITE_${string}`;
  flag?: `--${string}`;
  /** The default as docs/configuration.md shows it. */
  shownDefault: string;
  meaning: string;
  /** Parses the variable's value (unset or empty: the default) into `config`; throws on a bad value. */
  apply(config: Config, raw: string | undefined): void;
}

type Parser<T> = (raw: string, env: string) => T;

function setting<T>(spec: {
  env: Setting['env'];
  flag?: Setting['flag'];
  default: T;
  /** When the value alone says too little (a byte count, a computed default). */
  shownDefault?: string;
  meaning: string;
  parse: Parser<T>;
  put: (config: Config, value: T) => void;
}): Setting {
  return {
    env: spec.env,
    flag: spec.flag,
    shownDefault: spec.shownDefault ?? `\`${String(spec.default)}\``,
    meaning: spec.meaning,
    apply: (config, raw) =>
      spec.put(config, raw === undefined || raw === '' ? spec.default : spec.parse(raw, spec.env)),
  };
}

const text: Parser<string> = (raw) => raw;

function int(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw, env) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(
        `${env} must be a whole number >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got "${raw}"`,
      );
    }
    return value;
  };
}

const bool: Parser<boolean> = (raw, env) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${env} must be true or false, got "${raw}"`);
};

function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw, env) => {
    const value = raw.trim().toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      throw new Error(`${env} must be one of ${values.join(', ')}, got "${raw}"`);
    }
    return value as T;
  };
}

/** Every server setting, in the order docs/configuration.md lists them (`npm run docs:config` writes its table). */
export const SETTINGS: readonly Setting[] = [
  setting({
    env: 'BULKWRITE_PORT',
    flag: '--port',
    default: 8080,
    meaning: 'port to listen on; `0` picks a free one (printed at start)',
    parse: int(0, 65535),
    put: (c, v) => (c.port = v),
  }),
  setting({
    env: 'BULKWRITE_HOST',
    flag: '--host',
    default: '127.0.0.1',
    meaning: 'address to bind',
    parse: text,
    put: (c, v) => (c.host = v),
  }),
  setting({
    env: 'BULKWRITE_DATA_DIR',
    flag: '--data-dir',
    default: 'data',
    shownDefault: '`./data`',
    meaning:
      'the SQLite database (`bulkwrite.db`) and the uploaded and result zips (`blobs/`); with PostgreSQL, the zips only',
    parse: text,
    put: (c, v) => (c.dataDir = v),
  }),
  setting({
    env: 'BULKWRITE_DATABASE_URL',
    default: '',
    shownDefault: '(none: SQLite)',
    meaning:
      'a `postgres://` URL: keep jobs and records in PostgreSQL, shared by many `serve --no-worker` and `worker` processes ([deployment.md](deployment.md))',
    parse: text,
    put: (c, v) => (c.databaseUrl = v),
  }),
  setting({
    env: 'BULKWRITE_PUBLIC_URL',
    flag: '--public-url',
    default: '',
    shownDefault: '`http://<host>:<port>`',
    meaning: 'the URL clients reach the server at; `api_domain` and `download_url` use it',
    parse: text,
    put: (c, v) => (c.publicUrl = v),
  }),
  setting<DataCentreName | ''>({
    env: 'BULKWRITE_DC',
    flag: '--dc',
    default: '',
    shownDefault: '(none)',
    meaning: `present as a Zoho data centre, ${DATA_CENTRE_NAMES.map((n) => `\`${n}\``).join(' ')}: \`api_domain\` and download links name that DC's hosts unless \`BULKWRITE_PUBLIC_URL\` is set ([data-centres.md](data-centres.md))`,
    parse: oneOf(DATA_CENTRE_NAMES),
    put: (c, v) => (c.dc = v),
  }),
  setting({
    env: 'BULKWRITE_WORKER',
    flag: '--no-worker',
    default: true,
    meaning: 'run the job worker inside `serve` (`--no-worker` says false)',
    parse: bool,
    put: (c, v) => (c.worker = v),
  }),
  setting({
    env: 'BULKWRITE_CONSOLE',
    flag: '--no-console',
    default: true,
    meaning: 'serve the web console at `/console/` ([console.md](console.md); `--no-console` says false)',
    parse: bool,
    put: (c, v) => (c.console = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_UPLOAD_BYTES',
    default: 25 * 1024 * 1024,
    shownDefault: '`26214400` (25 MB)',
    meaning: 'larger uploads get `FILE_TOO_LARGE`',
    parse: int(1),
    put: (c, v) => (c.limits.maxUploadBytes = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_UNCOMPRESSED_BYTES',
    default: 256 * 1024 * 1024,
    shownDefault: '`268435456` (256 MiB)',
    meaning:
      'an upload whose CSVs inflate to more is refused while it is read, with `FILE_TOO_LARGE` (`details.reason` `uncompressed-size`)',
    parse: int(1),
    put: (c, v) => (c.limits.maxUncompressedBytes = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_COMPRESSION_RATIO',
    default: 200,
    meaning:
      'a CSV of an upload that inflates to more than this many times its compressed size (counted past its first MiB) is refused while it is read, with `FILE_TOO_LARGE` (`details.reason` `compression-ratio`)',
    parse: int(1),
    put: (c, v) => (c.limits.maxCompressionRatio = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_HEADER_BYTES',
    default: 64 * 1024,
    shownDefault: '`65536` (64 KiB)',
    meaning:
      'an uploaded CSV whose header line is longer is refused with `INVALID_FILE_FORMAT` (`details.reason` `header-length`)',
    parse: int(1),
    put: (c, v) => (c.limits.maxHeaderBytes = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_RECORD_BYTES',
    default: 1024 * 1024,
    shownDefault: '`1048576` (1 MiB)',
    meaning:
      'an uploaded CSV with a longer record (line breaks inside quotes included) is refused with `INVALID_FILE_FORMAT` (`details.reason` `record-length`); no record is ever held whole before it is measured',
    parse: int(1),
    put: (c, v) => (c.limits.maxRecordBytes = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_ROWS',
    default: 25_000,
    meaning: 'a file with more data rows is refused at create time with `LIMIT_EXCEEDED`',
    parse: int(1),
    put: (c, v) => (c.limits.maxRows = v),
  }),
  setting({
    env: 'BULKWRITE_MAX_COLUMNS',
    default: 200,
    meaning: 'more columns or mappings get `HEADER_LIMIT_EXCEEDED`',
    parse: int(1),
    put: (c, v) => (c.limits.maxColumns = v),
  }),
  setting({
    env: 'BULKWRITE_BATCH_SIZE',
    default: 5_000,
    meaning: 'rows per transaction while a job runs; memory is bounded by it',
    parse: int(1),
    put: (c, v) => (c.batchSize = v),
  }),
  setting({
    env: 'BULKWRITE_READ_PAGE_SIZE',
    flag: '--read-page-size',
    default: 200_000,
    shownDefault: "`200000` (Zoho's)",
    meaning:
      'records one bulk read page holds (`result.per_page`; page n of a read job starts after the first (n - 1) × this many matches), fixed for a job when it is created; at most 200000. A small one lets tests follow `more_records` over many pages ([bulk-read.md](bulk-read.md))',
    parse: int(1, 200_000),
    put: (c, v) => (c.readPageSize = v),
  }),
  setting({
    env: 'BULKWRITE_TOKEN_TTL_SECONDS',
    default: 3600,
    meaning: 'access token lifetime (`expires_in`)',
    parse: int(1),
    put: (c, v) => (c.tokenTtlSeconds = v),
  }),
  setting({
    env: 'BULKWRITE_TOKEN_RATE_LIMIT',
    default: 10,
    meaning:
      'access tokens one refresh token may get in 10 minutes, Zoho\'s limit; then `"error":"Access Denied"`. `0` turns it off ([accounts.md](accounts.md))',
    parse: int(0),
    put: (c, v) => (c.tokenRateLimit = v),
  }),
  setting({
    env: 'BULKWRITE_CALLBACK_ATTEMPTS',
    default: 3,
    meaning: "tries to deliver a job's callback",
    parse: int(1),
    put: (c, v) => (c.callback.attempts = v),
  }),
  setting({
    env: 'BULKWRITE_CALLBACK_TIMEOUT_MS',
    default: 5_000,
    meaning: 'time allowed for one try to deliver a callback',
    parse: int(1),
    put: (c, v) => (c.callback.timeoutMs = v),
  }),
  setting({
    env: 'BULKWRITE_CALLBACK_BACKOFF_MS',
    default: 500,
    meaning: 'first wait between callback tries; doubles each time',
    parse: int(0),
    put: (c, v) => (c.callback.backoffMs = v),
  }),
  setting<string[]>({
    env: 'BULKWRITE_CALLBACK_ALLOW',
    default: [],
    shownDefault: '(none)',
    meaning:
      'callback targets allowed although the defaults refuse them: CIDR ranges (`10.0.0.0/8`), addresses, host names or `*.example.com`, comma-separated ([callbacks.md](callbacks.md#egress-policy))',
    parse: (raw, env) => parseRules(raw, env),
    put: (c, v) => (c.callback.allow = v),
  }),
  setting<string[]>({
    env: 'BULKWRITE_CALLBACK_DENY',
    default: [],
    shownDefault: '(none)',
    meaning:
      'callback targets always refused, in the same forms; a deny rule beats an allow rule. By default a server bound to loopback may call loopback and private addresses, one bound elsewhere may not; link-local and metadata addresses are always refused unless allowed',
    parse: (raw, env) => parseRules(raw, env),
    put: (c, v) => (c.callback.deny = v),
  }),
  setting<Config['uploadErrorStatus']>({
    env: 'BULKWRITE_UPLOAD_ERROR_STATUS',
    default: 'documented',
    meaning:
      '`documented`: upload errors answer 400/413 as Zoho\'s docs say; `observed`: HTTP 200 with `"status":"error"`, as recorded from Zoho',
    parse: oneOf(['documented', 'observed']),
    put: (c, v) => (c.uploadErrorStatus = v),
  }),
  setting({
    env: 'BULKWRITE_POLL_INTERVAL_MS',
    default: 500,
    meaning: 'how often an idle worker looks for jobs (it is also woken when a job is created)',
    parse: int(10),
    put: (c, v) => (c.pollIntervalMs = v),
  }),
  setting({
    env: 'BULKWRITE_WARM_UP',
    default: true,
    meaning:
      'a worker thread, once started and idle, runs its job pipeline over ~16,000 generated rows (writing nothing), so the first job does not pay for compiling it; a job created meanwhile stops it',
    parse: bool,
    put: (c, v) => (c.warmUp = v),
  }),
  setting({
    env: 'BULKWRITE_LEASE_MS',
    default: 30_000,
    meaning: 'how long a job stays leased to a worker without progress; then another worker resumes it',
    parse: int(1000),
    put: (c, v) => (c.leaseMs = v),
  }),
  setting({
    env: 'BULKWRITE_CACHE_TTL_MS',
    default: 5_000,
    meaning:
      'how long the API serves an access token or an org from memory once read; a token revoked or an org changed by *another* process is seen within this time (revocations through the server itself apply at once). `0` turns the caches off ([deployment.md](deployment.md#caches-in-the-api-process))',
    parse: int(0),
    put: (c, v) => (c.cacheTtlMs = v),
  }),
  setting<Config['logLevel']>({
    env: 'BULKWRITE_LOG_LEVEL',
    default: 'info',
    meaning: `${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')} (pino's levels); anything else stops the server at start`,
    parse: oneOf(LOG_LEVELS),
    put: (c, v) => (c.logLevel = v),
  }),
  setting({
    env: 'BULKWRITE_SCHEMA_FILE',
    default: '',
    shownDefault: '(none)',
    meaning:
      'a JSON document of custom modules and fields applied to the default org at start ([modules.md](modules.md#custom-modules-and-fields)); `bulkwrite org schema apply FILE` does the same for any org without a restart',
    parse: text,
    put: (c, v) => (c.schemaFile = v),
  }),
  setting({
    env: 'BULKWRITE_TLS_CERT',
    flag: '--tls-cert',
    default: '',
    shownDefault: '(none: HTTP)',
    meaning:
      'a PEM certificate file (the chain, leaf first): with `BULKWRITE_TLS_KEY`, `serve` speaks HTTPS and its own URLs (`api_domain`, download links) name `https` ([operations.md](operations.md#tls))',
    parse: text,
    put: (c, v) => (c.tlsCertFile = v),
  }),
  setting({
    env: 'BULKWRITE_TLS_KEY',
    flag: '--tls-key',
    default: '',
    shownDefault: '(none)',
    meaning: 'the PEM private key file of `BULKWRITE_TLS_CERT`; one without the other stops `serve` at start',
    parse: text,
    put: (c, v) => (c.tlsKeyFile = v),
  }),
  setting<string[]>({
    env: 'BULKWRITE_TRUSTED_PROXIES',
    default: [],
    shownDefault: '(none)',
    meaning:
      "reverse proxies whose `X-Forwarded-For`, `-Proto` and `-Host` are believed: CIDRs or addresses, comma-separated (`127.0.0.1,10.0.0.0/8`). From any other peer the headers are ignored: the client address (for the admin loopback rule) is the connection's ([deployment.md](deployment.md#behind-a-reverse-proxy))",
    parse: (raw, env) => parseProxies(raw, env),
    put: (c, v) => (c.trustedProxies = v),
  }),
  setting({
    env: 'BULKWRITE_ADMIN_KEY',
    default: '',
    shownDefault: '(none: loopback only)',
    meaning:
      'the key the admin API (`/_bulkwrite/`) asks for in `X-Bulkwrite-Admin-Key`; without one, admin calls are answered on loopback connections only, and a Zoho token is never enough ([admin-api.md](admin-api.md))',
    parse: text,
    put: (c, v) => (c.adminKey = v),
  }),
  setting({
    env: 'BULKWRITE_UPLOAD_RETENTION_HOURS',
    default: 168,
    shownDefault: '`168` (7 days)',
    meaning:
      'hours an uploaded file is kept; then its zip and its `file_id` are removed (a file an unfinished job reads is kept). `0`: forever ([operations.md](operations.md#retention-and-disk))',
    parse: int(0),
    put: (c, v) => (c.uploadRetentionHours = v),
  }),
  setting({
    env: 'BULKWRITE_RESULT_RETENTION_HOURS',
    default: 168,
    shownDefault: "`168` (7 days, Zoho's v8 OpenAPI file)",
    meaning:
      "hours a finished job's download link stays valid; then it answers Zoho's 403 `Link not valid` and the result zip and row outcomes are removed. `0`: forever",
    parse: int(0),
    put: (c, v) => (c.resultRetentionHours = v),
  }),
  setting<Config['resultColumns']>({
    env: 'BULKWRITE_RESULT_COLUMNS',
    default: 'zoho',
    meaning:
      "the input columns a result CSV echoes before `STATUS`, `RECORD_ID`, `ERRORS`: `zoho`, the first three mapped columns of the upload, as Zoho's download-result page says; `all`, every column of the upload ([behaviour.md](behaviour.md))",
    parse: oneOf(['zoho', 'all']),
    put: (c, v) => (c.resultColumns = v),
  }),
  setting({
    env: 'BULKWRITE_JOB_RETENTION_HOURS',
    default: 720,
    shownDefault: '`720` (30 days)',
    meaning:
      'hours a finished job is kept; then it is deleted (its details answer `RESOURCE_NOT_FOUND`). Records it wrote stay. `0`: forever',
    parse: int(0),
    put: (c, v) => (c.jobRetentionHours = v),
  }),
  setting({
    env: 'BULKWRITE_JANITOR_INTERVAL_MS',
    default: 600_000,
    shownDefault: '`600000` (10 minutes)',
    meaning: 'how often `serve` removes what retention let go',
    parse: int(1000),
    put: (c, v) => (c.janitorIntervalMs = v),
  }),
  setting({
    env: 'BULKWRITE_MIN_FREE_DISK_MB',
    default: 1024,
    meaning:
      'below this many MB free in the data folder, uploads are refused at once with `INSUFFICIENT_STORAGE` (507) instead of failing half-way. `0`: no check',
    parse: int(0),
    put: (c, v) => (c.minFreeDiskMb = v),
  }),
];

function fromSettings(env: NodeJS.ProcessEnv): Config {
  // Every field is set by exactly one setting below.
  const config = { limits: {}, callback: {} } as Config;
  for (const s of SETTINGS) s.apply(config, env[s.env]);
  return config;
}

export const DEFAULTS: Config = fromSettings({});

/** The only reader of the server's settings. `overrides` come from command-line flags. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = { ...fromSettings(env), ...overrides };
  config.dataDir = resolve(config.dataDir);
  return config;
}

/** The base URL of this server as clients see it: `https` when it serves TLS itself. */
export function publicBaseUrl(config: Config, boundPort?: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const scheme = config.tlsCertFile ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${boundPort ?? config.port}`;
}

/** BULKWRITE_TRUSTED_PROXIES: addresses and CIDR ranges, each checked here so a typo stops the start. */
function parseProxies(raw: string, env: string): string[] {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of entries) {
    const [addr, bits, extra] = e.split('/');
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (addr?.includes(':') ? 128 : 32));
    if (extra !== undefined || !addr || !isIP(addr) || !bitsOk) {
      throw new Error(`${env} must list addresses or CIDR ranges, comma-separated; "${e}" is neither`);
    }
  }
  return entries;
}

/** The callback egress policy the settings describe, for a server bound to `config.host`. */
export function egressPolicyOf(config: Config): EgressPolicy {
  return new EgressPolicy({ bindHost: config.host, allow: config.callback.allow, deny: config.callback.deny });
}
