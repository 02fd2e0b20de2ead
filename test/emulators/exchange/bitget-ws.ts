/**
 * Bitget's public websocket (wss://ws.bitget.com/v2/ws/public) in the emulator: a client sends
 * {"op":"subscribe","args":[{"instType":"SPOT"|"USDT-FUTURES","channel":"ticker","instId":"BTCUSDT"}]},
 * is answered {"event":"subscribe","arg":…} per topic, then gets a ticker snapshot at once and one
 * whenever the test sets that symbol's price. The text "ping" is answered "pong".
 * `dropAll()` cuts every connection (an exchange restart or a network blip).
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamLifecycle } from './emulator-http.ts';
import type { BitgetBook } from './bitget-book.ts';

interface Topic {
  instType: string;
  channel: string;
  instId: string;
}

export interface BitgetStreams {
  /** topics subscribed per open connection, as "instType:instId" */
  subscriptions(): string[][];
  subscribeCount(): number;
  openConnections(): number;
  push(symbolId: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

const key = (t: Topic) => `${t.instType}:${t.instId}`;

export function attachBitgetStreams(server: Server, book: BitgetBook, now: () => number): BitgetStreams {
  const wss = new WebSocketServer({ noServer: true });
  const streams = new Map<WebSocket, Map<string, Topic>>();
  let subscribes = 0;

  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/v2/ws/public')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      streams.set(ws, new Map());
      ws.on('close', () => streams.delete(ws));
      ws.on('message', (data) => {
        const text = String(data);
        if (text === 'ping' || text === '"ping"') return ws.send('pong');
        let message: { op?: string; args?: Topic[] };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return ws.send(JSON.stringify({ event: 'error', code: 30001, msg: `Invalid request: ${text}` }));
        }
        const topics = streams.get(ws);
        if (!topics) return;
        for (const topic of message.args ?? []) {
          if (message.op === 'subscribe') {
            if (topic.channel !== 'ticker' || !book.markets.has(topic.instId)) {
              ws.send(JSON.stringify({ event: 'error', arg: topic, code: 30001, msg: `instType:${topic.instType},channel:${topic.channel},instId:${topic.instId} doesn't exist` }));
              continue;
            }
            subscribes += 1;
            topics.set(key(topic), topic);
            ws.send(JSON.stringify({ event: 'subscribe', arg: topic }));
            setTimeout(() => send(ws, topic, 'snapshot'), 5);
          } else if (message.op === 'unsubscribe') {
            topics.delete(key(topic));
            ws.send(JSON.stringify({ event: 'unsubscribe', arg: topic }));
          }
        }
      });
    });
  });

  function send(ws: WebSocket, topic: Topic, action: 'snapshot' | 'update'): void {
    const price = book.prices.get(topic.instId);
    if (price === undefined || ws.readyState !== ws.OPEN) return;
    const p = String(price);
    const ts = String(now());
    const data = { instId: topic.instId, lastPr: p, open24h: p, high24h: p, low24h: p, change24h: '0', bidPr: p, askPr: p, bidSz: '1', askSz: '1', baseVolume: '1000', quoteVolume: String(1000 * price), openUtc: p, changeUtc24h: '0', ts };
    ws.send(JSON.stringify({ action, arg: { instType: topic.instType, channel: 'ticker', instId: topic.instId }, data: [data], ts: now() }));
  }

  return {
    subscriptions: () => [...streams.values()].map((topics) => [...topics.keys()]),
    subscribeCount: () => subscribes,
    openConnections: () => streams.size,
    push(symbolId) {
      for (const [ws, topics] of streams) for (const topic of topics.values()) if (topic.instId === symbolId) send(ws, topic, 'snapshot');
    },
    ...streamLifecycle(wss, () => streams.keys()),
  };
}
