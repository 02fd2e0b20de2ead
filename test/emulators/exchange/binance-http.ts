/**
 * HTTP plumbing of the Binance emulator: ccxt's urls.api for a base url, body reading, JSON
 * answers, and kline rows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';

/** urls.api entries for ccxt binance / binanceusdm pointing at the emulator at `url` */
export function ccxtApiUrls(url: string): Record<string, string | Record<string, string>> {
  const spot = `${url}/api/v3`;
  const ws = url.replace('http://', 'ws://');
  return {
    ws: { spot: `${ws}/ws`, margin: `${ws}/ws`, future: `${ws}/ws`, delivery: `${ws}/ws` },
    public: spot,
    private: spot,
    v1: `${url}/api/v1`,
    sapi: `${url}/sapi/v1`,
    sapiV2: `${url}/sapi/v2`,
    sapiV3: `${url}/sapi/v3`,
    sapiV4: `${url}/sapi/v4`,
    fapiPublic: `${url}/fapi/v1`,
    fapiPublicV2: `${url}/fapi/v2`,
    fapiPublicV3: `${url}/fapi/v3`,
    fapiPrivate: `${url}/fapi/v1`,
    fapiPrivateV2: `${url}/fapi/v2`,
    fapiPrivateV3: `${url}/fapi/v3`,
    fapiData: `${url}/futures/data`,
    dapiPublic: `${url}/dapi/v1`,
    dapiPrivate: `${url}/dapi/v1`,
    dapiPrivateV2: `${url}/dapi/v2`,
    dapiData: `${url}/dapi/data`,
    eapiPublic: `${url}/eapi/v1`,
    eapiPrivate: `${url}/eapi/v1`,
    papi: `${url}/papi/v1`,
    papiV2: `${url}/papi/v2`,
  };
}

/** Binance kline rows: the last `limit` (default 500) candles with open time in [startTime, endTime] */
export function klinesJson(list: readonly Candle[], p: Record<string, string>): unknown[] {
  const start = p.startTime === undefined ? Number.NEGATIVE_INFINITY : Number(p.startTime);
  const end = p.endTime === undefined ? Number.POSITIVE_INFINITY : Number(p.endTime);
  const limit = p.limit === undefined ? 500 : Number(p.limit);
  const chosen = list.filter((c) => c.time >= start && c.time <= end);
  const rows = p.startTime === undefined ? chosen.slice(-limit) : chosen.slice(0, limit);
  const intervalMs = list.length > 1 ? list[1]!.time - list[0]!.time : 60_000;
  return rows.map((c) => [c.time, String(c.open), String(c.high), String(c.low), String(c.close), String(c.volume), c.time + intervalMs - 1, String(c.volume * c.close), 100, '0', '0', '0']);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
