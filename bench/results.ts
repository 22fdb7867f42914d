import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Where and on what a run happened, and the append-only table in bench/RESULTS.md. */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_FILE = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));

export interface Environment {
  date: string;
  node: string;
  bulkwrite: string;
  commit: string;
  sqlite: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function environment(): Environment {
  const pkg = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
  const head = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  // Other people edit src/ while benchmarks run; say so when the build is not exactly the commit.
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const list = cpus();
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + 'Z',
    node: process.version,
    bulkwrite: pkg.version,
    commit: dirty ? `${head}+dirty` : head,
    sqlite,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function describe(env: Environment): string {
  return `${env.date}, node ${env.node}, bulkwrite ${env.bulkwrite} @ ${env.commit}, SQLite ${env.sqlite}, ${env.cores} × ${env.cpu}, ${env.memoryGiB} GiB`;
}

const HEADER = `# Benchmark results

Appended by \`npm run bench\` (see README.md). One row per scenario per run of the driver; figures are
the median of the runs shown. "+dirty" after the commit means \`src/\` had uncommitted changes.

| date (UTC) | node | bulkwrite @ commit | cores | memory | scenario | runs | figures |
| --- | --- | --- | --- | --- | --- | --- | --- |
`;

export function appendResult(env: Environment, scenario: string, runs: number, figures: string): void {
  if (!existsSync(RESULTS_FILE)) writeFileSync(RESULTS_FILE, HEADER);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  appendFileSync(
    RESULTS_FILE,
    `| ${env.date} | ${env.node} | ${env.bulkwrite} @ ${env.commit} | ${env.cores} | ${env.memoryGiB} GiB | ${scenario} | ${runs} | ${cell(figures)} |\n`,
  );
}
