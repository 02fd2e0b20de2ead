import { parseSettings, type TradingSettings } from '../domain/settings.ts';
import type { Candle, Result } from '../domain/types.ts';
import { CsvError, parseCandlesBytes, parseCandlesCsv, parseSignalsCsv, type SignalRow } from '../domain/csv.ts';
import { runBacktest, type BacktestRun } from './engine.ts';
import { summarize, type BacktestSummary } from './report.ts';

/** Bad input: names the file, the line and the column (1-based). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface CsvInput {
  file: string;
  text: string;
}

/** a candles file as text, or as the bytes read from disk (parsed without decoding: parseCandlesBytes) */
export type CandlesInput = { file: string; text: string } | { file: string; bytes: Uint8Array };

export interface BacktestInputs {
  /** symbol null = a plain FILE: the symbol is the one the signals name */
  candles: Array<CandlesInput & { symbol: string | null }>;
  signals: CsvInput;
  settings?: CsvInput | null;
  balance: number;
  fee: number;
  slippage: number;
  fixedQty: number | null;
}

export interface BacktestOutput {
  run: BacktestRun;
  summary: BacktestSummary;
  /** SPEC §8 output document */
  json: { trades: BacktestRun['trades']; summary: BacktestSummary };
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** Settings JSON with errors located at the offending key. */
export function readSettingsFile(input: CsvInput): Result<TradingSettings, InputError> {
  let json: unknown;
  try {
    json = JSON.parse(input.text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const at = lineColumn(input.text, m ? Number(m[1]) : 0);
    return { ok: false, error: new InputError(`${input.file}:${at.line}:${at.column}: invalid JSON (${(e as Error).message})`) };
  }
  const r = parseSettings(json);
  if (r.ok) return r;
  const messages = r.error.map((msg) => {
    const key = /^unknown key "([^"]+)"/.exec(msg)?.[1] ?? /^([a-z_]+)[.:]/.exec(msg)?.[1];
    const idx = key ? input.text.indexOf(`"${key}"`) : -1;
    const at = lineColumn(input.text, Math.max(0, idx));
    return `${input.file}:${idx >= 0 ? at.line : 1}:${idx >= 0 ? at.column : 1}: ${msg}`;
  });
  return { ok: false, error: new InputError(messages.join('\n')) };
}

/** Parses every input (first error wins) and runs the backtest. */
export function backtestFromCsv(inputs: BacktestInputs): Result<BacktestOutput, InputError> {
  let settings: TradingSettings;
  if (inputs.settings) {
    const s = readSettingsFile(inputs.settings);
    if (!s.ok) return s;
    settings = s.value;
  } else {
    const s = parseSettings({});
    if (!s.ok) throw new Error('default settings do not parse');
    settings = s.value;
  }
  const sig = parseSignalsCsv(inputs.signals.text, inputs.signals.file);
  if (!sig.ok) return { ok: false, error: new InputError(sig.error.message) };
  const signals: SignalRow[] = sig.value;
  const named = [...new Set(signals.map((s) => s.symbol))];
  const candles = new Map<string, Candle[]>();
  for (const c of inputs.candles) {
    let symbol = c.symbol;
    if (symbol === null) {
      if (inputs.candles.length > 1 || named.length > 1) {
        return { ok: false, error: new InputError(`${inputs.signals.file}:1:1: the signals name ${named.length} symbols (${named.join(', ')}); pass --candles SYMBOL=FILE for each`) };
      }
      symbol = named[0] ?? c.file;
    }
    const parsed = 'bytes' in c ? parseCandlesBytes(c.bytes, c.file) : parseCandlesCsv(c.text, c.file);
    if (!parsed.ok) return { ok: false, error: new InputError(parsed.error.message) };
    if (parsed.value.length === 0) return { ok: false, error: new InputError(`${c.file}:2:1: no candles`) };
    candles.set(symbol, parsed.value);
  }
  const orphan = signals.find((s) => !candles.has(s.symbol));
  if (orphan) {
    return { ok: false, error: new InputError(`${inputs.signals.file}:${orphan.line}:${orphan.symbolColumn}: no --candles for symbol ${orphan.symbol}`) };
  }
  const run = runBacktest(candles, signals, {
    settings,
    balance: inputs.balance,
    fee: inputs.fee,
    slippage: inputs.slippage,
    fixedQty: inputs.fixedQty,
  });
  const summary = summarize(run, signals.length);
  return { ok: true, value: { run, summary, json: { trades: run.trades, summary } } };
}

export { CsvError };
