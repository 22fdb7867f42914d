import {
  READ_COMPARATORS,
  ZohoApiError,
  type ExportEvent,
  type ExportOutcome,
  type ReadComparator,
  type ReadCriteria,
} from '../../client/index.js';
import { listFlag, parseCommand, secondsFlag, stringFlag } from '../args.js';
import type { CommandContext } from './command-context.js';
import { clientFor, connectionFrom } from './connect.js';
import { CliError, EXIT } from '../exit-codes.js';
import { Stopper } from './interrupt.js';
import { formatCount, formatDuration } from './output.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from './profiles.js';

export const EXPORT_HELP = `Usage: bulkwrite export <module> --out file.csv [--fields a,b] [--where 'Field:comparator:value' …]

Exports a module's records with Zoho's Bulk Read API: a read job per page of 200,000 records (page 1,
2, … while Zoho says more records follow), each polled, downloaded and appended to one CSV (header
once). The file appears only when every page is in.

Options:
  --out FILE             the CSV to write (required)
  --fields a,b           the fields' API names (default: every field); the CSV has Id first either way
  --where 'F:cmp:value'  a condition (repeat it: the conditions are and-ed). cmp is one of
                         ${READ_COMPARATORS.join(', ')}.
                         in / not_in take a,b,c; between / not_between take low,high
  --timeout S            give up after S seconds (exit 8; a job already created goes on)
  --json                 print one JSON object (records, pages, job ids, header), no progress
  --no-color             no colours even on a terminal (NO_COLOR works too)

${CONNECTION_HELP}

Exit codes: 0 exported · 2 usage (flags, --where) · 4 a read job failed · 5 API refused (unknown module
or field, a comparator the field does not take) · 6 token or scope · 7 server unreachable · 8 --timeout ·
130 Ctrl-C. See docs/cli.md.

Examples:
  bulkwrite export Leads --out leads.csv
  bulkwrite export Leads --fields Last_Name,Email,Annual_Revenue --where 'Lead_Source:equal:Web Download' \\
      --where 'Annual_Revenue:greater_than:1000' --out web-leads.csv`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  out: { type: 'string' },
  fields: { type: 'string' },
  where: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** One `--where 'Field:comparator:value'` as Zoho's condition; the value may itself hold ":". */
export function parseWhere(text: string): ReadCriteria {
  const m = /^([^:]+):([^:]+):(.*)$/s.exec(text);
  const usage = `--where takes 'Field:comparator:value', e.g. --where 'Last_Name:equal:Smith'`;
  if (!m) throw new CliError(`${usage}; got "${text}"`);
  const field = m[1]!.trim();
  const comparator = m[2]!.trim().toLowerCase();
  const raw = m[3]!;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(field))
    throw new CliError(`--where "${text}": "${field}" is not a field API name (letters, digits and _)`);
  if (!(READ_COMPARATORS as readonly string[]).includes(comparator))
    throw new CliError(
      `--where "${text}": unknown comparator "${comparator}"; use one of ${READ_COMPARATORS.join(', ')}`,
    );
  const cmp = comparator as ReadComparator;
  if (cmp === 'in' || cmp === 'not_in') {
    return { api_name: field, comparator: cmp, value: raw.split(',').map((v) => v.trim()) };
  }
  if (cmp === 'between' || cmp === 'not_between') {
    const ends = raw.split(',').map((v) => v.trim());
    if (ends.length !== 2 || ends.some((v) => v === ''))
      throw new CliError(`--where "${text}": ${cmp} takes two values, low,high`);
    return { api_name: field, comparator: cmp, value: ends };
  }
  return { api_name: field, comparator: cmp, value: raw };
}

/** Every --where, and-ed: one condition alone, or an "and" group. */
export function criteriaOf(wheres: string[]): ReadCriteria | undefined {
  const conditions = wheres.map(parseWhere);
  if (conditions.length === 0) return undefined;
  if (conditions.length === 1) return conditions[0];
  return { group_operator: 'and', group: conditions };
}

export async function exportCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('export', argv, OPTIONS);
  const { out, env } = ctx;
  if (help) {
    out.line(EXPORT_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      positionals.length === 0
        ? 'bulkwrite export needs a module, e.g. bulkwrite export Leads --out leads.csv'
        : `bulkwrite export takes one module, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const module = positionals[0]!;
  const outFile = stringFlag(values, 'out');
  if (!outFile) throw new CliError('--out is required: the CSV file to write, e.g. --out leads.csv');
  const fieldsFlag = stringFlag(values, 'fields');
  const fields = fieldsFlag
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (fieldsFlag !== undefined && !fields?.length)
    throw new CliError('--fields takes API names, e.g. --fields Last_Name,Email');
  const criteria = criteriaOf(listFlag(values, 'where'));
  const timeoutMs = secondsFlag(values, 'timeout');
  const json = values.json === true;

  const conn = connectionFrom(values as Record<string, string | boolean | undefined>, env);
  ctx.explain.conn = conn;
  const client = clientFor(conn, env);
  ctx.explain.client = client;

  const started = Date.now();
  let lastJob: string | null = null;
  let lastState = '';
  const onEvent = (e: ExportEvent) => {
    lastJob = e.jobId;
    if (json) return;
    if (e.type === 'created') out.note(`page ${e.page}: read job ${out.style('bold', e.jobId, true)}`);
    else if (e.type === 'progress' && e.state !== lastState) {
      lastState = e.state;
      out.note(`page ${e.page}: ${e.state}`);
    } else if (e.type === 'page') {
      lastState = '';
      out.note(
        `page ${e.page}: ${formatCount(e.count)} records (${formatCount(e.records)} in all)${e.moreRecords ? ', more follow' : ''}`,
      );
    }
  };
  if (!json) out.note(`exporting ${module} from ${conn.endpoints.apiDomain} to ${outFile}`);
  const stopper = new Stopper(timeoutMs);
  let outcome: ExportOutcome;
  try {
    outcome = await client.exportRecords(outFile, {
      module,
      ...(fields ? { fields } : {}),
      ...(criteria ? { criteria } : {}),
      signal: stopper.signal,
      onEvent,
    });
  } catch (e) {
    const stop = stopper.stopped(e, lastJob);
    if (stop) throw stop;
    if (e instanceof ZohoApiError && e.code === 'JOB_FAILED') throw new CliError(e.message, EXIT.JOB_FAILED);
    throw e;
  } finally {
    stopper.dispose();
  }
  if (json) {
    out.line(
      JSON.stringify(
        {
          module,
          out: outFile,
          records: outcome.records,
          pages: outcome.pages,
          job_ids: outcome.jobIds,
          header: outcome.header,
          more_records: outcome.moreRecords,
        },
        null,
        2,
      ),
    );
    return EXIT.OK;
  }
  out.line(
    `exported ${formatCount(outcome.records)} ${module} records in ${outcome.pages} page${outcome.pages === 1 ? '' : 's'} to ${outFile} (${formatDuration(Date.now() - started)})`,
  );
  return EXIT.OK;
}
