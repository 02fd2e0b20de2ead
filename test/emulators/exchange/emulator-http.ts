/**
 * The HTTP plumbing every exchange emulator shares: a server on a free local port whose open
 * sockets are closed with it, requests held back and executed later (an order that reaches the
 * exchange while its answer never comes), the queue of injected faults, and the request count.
 * What differs per exchange (paths, signatures, answer shapes, error codes) stays in its server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

/** A fault a test injects: the next `times` requests to `path` (and `method`, `params`) get it. */
export interface InjectedFault {
  path: string;
  method?: string;
  /** only requests carrying these parameters (compared as text) */
  params?: Record<string, string>;
  /** how many matching requests get the fault (default 1) */
  times?: number;
}

/** The faults injected and not yet spent, first injected first served. */
export class FaultQueue<F extends InjectedFault> {
  private readonly queue: Array<{ fault: F; left: number }> = [];

  inject(fault: F): void {
    this.queue.push({ fault, left: fault.times ?? 1 });
  }

  /** The first fault `matches` accepts, counted as spent once (gone after its last time). */
  take(matches: (fault: F) => boolean): F | undefined {
    const index = this.queue.findIndex((q) => matches(q.fault));
    if (index < 0) return undefined;
    const entry = this.queue[index]!;
    entry.left -= 1;
    if (entry.left <= 0) this.queue.splice(index, 1);
    return entry.fault;
  }
}

/** The usual match: the same path, the method if the fault names one, every named parameter as text. */
export function onRoute(method: string, path: string, params: Readonly<Record<string, unknown>>): (fault: InjectedFault) => boolean {
  return (f) => f.path === path && (f.method === undefined || f.method === method) && Object.entries(f.params ?? {}).every(([k, v]) => String(params[k]) === v);
}

/** How many logged requests went to `path` (with `method`, if given). */
export function countRequests(requests: ReadonlyArray<{ path: string; method: string }>, path: string, method?: string): number {
  let n = 0;
  for (const r of requests) if (r.path === path && (method === undefined || r.method === method)) n++;
  return n;
}

export interface EmulatorServer {
  readonly server: Server;
  /**
   * Runs `execute` after `delayMs` unless the emulator closes first: the request was taken and
   * is executed later, its answer never sent. An error `isRefusal` accepts is the exchange's own
   * refusal (nobody hears of it); any other is thrown.
   */
  hold(delayMs: number, execute: () => void, isRefusal: (error: unknown) => boolean): void;
  /**
   * Executes every held request now, as if its delay had run out: a test decides when the slow
   * exchange catches up instead of sleeping. Returns how many there were.
   */
  matchHeld(): number;
  /** listens on a free port of 127.0.0.1; resolves to the server's http:// url */
  listen(): Promise<string>;
  /** stops held requests, closes `streams` (the websockets on this server), every socket and the server */
  close(streams?: { close(): Promise<void> }): Promise<void>;
}

/**
 * A server that hands each request to `handle`; an error `handle` throws is answered by
 * `onError` (the exchange's own "internal error" shape).
 */
export function createEmulatorServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse, error: unknown) => void,
): EmulatorServer {
  const sockets = new Set<Socket>();
  /** held requests: the timer that would execute each, and its execution */
  const held = new Map<NodeJS.Timeout, () => void>();
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => onError(res, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    server,
    hold(delayMs, execute, isRefusal) {
      const run = () => {
        clearTimeout(timer);
        held.delete(timer);
        try {
          execute();
        } catch (error) {
          if (!isRefusal(error)) throw error;
        }
      };
      const timer = setTimeout(run, delayMs);
      held.set(timer, run);
    },
    matchHeld() {
      const waiting = [...held.values()];
      for (const run of waiting) run();
      return waiting.length;
    },
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close(streams) {
      for (const timer of held.keys()) clearTimeout(timer);
      await streams?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a test finds on every exchange emulator; each adds its own (permissions, streams, hooks). */
export interface ExchangeEmulatorBase<Book, Request, Fault, Urls> {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** the default key's account: balances, orders, positions, prices */
  readonly book: Book;
  /** every request, in arrival order */
  readonly requests: Request[];
  readonly apiKey: string;
  readonly secret: string;
  inject(fault: Fault): void;
  /** ccxt's urls.api pointing at this server */
  ccxtApiUrls(): Urls;
  close(): Promise<void>;
}

/**
 * Cutting an emulator's websockets: `dropAll` as an exchange restart or a network blip would (the
 * clients reconnect), `close` for good with the server.
 */
export function streamLifecycle(wss: WebSocketServer, connections: () => Iterable<WebSocket>): { dropAll(): void; close(): Promise<void> } {
  const dropAll = () => {
    for (const ws of connections()) ws.terminate();
  };
  return {
    dropAll,
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        wss.close(() => resolve());
      }),
  };
}
