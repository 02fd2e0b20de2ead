/**
 * Kraken's public websocket v2 (wss://ws.kraken.com/v2) in the emulator, the ticker channel: a
 * client sends {"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USDT"]},"req_id":1},
 * is answered one {"method":"subscribe","result":{…},"success":true} per symbol, then gets a
 * `snapshot` at once and an `update` whenever the test sets that pair's price. An unknown symbol
 * is refused ("Currency pair not supported"); {"method":"ping"} is answered {"method":"pong"}.
 * `dropAll()` cuts every connection (an exchange restart or a network blip).
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamLifecycle } from './emulator-http.ts';
import type { KrakenBook } from './kraken-book.ts';
import { fixed, type KrakenPair } from './kraken-types.ts';

export interface KrakenStreams {
  /** v2 symbols subscribed per open connection */
  subscriptions(): string[][];
  openConnections(): number;
  push(pairId: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

/** the v2 name of a pair: unified codes (`BTC/USDT`, not v1's `XBT/USDT`) */
export function v2Symbol(book: KrakenBook, pair: KrakenPair): string {
  return `${book.asset(pair.base).code}/${book.asset(pair.quote).code}`;
}

export function attachKrakenStreams(server: Server, book: KrakenBook, now: () => number): KrakenStreams {
  const wss = new WebSocketServer({ noServer: true });
  const streams = new Map<WebSocket, Set<string>>();
  const pairOf = (symbol: string) => book.pairs.find((p) => v2Symbol(book, p) === symbol);
  const stamp = () => new Date(now()).toISOString();

  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/v2')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      streams.set(ws, new Set());
      ws.on('close', () => streams.delete(ws));
      ws.on('message', (data) => {
        let message: { method?: string; params?: { channel?: string; symbol?: string[] }; req_id?: number };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          return ws.send(JSON.stringify({ error: 'Malformed request', success: false, time_in: stamp(), time_out: stamp() }));
        }
        const reqId = message.req_id;
        if (message.method === 'ping') return ws.send(JSON.stringify({ method: 'pong', req_id: reqId, time_in: stamp(), time_out: stamp() }));
        const symbols = streams.get(ws);
        if (!symbols || (message.method !== 'subscribe' && message.method !== 'unsubscribe')) return;
        const channel = message.params?.channel;
        for (const symbol of message.params?.symbol ?? []) {
          const pair = pairOf(symbol);
          if (channel !== 'ticker' || !pair) {
            ws.send(JSON.stringify({ error: channel !== 'ticker' ? `Channel ${String(channel)} not served` : `Currency pair not supported ${symbol}`, method: message.method, req_id: reqId, success: false, symbol, time_in: stamp(), time_out: stamp() }));
            continue;
          }
          if (message.method === 'subscribe') {
            symbols.add(symbol);
            ws.send(JSON.stringify({ method: 'subscribe', req_id: reqId, result: { channel: 'ticker', event_trigger: 'trades', snapshot: true, symbol }, success: true, time_in: stamp(), time_out: stamp() }));
            setTimeout(() => send(ws, pair, 'snapshot'), 5);
          } else {
            symbols.delete(symbol);
            ws.send(JSON.stringify({ method: 'unsubscribe', req_id: reqId, result: { channel: 'ticker', symbol }, success: true, time_in: stamp(), time_out: stamp() }));
          }
        }
      });
    });
  });

  function send(ws: WebSocket, pair: KrakenPair, type: 'snapshot' | 'update'): void {
    const price = book.prices.get(pair.id);
    if (price === undefined || ws.readyState !== ws.OPEN) return;
    const tick = 10 ** -pair.pairDecimals;
    const p = (v: number) => Number(fixed(v, pair.pairDecimals));
    const data = { symbol: v2Symbol(book, pair), bid: p(price - tick), bid_qty: 1, ask: p(price + tick), ask_qty: 1, last: price, volume: 250, vwap: price, low: price, high: price, change: 0, change_pct: 0 };
    ws.send(JSON.stringify({ channel: 'ticker', type, data: [data] }));
  }

  return {
    subscriptions: () => [...streams.values()].map((symbols) => [...symbols]),
    openConnections: () => streams.size,
    push(pairId) {
      const pair = book.pair(pairId);
      const symbol = v2Symbol(book, pair);
      for (const [ws, symbols] of streams) if (symbols.has(symbol)) send(ws, pair, 'update');
    },
    ...streamLifecycle(wss, () => streams.keys()),
  };
}
