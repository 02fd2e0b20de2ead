/**
 * Database outages made real at the edge the engine sees:
 * - PostgreSQL: the engine connects through a TCP proxy this test controls. `cut()` drops every
 *   open connection and black-holes new ones (accepted, never answered: a network partition, the
 *   worst case for a client); `restore()` resets the held sockets and passes traffic again.
 * - PGlite: the handle drizzle calls answers every statement as a closed PGlite does
 *   ("PGlite is closed") until `restore()`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Database } from '../../src/db/client.ts';

export interface DatabaseSwitch {
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export interface TcpProxy extends DatabaseSwitch {
  port: number;
  /** connections accepted while cut (held, never answered) */
  held(): number;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let cut = false;
  const pairs = new Set<[Socket, Socket]>();
  const holding = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (cut) {
      holding.add(client);
      client.on('close', () => holding.delete(client));
      return;
    }
    const upstream = connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: TcpProxy = {
    port,
    held: () => holding.size,
    cut() {
      cut = true;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
      for (const s of [...holding]) s.destroy();
      holding.clear();
    },
    async close() {
      proxy.cut();
      for (const s of [...holding]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** Makes the PGlite under `database` refuse every statement while cut, as a closed PGlite does. */
export function refusingPglite(database: Database): DatabaseSwitch {
  const client = (database.db as unknown as { $client: Record<string, unknown> }).$client;
  let cut = false;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  for (const method of ['query', 'exec', 'transaction', 'execProtocol', 'execProtocolRaw']) {
    const original = client[method];
    if (typeof original !== 'function') continue;
    originals.set(method, original as (...args: unknown[]) => unknown);
    client[method] = (...args: unknown[]) => {
      if (cut) return Promise.reject(new Error('PGlite is closed'));
      return (original as (...a: unknown[]) => unknown).apply(client, args);
    };
  }
  return {
    cut: () => void (cut = true),
    restore: () => void (cut = false),
    async close() {
      for (const [method, fn] of originals) client[method] = fn;
    },
  };
}
