import {
  AdminApiError,
  BulkwriteAdmin,
  type FaultRule,
  type OrgLimitSettings,
  type ZohoLimitsProfile,
} from '../../client/admin.js';
import { intFlag, parseCommand, stringFlag, type Values } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { CommandContext } from './command-context.js';
import { renderTable, type Output } from './output.js';

export const ADMIN_HELP = `Usage: bulkwrite admin <subcommand> [options]

Steers a running bulkwrite server through its admin API (/_bulkwrite/, docs/admin-api.md): for shell
scripts and CI jobs. Talks to a bulkwrite server only (Zoho has no such API).

Subcommands:
  reset [--org ID]                      one org's jobs, files and records away; without --org the whole
                                        store (prints the new default org's credentials with --json)
  faults list                           the fault rules, with their hits and remaining count
  faults add --route R --status N --code CODE [--times N] [--org ID] [--method M] [--job ID]
  faults add --json-rule '{"match":{…},"respond":{…}}'   any rule of docs/admin-api.md, "Faults"
  faults clear [ID]                     one rule, or every rule (and every job a rule held)
  release JOB_ID                        lets a job a hold rule keeps ADDED be processed
  limits get --org ID                   an org's limits and credit use
  limits set --org ID [--profile zoho [--edition E] [--users N]] [--daily-credits N] [--concurrency N]
             [--max-concurrent-jobs N] [--max-rows N] [--max-file-bytes N] [--max-columns N]
             [--read-downloads-per-minute N]
  limits off --org ID                   no limits for the org
  clock get | advance MS | set ISO | reset
                                        the emulator clock (advance takes milliseconds, may be negative)
  callbacks [--org ID] [--job ID] [--wait-ms N]
                                        the callback journal (with --wait-ms: waits for an entry)
  requests [--org ID] [--route R] [--method M] [--limit N]
                                        the last Zoho API calls the server answered

Options:
  --url URL          the server (BULKWRITE_URL; default http://127.0.0.1:8080)
  --admin-key KEY    sent as X-Bulkwrite-Admin-Key, when the server has BULKWRITE_ADMIN_KEY set
                     (BULKWRITE_ADMIN_KEY; prefer the variable: a flag shows in the process list)
  --json             print the server's JSON answer
  --no-color         no colours even on a terminal

Exit codes: 0 done · 2 usage · 5 the server refused the call · 6 admin key missing or wrong (or not on
loopback) · 7 server unreachable. See docs/cli.md.

Examples:
  bulkwrite admin reset --org 604519811
  bulkwrite admin faults add --route job_details --status 429 --code TOO_MANY_REQUESTS --times 2
  bulkwrite admin clock advance 7200000
  bulkwrite admin requests --route job_details --json | jq length`;

const OPTIONS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  json: { type: 'boolean' },
  org: { type: 'string' },
  job: { type: 'string' },
  route: { type: 'string' },
  method: { type: 'string' },
  status: { type: 'string' },
  code: { type: 'string' },
  message: { type: 'string' },
  times: { type: 'string' },
  'json-rule': { type: 'string' },
  profile: { type: 'string' },
  edition: { type: 'string' },
  users: { type: 'string' },
  'daily-credits': { type: 'string' },
  concurrency: { type: 'string' },
  'max-concurrent-jobs': { type: 'string' },
  'max-rows': { type: 'string' },
  'max-file-bytes': { type: 'string' },
  'max-columns': { type: 'string' },
  'read-downloads-per-minute': { type: 'string' },
  'wait-ms': { type: 'string' },
  limit: { type: 'string' },
} as const;

const LIMIT_FLAGS = [
  'daily-credits',
  'concurrency',
  'max-concurrent-jobs',
  'max-rows',
  'max-file-bytes',
  'max-columns',
  'read-downloads-per-minute',
] as const;

const DEFAULT_URL = 'http://127.0.0.1:8080';

interface Run {
  admin: BulkwriteAdmin;
  values: Values;
  args: string[];
  out: Output;
  json: boolean;
}

function optionalInt(values: Values, name: string, min: number): number | undefined {
  return stringFlag(values, name) === undefined ? undefined : intFlag(values, name, 0, min);
}

function requireOrg(values: Values, what: string): string {
  const org = stringFlag(values, 'org');
  if (org === undefined) throw new CliError(`bulkwrite admin ${what} needs --org ID`);
  return org;
}

