/**
 * OKX's public websocket (wss://ws.okx.com:8443/ws/v5/public) in the emulator: a client sends
 * {"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"}]}, is answered
 * {"event":"subscribe","arg":{…},"connId":…} per channel, and from then on receives
 * {"arg":{…},"data":[ticker]} whenever the test sets that instrument's price. OKX's text
 * keep-alive: "ping" is answered "pong". `dropAll()` cuts every connection.
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamLifecycle } from './emulator-http.ts';
import type { OkxBook } from './okx-book.ts';
import { tickerJson } from './okx-json.ts';

export interface OkxStreams {
  /** instIds subscribed per open connection */
  subscriptions(): string[][];
  subscribeCount(): number;
  openConnections(): number;
  push(instId: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

export function attachOkxStreams(server: Server, book: OkxBook, now: () => number): OkxStreams {
  const wss = new WebSocketServer({ noServer: true });
  const streams = new Map<WebSocket, Set<string>>();
  let subscribes = 0;
  let connId = 0;

  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/ws/v5/public')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = (connId += 1).toString(16).padStart(8, '0');
      streams.set(ws, new Set());
      ws.on('close', () => streams.delete(ws));
      ws.on('message', (data) => {
        const text = String(data);
        if (text === 'ping') return ws.send('pong');
        const subscribed = streams.get(ws);
        let message: { op?: string; args?: Array<{ channel?: string; instId?: string }> };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return ws.send(JSON.stringify({ event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: id }));
        }
        for (const arg of message.args ?? []) {
          if (arg.channel !== 'tickers' || !arg.instId || !book.markets.has(arg.instId)) {
            ws.send(JSON.stringify({ event: 'error', code: '60018', msg: `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist.`, connId: id }));
            continue;
          }
          if (message.op === 'subscribe') {
            subscribes += 1;
            subscribed?.add(arg.instId);
            ws.send(JSON.stringify({ event: 'subscribe', arg, connId: id }));
          } else if (message.op === 'unsubscribe') {
            subscribed?.delete(arg.instId);
            ws.send(JSON.stringify({ event: 'unsubscribe', arg, connId: id }));
          }
        }
      });
    });
  });

  return {
    subscriptions: () => [...streams.values()].map((s) => [...s]),
    subscribeCount: () => subscribes,
    openConnections: () => streams.size,
    push(instId) {
      const market = book.markets.get(instId);
      if (!market || !book.prices.has(instId)) return;
      const message = JSON.stringify({ arg: { channel: 'tickers', instId }, data: [tickerJson(book, market, now())] });
      for (const [ws, subscribed] of streams) if (subscribed.has(instId)) ws.send(message);
    },
    ...streamLifecycle(wss, () => streams.keys()),
  };
}
