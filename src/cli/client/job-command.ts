import { jobProgress, type JobDetails } from '../../client/index.js';
import { jobIdArg, parseCommand, secondsFlag } from '../args.js';
import type { CommandContext } from './command-context.js';
import { clientFor, connectionFrom } from './connect.js';
import { EXIT } from '../exit-codes.js';
import { Stopper } from './interrupt.js';
import { formatCount, Progress, renderTable, type Output } from './output.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from './profiles.js';
import { exitCodeFor } from './summary.js';

export const JOB_HELP = `Usage: bulkwrite job <job id> [--json] [--wait [--timeout S]]

Prints every field of a bulk write job's details, named as in Zoho's response (status, operation,
created_by.name, resource[0].file.added_count, …), with the field mappings as a table.

Options:
  --json         print the response body as the API sent it
  --wait         poll until the job is COMPLETED or FAILED, with progress, then print it; the exit code
                 then tells the outcome (0 all rows written, 3 some skipped, 4 failed)
  --timeout S    with --wait: give up after S seconds (exit 8; the job goes on)
  --no-color     no colours even on a terminal

${CONNECTION_HELP}

Exit codes: 0 shown · 3/4 with --wait (see above) · 5 no such job · 6 token or scope ·
7 server unreachable or wrong domain · 8 --timeout. See docs/cli.md.

Examples:
  bulkwrite job 4150868000005350003
  bulkwrite job 4150868000005350003 --json | jq .resource[0].file
  bulkwrite job 4150868000005350003 --wait --timeout 600`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

function scalar(out: Output, value: unknown): string {
  if (value === null || value === undefined) return out.style('dim', 'null');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Flattens an object into dotted paths (`created_by.name`), leaving arrays whole. */
function flatten(value: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const rows: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0)
      rows.push(...flatten(v as Record<string, unknown>, path));
    else rows.push([path, v]);
  }
  return rows;
}

function printFields(out: Output, rows: Array<[string, unknown]>, indent: string): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) {
    const text = k === 'status' || k.endsWith('.status') ? statusStyle(out, scalar(out, v)) : scalar(out, v);
    out.line(`${indent}${out.style('dim', k.padEnd(width))}  ${text}`);
  }
}

function statusStyle(out: Output, status: string): string {
  if (status === 'COMPLETED') return out.style('green', status);
  if (status === 'FAILED') return out.style('red', status);
  return out.style('yellow', status);
}

/** Every field of the job details, in the order the API sent them. */
export function printJobDetails(out: Output, job: JobDetails): void {
  const p = jobProgress(job);
  out.line(
    `Job ${out.style('bold', job.id)}  ${statusStyle(out, job.status)}  added ${formatCount(p.added)} · updated ${formatCount(
      p.updated,
    )} · skipped ${formatCount(p.skipped)} · total ${formatCount(p.total)}`,
  );
  out.line();
  const { resource, ...top } = job;
  printFields(out, flatten(top as Record<string, unknown>), '  ');
  resource.forEach((r, i) => {
    out.line();
    out.line(`  ${out.style('bold', `resource[${i}]`)}`);
    const { field_mappings: mappings, ...rest } = r;
    printFields(out, flatten(rest as Record<string, unknown>), '    ');
    if (mappings && mappings.length > 0) {
      out.line(`    ${out.style('dim', 'field_mappings')}`);
      const keys = [...new Set(mappings.flatMap((m) => Object.keys(m)))];
      const rows = mappings.map((m) =>
        keys.map((k) => {
          const v = (m as Record<string, unknown>)[k];
          return v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        }),
      );
      for (const line of renderTable(keys, rows, out.width(), '      ')) out.line(line);
    } else {
      out.line(
        `    ${out.style('dim', 'field_mappings')}  ${out.style('dim', 'none (the CSV header names the fields)')}`,
      );
    }
  });
}

export async function jobCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('job', argv, OPTIONS);
  const { out, env } = ctx;
  if (help) {
    out.line(JOB_HELP);
    return EXIT.OK;
  }
  const jobId = jobIdArg('job', positionals);
  const timeoutMs = secondsFlag(values, 'timeout');
  const conn = connectionFrom(values as Record<string, string | boolean | undefined>, env);
  ctx.explain.conn = conn;
  const client = clientFor(conn, env);
  ctx.explain.client = client;

  let job: JobDetails;
  if (values.wait === true) {
    const stopper = new Stopper(timeoutMs);
    const progress = new Progress(out, `job ${jobId}`);
    try {
      job = await client.waitForJob(jobId, {
        signal: stopper.signal,
        onProgress: (p) => {
          if (values.json !== true) progress.update({ ...p, rows: null });
        },
      });
    } catch (e) {
      throw stopper.stopped(e, jobId) ?? e;
    } finally {
      progress.done();
      stopper.dispose();
    }
  } else {
    job = await client.getJob(jobId);
  }

  if (values.json === true) out.line(JSON.stringify(job, null, 2));
  else printJobDetails(out, job);
  return values.wait === true ? exitCodeFor(job, null) : EXIT.OK;
}
