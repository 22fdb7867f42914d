import { spawnSync, type ChildProcess } from 'node:child_process';
import { auth, call } from './api.js';
import { CLI } from './cli.js';
import { cliProcesses } from './processes.js';

/** `bulkwrite` processes over one data folder and environment (a PostgreSQL store), for scale-out tests. */
export class CliProcesses {
  private readonly procs: ReturnType<typeof cliProcesses>;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly dataDir: string,
  ) {
    this.procs = cliProcesses(env);
  }

  /** Starts `bulkwrite <args>` on this data folder and resolves once its stdout matches `ready`. */
  start(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
    return this.procs.start([...args, '--data-dir', this.dataDir], ready);
  }

  /** An API process without a job worker; its base URL. */
  async serveWithoutWorker(): Promise<string> {
    return (await this.start(['serve', '--no-worker', '--port', '0'], /listening on (\S+)/)).match[1]!;
  }

  /** A `bulkwrite worker` process. */
  async worker(): Promise<ChildProcess> {
    return (await this.start(['worker'], /worker thread/)).proc;
  }

  /** `bulkwrite credentials --json` of the default org. */
  credentials<T = { access_token: string; org_id: string }>(): T {
    const out = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', this.dataDir], {
      env: this.env,
      encoding: 'utf8',
    });
    return JSON.parse(out.stdout) as T;
  }

  killAll(): void {
    this.procs.stopAll();
  }
}

/** Uploads a zip to a server by URL and creates an insert job of Leads on its CSV; the job id. */
export async function createLeadsJobAt(
  url: string,
  creds: { access_token: string; org_id: string },
  zip: Buffer,
  top: Record<string, unknown> = {},
): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([zip]), 'leads.zip');
  const up = await call(`${url}/crm/v2.1/upload`, {
    method: 'POST',
    headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id },
    body: form,
  });
  if (up.status !== 200) throw new Error(`upload failed: ${up.status} ${up.text}`);
  const created = await call(`${url}/crm/bulk/v2.1/write`, {
    method: 'POST',
    headers: { ...auth(creds.access_token), 'content-type': 'application/json' },
    body: JSON.stringify({
      operation: 'insert',
      ...top,
      resource: [
        { type: 'data', module: { api_name: 'Leads' }, file_id: (up.body.details as { file_id: string }).file_id },
      ],
    }),
  });
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
  return (created.body.details as { id: string }).id;
}
