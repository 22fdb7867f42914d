import { parseCommand, stringFlag } from '../args.js';
import type { CommandContext } from './command-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readJsonFile } from './json-file.js';
import { configPath } from './paths.js';
import {
  CONNECTION_OPTIONS,
  SETTINGS,
  loadConfigFile,
  resolveConnection,
  saveConfigFile,
  type Profile,
} from './profiles.js';

export const PROFILE_HELP = `Usage: bulkwrite profile <list | show [NAME] | set NAME [flags] | use NAME | remove NAME>

Named connection profiles, kept in the config file: BULKWRITE_CONFIG, else
$XDG_CONFIG_HOME/bulkwrite/config.json, else ~/.config/bulkwrite/config.json (written readable only
by you: it holds secrets). Any command takes --profile NAME; the default profile is used without it.

Commands:
  list                 the profiles, the default marked with *
  show [NAME]          what a command would use (NAME, or the current flags, variables and default
                       profile), each setting with where it came from; secrets shortened
  set NAME [flags]     create or change a profile from connection flags (below); --default makes it
                       the default; --from-credentials FILE reads "bulkwrite credentials --json" output
  use NAME             make NAME the default profile
  remove NAME          delete a profile

Flags for set: --dc --api-domain --accounts-url --upload-url --org --access-token --client-id
  --client-secret --refresh-token --api-version, --from-credentials FILE, --default

Examples:
  npx bulkwrite credentials --json > creds.json
  bulkwrite profile set local --from-credentials creds.json --default
  bulkwrite profile set zoho-eu --dc EU --org 20071234567 --client-id 1000.XXXX \\
      --client-secret 5f0e… --refresh-token 1000.aaaa.bbbb
  bulkwrite import leads.csv --module Leads --profile zoho-eu
  bulkwrite profile show zoho-eu`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'from-credentials': { type: 'string' },
  default: { type: 'boolean' },
} as const;

function mask(value: string): string {
  return value.length <= 12 ? '…' : `${value.slice(0, 9)}…`;
}

/** Profile settings from the JSON "bulkwrite credentials --json" prints. */
function fromCredentialsFile(path: string): Profile {
  const raw = readJsonFile(path, 'credentials file');
  if (raw === undefined) throw new CliError(`file not found: ${path}`);
  const c = raw as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' && c[k] !== '' ? (c[k] as string) : undefined);
  if (!str('refresh_token') && !str('access_token'))
    throw new CliError(
      `${path} holds no refresh_token or access_token: is it the output of "bulkwrite credentials --json"?`,
    );
  const profile: Profile = {};
  const set = (key: keyof Profile, value: string | undefined) => {
    if (value !== undefined) profile[key] = value;
  };
  set('apiDomain', str('api_domain'));
  set('accountsUrl', str('accounts_url'));
  set('uploadUrl', str('api_domain'));
  set('org', str('org_id'));
  if (str('refresh_token') && str('client_id') && str('client_secret')) {
    set('clientId', str('client_id'));
    set('clientSecret', str('client_secret'));
    set('refreshToken', str('refresh_token'));
  } else set('accessToken', str('access_token'));
  return profile;
}

export async function profileCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals, help } = parseCommand('profile', argv, OPTIONS);
  const { out, env } = ctx;
  const [action, name, ...extra] = positionals;
  if (help || action === undefined) {
    out.line(PROFILE_HELP);
    return help ? EXIT.OK : EXIT.USAGE;
  }
  if (extra.length > 0) throw new CliError(`bulkwrite profile ${action}: unexpected ${extra.join(' ')}`);
  const path = configPath(env);
  const config = loadConfigFile(path);
  const needName = () => {
    if (!name) throw new CliError(`bulkwrite profile ${action} needs a profile name`);
    return name;
  };
  const mustExist = (n: string) => {
    if (!config.profiles[n]) {
      const known = Object.keys(config.profiles);
      throw new CliError(`no profile "${n}" in ${path}${known.length ? `; known profiles: ${known.join(', ')}` : ''}`);
    }
  };

  switch (action) {
    case 'list': {
      const names = Object.keys(config.profiles);
      if (names.length === 0) {
        out.line(`No profiles in ${path}. Create one with: bulkwrite profile set NAME …`);
        return EXIT.OK;
      }
      for (const n of names) {
        const p = config.profiles[n]!;
        const where = p.apiDomain ?? (p.dc ? `dc ${p.dc}` : 'http://127.0.0.1:8080 (local)');
        const auth = p.refreshToken ? 'refresh token' : p.accessToken ? 'access token' : 'no credentials';
        out.line(
          `${n === config.defaultProfile ? '*' : ' '} ${n.padEnd(16)} ${where}  ${p.org ? `org ${p.org}  ` : ''}${auth}`,
        );
      }
      return EXIT.OK;
    }
    case 'show': {
      if (name) mustExist(name);
      const conn = resolveConnection(
        name ? { ...values, profile: name } : (values as Record<string, string>),
        env,
        config,
      );
      out.line(`profile      ${conn.profileName ?? '(none)'}`);
      out.line(`config file  ${path}`);
      // Each host with where it came from, as the other settings; "default" is the local bulkwrite preset.
      for (const k of ['apiDomain', 'accountsUrl', 'uploadUrl'] as const)
        out.line(`${k.padEnd(12)} ${conn.endpoints[k]}  ${out.style('dim', `(${conn.endpointSources[k]})`)}`);
      out.line(`apiVersion   ${conn.apiVersion}`);
      for (const s of SETTINGS) {
        if (['apiDomain', 'accountsUrl', 'uploadUrl', 'apiVersion'].includes(s.key)) continue;
        const v = conn.settings[s.key];
        if (!v) continue;
        out.line(`${s.key.padEnd(12)} ${s.secret ? mask(v.value) : v.value}  ${out.style('dim', `(${v.source})`)}`);
      }
      if (!conn.credentials) out.line(out.style('yellow', 'credentials  none'));
      return EXIT.OK;
    }
    case 'set': {
      const n = needName();
      const profile: Profile = { ...(config.profiles[n] ?? {}) };
      const file = stringFlag(values, 'from-credentials');
      if (file) Object.assign(profile, fromCredentialsFile(file));
      let changed = Boolean(file);
      for (const s of SETTINGS) {
        const v = stringFlag(values, s.flag);
        if (v !== undefined) {
          if (v === '') delete profile[s.key];
          else profile[s.key] = v;
          changed = true;
        }
      }
      if (!changed && !values.default && config.profiles[n])
        throw new CliError(`nothing to change in profile "${n}": give connection flags or --from-credentials`);
      config.profiles[n] = profile;
      // Check it resolves (a bad URL or dc fails now, not at the next import).
      resolveConnection({ profile: n }, {}, config);
      if (values.default === true) config.defaultProfile = n;
      saveConfigFile(path, config);
      out.line(`profile "${n}" saved in ${path}${config.defaultProfile === n ? ' (default)' : ''}`);
      return EXIT.OK;
    }
    case 'use': {
      const n = needName();
      mustExist(n);
      config.defaultProfile = n;
      saveConfigFile(path, config);
      out.line(`"${n}" is now the default profile`);
      return EXIT.OK;
    }
    case 'remove': {
      const n = needName();
      mustExist(n);
      delete config.profiles[n];
      if (config.defaultProfile === n) delete config.defaultProfile;
      saveConfigFile(path, config);
      out.line(`profile "${n}" removed`);
      return EXIT.OK;
    }
    default:
      throw new CliError(`unknown profile command "${action}"; use list, show, set, use or remove`);
  }
}
