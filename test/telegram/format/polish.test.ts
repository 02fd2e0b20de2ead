import { describe, expect, it } from 'vitest';
import { formatPosition } from '../../../src/telegram/format/positions.ts';
import { formatAlert } from '../../../src/telegram/format/alerts.ts';
import { CHANGE_WORDS, EXIT_WORDS, reasonWords } from '../../../src/telegram/format/reasons.ts';
import type { PositionView } from '../../../src/engine/facade.ts';
import { decimalsOf, fmtMoney, fmtPct, fmtPrice, fmtQty } from '../../../src/telegram/format/numbers.ts';

const base: PositionView = {
  id: 'b0517000-0000-4000-8000-000000000001',
  number: 7,
  userId: 'u',
  accountId: 'a',
  accountLabel: 'Binance margin ·1234',
  quote: 'USDT',
  amountStep: 0.00001,
  priceTick: 0.01,
  exchange: 'binance',
  isPaper: false,
  symbol: 'BTC/USDT',
  side: 'long',
  mode: 'margin',
  leverage: 1,
  entryPrice: 100_000,
  qtyInitial: 0.01,
  qty: 0.01,
  stopLoss: 98_000,
  takeProfit: 110_000,
  trailingActive: false,
  trailingStop: null,
  liquidationPrice: 12,
  partialTaken: [false, false, false],
  openedAt: new Date('2026-12-01T10:00:00Z'),
  status: 'open',
  closeReason: null,
  lastPrice: 100_500,
  unrealizedPnl: 5,
  unrealizedPct: 0.5,
  realizedPnl: 0,
};

describe("a trader's polish", () => {
  it('every reason code has human words; no snake_case reaches the chat', () => {
    for (const words of [...Object.values(EXIT_WORDS), ...Object.values(CHANGE_WORDS)]) expect(words).not.toMatch(/_/);
    expect(reasonWords('manual_breakeven')).toBe('moved to breakeven by you');
    expect(reasonWords('some_new_code')).toBe('some new code');
    const moved = formatAlert({ kind: 'stop_moved', userId: 'u', positionId: base.id, symbol: 'BTC/USDT', side: 'long', exchange: 'binance', isPaper: false, oldStop: 98_000, newStop: 100_000, reason: 'manual_breakeven' });
    expect(moved.text).toContain('(moved to breakeven by you)');
    expect(moved.text).not.toContain('manual_breakeven');
  });

  it('the liquidation line shows only where a liquidation can happen', () => {
    expect(formatPosition(base, new Date('2026-12-01T11:00:00Z'))).not.toContain('Liquidation');
    expect(formatPosition({ ...base, leverage: 5, liquidationPrice: 81_000 }, new Date('2026-12-01T11:00:00Z'))).toContain('🚨 Liquidation 81,000');
    expect(formatPosition({ ...base, mode: 'spot', liquidationPrice: 81_000, leverage: 5 }, new Date('2026-12-01T11:00:00Z'))).not.toContain('Liquidation');
  });

  it('amounts at the market step, prices at its tick, percents with two decimals, money to the cent', () => {
    expect([0.00001, 0.25, 0.5, 1, 10, 1e-8, 0.1].map(decimalsOf)).toEqual([5, 2, 1, 0, 0, 8, 1]);
    expect(fmtQty(0.009990000000000001, 0.00001)).toBe('0.00999');
    expect(fmtQty(0.0049949999, 0.00001)).toBe('0.00499');
    expect(fmtQty(1234.5, 0.001)).toBe('1,234.5');
    expect(fmtPrice(100_749.60000000001, 0.01)).toBe('100,749.6');
    expect(fmtPrice(0.123456789, 0.0001)).toBe('0.1235');
    expect(fmtPct(99.77081741787624)).toBe('+99.77 %');
    expect(fmtMoney(-0.794, 'USD')).toBe('−0.79 USD');
    expect(fmtMoney(0.00012345, 'BTC')).toBe('+0.00012345 BTC');
  });
});
