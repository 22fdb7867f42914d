import { adminCommand } from './admin-command.js';
import type { CommandContext } from './command-context.js';
import { explain } from './explain.js';
import { exportCommand } from './export-command.js';
import { importCommand } from './import-command.js';
import { jobCommand } from './job-command.js';
import { jobsCommand } from './jobs-command.js';
import { Output } from './output.js';
import { profileCommand } from './profile-command.js';
import { resultCommand } from './result-command.js';

/** The commands that talk to an API through the client (never to server internals). */
export const CLIENT_COMMANDS = {
  import: importCommand,
  export: exportCommand,
  job: jobCommand,
  jobs: jobsCommand,
  result: resultCommand,
  profile: profileCommand,
  admin: adminCommand,
} as const;

export type ClientCommand = keyof typeof CLIENT_COMMANDS;

export function isClientCommand(name: string | undefined): name is ClientCommand {
  return name !== undefined && Object.hasOwn(CLIENT_COMMANDS, name);
}

/** Runs a client command; every failure becomes one message on stderr and a documented exit code. */
export async function runClientCommand(name: ClientCommand, argv: string[]): Promise<number> {
  const env = process.env;
  const ctx: CommandContext = { out: Output.fromProcess(env, argv.includes('--no-color')), env, explain: {} };
  try {
    return await CLIENT_COMMANDS[name](argv, ctx);
  } catch (e) {
    const { message, exitCode } = explain(e, ctx.explain);
    ctx.out.error(message);
    return exitCode;
  }
}
