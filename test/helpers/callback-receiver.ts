import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackHit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallbackReceiver {
  url: string;
  hits: CallbackHit[];
  /** Waits until `count` requests have arrived, or fails after `ms`. */
  waitFor(count: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with `statuses` in turn (the last
 * repeats), with `headers` on every answer (a `location`, to answer with a redirect). A status 0 never
 * answers: the request is held open until the sender gives up or the receiver closes.
 */
export async function startCallbackReceiver(
  statuses: number[] = [200],
  headers: Record<string, string> = {},
): Promise<CallbackReceiver> {
  const hits: CallbackHit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = statuses[Math.min(hits.length - 1, statuses.length - 1)]!;
      if (status === 0) return;
      res
        .writeHead(status, {
          'content-type': 'application/json',
          ...headers,
        })
        .end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bulk-write-callback`,
    hits,
    async waitFor(count, ms = 15_000) {
      const until = Date.now() + ms;
      while (hits.length < count) {
        if (Date.now() > until) throw new Error(`${hits.length} of ${count} callback requests arrived in ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
