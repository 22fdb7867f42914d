import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Where the time goes, from the .cpuprofile files `node dist/bench/run.js --profile DIR` leaves:
 *   node dist/bench/profile-summary.js DIR [--top 25]
 * Every sample is put in one category by its stack (the deepest frame that names a known module or
 * source file wins; builtins such as JSON.stringify or a native better-sqlite3 call count for the JS
 * function that called them). When DIR/phases.jsonl has the job's phase marks (written by the
 * driver), the worker thread's samples are also split by phase: chunks (unzip → parse → decide →
 * commit) and the result zip.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: Array<{ line: number; ticks: number }>;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface PhaseMarks {
  pid: number;
  scenario: string;
  run: number;
  /** Monotonic clock in microseconds (the clock V8's profiles use). */
  marks: Record<string, number>;
}

const DIST = fileURLToPath(new URL('..', import.meta.url));

/** Category of one stack (leaf first). */
function categorise(stack: CallFrame[]): string {
  const leaf = stack[0]!;
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(idle)') return 'idle (waiting for I/O, inflate or the next chunk)';
  if (leaf.functionName === '(program)') return 'V8 / native, unattributed';
  for (const f of stack) {
    const u = f.url;
    if (!u) continue;
    if (u.includes('/bench/floor')) return 'floor: inserts (run, and JSON.stringify in floor-schema)';
    if (u.includes('node_modules/papaparse')) return 'CSV parse (papaparse)';
    if (u.includes('/src/csv/decode')) return 'decode (bytes → text)';
    if (u.includes('node_modules/yauzl')) return 'unzip (yauzl JS)';
    if (u.includes('node_modules/yazl') || u.includes('node_modules/buffer-crc32'))
      return 'result zip: yazl + crc32 (JS)';
    if (u.includes('/src/domain/read-records')) return 'bulk read: values and criteria (read-records.ts)';
    if (u.includes('/src/jobs/result-file')) return 'result zip: CSV lines (result-file.ts)';
    if (u.includes('/src/storage/sqlite/') || u.includes('/src/storage/postgres/')) {
      if (/commitChunk|^$/.test(f.functionName) || f.functionName === 'sqliteTransaction')
        return 'SQLite: chunk writes (run + JSON.stringify)';
      if (f.functionName === 'idsByKey') return 'SQLite: unique-key lookups (idsByKey)';
      if (f.functionName === 'byIds') return 'SQLite: record loads (byIds)';
      if (f.functionName === 'results') return 'SQLite: result paging (results)';
      if (f.functionName === 'toRecord') return 'SQLite: record rows → objects (toRecord, JSON.parse)';
      return `SQLite: ${f.functionName || 'other'}`;
    }
    if (u.includes('node_modules/better-sqlite3')) {
      if (f.functionName === 'sqliteTransaction') return 'SQLite: BEGIN/COMMIT (transaction wrapper)';
      return `SQLite: better-sqlite3 ${f.functionName}`;
    }
    if (u.includes('/src/domain/time')) return 'time-zone offsets (Intl, domain/time.ts)';
    if (u.includes('/src/domain/')) return 'mapRow / validation (domain)';
    if (u.includes('/src/jobs/apply-batch')) return 'applyBatch decisions';
    if (u.includes('/src/jobs/id-allocator')) return 'id allocation';
    if (u.includes('/src/csv/read-csv')) return 'read-csv stream plumbing';
    if (u.includes('/src/jobs/')) return `jobs: ${basename(u)}`;
    if (u === 'node:zlib') return 'zlib callbacks (inflate/deflate JS side)';
    if (u.includes('node_modules/fastify') || u.includes('node_modules/find-my-way') || u.includes('/src/api/'))
      return 'HTTP (fastify, routes)';
    if (u.includes('/src/auth/')) return 'auth';
    if (u.startsWith('node:internal/streams') || u === 'node:stream' || u === 'node:events')
      return 'node streams / events';
    if (u === 'node:buffer' || u === 'node:internal/buffer') return 'node buffers';
    if (u.startsWith('node:internal/modules') || u.startsWith('node:internal/bootstrap'))
      return 'startup / module loading';
    if (u.startsWith('node:')) return `node: ${u.slice(5)}`;
    if (u.includes('/node_modules/')) return `npm: ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? u}`;
  }
  return `other (${leaf.functionName || 'anonymous'})`;
}

interface Tally {
  total: number;
  categories: Map<string, number>;
  functions: Map<string, number>;
  lines: Map<string, number>;
}

