import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'backtest', 'cli.js');

/** ms of wall time of a child process, from spawn to exit (startup, reading the file, the work) */
function timeProcess(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`node ${args.slice(0, 2).join(' ')} … exited ${r.status ?? r.signal}`);
  return ms(t);
}

/**
 * Issue 16's figure: the compiled backtest CLI as a whole process (node startup, reading the
 * files, parsing, simulating, the report) against a whole process that only reads the candles
 * file and splits it into numbers, best of 3 each.
 */
function wholeProcess(candles: string, signals: string, settings: string): void {
  // the compiled JavaScript, as `npm start` runs the bot: build when dist/ is missing
  if (!existsSync(CLI)) {
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-backtest-'));
  try {
    const files = { candles: join(dir, 'candles.csv'), signals: join(dir, 'signals.csv'), settings: join(dir, 'settings.json') };
    writeFileSync(files.candles, candles);
    writeFileSync(files.signals, signals);
    writeFileSync(files.settings, settings);
    const bareScript =
      "const t=require('fs').readFileSync(process.argv[1],'utf8').split('\\n');let s=0;" +
      "for(let i=1;i<t.length;i++){if(t[i]==='')continue;const f=t[i].split(',');for(let k=0;k<f.length;k++)s+=Number(f[k]);}" +
      'if(s===-1)console.log(s);';
    const cli = (extra: string[]) => [CLI, '--candles', files.candles, '--signals', files.signals, '--settings', files.settings, ...extra];
    const bare: number[] = [];
    const sized: number[] = [];
    const fixed: number[] = [];
    for (let round = 0; round < 3; round++) {
      bare.push(timeProcess(['-e', bareScript, files.candles]));
      sized.push(timeProcess(cli([])));
      fixed.push(timeProcess(cli(['--fixed-qty', '0.1'])));
    }
    const b = Math.min(...bare);
    console.log('whole process, startup included (node dist/backtest/cli.js vs node -e reading and splitting the file)');
    console.log(`  bare parse process, best of 3            ${fmt(b, 0)} ms`);
    for (const [label, times] of [
      ['sized', sized],
      ['--fixed-qty 0.1', fixed],
    ] as const) {
      const f = Math.min(...times);
      console.log(`  backtest ${label.padEnd(16)} best of 3   ${fmt(f, 0)} ms = ${fmt(f / b, 2)}× (target ≤ 1.3×)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    wholeProcess(candles, signals, settings);
    console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (1/5/15 min)`);
  },
};

export default bench;
