import pg from 'pg';
import { processCpuSeconds } from './proc.js';

/**
 * Where the PostgreSQL scenarios spend CPU and time on the server side: every 50 ms, the sessions of
 * pg_stat_activity are read, and each one's CPU seconds (from /proc; PostgreSQL runs here) are tracked.
 * Client backends of the bench's database named `bulkwrite` are ours; the background processes
 * (WAL writer, checkpointer, background writer …) are shared with anyone else using the server, but
 * busy only with our writes while a scenario runs. Wait events of our backends are counted per sample:
 * `CPU` (active, no wait), a lock or I/O wait, or `idle in transaction` (the backend waits for the worker).
 */
export class PgActivity {
  private readonly cpu0 = new Map<number, number>();
  private readonly cpuLast = new Map<number, number>();
  private readonly kind = new Map<number, 'backend' | 'background'>();
  private readonly waits = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private ownPid = 0;

  private constructor(private readonly client: pg.Client) {}

  static async start(url: string): Promise<PgActivity> {
    const client = new pg.Client({ connectionString: url, application_name: 'bulkwrite-bench' });
    await client.connect();
    const a = new PgActivity(client);
    a.ownPid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await a.sample(true);
    // A sample that fails (the connection dropped at the end of a run) is skipped; the next one tries again.
    a.timer = setInterval(() => a.sample(false).catch(() => undefined), 50);
    return a;
  }

  private async sample(first: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{
        pid: number;
        backend_type: string;
        application_name: string | null;
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
        mine: boolean;
      }>(
        `SELECT pid, backend_type, application_name, state, wait_event_type, wait_event,
                datname = current_database() AS mine
         FROM pg_stat_activity`,
      );
      for (const r of rows) {
        if (r.pid === this.ownPid) continue;
        const ours = r.backend_type === 'client backend' && r.mine && r.application_name === 'bulkwrite';
        const background = r.backend_type !== 'client backend';
        if (!ours && !background) continue;
        const cpu = processCpuSeconds(r.pid);
        if (cpu === 0 && this.cpuLast.has(r.pid)) continue; // it ended between the query and /proc
        // A session first seen after the start began during the run: all its CPU is ours.
        if (!this.cpu0.has(r.pid)) this.cpu0.set(r.pid, first || background ? cpu : 0);
        this.cpuLast.set(r.pid, cpu);
        this.kind.set(r.pid, ours ? 'backend' : 'background');
        if (ours && !first) {
          const what =
            r.state === 'active'
              ? r.wait_event_type
                ? `${r.wait_event_type}:${r.wait_event}`
                : 'CPU'
              : (r.state ?? 'unknown');
          this.waits.set(what, (this.waits.get(what) ?? 0) + 1);
        }
      }
      if (!first) this.samples++;
    } catch {
      /* a failed sample is skipped */
    } finally {
      this.busy = false;
    }
  }

  /** CPU seconds of our backends and of PostgreSQL's background processes, and the wait-event shares. */
  async stop(): Promise<{
    backendCpu: number;
    backgroundCpu: number;
    backends: number;
    waits: Array<[string, number]>;
  }> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    await this.sample(false);
    await this.client.end().catch(() => undefined);
    let backendCpu = 0;
    let backgroundCpu = 0;
    let backends = 0;
    for (const [pid, kind] of this.kind) {
      const used = (this.cpuLast.get(pid) ?? 0) - (this.cpu0.get(pid) ?? 0);
      if (kind === 'backend') {
        backendCpu += used;
        backends++;
      } else backgroundCpu += used;
    }
    const total = [...this.waits.values()].reduce((a, b) => a + b, 0);
    const waits = [...this.waits.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]): [string, number] => [k, total > 0 ? n / total : 0]);
    return { backendCpu, backgroundCpu, backends, waits };
  }

  /** CPU seconds used so far by the sessions seen (for the machine-noise estimate). */
  cpuSoFar(): number {
    let s = 0;
    for (const [pid, c] of this.cpuLast) s += c - (this.cpu0.get(pid) ?? 0);
    return s;
  }
}
