import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCouncilCli } from '../../src/backtest/council-cli.ts';
import { runCli } from '../../src/backtest/cli.ts';

const CANDLES = new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url).pathname;

async function run(args: string[], cli = runCouncilCli) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cli(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run council', () => {
  it('writes the council over the recorded week as a signals CSV the backtest reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'council-'));
    const file = join(dir, 'council.csv');
    const r = await run(['--candles', CANDLES, '--out', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('296 rows (100 BUY, 188 SELL, 8 HOLD');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('created_at,symbol,action,confidence,source,stop_loss,take_profit,expires_at');
    // each row expires when the next run speaks, so one run never supports the next in consensus
    expect(lines[2]).toBe('2021-02-20T11:00:00.000Z,BTC/USDT,BUY,0.545,COUNCIL_V2.0_FALLBACK,,,2021-02-20T11:15:00.000Z');
    const bt = await run(['--candles', CANDLES, '--signals', file, '--settings', new URL('../fixtures/backtest-settings.json', import.meta.url).pathname], runCli);
    expect(bt.code).toBe(0);
    expect(bt.out).toMatch(/trades\s+25 \(15 won, 10 lost\)/);
    // levels and size from the open the decision sees, as live sizes at the feed's price (the
    // slipped fill is not known before the order): 100.28 when they came from the slipped fill
    expect(bt.out).toMatch(/total P&L\s+95\.24/);
  });

  it('bad input exits 2 naming what was wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'council-'));
    const bad = join(dir, 'prices.csv');
    writeFileSync(bad, 'timestamp,open,high,low,close,volume\n1613692800000,1,2,0.5,oops,1\n');
    expect(await run(['--candles', bad])).toMatchObject({ code: 2, err: expect.stringMatching(/the file name does not name the symbol; pass --symbol BASE\/QUOTE/) });
    expect(await run(['--candles', bad, '--symbol', 'BTC/USDT'])).toMatchObject({ code: 2, err: expect.stringMatching(/prices\.csv:2:\d+: close "oops" is not a number/) });
    expect(await run(['--candles', CANDLES, '--minutes', '0'])).toMatchObject({ code: 2, err: '--minutes 0: must be a whole number of minutes from 1 to 1440' });
    expect((await run([])).code).toBe(2);
  });
});
