import { basename } from 'node:path';
import { OPERATIONS, type ImportEvent, type JobDetails, type Operation, type ResultFile } from '../../client/index.js';
import { intFlag, listFlag, parseCommand, secondsFlag, splitPair, stringFlag } from '../args.js';
import type { CommandContext } from './command-context.js';
import { clientFor, connectionFrom } from './connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { Stopper } from './interrupt.js';
import { formatBytes, formatCount, Progress } from './output.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from './profiles.js';
import { saveResult } from './result-command.js';
import { recordJob } from './state.js';
import { exitCodeFor, notWritten, printSkipped, printSummary } from './summary.js';

export const IMPORT_HELP = `Usage: bulkwrite import <file.csv> --module M [--operation insert|update|upsert] [--find-by F] [options]

Zips the CSV on the fly, uploads it, creates a bulk write job, shows its progress, then downloads the
result and prints a summary and the rows that were skipped, with their errors.

Options:
  --module M             the module's API name: Leads, Contacts, Accounts, Deals, …  (required)
  --operation OP         insert (default), update or upsert
  --find-by F            the unique field (or id) that finds the record; required for update and upsert
  --map "Column=Field"   map a CSV column to a field API name (repeat it); "Column=Lookup.key" sets a
                         lookup's find_by; "Column=" leaves the column out. Columns not named keep their
                         header as the API name.
  --default "Field=V"    a value for a field in every row whose cell is empty (repeat it)
  --ignore-empty         empty cells keep the record's current value (instead of clearing it)
  --encoding E           the CSV's character encoding (default UTF-8)
  --callback-url URL     Zoho POSTs the job's details there when it ends
  --out FILE             write the result CSV to FILE (FILE.zip: the result zip as downloaded)
  --no-wait              stop once the job is created; print its id
  --timeout S            give up waiting after S seconds (exit 8; the job goes on)
  --max-skipped N        list at most N skipped rows (default 20)
  --json                 print one JSON object (the job details and the rows not written), no table
  --no-color             no colours even on a terminal (NO_COLOR works too)

${CONNECTION_HELP}

Exit codes: 0 every row written · 2 usage (flags, file, header, credentials) · 3 some rows skipped ·
4 job failed · 5 API refused · 6 token or scope · 7 server unreachable or wrong domain · 8 --timeout ·
130 Ctrl-C. See docs/cli.md.

Examples:
  bulkwrite import leads.csv --module Leads
  bulkwrite import leads.csv --module Leads --operation upsert --find-by Email \\
      --map "Last Name=Last_Name" --map "E-mail=Email" --out leads-result.csv
  bulkwrite import contacts.csv --module Contacts --map "Company=Account_Name.Account_Name"
  bulkwrite import leads.csv --module Leads --profile zoho-eu --operation update --find-by id --ignore-empty`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  module: { type: 'string' },
  operation: { type: 'string' },
  'find-by': { type: 'string' },
  map: { type: 'string', multiple: true },
  default: { type: 'string', multiple: true },
  'ignore-empty': { type: 'boolean' },
  encoding: { type: 'string' },
  'callback-url': { type: 'string' },
  out: { type: 'string' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  'max-skipped': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function importCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('import', argv, OPTIONS);
  const { out, env } = ctx;
  if (help) {
    out.line(IMPORT_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      positionals.length === 0
        ? 'bulkwrite import needs a CSV file, e.g. bulkwrite import leads.csv --module Leads'
        : `bulkwrite import takes one CSV file, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const file = positionals[0]!;
  const module = stringFlag(values, 'module');
  if (!module) throw new CliError('--module is required: the module API name, e.g. --module Leads');
  const operation = (stringFlag(values, 'operation') ?? 'insert').toLowerCase();
  if (!OPERATIONS.includes(operation as Operation))
    throw new CliError(`--operation must be insert, update or upsert, got "${operation}"`);
  const findBy = stringFlag(values, 'find-by');
  if (!findBy && operation !== 'insert') {
    throw new CliError(
      `--operation ${operation} needs --find-by: the unique field that finds each record, e.g. --find-by Email, or --find-by id`,
    );
  }
  const columns: Record<string, string> = {};
  for (const m of listFlag(values, 'map')) {
    const [column, field] = splitPair('map', m);
    columns[column] = field;
  }
  const defaults: Record<string, string> = {};
  for (const d of listFlag(values, 'default')) {
    const [field, value] = splitPair('default', d);
    defaults[field.trim()] = value;
  }
  const maxSkipped = intFlag(values, 'max-skipped', 20);
  const timeoutMs = secondsFlag(values, 'timeout');
  const callbackUrl = stringFlag(values, 'callback-url');
  const outFile = stringFlag(values, 'out');
  const json = values.json === true;
  const wait = values['no-wait'] !== true;

  const conn = connectionFrom(values as Record<string, string | boolean | undefined>, env);
  ctx.explain.conn = conn;
  const client = clientFor(conn, env);
  ctx.explain.client = client;
  if (!conn.org) {
    throw new CliError(
      `uploads need the org id (zgid, sent as X-CRM-ORG): pass --org, set BULKWRITE_ORG, or add "org" to the profile.${
        conn.local ? ' For a local bulkwrite it is org_id in "npx bulkwrite credentials --json".' : ''
      }`,
    );
  }

  const started = Date.now();
  // Set from the import's events (closures), so kept in an object the compiler does not narrow.
  const seen: { jobId: string | null; rows: number | null; progress: Progress | null } = {
    jobId: null,
    rows: null,
    progress: null,
  };
  const stopper = new Stopper(timeoutMs);
  const onEvent = (e: ImportEvent) => {
    if (e.type === 'uploaded') {
      seen.rows = e.rows;
      if (!json)
        out.note(
          `uploaded ${e.zipName}: ${formatCount(e.rows)} rows, ${formatBytes(e.csvBytes)} of CSV (file_id ${e.fileId})`,
        );
    } else if (e.type === 'created') {
      seen.jobId = e.jobId;
      try {
        recordJob(env, {
          jobId: e.jobId,
          apiDomain: conn.endpoints.apiDomain,
          org: conn.org ?? null,
          module,
          operation,
          file: basename(file),
          createdAt: new Date().toISOString(),
          profile: conn.profileName,
        });
      } catch (err) {
        // The job exists either way; only `bulkwrite jobs` will miss it.
        out.note(`note: the job could not be recorded in the history: ${(err as Error).message}`);
      }
      if (!json) out.note(`created job ${out.style('bold', e.jobId, true)} (${operation} into ${module})`);
      seen.progress = new Progress(out, `job ${e.jobId}`);
    } else if (e.type === 'progress' && !json) {
      seen.progress?.update({ ...e.progress, rows: seen.rows });
    } else if (e.type === 'finished' && !json) {
      seen.progress?.done();
    }
  };

  if (!json) {
    const how = findBy ? `${operation}, find_by ${findBy}` : operation;
    out.note(`importing ${file} into ${module} (${how}) at ${conn.endpoints.apiDomain}`);
  }
  let job: JobDetails;
  let result: ResultFile | null;
  try {
    const outcome = await client.importCsv(file, {
      module,
      operation: operation as Operation,
      ...(findBy ? { findBy } : {}),
      ...(Object.keys(columns).length ? { columns } : {}),
      ...(Object.keys(defaults).length ? { defaults } : {}),
      ...(values['ignore-empty'] ? { ignoreEmpty: true } : {}),
      ...(stringFlag(values, 'encoding') ? { characterEncoding: stringFlag(values, 'encoding')! } : {}),
      ...(callbackUrl ? { callback: { url: callbackUrl, method: 'post' as const } } : {}),
      wait,
      signal: stopper.signal,
      onEvent,
    });
    job = outcome.job;
    result = outcome.result;
  } catch (e) {
    seen.progress?.done();
    const stop = stopper.stopped(e, seen.jobId);
    if (stop) throw stop;
    if (seen.jobId) out.note(`job ${seen.jobId} was created; follow it with: bulkwrite job ${seen.jobId} --wait`);
    throw e;
  } finally {
    stopper.dispose();
  }

  if (!wait) {
    if (json) out.line(JSON.stringify({ job }, null, 2));
    else out.line(`job ${job.id} is ${job.status}; follow it with: bulkwrite job ${job.id} --wait`);
    return EXIT.OK;
  }

  const written = outFile && job.status === 'COMPLETED' ? await saveResult(client, job, result, outFile) : null;
  if (json) {
    const skipped = result ? notWritten(result.rows) : [];
    out.line(
      JSON.stringify(
        {
          job,
          rows: seen.rows,
          not_written: skipped.map((r) => ({ row: r.row, status: r.status, errors: r.errorsText, values: r.values })),
          ...(outFile ? { out: outFile } : {}),
        },
        null,
        2,
      ),
    );
    return exitCodeFor(job, result);
  }
  printSummary(out, job, { elapsedMs: Date.now() - started, ...(seen.rows !== null ? { rows: seen.rows } : {}) });
  if (result) printSkipped(out, result, maxSkipped);
  out.line();
  if (written) out.line(written);
  else if (job.status === 'COMPLETED')
    out.line(out.style('dim', `Full result: bulkwrite result ${job.id} --out result.csv`));
  return exitCodeFor(job, result);
}
