import type { ExplainContext } from './explain.js';
import type { Output } from './output.js';

/** What every client command gets: where to print, the environment, and where to leave what explain() needs. */
export interface CommandContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  explain: ExplainContext;
}
