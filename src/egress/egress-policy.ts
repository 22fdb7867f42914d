import ipaddr from 'ipaddr.js';

/**
 * Where the server may send a callback (docs/callbacks.md#egress-policy). A callback URL is chosen by
 * any token holder, so it must not reach what only the server can reach: its own loopback API (a
 * callback at `/oauth/v2/token/revoke?token=…` would revoke a token), cloud metadata services,
 * private networks. The decision is taken on the host name *and* on each address it resolves to, at
 * connect time (callback-post.ts), so a name that resolves to 127.0.0.1, a second DNS answer, or a
 * redirect cannot get round it; the URL text is only checked early, when the job is created.
 *
 * Order: a `deny` rule that matches refuses; else an `allow` rule that matches permits; else the
 * address's kind decides, by how the server is bound:
 *
 * | kind                                       | bound to loopback | bound elsewhere |
 * | ------------------------------------------ | ----------------- | --------------- |
 * | loopback (127/8, ::1, 0/8, ::)             | allowed           | refused         |
 * | private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) | allowed | refused |
 * | link-local and metadata (169.254/16, fe80::/10, metadata names) | refused | refused |
 * | other special ranges (multicast, reserved, 6to4, NAT64 …) | refused | refused   |
 * | public unicast                             | allowed           | allowed         |
 *
 * An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries. Decimal,
 * octal and hexadecimal IPv4 forms (2130706433, 0177.0.0.1, 0x7f.1) are normalised by the URL parser
 * before they reach here.
 */

export type AddressKind = 'loopback' | 'private' | 'linkLocal' | 'special' | 'public';

/** Host names of cloud metadata services, judged as link-local whatever they resolve to. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

/** Metadata addresses outside 169.254/16 (AWS over IPv6, Alibaba Cloud). */
const METADATA_ADDRESSES = ['fd00:ec2::254', '100.100.100.200'];

/** One rule of BULKWRITE_CALLBACK_ALLOW / _DENY: an address range, or a host name pattern. */
type Rule = { cidr: [ipaddr.IPv4 | ipaddr.IPv6, number]; text: string } | { host: RegExp; text: string };

/** A host as the URL parser gives it, without brackets or a trailing dot, lower case. */
export function plainHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** The address, or the IPv4 address an IPv4-mapped IPv6 address carries; undefined when not an IP. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const plain = plainHost(text).replace(/%.*$/, '');
  if (!ipaddr.IPv4.isValidFourPartDecimal(plain) && !ipaddr.IPv6.isValid(plain)) return undefined;
  const ip = ipaddr.parse(plain);
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
}

export function isIpAddress(host: string): boolean {
  return parseIp(host) !== undefined;
}

/** The kind of an address (see the table above). */
export function addressKind(address: string): AddressKind {
  const ip = parseIp(address);
  if (!ip) return 'special';
  if (METADATA_ADDRESSES.some((m) => ipaddr.parse(m).toNormalizedString() === ip.toNormalizedString()))
    return 'linkLocal';
  const range = ip.range();
  switch (range) {
    case 'loopback':
    case 'unspecified':
      return 'loopback';
    case 'private':
    case 'carrierGradeNat':
    case 'uniqueLocal':
      return 'private';
    case 'linkLocal':
      return 'linkLocal';
    case 'unicast':
      return 'public';
    default:
      return 'special';
  }
}