const newTally = (): Tally => ({ total: 0, categories: new Map(), functions: new Map(), lines: new Map() });
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const shortUrl = (u: string) => u.replace(/^file:\/\/.*?\/dist\//, '').replace(/^.*node_modules\//, '');

/** Sums a profile's samples per category, function and source line, for the samples inside [from, to). */
function tally(profile: CpuProfile, windows: Array<{ name: string; from: number; to: number }>): Map<string, Tally> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackCache = new Map<number, CallFrame[]>();
  const stackOf = (id: number): CallFrame[] => {
    let s = stackCache.get(id);
    if (!s) {
      s = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) s.push(byId.get(at)!.callFrame);
      stackCache.set(id, s);
    }
    return s;
  };
  // Per node: the share of its samples that fell on each source line.
  const lineShare = new Map<number, Array<[number, number]>>();
  for (const n of profile.nodes) {
    const ticks = n.positionTicks ?? [];
    const sum = ticks.reduce((a, t) => a + t.ticks, 0);
    if (sum > 0)
      lineShare.set(
        n.id,
        ticks.map((t) => [t.line, t.ticks / sum]),
      );
  }

  const out = new Map(windows.map((w) => [w.name, newTally()]));
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    const stack = stackOf(id);
    const category = categorise(stack);
    const leaf = stack[0]!;
    const fn = `${leaf.functionName || '(anonymous)'} ${shortUrl(leaf.url)}${leaf.url ? `:${leaf.lineNumber + 1}` : ''}`;
    for (const w of windows) {
      if (t < w.from || t >= w.to) continue;
      const tl = out.get(w.name)!;
      tl.total += dt;
      add(tl.categories, category, dt);
      add(tl.functions, fn, dt);
      for (const [line, share] of lineShare.get(id) ?? []) add(tl.lines, `${leaf.url}\u0000${line}`, dt * share);
    }
  }
  return out;
}

function sourceLine(url: string, line: number): string {
  if (!url.startsWith('file://')) return '';
  try {
    const path = fileURLToPath(url);
    if (!existsSync(path)) return '';
    return (readFileSync(path, 'utf8').split('\n')[line - 1] ?? '').trim().slice(0, 110);
  } catch {
    return '';
  }
}

function table(title: string, m: Map<string, number>, total: number, top: number): string {
  const rows = [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `  ${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  return `${title}\n${rows.join('\n')}`;
}

export function summarise(dir: string, top = 20): string {
  const phases: PhaseMarks[] = existsSync(join(dir, 'phases.jsonl'))
    ? readFileSync(join(dir, 'phases.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as PhaseMarks)
    : [];
  const out: string[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  for (const file of files) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
    const parts = file.split('.');
    const pid = Number(parts[3]);
    const thread = Number(parts[4]);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const windows = [{ name: 'whole profile', from: -Infinity, to: Infinity }];
    for (const p of phases.filter((x) => x.pid === pid)) {
      const m = p.marks;
      const label = `${p.scenario} run ${p.run}`;
      if (m.loadStart !== undefined && m.loadEnd !== undefined) {
        windows.push({ name: `${label}: under load (autocannon)`, from: m.loadStart, to: m.loadEnd });
      }
      if (m.exportStart !== undefined && m.exportEnd !== undefined)
        windows.push({
          name: `${label}: export (first create → last page counted)`,
          from: m.exportStart,
          to: m.exportEnd,
        });
      if (thread === 0) {
        if (m.uploadStart !== undefined && m.uploaded !== undefined)
          windows.push({ name: `${label}: upload`, from: m.uploadStart, to: m.uploaded });
        continue;
      }
      if (m.claimed !== undefined && m.allRows !== undefined)
        windows.push({ name: `${label}: chunks (claim → last chunk committed)`, from: m.claimed, to: m.allRows });
      if (m.allRows !== undefined && m.done !== undefined)
        windows.push({ name: `${label}: result zip (last chunk → COMPLETED)`, from: m.allRows, to: m.done });
    }
    const who = phases.some((x) => x.pid === pid)
      ? thread === 0
        ? 'server main thread (HTTP)'
        : 'server worker thread (jobs)'
      : `pid ${pid} thread ${thread}`;
    out.push(`\n=== ${file}: ${who}, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled`);
    for (const [name, tl] of tally(profile, windows)) {
      if (tl.total < 50_000) continue;
      out.push(`\n--- ${name}: ${(tl.total / 1000).toFixed(0)} ms of samples`);
      out.push(table('by category:', tl.categories, tl.total, top));
      out.push(table('by function (self time):', tl.functions, tl.total, top));
      const lines = new Map<string, number>();
      for (const [k, v] of tl.lines) {
        const [url, line] = k.split('\u0000') as [string, string];
        if (!url.includes('/dist/')) continue;
        lines.set(`${shortUrl(url)}:${line}  ${sourceLine(url, Number(line))}`, v);
      }
      out.push(table('hot lines in our code (self time, compiled JS):', lines, tl.total, Math.min(top, 15)));
    }
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
  const dir = positionals[0];
  if (!dir) {
    console.error(`usage: node ${DIST}bench/profile-summary.js DIR [--top N]`);
    process.exit(2);
  }
  console.log(summarise(dir, values.top ? Number(values.top) : 20));
}
