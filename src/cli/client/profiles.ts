import { DATA_CENTRES, isLocalUrl, preset, type Credentials, type Endpoints } from '../../client/index.js';
import { CliError } from '../exit-codes.js';
import { readJsonFile, writeJsonFile } from './json-file.js';

/**
 * Where the CLI's connection settings come from, lowest to highest: the local bulkwrite preset, a named
 * profile of the config file, BULKWRITE_* environment variables, flags. A `dc` in a layer sets all three
 * hosts; a URL in the same or a higher layer overrides one of them.
 */
export const SETTINGS = [
  { key: 'dc', flag: 'dc', env: 'BULKWRITE_DC', secret: false },
  { key: 'apiDomain', flag: 'api-domain', env: 'BULKWRITE_API_DOMAIN', secret: false },
  { key: 'accountsUrl', flag: 'accounts-url', env: 'BULKWRITE_ACCOUNTS_URL', secret: false },
  { key: 'uploadUrl', flag: 'upload-url', env: 'BULKWRITE_UPLOAD_URL', secret: false },
  { key: 'org', flag: 'org', env: 'BULKWRITE_ORG', secret: false },
  { key: 'accessToken', flag: 'access-token', env: 'BULKWRITE_ACCESS_TOKEN', secret: true },
  { key: 'clientId', flag: 'client-id', env: 'BULKWRITE_CLIENT_ID', secret: false },
  { key: 'clientSecret', flag: 'client-secret', env: 'BULKWRITE_CLIENT_SECRET', secret: true },
  { key: 'refreshToken', flag: 'refresh-token', env: 'BULKWRITE_REFRESH_TOKEN', secret: true },
  { key: 'apiVersion', flag: 'api-version', env: 'BULKWRITE_API_VERSION', secret: false },
] as const;

export type SettingKey = (typeof SETTINGS)[number]['key'];
export type Profile = Partial<Record<SettingKey, string>>;
export type Source = 'flag' | 'env' | 'profile' | 'default';

