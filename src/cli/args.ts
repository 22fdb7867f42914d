import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT } from './exit-codes.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Every command takes these. */
const COMMON = { help: { type: 'boolean', short: 'h' }, 'no-color': { type: 'boolean' } } as const;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof COMMON; strict: true; allowPositionals: true }>
>;

/**
 * parseArgs, strict, with messages that point at the command's --help. Every usage error of the CLI is
 * a CliError: main.ts prints its message and exits with its code, never with a stack trace.
 */
export function parseCommand<O extends Options>(
  command: string,
  argv: string[],
  options: O,
): { values: Parsed<O>['values']; positionals: string[]; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, ...COMMON },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as Parsed<O>['values'], positionals, help: (values as Values).help === true };
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CliError(`${message}\nRun "bulkwrite ${command} --help" for its options.`, EXIT.USAGE);
  }
}

export function stringFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listFlag(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** A whole number flag, at least `min`. */
export function intFlag(values: Values, name: string, fallback: number, min = 0): number {
  const v = stringFlag(values, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new CliError(`--${name} must be a whole number ≥ ${min}, got "${v}"`);
  return Number(v);
}

/** A positive number of seconds (decimals allowed), in milliseconds. */
export function secondsFlag(values: Values, name: string): number | undefined {
  const v = stringFlag(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new CliError(`--${name} must be a number of seconds > 0, got "${v}"`);
  return Math.round(n * 1000);
}

/** Splits "Column=Field" at the last "=" (a column header may contain "=" itself). */
export function splitPair(flag: string, text: string): [string, string] {
  const at = text.lastIndexOf('=');
  if (at <= 0) throw new CliError(`--${flag} takes "Left=Right", got "${text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** A job id as Zoho writes them: digits only. */
export function jobIdArg(command: string, positionals: string[]): string {
  if (positionals.length === 0)
    throw new CliError(`bulkwrite ${command} needs a job id, e.g. bulkwrite ${command} 4150868000005350003`);
  if (positionals.length > 1)
    throw new CliError(`bulkwrite ${command} takes one job id, got ${positionals.length} arguments`);
  const id = positionals[0]!;
  if (!/^\d{1,19}$/.test(id))
    throw new CliError(`"${id}" is not a job id: job ids are digits, e.g. 4150868000005350003`);
  return id;
}
