import { loadConfig, type Config } from '../../config.js';
import { DATA_CENTRE_NAMES, isDataCentreName } from '../../data-centres.js';
import { startServer } from '../../server.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';

/** `serve`, and what every command that runs server code shares: the config its flags describe. */

export function configFrom(values: {
  port?: string;
  'data-dir'?: string;
  host?: string;
  'public-url'?: string;
  dc?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'read-page-size'?: string;
}): Config {
  const overrides: Partial<Config> = {};
  if (values['tls-cert'] !== undefined) overrides.tlsCertFile = values['tls-cert'];
  if (values['tls-key'] !== undefined) overrides.tlsKeyFile = values['tls-key'];
  if (values['public-url'] !== undefined) {
    if (!/^https?:\/\/[^/]+/i.test(values['public-url']))
      throw new CliError(`--public-url must be an http(s) URL, got "${values['public-url']}"`);
    overrides.publicUrl = values['public-url'];
  }
  if (values.dc !== undefined) {
    const dc = values.dc.toLowerCase();
    if (dc !== '' && !isDataCentreName(dc))
      throw new CliError(`--dc must be one of ${DATA_CENTRE_NAMES.join(', ')}, got "${values.dc}"`);
    overrides.dc = dc as Config['dc'];
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CliError(`--port must be a port number, got "${values.port}"`);
    overrides.port = port;
  }
  if (values['read-page-size'] !== undefined) {
    const size = Number(values['read-page-size']);
    if (!Number.isInteger(size) || size < 1 || size > 200_000)
      throw new CliError(`--read-page-size must be a whole number from 1 to 200000, got "${values['read-page-size']}"`);
    overrides.readPageSize = size;
  }
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  if (values.host !== undefined) overrides.host = values.host;
  return loadConfig(process.env, overrides);
}

export const SERVE_HELP = `Usage: bulkwrite serve [--port N] [--host H] [--data-dir DIR] [--public-url URL] [--dc DC] [--no-worker]
                       [--no-console] [--tls-cert FILE --tls-key FILE] [--read-page-size N]

Starts the Bulk Write API and its job worker in one process, with SQLite in the data folder.

Options:
  --port N        port to listen on (default 8080, or BULKWRITE_PORT); 0 picks a free one
  --host H        address to bind (default 127.0.0.1, or BULKWRITE_HOST)
  --data-dir DIR  where the database and files live (default ./data, or BULKWRITE_DATA_DIR)
  --public-url U  the URL clients reach the server at; api_domain and download links use it
                  (or BULKWRITE_PUBLIC_URL)
  --dc DC         present as a Zoho data centre: ${DATA_CENTRE_NAMES.join(', ')} (or BULKWRITE_DC);
                  api_domain and download links then name that DC's hosts (see docs/data-centres.md)
  --tls-cert FILE, --tls-key FILE
                  speak HTTPS with this PEM certificate (chain) and key (or BULKWRITE_TLS_CERT,
                  BULKWRITE_TLS_KEY); the printed URL, api_domain and download links name https
  --read-page-size N
                  records per bulk read page (default 200000, Zoho's, or BULKWRITE_READ_PAGE_SIZE)
  --no-worker     serve the API only; jobs wait for a worker
  --no-console    do not serve the web console at /console/ (see docs/console.md)

Examples:
  bulkwrite serve
  bulkwrite serve --port 0 --data-dir /tmp/bw
  bulkwrite serve --port 8443 --dc eu`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('serve', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'public-url': { type: 'string' },
    dc: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'read-page-size': { type: 'string' },
    'no-worker': { type: 'boolean' },
    'no-console': { type: 'boolean' },
  });
  if (help) {
    console.log(SERVE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const config = configFrom(values);
  if (values['no-worker']) config.worker = false;
  if (values['no-console']) config.console = false;
  const server = await startServer(config);
  console.log(`bulkwrite listening on ${server.url}`);
  if (server.presentation.apiDomain !== server.url) console.log(`presenting as: ${server.presentation.apiDomain}`);
  if (config.console) console.log(`console: ${server.url}/console/`);
  console.log(`data folder: ${config.dataDir}`);
  console.log(`org: ${server.org.id}${server.orgCreated ? ' (created now)' : ''}`);
  console.log(
    `get a token: npx bulkwrite credentials --json${values['data-dir'] ? ` --data-dir ${values['data-dir']}` : ''}`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
