/**
 * Everything the CLI prints. Results go to stdout; progress and status lines to stderr, so that
 * `--json` and `--out -` keep stdout clean. Colours and the progress bar appear only when the stream
 * is a terminal (and NO_COLOR is unset); elsewhere, as in CI logs, plain lines.
 */

export interface Stream {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof CODES;

export class Output {
  readonly colorOut: boolean;
  readonly colorErr: boolean;
  readonly interactive: boolean;

  constructor(
    readonly stdout: Stream,
    readonly stderr: Stream,
    opts: { color: boolean },
  ) {
    this.colorOut = opts.color && stdout.isTTY === true;
    this.colorErr = opts.color && stderr.isTTY === true;
    this.interactive = stderr.isTTY === true;
  }

  static fromProcess(env: NodeJS.ProcessEnv, noColor: boolean): Output {
    const color = !noColor && !env.NO_COLOR && env.TERM !== 'dumb';
    return new Output(process.stdout, process.stderr, { color });
  }

  /** Styles text for stdout (or stderr with `err`), or leaves it plain when that stream has no colours. */
  style(style: Style, text: string, err = false): string {
    if (!(err ? this.colorErr : this.colorOut) || text === '') return text;
    const [on, off] = CODES[style];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** A status line on stderr. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** A failure message on stderr, "bulkwrite: " first. */
  error(text: string): void {
    this.stderr.write(`${this.style('red', 'bulkwrite:', true)} ${text}\n`);
  }

  /** The terminal's width; unlimited elsewhere, so logs and pipes get whole cells. */
  width(): number {
    return this.stdout.isTTY && this.stdout.columns ? this.stdout.columns : Infinity;
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/**
 * A plain table: a header row and left-aligned columns two spaces apart. When the table is wider than
 * `maxWidth`, the widest columns are cut (with "…") until it fits; columns listed in `keep` (ids) never are.
 */
export function renderTable(
  headers: string[],
  rows: string[][],
  maxWidth: number,
  indent = '',
  keep: readonly number[] = [],
): string[] {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] ?? '').replace(/[\r\n\t]+/g, ' ')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const total = () => indent.length + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const cuttable = widths.map((_, i) => i).filter((i) => !keep.includes(i));
  while (total() > maxWidth && cuttable.length > 0) {
    const widest = cuttable.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    if (widths[widest]! <= 8) break;
    widths[widest]!--;
  }
  const fmt = (r: string[]) =>
    indent +
    r
      .map((c, i) => (i === r.length - 1 ? truncate(c, widths[i]!) : truncate(c, widths[i]!).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...cells.map(fmt)];
}

export interface ProgressState {
  status: string;
  added: number;
  updated: number;
  skipped: number;
  total: number;
  /** Data rows in the file, when known. */
  rows: number | null;
}

/**
 * Job progress. On a terminal: one bar redrawn in place. Elsewhere: a plain line when the status changes,
 * and at most every `plainEveryMs` while the counts move.
 */
export class Progress {
  private lastDraw = 0;
  private lastPlain = 0;
  private lastKey = '';
  private lastStatus = '';
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly now: () => number = Date.now,
    private readonly plainEveryMs = 2_000,
  ) {}

  private counts(p: ProgressState): string {
    return `added ${formatCount(p.added)} · updated ${formatCount(p.updated)} · skipped ${formatCount(p.skipped)}`;
  }

  bar(p: ProgressState, width = 24): string {
    const rows = p.rows && p.rows > 0 ? Math.max(p.rows, p.total) : null;
    const done = p.status === 'COMPLETED';
    const fraction = done ? 1 : rows ? Math.min(1, p.total / rows) : 0;
    const filled = Math.round(fraction * width);
    const bar =
      this.out.style('green', '█'.repeat(filled), true) + this.out.style('dim', '░'.repeat(width - filled), true);
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
    const of = rows ? `${formatCount(p.total)}/${formatCount(rows)} rows` : `${formatCount(p.total)} rows`;
    const skipped = p.skipped > 0 ? this.out.style('yellow', `skipped ${formatCount(p.skipped)}`, true) : 'skipped 0';
    return `${bar} ${pct}  ${of}  added ${formatCount(p.added)} · updated ${formatCount(p.updated)} · ${skipped}  ${this.out.style('dim', p.status, true)}`;
  }

  update(p: ProgressState): void {
    const t = this.now();
    if (this.out.interactive) {
      const final = p.status === 'COMPLETED' || p.status === 'FAILED';
      if (!final && t - this.lastDraw < 80) return;
      this.lastDraw = t;
      this.out.stderr.write(`\r\x1b[2K${this.bar(p)}`);
      this.drawn = true;
      return;
    }
    const key = `${p.status}|${p.total}`;
    if (key === this.lastKey) return;
    const statusChanged = p.status !== this.lastStatus;
    if (!statusChanged && t - this.lastPlain < this.plainEveryMs) return;
    this.lastKey = key;
    this.lastStatus = p.status;
    this.lastPlain = t;
    const of = p.rows ? `${formatCount(p.total)}/${formatCount(p.rows)} rows` : `${formatCount(p.total)} rows`;
    this.out.note(`${this.label}: ${p.status} ${of} (${this.counts(p)})`);
  }

  /** Ends the bar's line, so what follows starts on a new one. */
  done(): void {
    if (this.drawn) this.out.stderr.write('\n');
    this.drawn = false;
  }
}