/** Parses one rule; throws with a message naming it when it is neither a CIDR, an address nor a host pattern. */
function parseRule(raw: string, env: string): Rule {
  const text = raw.trim();
  if (text.includes('/')) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(text);
      const v4 = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96;
      return { cidr: v4 ? [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] : [addr, bits], text };
    } catch {
      throw new Error(`${env}: "${text}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  const ip = parseIp(text);
  if (ip) return { cidr: [ip, ip.kind() === 'ipv4' ? 32 : 128], text };
  const host = plainHost(text);
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(host)) {
    throw new Error(
      `${env}: "${text}" is not a CIDR range, an IP address or a host name pattern such as *.example.com`,
    );
  }
  const escaped = host.replace(/\./g, '\\.');
  // `*.example.com` matches every name below example.com, not example.com itself.
  return { host: new RegExp(`^${escaped.startsWith('*') ? `[^/]+${escaped.slice(1)}` : escaped}$`), text };
}

/** Parses a comma- or space-separated list of rules (a setting's value); throws on a bad entry. */
export function parseRules(raw: string, env: string): string[] {
  const entries = raw.split(/[\s,]+/).filter((e) => e !== '');
  for (const e of entries) parseRule(e, env);
  return entries;
}

function matches(rule: Rule, host: string, ip: ipaddr.IPv4 | ipaddr.IPv6 | undefined): boolean {
  if ('host' in rule) return rule.host.test(host);
  return ip !== undefined && ip.kind() === rule.cidr[0].kind() && ip.match(rule.cidr);
}

export interface EgressPolicyOptions {
  /** The address the server is bound to (BULKWRITE_HOST): it decides the defaults. */
  bindHost: string;
  allow: readonly string[];
  deny: readonly string[];
}

/** Whether the server's bind address is a loopback one (then loopback and private targets are allowed). */
export function isLoopbackBind(host: string): boolean {
  const h = plainHost(host);
  return h === 'localhost' || (isIpAddress(h) && addressKind(h) === 'loopback' && h !== '0.0.0.0' && h !== '::');
}

export class EgressPolicy {
  private readonly allow: Rule[];
  private readonly deny: Rule[];
  readonly loopbackBound: boolean;

  constructor(opts: EgressPolicyOptions) {
    this.allow = opts.allow.map((r) => parseRule(r, 'BULKWRITE_CALLBACK_ALLOW'));
    this.deny = opts.deny.map((r) => parseRule(r, 'BULKWRITE_CALLBACK_DENY'));
    this.loopbackBound = isLoopbackBind(opts.bindHost);
  }

  /**
   * Why a connection to `address` for the URL host `hostname` is refused, or null when it is allowed.
   * Without `address`, only what the name alone says (a literal IP is its own address).
   */
  refusal(hostname: string, address?: string): string | null {
    const host = plainHost(hostname);
    const ip = parseIp(address ?? host);
    const target = address !== undefined && address !== host ? `${host} (${address})` : host;
    const denied = this.deny.find((r) => matches(r, host, ip));
    if (denied) return `${target} is refused by BULKWRITE_CALLBACK_DENY (${denied.text})`;
    if (this.allow.some((r) => matches(r, host, ip))) return null;
    if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata service`;
    if (host === 'localhost' || host.endsWith('.localhost')) {
      if (!this.loopbackBound) return `${host} is a loopback address and the server is not bound to loopback`;
    }
    if (!ip) return null;
    switch (addressKind(ip.toString())) {
      case 'public':
        return null;
      case 'loopback':
        return this.loopbackBound ? null : `${target} is a loopback address and the server is not bound to loopback`;
      case 'private':
        return this.loopbackBound ? null : `${target} is a private address and the server is not bound to loopback`;
      case 'linkLocal':
        return `${target} is a link-local or metadata address`;
      default:
        return `${target} is a special-purpose address`;
    }
  }
}

/** How long the check at job creation waits for DNS; an unanswered name is checked again at send time. */
const CREATE_LOOKUP_MS = 2_000;

/**
 * The check when a job is created: the URL's host, and every address it resolves to now. A name that
 * does not resolve (yet) is let through: it is checked again, on the address dialled, when the callback
 * is sent. Resolves with why the URL is refused, or null.
 */
export async function callbackUrlRefusal(
  policy: EgressPolicy,
  url: string,
  resolveAll: (host: string) => Promise<string[]>,
): Promise<string | null> {
  const host = plainHost(new URL(url).hostname);
  const byName = policy.refusal(host);
  if (byName || isIpAddress(host)) return byName;
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    resolveAll(host).catch(() => [] as string[]),
    new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), CREATE_LOOKUP_MS))),
  ]).finally(() => clearTimeout(timer));
  const refusals = addresses.map((a) => policy.refusal(host, a));
  return refusals.length > 0 && refusals.every((r) => r !== null) ? refusals[0]! : null;
}
