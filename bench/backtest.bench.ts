import { availableParallelism, loadavg } from 'node:os';
import { backtestFromCsv } from '../src/backtest/run.ts';
import { fmt, ms, rng, type Bench } from './lib.ts';

const CANDLES = 1_000_000;
const SIGNALS = 5_000;
const T0 = Date.UTC(2023, 0, 1);
const MIN = 60_000;

/** A random walk of one-minute BTC-like candles (≈0.08 % per-minute volatility). */
export function candlesCsv(): string {
  const r = rng(42);
  const parts: string[] = ['timestamp,open,high,low,close,volume'];
  let price = 30_000;
  for (let i = 0; i < CANDLES; i++) {
    const open = price;
    const close = open * (1 + (r() - 0.5) * 0.0028);
    const high = Math.max(open, close) * (1 + r() * 0.0008);
    const low = Math.min(open, close) * (1 - r() * 0.0008);
    parts.push(`${T0 + i * MIN},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${(r() * 50).toFixed(4)}`);
    price = close;
  }
  return `${parts.join('\n')}\n`;
}

export function signalsCsv(): string {
  const r = rng(7);
  const sources = ['titan_v3', 'titan_v3', 'COUNCIL_V2.0_FALLBACK', 'ai-scheduler'];
  const rows: string[] = ['created_at,symbol,action,confidence,source,stop_loss,take_profit'];
  for (let i = 0; i < SIGNALS; i++) {
    const t = T0 + Math.floor(r() * CANDLES) * MIN + Math.floor(r() * MIN);
    const action = r() < 0.45 ? 'BUY' : r() < 0.9 ? 'SELL' : 'HOLD';
    rows.push(`${t},BTC/USDT,${action},${(0.3 + r() * 0.65).toFixed(2)},${sources[Math.floor(r() * sources.length)]},,`);
  }
  return `${rows.join('\n')}\n`;
}

/** The baseline: split into lines and fields and turn every field into a number, nothing else. */
function bareParse(text: string): number {
  let sum = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const f = line.split(',');
    for (let k = 0; k < f.length; k++) sum += Number(f[k]);
  }
  return sum;
}

const bench: Bench = {
  name: `backtest: ${fmt(CANDLES / 1e6, 0)}M one-minute candles, ${fmt(SIGNALS, 0)} signals`,
  run() {
    let t = process.hrtime.bigint();
    const candles = candlesCsv();
    const signals = signalsCsv();
    console.log(`generated ${fmt(candles.length / 1e6)} MB of candles CSV in ${fmt(ms(t), 0)} ms`);
    const settings = JSON.stringify({ mode: 'futures', leverage: 3, max_position: 5000 });
    const inputs = {
      candles: [{ symbol: null, file: 'bench-candles.csv', text: candles }],
      signals: { file: 'bench-signals.csv', text: signals },
      settings: { file: 'bench-settings.json', text: settings },
      balance: 10_000,
      fee: 0.001,
      slippage: 0.0005,
      fixedQty: null,
    };
    // warm-up on a slice so the JIT has seen both paths
    bareParse(candles.slice(0, 2_000_000));
    const warm = candles.slice(0, candles.indexOf('\n', 2_000_000) + 1);
    backtestFromCsv({ ...inputs, candles: [{ symbol: null, file: 'warm.csv', text: warm }] });

    const bare: number[] = [];
    const sized: number[] = [];
    const fixed: number[] = [];
    let lastSized: ReturnType<typeof backtestFromCsv> | null = null;
    let lastFixed: ReturnType<typeof backtestFromCsv> | null = null;
    for (let round = 0; round < 3; round++) {
      t = process.hrtime.bigint();
      bareParse(candles);
      bare.push(ms(t));
      t = process.hrtime.bigint();
      lastSized = backtestFromCsv(inputs);
      sized.push(ms(t));
      t = process.hrtime.bigint();
      lastFixed = backtestFromCsv({ ...inputs, fixedQty: 0.1 });
      fixed.push(ms(t));
    }
    if (lastSized === null || !lastSized.ok || lastFixed === null || !lastFixed.ok) throw new Error('backtest failed');
    const b = Math.min(...bare);
    console.log(`bare parse of the candles CSV (split + Number), best of 3: ${fmt(b, 0)} ms`);
    for (const [label, times, res] of [
      ['sized (seed sizing, half-Kelly, limits)', sized, lastSized.value],
      ['--fixed-qty 0.1 (every valid signal trades)', fixed, lastFixed.value],
    ] as const) {
      const f = Math.min(...times);
      const s = res.summary;
      console.log(`backtest ${label}`);
      console.log(`  wall time (parse + simulate), best of 3   ${fmt(f, 0)} ms`);
      console.log(`  ticks per second                          ${fmt(s.ticks / (f / 1000) / 1e6, 2)} M (${fmt(s.ticks / 1e6, 0)} M ticks)`);
      console.log(`  backtest / bare parse                     ${fmt(f / b, 2)}× (target ≤ 2×)`);
      console.log(`  trades ${s.trades}, win rate ${fmt(s.win_rate * 100)} %, signals not traded ${s.signals.rejected}`);
    }
    console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (1/5/15 min)`);
  },
};

export default bench;
