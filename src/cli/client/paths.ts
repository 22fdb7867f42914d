import { homedir } from 'node:os';
import { join } from 'node:path';

/** The config file: BULKWRITE_CONFIG, else $XDG_CONFIG_HOME/bulkwrite/config.json, else ~/.config/bulkwrite/config.json. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.BULKWRITE_CONFIG) return env.BULKWRITE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'bulkwrite', 'config.json');
}

/** The state folder (job history, cached access tokens): BULKWRITE_STATE_DIR, else $XDG_STATE_HOME/bulkwrite, else ~/.local/state/bulkwrite. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.BULKWRITE_STATE_DIR) return env.BULKWRITE_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'bulkwrite');
}