function noMoreArgs(args: string[], what: string): void {
  if (args.length > 0) throw new CliError(`bulkwrite admin ${what} takes no argument "${args[0]}"`);
}

/** Prints the answer as JSON (--json), or the human lines. */
function show(run: Run, answer: unknown, human: () => string[]): number {
  if (run.json) run.out.line(JSON.stringify(answer, null, 2));
  else for (const line of human()) run.out.line(line);
  return EXIT.OK;
}

async function reset(run: Run): Promise<number> {
  noMoreArgs(run.args, 'reset');
  const orgId = stringFlag(run.values, 'org');
  const answer = await run.admin.reset(orgId === undefined ? {} : { orgId });
  return show(run, answer, () =>
    answer.reset === 'org'
      ? [`org ${answer.org_id} reset: its jobs, files, records, credits and journals are gone`]
      : [
          `store reset: every org, token, job, fault rule and limit is gone; the clock is real time`,
          `new default org: ${answer.org_id} (its credentials: bulkwrite admin reset --json)`,
        ],
  );
}

function ruleFromFlags(values: Values): FaultRule {
  const text = stringFlag(values, 'json-rule');
  if (text !== undefined) {
    let rule: unknown;
    try {
      rule = JSON.parse(text);
    } catch (e) {
      throw new CliError(`--json-rule is not valid JSON: ${(e as Error).message}`);
    }
    return rule as FaultRule;
  }
  const code = stringFlag(values, 'code');
  if (code === undefined)
    throw new CliError('bulkwrite admin faults add needs --code CODE (with --route, --status …) or --json-rule');
  const match: NonNullable<FaultRule['match']> = {};
  for (const [flag, key] of [
    ['org', 'org_id'],
    ['route', 'route'],
    ['method', 'method'],
    ['job', 'job_id'],
  ] as const) {
    const v = stringFlag(values, flag);
    if (v !== undefined) match[key] = v;
  }
  const status = optionalInt(values, 'status', 100);
  const message = stringFlag(values, 'message');
  const times = optionalInt(values, 'times', 1);
  return {
    ...(Object.keys(match).length > 0 ? { match } : {}),
    ...(times !== undefined ? { times } : {}),
    respond: { code, ...(status !== undefined ? { status } : {}), ...(message !== undefined ? { message } : {}) },
  };
}

function describeRule(r: FaultRule): string {
  const effect = r.respond
    ? `respond ${r.respond.status ?? ''} ${r.respond.code}`.replace('  ', ' ')
    : r.delay_ms !== undefined
      ? `delay ${r.delay_ms} ms`
      : r.drop
        ? 'drop'
        : r.job
          ? `job ${JSON.stringify(r.job)}`
          : r.callback
            ? `callback ${r.callback.status}`
            : '?';
  return effect;
}

async function faults(run: Run): Promise<number> {
  const [sub, ...rest] = run.args;
  switch (sub) {
    case 'add': {
      noMoreArgs(rest, 'faults add');
      const rule = ruleFromFlags(run.values);
      const id = await run.admin.faults.add(rule);
      return show(run, { id }, () => [`fault rule ${id} added: ${describeRule(rule)}`]);
    }
    case 'list':
    case undefined: {
      noMoreArgs(rest, 'faults list');
      const rules = await run.admin.faults.list();
      return show(run, { faults: rules }, () => {
        if (rules.length === 0) return ['no fault rules'];
        const rows = rules.map((r) => [
          r.id,
          r.match?.route ?? '*',
          r.match?.org_id ?? '*',
          describeRule(r),
          r.remaining === null ? '∞' : String(r.remaining),
          String(r.hits),
        ]);
        const lines = renderTable(
          ['ID', 'ROUTE', 'ORG', 'EFFECT', 'REMAINING', 'HITS'],
          rows,
          run.out.width(),
          '',
          [0],
        );
        return [run.out.style('bold', lines[0]!), ...lines.slice(1)];
      });
    }
    case 'clear': {
      if (rest.length > 1) throw new CliError('bulkwrite admin faults clear takes at most one rule id');
      const answer = rest[0] === undefined ? await run.admin.faults.clear() : await run.admin.faults.remove(rest[0]);
      return show(run, answer, () => [`${answer.deleted} fault rule${answer.deleted === 1 ? '' : 's'} removed`]);
    }
    default:
      throw new CliError(`unknown subcommand "faults ${sub}": use faults add, list or clear`);
  }
}

