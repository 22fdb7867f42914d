#!/usr/bin/env node
import { CREDENTIALS_HELP, SERVE_HELP, UsageError, credentialsCommand, serveCommand } from './server-commands.js';

const HELP = `bulkwrite: a self-hosted server for Zoho CRM's Bulk Write API

Usage: bulkwrite <command> [options]

Commands:
  serve         run the API and the job worker (SQLite in ./data)
  credentials   print a Self Client and fresh tokens for the default org

Run "bulkwrite <command> --help" for a command's options and examples.

${SERVE_HELP.split('\n')[0]}
${CREDENTIALS_HELP.split('\n')[0]}`;

/** Exit codes: 0 success, 1 unexpected failure, 2 usage error. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(rest);
    case 'credentials':
      return credentialsCommand(rest);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`bulkwrite: ${(error as Error).message}`);
    process.exitCode = isUsage ? 2 : 1;
  },
);
