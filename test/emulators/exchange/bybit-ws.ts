/**
 * Bybit's public v5 ticker streams in the emulator (wss://stream.bybit.com/v5/public/spot and
 * /linear): a client sends {"op":"subscribe","args":["tickers.BTCUSDT"],"req_id":"1"}, is answered
 * {"success":true,"op":"subscribe",…}, then receives the ticker whenever the test sets that price:
 * spot always as a snapshot (with usdIndexPrice), linear a snapshot first and deltas after, as
 * Bybit sends them. {"op":"ping"} is answered with a pong. `dropAll()` cuts every connection.
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamLifecycle } from './emulator-http.ts';
import type { BybitBook } from './bybit-book.ts';
import { tickerJson } from './bybit-json.ts';
import type { Category } from './bybit-types.ts';

export interface BybitStreams {
  /** topics subscribed per open connection */
  subscriptions(): string[][];
  subscribeCount(): number;
  openConnections(): number;
  push(symbol: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

interface Connection {
  category: Category;
  topics: Set<string>;
  /** linear topics that had their snapshot */
  snapped: Set<string>;
}

export function attachBybitStreams(server: Server, book: BybitBook, now: () => number): BybitStreams {
  const wss = new WebSocketServer({ noServer: true });
  const connections = new Map<WebSocket, Connection>();
  let subscribes = 0;
  let connId = 0;

  server.on('upgrade', (req, socket, head) => {
    const category = req.url?.startsWith('/v5/public/spot') ? 'spot' : req.url?.startsWith('/v5/public/linear') ? 'linear' : undefined;
    if (!category) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = `emulator-${++connId}`;
      connections.set(ws, { category, topics: new Set(), snapped: new Set() });
      ws.on('close', () => connections.delete(ws));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { op?: string; args?: string[]; req_id?: string };
        const connection = connections.get(ws);
        if (!connection) return;
        const reply = (extra: Record<string, unknown>) => ws.send(JSON.stringify({ success: true, ret_msg: '', conn_id: id, req_id: message.req_id ?? '', op: message.op, ...extra }));
        if (message.op === 'ping') return reply({ ret_msg: 'pong' });
        if (message.op === 'subscribe') {
          subscribes += 1;
          for (const topic of message.args ?? []) connection.topics.add(topic);
          reply({});
          setTimeout(() => {
            for (const topic of message.args ?? []) send(ws, connection, topic);
          }, 5);
        } else if (message.op === 'unsubscribe') {
          for (const topic of message.args ?? []) {
            connection.topics.delete(topic);
            connection.snapped.delete(topic);
          }
          reply({});
        }
      });
    });
  });

  function send(ws: WebSocket, connection: Connection, topic: string): void {
    const symbol = topic.split('.')[1] ?? '';
    const market = book.markets.get(symbol);
    if (!market || ws.readyState !== ws.OPEN) return;
    const full = tickerJson(book, market, connection.category);
    const snapshot = connection.category === 'spot' || !connection.snapped.has(topic);
    connection.snapped.add(topic);
    const data = snapshot ? full : { symbol, lastPrice: full.lastPrice, markPrice: full.markPrice, indexPrice: full.indexPrice, bid1Price: full.bid1Price, ask1Price: full.ask1Price };
    ws.send(JSON.stringify({ topic, type: snapshot ? 'snapshot' : 'delta', ts: now(), cs: 1, data }));
  }

  return {
    subscriptions: () => [...connections.values()].map((c) => [...c.topics]),
    subscribeCount: () => subscribes,
    openConnections: () => connections.size,
    push(symbol) {
      const topic = `tickers.${symbol}`;
      for (const [ws, connection] of connections) if (connection.topics.has(topic)) send(ws, connection, topic);
    },
    ...streamLifecycle(wss, () => connections.keys()),
  };
}
