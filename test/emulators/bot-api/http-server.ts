/** The HTTP face of the emulator: `POST|GET /bot<token>/<method>` on 127.0.0.1, any free port. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadRequestBody, readParams } from './http-body.ts';
import type { Dispatcher, Outcome } from './dispatcher.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function listen(dispatcher: Dispatcher): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    handle(dispatcher, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${(e as Error).message}` });
    });
  });
  // long polls are held for up to 50 s: no server-side request timeout
  server.requestTimeout = 0;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(dispatcher: Dispatcher, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = /^\/bot([^/]*)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
  if (!route || (req.method !== 'POST' && req.method !== 'GET')) {
    req.resume();
    send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    return;
  }
  let parsed;
  try {
    parsed = await readParams(req, url);
  } catch (e) {
    const description = e instanceof BadRequestBody ? e.message : 'Bad Request: could not read the request body';
    send(res, 400, { ok: false, error_code: 400, description });
    return;
  }
  const clientGone = new Promise<void>((resolve) => {
    res.once('close', () => resolve());
  });
  const outcome = await dispatcher.dispatch(route[2]!, decodeURIComponent(route[1]!), parsed.params, parsed.files, clientGone);
  answer(req, res, outcome);
}

function answer(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  if (res.destroyed || res.writableEnded) return;
  if (outcome.kind === 'disconnect') {
    req.socket.destroy();
    return;
  }
  if (outcome.kind === 'bad-gateway') {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>');
    return;
  }
  send(res, outcome.status, outcome.body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
