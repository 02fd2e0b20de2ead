/**
 * The part of Kraken's REST API that its per-key rate limit concerns, for the budget tests and
 * the exit benchmark: POST /0/private/BalanceEx, /0/private/AddOrder and GET /0/public/Ticker.
 * Each API key has Kraken's documented counter (Starter tier): +1 per call except AddOrder and
 * CancelOrder, decaying by 0.33 per second; a call that takes it over 15 is refused with
 * `EAPI:Rate limit exceeded`, as Kraken does. Every request is recorded with its arrival time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KrakenCall {
  path: string;
  key: string | undefined;
  at: number;
  /** the key's counter after the call (undefined for calls outside it) */
  counter: number | undefined;
  refused: boolean;
}

export interface KrakenCounterServer {
  url: string;
  calls: KrakenCall[];
  close(): Promise<void>;
}

const MAX_COUNTER = 15;
const DECAY_PER_SECOND = 0.33;
const UNCOUNTED = new Set(['/0/private/AddOrder', '/0/private/CancelOrder']);

export async function startKrakenCounterServer(): Promise<KrakenCounterServer> {
  const counters = new Map<string, { value: number; at: number }>();
  const calls: KrakenCall[] = [];
  let orders = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const now = Date.now();
      const path = (req.url ?? '').split('?')[0] ?? '';
      const key = req.headers['api-key'] as string | undefined;
      const send = (payload: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(payload));
      };
      let counter: number | undefined;
      if (path.startsWith('/0/private/')) {
        if (!key || !req.headers['api-sign']) return send({ error: ['EAPI:Invalid key'] });
        if (!UNCOUNTED.has(path)) {
          const state = counters.get(key) ?? { value: 0, at: now };
          const decayed = Math.max(0, state.value - ((now - state.at) / 1000) * DECAY_PER_SECOND);
          if (decayed + 1 > MAX_COUNTER) {
            counters.set(key, { value: decayed, at: now });
            calls.push({ path, key, at: now, counter: decayed, refused: true });
            return send({ error: ['EAPI:Rate limit exceeded'] });
          }
          counter = decayed + 1;
          counters.set(key, { value: counter, at: now });
        }
      }
      calls.push({ path, key, at: now, counter, refused: false });
      if (path === '/0/private/BalanceEx') return send({ error: [], result: { ZUSD: { balance: '1000.0000', hold_trade: '0.0000' }, XXBT: { balance: '0.0100000000', hold_trade: '0.0000000000' } } });
      if (path === '/0/private/AddOrder') {
        orders += 1;
        return send({ error: [], result: { descr: { order: `sell ${new URLSearchParams(body).get('volume')} XBTUSD @ market` }, txid: [`O${String(orders).padStart(5, '0')}-AAAAA-BBBBBB`] } });
      }
      if (path === '/0/public/Ticker') return send({ error: [], result: { XXBTZUSD: { c: ['50000.0', '0.1'], a: ['50001.0', '1', '1.0'], b: ['49999.0', '1', '1.0'] } } });
      res.statusCode = 404;
      send({ error: ['EGeneral:Unknown method'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
