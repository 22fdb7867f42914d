import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would: its own HOME, config and state folders, and no BULKWRITE_* of ours. */
export function cli(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('BULKWRITE_') && !k.startsWith('XDG_')),
  );
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...base, HOME: cwd, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The environment that points the client commands (import, export, …) at a test server with its token. */
export function clientEnv(t: { url: string; creds: { access_token: string } }, dir: string): Record<string, string> {
  return {
    BULKWRITE_CONFIG: `${dir}/config.json`,
    BULKWRITE_STATE_DIR: `${dir}/state`,
    BULKWRITE_API_DOMAIN: t.url,
    BULKWRITE_ACCOUNTS_URL: t.url,
    BULKWRITE_UPLOAD_URL: t.url,
    BULKWRITE_ACCESS_TOKEN: t.creds.access_token,
  };
}
