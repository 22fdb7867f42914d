import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { publicBaseUrl, type Config } from '../../config.js';
import { presentedOrigins } from '../../presentation.js';
import { serverInfoPath } from '../../server.js';
import { CliError } from '../exit-codes.js';

interface ServerInfo {
  url: string;
  pid?: number;
  api_domain?: string;
  accounts_url?: string;
}

/** The server.json that `serve` wrote into this data folder, if its process still runs. */
function runningServerOf(config: Config): ServerInfo | null {
  const path = serverInfoPath(config);
  if (!existsSync(path)) return null;
  let info: ServerInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
  if (typeof info.pid !== 'number') return info;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch (e) {
    // EPERM: the process exists, under another user.
    return (e as { code?: string }).code === 'EPERM' ? info : null;
  }
}

/** Whether anything accepts a TCP connection at host:port (within a second). */
function answers(host: string, port: number): Promise<boolean> {
  const to = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return new Promise((resolve) => {
    const socket = connect({ host: to, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The api_domain and accounts URL that tokens of this data folder's store should name: those of the
 * server running on this folder (server.json, which `serve` writes), unless a public URL, a data centre
 * or an explicit --port says otherwise. A server that answers at that address but runs on another data
 * folder would refuse the tokens: that is a usage error, not tokens that look right and do not work.
 */
export async function presentedUrls(
  config: Config,
  portGiven: boolean,
): Promise<{ apiDomain: string; accountsUrl: string }> {
  const running = runningServerOf(config);
  if (running && !portGiven && !config.publicUrl && !config.dc)
    return { apiDomain: running.api_domain ?? running.url, accountsUrl: running.accounts_url ?? running.url };
  const url = publicBaseUrl(config);
  // With PostgreSQL the tokens live in the database, shared by every server on it whatever its folder.
  const probe = !config.publicUrl && !config.dc && !config.databaseUrl && running?.url !== url;
  if (probe && (await answers(config.host, config.port))) {
    throw new CliError(
      `a server answers at ${url}, but it does not run on this data folder (${config.dataDir}), so it would refuse tokens from here.
Pass that server's data folder with --data-dir ("bulkwrite serve" prints it as "data folder: …"), or name where this folder's server listens with --port or --public-url.`,
    );
  }
  const p = presentedOrigins(config);
  return { apiDomain: p.apiDomain, accountsUrl: p.accountsUrl };
}