export interface ConfigFile {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/** parseArgs options for the connection flags every client command takes. */
export const CONNECTION_OPTIONS = {
  profile: { type: 'string', short: 'p' },
  ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' }])),
} as Record<string, { type: 'string'; short?: string }>;

export const CONNECTION_HELP = `Connection (flags win over BULKWRITE_* variables, which win over the profile):
  -p, --profile NAME       a profile of the config file (or BULKWRITE_PROFILE; else its defaultProfile)
  --dc DC                  data centre preset: US EU IN AU JP CN CA SA, or local (BULKWRITE_DC)
  --api-domain URL         API host, e.g. https://www.zohoapis.eu (BULKWRITE_API_DOMAIN); without
                           --dc it also stands for the accounts and upload hosts, as on a bulkwrite
  --accounts-url URL       accounts server, e.g. https://accounts.zoho.eu (BULKWRITE_ACCOUNTS_URL)
  --upload-url URL         file upload host, e.g. https://content.zohoapis.eu (BULKWRITE_UPLOAD_URL)
  --org ID                 the org id (zgid), sent on uploads as X-CRM-ORG (BULKWRITE_ORG)
  --access-token T         an access token (BULKWRITE_ACCESS_TOKEN)
  --client-id ID           with --client-secret and --refresh-token: refresh access tokens as needed
  --client-secret S        (BULKWRITE_CLIENT_ID, BULKWRITE_CLIENT_SECRET, BULKWRITE_REFRESH_TOKEN)
  --refresh-token T
  --api-version V          API version in the paths (default v2.1; BULKWRITE_API_VERSION)
  With none of these, the CLI talks to a local bulkwrite at http://127.0.0.1:8080.`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KEYS = new Set<string>(SETTINGS.map((s) => s.key));

/** Reads and checks the config file; a missing file is an empty config. */
export function loadConfigFile(path: string): ConfigFile {
  const raw = readJsonFile(path, 'config file');
  if (raw === undefined) return { profiles: {} };
  const bad = (why: string) => new CliError(`the config file ${path} ${why}`);
  if (!isObject(raw)) throw bad('must hold a JSON object like {"profiles": {"local": {...}}}');
  const profiles: Record<string, Profile> = {};
  const rawProfiles = raw.profiles ?? {};
  if (!isObject(rawProfiles)) throw bad('has "profiles" that is not an object');
  for (const [name, p] of Object.entries(rawProfiles)) {
    if (!isObject(p)) throw bad(`has a profile "${name}" that is not an object`);
    const profile: Profile = {};
    for (const [k, v] of Object.entries(p)) {
      if (!KEYS.has(k)) throw bad(`has an unknown key "${k}" in profile "${name}" (known: ${[...KEYS].join(', ')})`);
      if (typeof v !== 'string') throw bad(`has a non-string value for "${k}" in profile "${name}"`);
      profile[k as SettingKey] = v;
    }
    profiles[name] = profile;
  }
  const def = raw.defaultProfile;
  if (def !== undefined && typeof def !== 'string') throw bad('has a "defaultProfile" that is not a string');
  for (const k of Object.keys(raw)) {
    if (k !== 'profiles' && k !== 'defaultProfile') throw bad(`has an unknown key "${k}"`);
  }
  return { ...(def !== undefined ? { defaultProfile: def } : {}), profiles };
}

export function saveConfigFile(path: string, config: ConfigFile): void {
  writeJsonFile(path, config);
}

const HOSTS = ['apiDomain', 'accountsUrl', 'uploadUrl'] as const;
type HostKey = (typeof HOSTS)[number];

export interface Connection {
  /** The profile used, if any. */
  profileName: string | null;
  endpoints: Endpoints;
  org: string | undefined;
  apiVersion: string;
  credentials: Credentials | null;
  /** Each setting's value and where it came from (for `profile show` and messages). */
  settings: Partial<Record<SettingKey, { value: string; source: Source }>>;
  /** Where each of the three hosts came from, as `profile show` prints it: "flag", "profile, dc EU", …. */
  endpointSources: Record<HostKey, string>;
  /** Whether the API domain is this machine (a local bulkwrite). */
  local: boolean;
}

function checkDc(value: string, source: string): Endpoints {
  const p = preset(value);
  if (!p) {
    throw new CliError(
      `unknown data centre "${value}" (from ${source}); use one of ${Object.keys(DATA_CENTRES).join(', ')}`,
    );
  }
  return p;
}

function checkUrl(name: string, value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${name} must be a URL such as https://www.zohoapis.com, got "${value}" (from ${source})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${name} must be an http or https URL, got "${value}" (from ${source})`);
  return value.replace(/\/+$/, '');
}

/** Resolves the connection from flags, environment and config file. Credentials may be null (see requireCredentials). */
export function resolveConnection(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  config: ConfigFile,
): Connection {
  const flagProfile = typeof flags.profile === 'string' ? flags.profile : undefined;
  const profileName = flagProfile ?? (env.BULKWRITE_PROFILE || undefined) ?? config.defaultProfile ?? null;
  let profile: Profile = {};
  if (profileName !== null) {
    const found = config.profiles[profileName];
    if (!found) {
      const known = Object.keys(config.profiles);
      const from = flagProfile ? '--profile' : env.BULKWRITE_PROFILE ? 'BULKWRITE_PROFILE' : 'defaultProfile';
      throw new CliError(
        `no profile "${profileName}" (from ${from}) in the config file; ${
          known.length ? `known profiles: ${known.join(', ')}` : 'it has no profiles yet (see bulkwrite profile --help)'
        }`,
      );
    }
    profile = found;
  }

  const layers: Array<{ source: Source; label: (flag: string, envName: string) => string; values: Profile }> = [
    { source: 'profile', label: () => `profile "${profileName}"`, values: profile },
    {
      source: 'env',
      label: (_f, e) => e,
      values: Object.fromEntries(SETTINGS.filter((s) => env[s.env]).map((s) => [s.key, env[s.env]!])),
    },
    {
      source: 'flag',
      label: (f) => `--${f}`,
      values: Object.fromEntries(
        SETTINGS.filter((s) => typeof flags[s.flag] === 'string').map((s) => [s.key, flags[s.flag] as string]),
      ),
    },
  ];

  const settings: Connection['settings'] = {};
  const endpoints: Endpoints = { ...DATA_CENTRES.local };
  const endpointSources: Record<HostKey, string> = {
    apiDomain: 'default',
    accountsUrl: 'default',
    uploadUrl: 'default',
  };
  for (const layer of layers) {
    for (const s of SETTINGS) {
      const value = layer.values[s.key];
      if (value === undefined || value === '') continue;
      const where = layer.label(s.flag, s.env);
      settings[s.key] = { value, source: layer.source };
      if (s.key === 'dc') {
        Object.assign(endpoints, checkDc(value, where));
        // A dc in a higher layer replaces URLs that came from lower layers.
        for (const k of HOSTS) {
          endpointSources[k] = `${layer.source}, dc ${value}`;
          if (layer.values[k] === undefined) delete settings[k];
        }
      }
    }
    const lowerApiDomain = endpoints.apiDomain;
    for (const k of HOSTS) {
      const value = layer.values[k];
      const s = SETTINGS.find((x) => x.key === k)!;
      if (!value) continue;
      endpoints[k] = checkUrl(`--${s.flag}`, value, layer.label(s.flag, s.env));
      endpointSources[k] = layer.source;
    }
    // bulkwrite serves all three on one origin: hosts that were the old API domain's origin follow a new
    // API domain (else a flag's --api-domain would get the job, and the profile's server the upload).
    if (layer.values.apiDomain && !layer.values.dc) {
      for (const k of ['accountsUrl', 'uploadUrl'] as const) {
        if (layer.values[k] || endpoints[k] !== lowerApiDomain) continue;
        endpoints[k] = endpoints.apiDomain;
        endpointSources[k] = `${layer.source}, as apiDomain`;
        delete settings[k];
      }
    }
  }

  const get = (k: SettingKey) => settings[k]?.value;
  const refreshParts = (['clientId', 'clientSecret', 'refreshToken'] as const).filter((k) => get(k));
  if (refreshParts.length > 0 && refreshParts.length < 3) {
    const missing = (['clientId', 'clientSecret', 'refreshToken'] as const)
      .filter((k) => !get(k))
      .map((k) => `--${SETTINGS.find((s) => s.key === k)!.flag}`);
    throw new CliError(
      `refreshing tokens needs --client-id, --client-secret and --refresh-token together; missing ${missing.join(' and ')}`,
    );
  }
  let credentials: Credentials | null = null;
  if (refreshParts.length === 3) {
    credentials = {
      clientId: get('clientId')!,
      clientSecret: get('clientSecret')!,
      refreshToken: get('refreshToken')!,
      ...(get('accessToken') ? { accessToken: get('accessToken')! } : {}),
    };
  } else if (get('accessToken')) credentials = get('accessToken')!;

  return {
    profileName,
    endpoints,
    org: get('org'),
    apiVersion: get('apiVersion') ?? 'v2.1',
    credentials,
    settings,
    endpointSources,
    local: isLocalUrl(endpoints.apiDomain),
  };
}

/** The credentials, or a message that says how to get them. */
export function requireCredentials(conn: Connection): Credentials {
  if (conn.credentials) return conn.credentials;
  const where = conn.profileName ? ` (profile "${conn.profileName}")` : '';
  if (conn.local) {
    throw new CliError(
      `no credentials for the local bulkwrite at ${conn.endpoints.apiDomain}${where}.
Get them from the server's data folder and pass them on:
  npx bulkwrite credentials --json > creds.json
  bulkwrite profile set local --from-credentials creds.json --default
or pass --access-token (and --org for imports), or set BULKWRITE_ACCESS_TOKEN.`,
    );
  }
  throw new CliError(
    `no credentials for ${conn.endpoints.apiDomain}${where}: pass --access-token, or --client-id, --client-secret and --refresh-token (or the BULKWRITE_* variables, or a profile: bulkwrite profile --help)`,
  );
}
