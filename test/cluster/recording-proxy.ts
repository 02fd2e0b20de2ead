/**
 * A forwarding HTTP proxy in front of an emulator, one per app process of the cluster test: the
 * emulators see every process alike, and this says which process sent what and when (an order
 * after a lost lease, a getUpdates from a process that should not poll). Plain HTTP only; the
 * processes reach the exchange's websocket streams directly.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** the path without the query */
  path: string;
  /** query and form body parameters (a JSON body is not parsed) */
  params: Record<string, string>;
  /** the Binance key the request was signed with (X-MBX-APIKEY), if any */
  apiKey: string | undefined;
  /** ms (Date.now) the request reached the proxy */
  at: number;
  /** ms the answer came back, or the connection ended without one */
  endedAt: number | undefined;
  /** the emulator's HTTP status; 0 while waiting or when no answer came */
  status: number;
}

export interface RecordingProxy {
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const params = Object.fromEntries(url.searchParams);
      if (String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
      const key = req.headers['x-mbx-apikey'];
      const logged: ProxiedRequest = { method: req.method ?? 'GET', path: url.pathname, params, apiKey: typeof key === 'string' ? key : undefined, at: Date.now(), endedAt: undefined, status: 0 };
      requests.push(logged);
      const end = () => (logged.endedAt ??= Date.now());
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          logged.status = answer.statusCode ?? 0;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', end);
        },
      );
      out.on('error', () => {
        end();
        res.destroy();
      });
      // the client gave up (a timeout, or its process died): the emulator's side goes too
      res.on('close', () => {
        end();
        out.destroy();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
