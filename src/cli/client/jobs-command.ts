import { jobProgress, ZohoApiError, type JobDetails } from '../../client/index.js';
import { intFlag, parseCommand } from '../args.js';
import type { CommandContext } from './command-context.js';
import { clientFor, connectionFrom } from './connect.js';
import { EXIT } from '../exit-codes.js';
import { formatCount, renderTable } from './output.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from './profiles.js';
import { historyPath, readHistory, type HistoryEntry } from './state.js';

export const JOBS_HELP = `Usage: bulkwrite jobs [--limit N] [--all] [--json]

Lists the recent jobs this CLI created on this machine, with their current status and counts.
Zoho has no endpoint that lists bulk write jobs (and neither has bulkwrite), so the list comes from a
local history: every "bulkwrite import" records its job (id, API domain, org, module, operation, time)
in history.json in the state folder ($XDG_STATE_HOME/bulkwrite, else ~/.local/state/bulkwrite, or
BULKWRITE_STATE_DIR). The current details of each job are then fetched from the API.

Options:
  --limit N    how many jobs (default 10, newest first)
  --all        also list jobs created against other API domains (their details are not fetched)
  --json       print a JSON array: each history entry with its current details (or error)
  --no-color   no colours even on a terminal

${CONNECTION_HELP}

Exit codes: 0 listed · 6 token or scope · 7 server unreachable or wrong domain. See docs/cli.md.

Examples:
  bulkwrite jobs
  bulkwrite jobs --limit 50 --profile zoho-eu
  bulkwrite jobs --json | jq '.[] | select(.details.status == "FAILED")'`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  limit: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface Row {
  entry: HistoryEntry;
  details: JobDetails | null;
  error: string | null;
}

/** Runs `fn` over items, at most `limit` at a time. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function jobsCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, help } = parseCommand('jobs', argv, OPTIONS);
  const { out, env } = ctx;
  if (help) {
    out.line(JOBS_HELP);
    return EXIT.OK;
  }
  const limit = intFlag(values, 'limit', 10, 1);
  const conn = connectionFrom(values as Record<string, string | boolean | undefined>, env);
  ctx.explain.conn = conn;
  const domain = conn.endpoints.apiDomain;
  const entries = readHistory(env)
    .filter((e) => values.all === true || e.apiDomain === domain)
    .slice(0, limit);

  if (entries.length === 0) {
    if (values.json === true) out.line('[]');
    else {
      out.line(`No jobs recorded for ${domain} yet.`);
      out.line(
        out.style(
          'dim',
          `"bulkwrite jobs" lists the jobs "bulkwrite import" created on this machine (${historyPath(env)});\nZoho has no endpoint that lists bulk write jobs.`,
        ),
      );
    }
    return EXIT.OK;
  }

  const mine = entries.filter((e) => e.apiDomain === domain);
  const client = mine.length > 0 ? clientFor(conn, env) : null;
  ctx.explain.client = client ?? undefined;
  const rows = await mapLimited(entries, 4, async (entry): Promise<Row> => {
    if (!client || entry.apiDomain !== domain) return { entry, details: null, error: null };
    try {
      return { entry, details: await client.getJob(entry.jobId), error: null };
    } catch (e) {
      // A job the server no longer has is a row of the list; a refused token or a dead server is the answer.
      if (e instanceof ZohoApiError && e.code === 'RESOURCE_NOT_FOUND') return { entry, details: null, error: e.code };
      throw e;
    }
  });

  if (values.json === true) {
    out.line(
      JSON.stringify(
        rows.map((r) => ({ ...r.entry, details: r.details, ...(r.error ? { error: r.error } : {}) })),
        null,
        2,
      ),
    );
    return EXIT.OK;
  }

  const table = rows.map(({ entry, details, error }) => {
    const created = entry.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    if (!details) {
      const status = error ?? (entry.apiDomain !== domain ? `(on ${entry.apiDomain})` : '-');
      return [entry.jobId, created, entry.module, entry.operation, entry.file, status, '', '', '', ''];
    }
    const p = jobProgress(details);
    return [
      entry.jobId,
      created,
      entry.module,
      entry.operation,
      entry.file,
      details.status,
      formatCount(p.added),
      formatCount(p.updated),
      formatCount(p.skipped),
      formatCount(p.total),
    ];
  });
  const lines = renderTable(
    ['JOB ID', 'CREATED', 'MODULE', 'OPERATION', 'FILE', 'STATUS', 'ADDED', 'UPDATED', 'SKIPPED', 'TOTAL'],
    table,
    out.width(),
    '',
    [0, 1, 6, 7, 8, 9],
  );
  out.line(out.style('bold', lines[0]!));
  for (const line of lines.slice(1)) out.line(line);
  return EXIT.OK;
}
