/**
 * The built-in council as the engine runs it (SPEC §9, the seed's COUNCIL_V2.0_FALLBACK): every
 * `minutes`, for each symbol that had no titan_v3 signal within the last interval, the members
 * vote on the latest closed hourly candles of the market-data exchange (or the replay feed) and
 * one row goes into trading_signals: from there it is validated, sized and executed like any
 * producer's row (NOTIFY → intake). A HOLD that repeats the symbol's last council HOLD is not
 * written (domain/council/schedule.ts). One failing symbol never stops the others.
 */
import { COUNCIL_SOURCE, convene, worthStoring, type Verdict } from '../domain/council/index.ts';
import type { CouncilSignalsRepo } from '../db/repos/council-signals.ts';
import { symbolKey } from '../db/repos/council-signals.ts';
import type { Clock } from './clock.ts';
import type { CandleSource } from './decide-entry.ts';
import type { CouncilStatus } from './facade.ts';
import type { EngineLogger } from './ports.ts';

/** the primary producer the council stands in for */
export const PRIMARY_SOURCE = 'titan_v3';

export interface CouncilOptions {
  /** COUNCIL_SYMBOLS */
  symbols: readonly string[];
  /** COUNCIL_MINUTES */
  minutes: number;
  /** the exchange whose candles the council reads ('binance' live, 'replay' offline) */
  exchange: string;
  candles: CandleSource;
  /**
   * what starts the runs after the first; default every `minutes` of wall time. A replay passes
   * its market clock (replayCouncilSchedule), so the council votes every `minutes` of replayed time.
   */
  schedule?: ((run: () => void) => () => void) | undefined;
}

export interface CouncilRunResult {
  symbol: string;
  /** the verdict, when the council voted */
  verdict: Verdict | null;
  /** the row written, when one was */
  signalId: string | null;
  note: string;
}

export function createCouncil(deps: { repo: CouncilSignalsRepo; clock: Clock; logger: EngineLogger; options: CouncilOptions }) {
  const { repo, clock, logger, options } = deps;
  let lastRun: { at: number; results: CouncilRunResult[] } | null = null;

  async function runSymbol(symbol: string, primary: ReadonlySet<string>, now: number): Promise<CouncilRunResult> {
    if (primary.has(symbolKey(symbol))) return { symbol, verdict: null, signalId: null, note: `skipped: a ${PRIMARY_SOURCE} signal arrived within ${options.minutes} min` };
    const candles = await options.candles(options.exchange, symbol);
    // no market data (the candle source logged why): nothing to vote on, nothing written
    if (candles.length === 0) return { symbol, verdict: null, signalId: null, note: `no candles from ${options.exchange}` };
    const verdict = convene(candles);
    const previous = await repo.lastAction(COUNCIL_SOURCE, symbol);
    if (!worthStoring(previous === null ? null : (previous.toUpperCase() as Verdict['action']), verdict.action)) {
      return { symbol, verdict, signalId: null, note: 'HOLD again: not written' };
    }
    const signalId = await repo.insert({
      symbol,
      action: verdict.action,
      confidence: verdict.confidence,
      source: COUNCIL_SOURCE,
      reasoning: verdict.reasoning,
      createdAt: now,
      // the next run speaks for the symbol again
      expiresAt: now + options.minutes * 60_000,
    });
    logger.info({ symbol, action: verdict.action, confidence: verdict.confidence, signalId }, 'council wrote a signal');
    return { symbol, verdict, signalId, note: 'written' };
  }

  /** One council run over every symbol. */
  async function run(): Promise<CouncilRunResult[]> {
    const now = clock.now();
    const primary = await repo.symbolsWithSignalSince(PRIMARY_SOURCE, now - options.minutes * 60_000);
    const results: CouncilRunResult[] = [];
    for (const symbol of options.symbols) {
      try {
        results.push(await runSymbol(symbol, primary, now));
      } catch (error) {
        logger.warn({ err: error, symbol }, 'council run failed for a symbol');
        results.push({ symbol, verdict: null, signalId: null, note: `failed: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    lastRun = { at: now, results };
    return results;
  }

  function status(): CouncilStatus {
    return {
      minutes: options.minutes,
      symbols: [...options.symbols],
      lastRun: lastRun
        ? {
            at: new Date(lastRun.at),
            results: lastRun.results.map((r) => ({ symbol: r.symbol, action: r.verdict?.action ?? null, confidence: r.verdict?.confidence ?? null, note: r.note })),
          }
        : null,
    };
  }

  return { run, status };
}

export type Council = ReturnType<typeof createCouncil>;
