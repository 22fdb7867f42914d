import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { isIpAddress, plainHost, type EgressPolicy } from './egress-policy.js';

/** A connection the egress policy refused; the message says why. */
export class EgressRefused extends Error {
  constructor(reason: string) {
    super(`callback refused: ${reason}`);
    this.name = 'EgressRefused';
  }
}

export interface PostResult {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface PostOptions {
  policy: EgressPolicy;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Skips the policy for this one request (the server's own inbox, see callback-target.ts). */
  trusted?: boolean;
}

/** At most this much of an answer is read (and then thrown away): a callback's answer carries nothing. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A DNS lookup that answers only addresses the policy allows for `hostname`: Node connects to what it
 * answers, so the check is on the address actually dialled, not on a second lookup that could differ.
 */
function checkedLookup(policy: EgressPolicy, hostname: string): LookupFunction {
  return (name, options, callback) => {
    dnsLookup(name, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => policy.refusal(hostname, a.address) === null);
      if (allowed.length === 0) {
        const why = policy.refusal(hostname, addresses[0]?.address) ?? `${hostname} did not resolve`;
        return callback(new EgressRefused(why), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/**
 * POSTs `body` to `url` under the egress policy: the host name and every address it resolves to are
 * checked when the connection is made (and the connected peer once more), a redirect is an answer like
 * any other (never followed), the answer is read to at most 64 KiB and dropped. Resolves with the
 * status; rejects on a refusal (EgressRefused), a network error or the timeout.
 */
export function postJson(url: string, body: string, opts: PostOptions): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return reject(new Error('the callback URL is not a URL'));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return reject(new Error('the callback URL is not http or https'));
    }
    const hostname = plainHost(target.hostname);
    // Node does not look up a literal address: it is checked here, and the peer again on connect.
    const early = opts.trusted ? null : opts.policy.refusal(hostname);
    if (early) return reject(new EgressRefused(early));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json;charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'bulkwrite-callback',
        ...opts.headers,
      },
      ...(opts.trusted || isIpAddress(hostname) ? {} : { lookup: checkedLookup(opts.policy, hostname) }),
      timeout: opts.timeoutMs,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        const refusal = opts.trusted ? null : opts.policy.refusal(hostname, socket.remoteAddress ?? '');
        if (refusal) req.destroy(new EgressRefused(refusal));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      const done = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end(body);
  });
}

/** Every address a name resolves to now (the check at job creation, egress-policy.ts). */
export async function resolveAll(host: string): Promise<string[]> {
  return (await dnsPromises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
