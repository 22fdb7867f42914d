#!/usr/bin/env node

import { CliError, EXIT } from './exit-codes.js';

// Each command loads only its own code: the client commands never load the server (Fastify, SQLite).
const HELP = `bulkwrite: a self-hosted server for Zoho CRM's Bulk Write API, and its client

Usage: bulkwrite <command> [options]

Server:
  serve         run the API and the job worker (SQLite in ./data; --no-worker for API only)
  worker        run job workers only (scale-out on PostgreSQL; --concurrency N)
  credentials   print a Self Client and fresh tokens for the default org
  org           create or list orgs (admin; --json for scripts)
  client        create or list an org's OAuth clients (admin)
  grant-code    issue a single-use grant code for a client (admin)
  schema        apply or show an org's custom modules and fields (admin)

Client (a local bulkwrite by default; real Zoho with --dc, --profile or the BULKWRITE_* variables):
  import        zip, upload and import a CSV, with progress; then the result and the skipped rows
  export        export a module's records to one CSV with bulk read jobs (every page, --where filters)
  job           a job's details, every field (--json for the raw body, --wait to follow it)
  result        a job's result: summary, skipped rows, --out for the CSV
  jobs          the recent jobs this CLI created, with their status and counts
  profile       named connection profiles (local bulkwrite, Zoho data centres)
  admin         steer a running server: reset, faults, limits, clock, callbacks, requests

Run "bulkwrite <command> --help" for a command's options and examples.
Exit codes: 0 ok · 1 bug · 2 usage · 3 rows skipped · 4 job failed · 5 API refused · 6 token/scope ·
7 unreachable or wrong domain · 8 timeout · 130 Ctrl-C (docs/cli.md).`;

/** Exit codes: 0 success, 1 unexpected failure, 2 usage error; the client commands add 3–8 and 130. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const client = await import('./client/client-commands.js');
  if (client.isClientCommand(command)) return client.runClientCommand(command, rest);
  switch (command) {
    case 'serve':
      return (await import('./server/server-commands.js')).serveCommand(rest);
    case 'credentials':
      return (await import('./server/credentials-command.js')).credentialsCommand(rest);
    case 'worker':
      return (await import('./server/worker-command.js')).workerCommand(rest);
    case 'org':
      return (await import('./server/org-command.js')).orgCommand(rest);
    case 'client':
      return (await import('./server/oauth-client-command.js')).clientCommand(rest);
    case 'grant-code':
      return (await import('./server/grant-code-command.js')).grantCodeCommand(rest);
    case 'schema':
      return (await import('./server/schema-command.js')).schemaCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return command === undefined ? 2 : 0;
    default:
      console.error(`bulkwrite: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

// A reader that stops early (`bulkwrite result … --out - | head`) closes the pipe: like any Unix tool,
// the command then ends quietly instead of failing on the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.OK);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bulkwrite: ${(error as Error).message}`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.INTERNAL;
  },
);