function limitsFromFlags(values: Values): OrgLimitSettings | ZohoLimitsProfile {
  const profile = stringFlag(values, 'profile');
  if (profile !== undefined) {
    if (profile !== 'zoho') throw new CliError(`--profile takes "zoho", got "${profile}"`);
    const edition = stringFlag(values, 'edition') as ZohoLimitsProfile['edition'];
    const users = optionalInt(values, 'users', 1);
    return { profile, ...(edition !== undefined ? { edition } : {}), ...(users !== undefined ? { users } : {}) };
  }
  const settings: Record<string, number> = {};
  for (const flag of LIMIT_FLAGS) {
    const n = optionalInt(values, flag, 1);
    if (n !== undefined) settings[flag.replaceAll('-', '_')] = n;
  }
  if (Object.keys(settings).length === 0)
    throw new CliError(
      `bulkwrite admin limits set needs --profile zoho or one of ${LIMIT_FLAGS.map((f) => `--${f}`).join(', ')}`,
    );
  return settings as OrgLimitSettings;
}

async function limits(run: Run): Promise<number> {
  const [sub, ...rest] = run.args;
  noMoreArgs(rest, `limits ${sub ?? ''}`.trim());
  const org = requireOrg(run.values, `limits ${sub ?? 'get'}`);
  const state =
    sub === 'get' || sub === undefined
      ? await run.admin.limits.get(org)
      : sub === 'set'
        ? await run.admin.limits.set(org, limitsFromFlags(run.values))
        : sub === 'off'
          ? await run.admin.limits.off(org)
          : null;
  if (state === null) throw new CliError(`unknown subcommand "limits ${sub}": use limits get, set or off`);
  return show(run, state, () => {
    if (!state.enabled) return [`org ${state.org_id}: no limits (credits used: ${state.usage.credits_used})`];
    const set = Object.entries(state.limits)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k} ${String(v)}`);
    const u = state.usage;
    return [
      `org ${state.org_id}: ${set.join(' · ')}`,
      `credits used ${u.credits_used}${u.credits_remaining === null ? '' : `, ${u.credits_remaining} left`} (last ${u.window_hours} h) · active jobs ${u.active_jobs}`,
    ];
  });
}

async function clock(run: Run): Promise<number> {
  const [sub, arg, ...rest] = run.args;
  noMoreArgs(rest, `clock ${sub}`);
  const needs = (what: string) => {
    if (arg === undefined) throw new CliError(`bulkwrite admin clock ${sub} needs ${what}`);
    return arg;
  };
  let state;
  switch (sub) {
    case 'get':
    case undefined:
      noMoreArgs(arg === undefined ? [] : [arg], 'clock get');
      state = await run.admin.clock.get();
      break;
    case 'advance': {
      const ms = needs('a number of milliseconds, e.g. 3600000');
      if (!/^-?\d+$/.test(ms)) throw new CliError(`clock advance takes whole milliseconds, got "${ms}"`);
      state = await run.admin.clock.advance(Number(ms));
      break;
    }
    case 'set':
      state = await run.admin.clock.set(needs('an ISO 8601 time, e.g. 2030-01-01T00:00:00Z'));
      break;
    case 'reset':
    case 'real':
      noMoreArgs(arg === undefined ? [] : [arg], `clock ${sub}`);
      state = await run.admin.clock.real();
      break;
    default:
      throw new CliError(`unknown subcommand "clock ${sub}": use clock get, advance, set or reset`);
  }
  const s = state;
  return show(run, s, () => [
    s.real_time ? `clock: ${s.now} (real time)` : `clock: ${s.now} (offset ${s.offset_ms} ms from real time)`,
  ]);
}

async function callbacks(run: Run): Promise<number> {
  noMoreArgs(run.args, 'callbacks');
  const v = run.values;
  const waitMs = optionalInt(v, 'wait-ms', 0);
  const orgId = stringFlag(v, 'org');
  const jobId = stringFlag(v, 'job');
  const entries = await run.admin.callbacks({
    ...(orgId !== undefined ? { orgId } : {}),
    ...(jobId !== undefined ? { jobId } : {}),
    ...(waitMs !== undefined ? { waitMs } : {}),
  });
  return show(run, { callbacks: entries }, () => {
    if (entries.length === 0) return ['no callbacks'];
    const rows = entries.map((e) => [
      e.sent_at,
      e.job_id,
      String(e.attempt),
      e.status_code === null ? (e.error ?? '-') : String(e.status_code),
      e.url,
    ]);
    const lines = renderTable(['SENT', 'JOB', 'ATTEMPT', 'ANSWER', 'URL'], rows, run.out.width(), '', [0, 1, 2, 3]);
    return [run.out.style('bold', lines[0]!), ...lines.slice(1)];
  });
}

async function requests(run: Run): Promise<number> {
  noMoreArgs(run.args, 'requests');
  const v = run.values;
  const orgId = stringFlag(v, 'org');
  const route = stringFlag(v, 'route');
  const method = stringFlag(v, 'method');
  const limit = optionalInt(v, 'limit', 1);
  const entries = await run.admin.requests({
    ...(orgId !== undefined ? { orgId } : {}),
    ...(route !== undefined ? { route } : {}),
    ...(method !== undefined ? { method } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
  return show(run, { requests: entries }, () => {
    if (entries.length === 0) return ['no requests'];
    const rows = entries.map((r) => [
      r.time,
      r.method,
      r.path,
      String(r.status),
      r.code ?? '',
      r.route ?? '-',
      `${r.ms} ms`,
    ]);
    const lines = renderTable(
      ['TIME', 'METHOD', 'PATH', 'STATUS', 'CODE', 'ROUTE', 'TIME TAKEN'],
      rows,
      run.out.width(),
      '',
      [0, 1, 3],
    );
    return [run.out.style('bold', lines[0]!), ...lines.slice(1)];
  });
}

async function release(run: Run): Promise<number> {
  const [jobId, ...rest] = run.args;
  noMoreArgs(rest, 'release');
  if (jobId === undefined) throw new CliError('bulkwrite admin release needs a job id');
  const answer = await run.admin.release(jobId);
  return show(run, answer, () => [`job ${answer.released} released`]);
}

const SUBCOMMANDS: Record<string, (run: Run) => Promise<number>> = {
  reset,
  faults,
  limits,
  clock,
  callbacks,
  requests,
  release,
};

/** An admin refusal or an unreachable server, as one message and its exit code. */
function explainAdmin(e: unknown, url: string): CliError {
  if (e instanceof AdminApiError) {
    const hint =
      e.code === 'ADMIN_KEY_REQUIRED'
        ? ': the server has an admin key; give it with --admin-key or BULKWRITE_ADMIN_KEY'
        : e.code === 'ADMIN_KEY_INVALID'
          ? ": the admin key (--admin-key or BULKWRITE_ADMIN_KEY) is not the server's"
          : e.code === 'ADMIN_LOOPBACK_ONLY'
            ? ': the server has no admin key and answers admin calls from its own machine only'
            : '';
    const auth = e.status === 401 || e.status === 403;
    const field = e.details.json_path ?? e.details.field;
    return new CliError(
      `${e.message}${hint}${field !== undefined ? ` (at ${String(field)})` : ''}`,
      auth ? EXIT.AUTH : e.code === 'UNEXPECTED_RESPONSE' ? EXIT.UNREACHABLE : EXIT.API_ERROR,
    );
  }
  if (e instanceof TypeError) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new CliError(
      `cannot reach the bulkwrite server at ${url}: ${cause?.code ?? cause?.message ?? e.message}; check --url or BULKWRITE_URL`,
      EXIT.UNREACHABLE,
    );
  }
  throw e;
}

export async function adminCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('admin', argv, OPTIONS);
  const { out, env } = ctx;
  const [sub, ...args] = positionals;
  if (help || sub === undefined) {
    out.line(ADMIN_HELP);
    return help ? EXIT.OK : EXIT.USAGE;
  }
  const run = SUBCOMMANDS[sub];
  if (run === undefined || !Object.hasOwn(SUBCOMMANDS, sub))
    throw new CliError(`unknown admin subcommand "${sub}"\nRun "bulkwrite admin --help" for the subcommands.`);
  const url = stringFlag(values, 'url') ?? (env.BULKWRITE_URL || DEFAULT_URL);
  if (!/^https?:\/\/[^/]/i.test(url)) throw new CliError(`--url must be an http(s) URL, got "${url}"`);
  const adminKey = stringFlag(values, 'admin-key') ?? (env.BULKWRITE_ADMIN_KEY || undefined);
  const admin = new BulkwriteAdmin({ url, ...(adminKey !== undefined ? { adminKey } : {}) });
  try {
    return await run({ admin, values, args, out, json: values.json === true });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw explainAdmin(e, url);
  }
}
