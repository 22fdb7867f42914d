import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Linux /proc readings for a process we started: memory peaks and CPU time per thread. */

const TICKS_PER_SECOND = 100;

function statusField(pid: number, field: string): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set size (bytes) since the process started or since the last resetPeakRss. */
export function peakRss(pid: number): number | null {
  return statusField(pid, 'VmHWM');
}

export function currentRss(pid: number): number | null {
  return statusField(pid, 'VmRSS');
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0: writing 5 to clear_refs). Returns false where not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Tracks the peak RSS of a process over a phase. Uses VmHWM after a reset when the kernel allows it,
 * and otherwise the highest VmRSS seen by sampling every 100 ms.
 */
export class RssWatch {
  private sampled = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly resetOk: boolean;

  constructor(private readonly pid: number) {
    this.resetOk = resetPeakRss(pid);
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const rss = currentRss(this.pid);
    if (rss !== null && rss > this.sampled) this.sampled = rss;
  }

  /** Peak bytes so far. */
  peak(): number {
    this.sample();
    const hwm = this.resetOk ? peakRss(this.pid) : null;
    return Math.max(hwm ?? 0, this.sampled);
  }

  stop(): number {
    const p = this.peak();
    clearInterval(this.timer);
    return p;
  }
}

export interface ThreadCpu {
  tid: number;
  seconds: number;
}

/** CPU seconds (user + system) used so far by each thread of a process. */
export function threadCpu(pid: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]);
      out.push({ tid: Number(tid), seconds: ticks / TICKS_PER_SECOND });
    } catch {
      /* the thread ended between listing and reading */
    }
  }
  return out;
}

export interface CpuSplit {
  /** The main thread: HTTP and the event loop of the API. */
  main: number;
  /** The busiest other thread; during a job this is the job worker thread (threads are unnamed on Node 20). */
  busiest: number;
  /** Every other thread: libuv's pool (inflate, deflate, file I/O) and V8's helpers (GC, compilation). */
  others: number;
  total: number;
}

/** CPU seconds each thread used between two readings, grouped as main / busiest other / the rest. */
export function cpuSplit(pid: number, before: ThreadCpu[], after: ThreadCpu[]): CpuSplit {
  const start = new Map(before.map((t) => [t.tid, t.seconds]));
  let main = 0;
  const rest: number[] = [];
  for (const t of after) {
    const used = t.seconds - (start.get(t.tid) ?? 0);
    if (t.tid === pid) main = used;
    else rest.push(used);
  }
  rest.sort((a, b) => b - a);
  const busiest = rest[0] ?? 0;
  const others = rest.slice(1).reduce((a, b) => a + b, 0);
  return { main, busiest, others, total: main + busiest + others };
}

/** CPU seconds the whole machine spent busy (all cores, every process) since boot. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** CPU seconds used by a process (every thread) so far; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * How much CPU other people's processes took while we measured: the machine's busy time minus the
 * processes we watch and this process. Benchmarks share a 2-core machine; this says how noisy a figure is.
 */
export class ForeignCpu {
  private readonly busy0 = machineBusySeconds();
  private readonly own0: number;
  private readonly self0 = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor(private readonly pids: number[]) {
    this.own0 = pids.reduce((a, p) => a + processCpuSeconds(p), 0);
  }

  /** Average cores used by other processes since construction. */
  cores(): number {
    const busy = machineBusySeconds() - this.busy0;
    const own = this.pids.reduce((a, p) => a + processCpuSeconds(p), 0) - this.own0;
    const self = process.cpuUsage(this.self0);
    const mine = (self.user + self.system) / 1e6;
    const seconds = (performance.now() - this.t0) / 1000;
    return Math.max(0, busy - own - mine) / seconds;
  }
}

/** Waits until the machine has been nearly idle (< `maxBusyCores` busy) for 3 s, or `maxWaitMs` passed. */
export async function waitForQuiet(maxWaitMs: number, maxBusyCores = 0.3): Promise<{ waitedMs: number; busy: number }> {
  const start = Date.now();
  for (;;) {
    const b0 = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 3000));
    const busy = (machineBusySeconds() - b0) / 3;
    if (busy < maxBusyCores || Date.now() - start > maxWaitMs) return { waitedMs: Date.now() - start, busy };
  }
}

/**
 * Waits until the process's threads have been nearly idle for half a second (at most `maxMs`): a fresh
 * worker warms its pipeline up once it is idle (BULKWRITE_WARM_UP), which is not a scenario's work.
 */
export async function settled(pid: number, maxMs = 30_000): Promise<void> {
  const total = () => threadCpu(pid).reduce((a, t) => a + t.seconds, 0);
  const end = Date.now() + maxMs;
  let before = total();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const now = total();
    if (now - before < 0.03) return;
    before = now;
  }
}
