import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'backtest', 'cli.ts');
// node with tsx's loader, as `npm run backtest` (tsx) ends up running it, without the tsx CLI's extra process
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const BTC = fixtureFile('BTC_USDT-1m-2021-02-19.csv');
const SIGNALS = fixtureFile('btc-2021-02-19-signals.csv');
const SETTINGS = fixtureFile('backtest-settings.json');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX_LOADER, CLI, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('backtest CLI (SPEC §8), run as a child process', () => {
  it('replays a week of BTC/USDT 1m candles with the fixture signals and writes the trades JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-'));
    const out = join(dir, 'trades.json');
    const r = await cli(['--candles', BTC, '--signals', SIGNALS, '--settings', SETTINGS, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('trades            5 (4 won, 1 lost)');
    expect(r.stdout).toMatch(/exits by reason\n {2}stop_loss {15}1\n {2}trailing_stop {11}4\n {2}partial_tp {14}9/);
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(Object.keys(json)).toEqual(['trades', 'summary']);
    expect(json.trades).toHaveLength(5);
    expect(Object.keys(json.trades[0])).toEqual(['symbol', 'side', 'entry_time', 'entry_price', 'qty', 'exits', 'pnl']);
    expect(Object.keys(json.trades[0].exits[0])).toEqual(['time', 'price', 'qty', 'reason']);
    expect(json.trades[0]).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entry_time: Date.parse('2021-02-19T02:00:00Z') });
    expect(json.summary.trades).toBe(5);
    expect(json.summary.exits_by_reason.partial_tp).toBe(9);
  });

  it('with --fixed-qty every traded position has that quantity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-'));
    const out = join(dir, 'trades.json');
    const r = await cli(['--candles', `BTC/USDT=${BTC}`, '--signals', SIGNALS, '--fixed-qty', '0.5', '--fee', '0', '--slippage', '0', '--out', out]);
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(json.trades.length).toBeGreaterThan(0);
    for (const t of json.trades) {
      expect(t.qty).toBe(0.5);
      const sold = t.exits.reduce((s: number, e: { qty: number }) => s + e.qty, 0);
      expect(sold).toBeCloseTo(0.5, 12);
    }
  });

  it('exits 2 naming file, line and column for a bad candle row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-'));
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'timestamp,open,high,low,close,volume\n1613692800000,51552.61,51657.05,51545,51613.38,1\n1613692860000,51622.99,oops,51606.39,51678.84,1\n');
    const r = await cli(['--candles', bad, '--signals', SIGNALS]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${bad}:3:24: high "oops" is not a number`);
  });

  it('exits 2 naming the key, line and column of an unknown settings key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-'));
    const settings = join(dir, 's.json');
    await writeFile(settings, '{\n  "mode": "spot",\n  "trailing_stop": 1\n}\n');
    const r = await cli(['--candles', BTC, '--signals', SIGNALS, '--settings', settings]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${settings}:3:3: unknown key "trailing_stop"`);
  });

  it('exits 2 on a bad signals row, an unknown option and a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-'));
    const sig = join(dir, 's.csv');
    await writeFile(sig, 'created_at,symbol,action,confidence,source,stop_loss,take_profit\n2021-02-19T02:00:00Z,BTC/USDT,BUY,high,titan_v3,,\n');
    const bad = await cli(['--candles', BTC, '--signals', sig]);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, `${sig}:2:35: confidence "high" is not a number in 0..1`]);
    const opt = await cli(['--candles', BTC, '--signals', SIGNALS, '--leverage', '5']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("Unknown option '--leverage'");
    const missing = await cli(['--candles', join(dir, 'nope.csv'), '--signals', SIGNALS]);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, `${join(dir, 'nope.csv')}:1:1: cannot read (ENOENT)`]);
  });
});
