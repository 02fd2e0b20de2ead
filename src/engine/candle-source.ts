/**
 * Live candles for the entry decision (CandleSource): the hourly candles the domain reads the
 * regime and ATR on (REGIME_INTERVAL_MS, the last REGIME_HISTORY closed ones, exactly as the
 * backtest does), from an exchange's keyless public port.
 *
 *  - Cache per (exchange, symbol) until the next hourly candle closes (the closed set cannot change
 *    before; a few seconds after, so the exchange has it), or `ttlMs`: a symbol's candles cost one
 *    request an hour; calls while a request is in flight share it.
 *  - A failure gives [] (the decision falls back to percent SL/TP and volatility 0), is cached
 *    for `failureTtlMs` (default 1 min) so an outage is not hammered, and is logged once until
 *    the symbol's candles come back.
 *  - Only closed candles are returned: the candle still forming at `now` is dropped.
 *
 * main.ts: `candles: createCandleSource({ publicPort: (exchange, mode) => exchanges.publicPort(exchange as ExchangeId, mode), logger })`
 */
import { REGIME_HISTORY, REGIME_INTERVAL_MS } from '../domain/volatility.ts';
import type { Candle } from '../domain/types.ts';
import type { ExchangePort, TradingMode } from '../exchange/port.ts';
import type { CandleSource } from './decide-entry.ts';
import { silentLogger, type EngineLogger } from './ports.ts';

export interface CandleSourceDeps {
  /** the keyless public port of an exchange id for a mode ('futures' for 'BTC/USDT:USDT' symbols, else 'spot') */
  publicPort: (exchange: string, mode: TradingMode) => ExchangePort;
  /** ms since epoch; default Date.now */
  now?: () => number;
  /** ms a successful read is reused; default until the next hourly close */
  ttlMs?: number;
  /** ms a failed read answers [] without asking again; default 1 min */
  failureTtlMs?: number;
  logger?: EngineLogger;
}

/** ms after an hourly close before the new candle is asked for */
const CLOSE_MARGIN_MS = 5_000;

interface Entry {
  /** ms since epoch until which the entry answers */
  until: number;
  candles: Promise<Candle[]>;
}

export function createCandleSource(deps: CandleSourceDeps): CandleSource {
  const now = deps.now ?? Date.now;
  /** until when a read made at `at` answers */
  const freshUntil = (at: number) => (deps.ttlMs !== undefined ? at + deps.ttlMs : (Math.floor(at / REGIME_INTERVAL_MS) + 1) * REGIME_INTERVAL_MS + CLOSE_MARGIN_MS);
  const failureTtlMs = deps.failureTtlMs ?? 60_000;
  const logger = deps.logger ?? silentLogger;
  const cache = new Map<string, Entry>();
  /** keys whose last read failed and was logged (logged again only after a success) */
  const failing = new Set<string>();

  async function load(key: string, exchange: string, symbol: string, entry: Entry): Promise<Candle[]> {
    try {
      const port = deps.publicPort(exchange, symbol.includes(':') ? 'futures' : 'spot');
      if (!port.fetchCandles) throw new Error(`${exchange} offers no candles`);
      // one more than needed: the last one is usually still forming
      const raw = await port.fetchCandles(symbol, '1h', REGIME_HISTORY + 1);
      const at = now();
      const closed = raw.filter((c) => c.time + REGIME_INTERVAL_MS <= at).slice(-REGIME_HISTORY);
      failing.delete(key);
      return closed;
    } catch (error) {
      entry.until = now() + failureTtlMs;
      if (!failing.has(key)) {
        failing.add(key);
        logger.warn({ exchange, symbol, err: error instanceof Error ? error.message : String(error) }, 'candles unavailable; SL/TP fall back to percentages');
      }
      return [];
    }
  }

  return (exchange, symbol) => {
    const key = `${exchange}|${symbol}`;
    const cached = cache.get(key);
    if (cached && now() < cached.until) return cached.candles;
    const entry: Entry = { until: freshUntil(now()), candles: Promise.resolve([]) };
    entry.candles = load(key, exchange, symbol, entry);
    cache.set(key, entry);
    return entry.candles;
  };
}
