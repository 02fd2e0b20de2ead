/**
 * Binance's market streams (wss://stream.binance.com/ws/<n>) in the emulator: a client sends
 * {"method":"SUBSCRIBE","params":["btcusdt@miniTicker"],"id":1}, is answered {"result":null,"id":1},
 * and from then on receives a 24hrMiniTicker event whenever the test sets that symbol's price.
 * `dropAll()` cuts every connection, as an exchange restart or a network blip would; `mute(id)`
 * stops pushing one symbol while the others go on (a stream that silently forgot a symbol).
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamLifecycle } from './emulator-http.ts';
import type { BinanceBook } from './binance-book.ts';

export interface BinanceStreams {
  /** streams subscribed per open connection */
  subscriptions(): string[][];
  /** SUBSCRIBE messages received in total */
  subscribeCount(): number;
  /** connections open right now */
  openConnections(): number;
  push(symbolId: string): void;
  mute(symbolId: string): void;
  unmute(symbolId: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

export function attachBinanceStreams(server: Server, book: BinanceBook, now: () => number): BinanceStreams {
  const wss = new WebSocketServer({ noServer: true });
  const streams = new Map<WebSocket, Set<string>>();
  let subscribes = 0;
  const muted = new Set<string>();

  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/ws')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      streams.set(ws, new Set());
      ws.on('close', () => streams.delete(ws));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { method?: string; params?: string[]; id?: number };
        const subscribed = streams.get(ws);
        if (!subscribed) return;
        if (message.method === 'SUBSCRIBE') {
          subscribes += 1;
          for (const stream of message.params ?? []) subscribed.add(stream);
          ws.send(JSON.stringify({ result: null, id: message.id }));
          // like Binance, the current state follows soon after subscribing
          setTimeout(() => {
            for (const stream of message.params ?? []) send(ws, stream);
          }, 5);
        } else if (message.method === 'UNSUBSCRIBE') {
          for (const stream of message.params ?? []) subscribed.delete(stream);
          ws.send(JSON.stringify({ result: null, id: message.id }));
        }
      });
    });
  });

  function send(ws: WebSocket, stream: string): void {
    const [id] = stream.split('@');
    const symbol = [...book.markets.keys()].find((key) => key.toLowerCase() === id);
    if (!symbol || muted.has(symbol) || ws.readyState !== ws.OPEN) return;
    const price = String(book.price(symbol));
    ws.send(JSON.stringify({ e: '24hrMiniTicker', E: now(), s: symbol, c: price, o: price, h: price, l: price, v: '1000', q: '100000' }));
  }

  return {
    subscriptions: () => [...streams.values()].map((set) => [...set]),
    subscribeCount: () => subscribes,
    openConnections: () => streams.size,
    mute: (symbolId) => muted.add(symbolId),
    unmute: (symbolId) => muted.delete(symbolId),
    push(symbolId) {
      const stream = `${symbolId.toLowerCase()}@miniTicker`;
      for (const [ws, subscribed] of streams) if (subscribed.has(stream)) send(ws, stream);
    },
    ...streamLifecycle(wss, () => streams.keys()),
  };
}
