import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { BulkWriteClient, JobDetails, ResultFile } from '../../client/index.js';
import { intFlag, jobIdArg, parseCommand, stringFlag } from '../args.js';
import type { CommandContext } from './command-context.js';
import { clientFor, connectionFrom } from './connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from './profiles.js';
import { exitCodeFor, notWritten, printSkipped, printSummary } from './summary.js';

export const RESULT_HELP = `Usage: bulkwrite result <job id> [--out FILE] [--json] [--max-skipped N]

Downloads a completed job's result and prints its summary and the rows that were not written, with
their errors. With --out, also writes the result CSV (every row with STATUS, RECORD_ID and ERRORS); for a
parent/child job that is the parent's CSV, and FILE.zip keeps every CSV.

Options:
  --out FILE       write the result CSV to FILE; FILE.zip keeps the zip as downloaded; "-" writes the
                   CSV to stdout (and nothing else)
  --json           print the rows as JSON instead of the table
  --max-skipped N  list at most N rows that were not written (default 20)
  --no-color       no colours even on a terminal

${CONNECTION_HELP}

Exit codes: 0 every row written · 3 some rows skipped · 4 the job failed · 5 no such job, or the job
has not finished · 6 token or scope · 7 server unreachable or wrong domain. See docs/cli.md.

Examples:
  bulkwrite result 4150868000005350003
  bulkwrite result 4150868000005350003 --out leads-result.csv
  bulkwrite result 4150868000005350003 --out - | grep SKIPPED`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  out: { type: 'string' },
  json: { type: 'boolean' },
  'max-skipped': { type: 'string' },
} as const;

/**
 * Writes the result: the CSV, or the zip as downloaded when the file name ends in .zip. Returns the line
 * that says what was written.
 */
export async function saveResult(
  client: BulkWriteClient,
  job: JobDetails,
  parsed: ResultFile | null,
  path: string,
): Promise<string> {
  try {
    if (/\.zip$/i.test(path)) {
      const download = await client.downloadResult(job);
      await pipeline(download.body, createWriteStream(path));
      const csvs = job.resource.length;
      return `Result zip (as downloaded, ${csvs} CSV${csvs === 1 ? '' : 's'}) written to ${path}`;
    }
    const result = parsed ?? (await client.downloadResultRows(job));
    await writeFile(path, result.csv);
    return `Result CSV${job.resource.length > 1 ? ` of ${result.csvName}` : ''} written to ${path}`;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
    throw e;
  }
}

export async function resultCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('result', argv, OPTIONS);
  const { out, env } = ctx;
  if (help) {
    out.line(RESULT_HELP);
    return EXIT.OK;
  }
  const jobId = jobIdArg('result', positionals);
  const outFile = stringFlag(values, 'out');
  const maxSkipped = intFlag(values, 'max-skipped', 20);
  const conn = connectionFrom(values as Record<string, string | boolean | undefined>, env);
  ctx.explain.conn = conn;
  const client = clientFor(conn, env);
  ctx.explain.client = client;

  const job = await client.getJob(jobId);
  if (job.status === 'FAILED') {
    printSummary(out, job);
    return EXIT.JOB_FAILED;
  }
  if (outFile === '-') {
    const result = await client.downloadResultRows(job);
    out.stdout.write(result.csv);
    return exitCodeFor(job, result);
  }
  // A parent/child job's result has a CSV per resource; the first is the parent's.
  const files = await client.downloadResultFiles(job);
  const result = files[0]!;
  const written = outFile ? await saveResult(client, job, result, outFile) : null;
  if (values.json === true) {
    out.line(
      JSON.stringify(
        {
          job,
          columns: result.columns,
          rows: result.rows.map((r) => ({
            row: r.row,
            status: r.status,
            record_id: r.recordId,
            errors: r.errorsText,
            values: r.values,
          })),
          not_written: notWritten(result.rows).length,
        },
        null,
        2,
      ),
    );
    return exitCodeFor(job, result);
  }
  printSummary(out, job);
  // The rows each resource's CSV did not write.
  for (const file of files) {
    if (files.length > 1 && notWritten(file.rows).length > 0) {
      out.line();
      out.line(out.style('bold', file.csvName));
    }
    printSkipped(out, file, maxSkipped);
  }
  if (written) {
    out.line();
    out.line(written);
  }
  return exitCodeFor(job, result);
}
