import { describe, expect, it } from 'vitest';
import { backtestFromCsv, lineColumn, readSettingsFile, type BacktestInputs } from '../../src/backtest/run.ts';

const CANDLES = 'timestamp,open,high,low,close,volume\n60000,100,101,99,100,1\n120000,100,101,99,100,1\n';
const SIG_HEADER = 'created_at,symbol,action,confidence,source,stop_loss,take_profit\n';

const inputs = (over: Partial<BacktestInputs>): BacktestInputs => ({
  candles: [{ symbol: null, file: 'c.csv', text: CANDLES }],
  signals: { file: 's.csv', text: `${SIG_HEADER}60000,ETH/USDT,BUY,0.9,titan_v3,,\n` },
  settings: null,
  balance: 10_000,
  fee: 0,
  slippage: 0,
  fixedQty: 1,
  ...over,
});

describe('backtestFromCsv input checks', () => {
  it('a plain candles FILE takes the one symbol the signals name', () => {
    const r = backtestFromCsv(inputs({}));
    expect(r.ok && r.value.json.trades.map((t) => t.symbol)).toEqual(['ETH/USDT']);
  });

  it('a plain FILE with signals naming two symbols asks for SYMBOL=FILE', () => {
    const r = backtestFromCsv(inputs({ signals: { file: 's.csv', text: `${SIG_HEADER}60000,ETH/USDT,BUY,0.9,titan_v3,,\n60000,BTC/USDT,BUY,0.9,titan_v3,,\n` } }));
    expect(r.ok ? '' : r.error.message).toBe('s.csv:1:1: the signals name 2 symbols (ETH/USDT, BTC/USDT); pass --candles SYMBOL=FILE for each');
  });

  it('a signal for a symbol without candles names its line and column', () => {
    const r = backtestFromCsv(
      inputs({
        candles: [{ symbol: 'ETH/USDT', file: 'c.csv', text: CANDLES }],
        signals: { file: 's.csv', text: `${SIG_HEADER}60000,ETH/USDT,BUY,0.9,titan_v3,,\n60000,SOL/USDT,BUY,0.9,titan_v3,,\n` },
      }),
    );
    expect(r.ok ? '' : r.error.message).toBe('s.csv:3:7: no --candles for symbol SOL/USDT');
  });
});

describe('readSettingsFile', () => {
  it('locates a JSON syntax error', () => {
    const r = readSettingsFile({ file: 'set.json', text: '{\n  "mode": "spot",\n  oops\n}' });
    expect(r.ok ? '' : r.error.message).toMatch(/^set\.json:3:3: invalid JSON/);
  });

  it('locates a bad value at its key', () => {
    const r = readSettingsFile({ file: 'set.json', text: '{\n  "leverage": 500\n}' });
    expect(r.ok ? '' : r.error.message).toMatch(/^set\.json:2:3: leverage: /);
  });

  it('lineColumn counts from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
