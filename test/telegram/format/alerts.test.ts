import { describe, expect, it } from 'vitest';
import { formatAlert } from '../../../src/telegram/format/alerts.ts';
import type { EngineEvent } from '../../../src/engine/events.ts';
import { parseFormatted } from '../../emulators/bot-api/formatting.ts';

const ref = { userId: 'u1', positionId: 'p1', symbol: 'BTC/USDT', side: 'long' as const, exchange: 'binance', isPaper: true };

describe('alert messages', () => {
  it('an opened position shows entry, size, value and its protection, with the controls', () => {
    const a = formatAlert({ ...ref, kind: 'position_opened', entryPrice: 100_000, qty: 0.015, stopLoss: 98_000, takeProfit: 110_000, signalId: null });
    expect(a.text).toContain('🟢 <b>POSITION OPENED</b>');
    expect(a.text).toContain('Entry 100,000 · size 0.015 BTC (1,500.00 USDT)');
    expect(a.text).toContain('🛑 SL 98,000 · 🎯 TP 110,000');
    expect(a.positionId).toBe('p1');
    expect(a.text).not.toContain('Concentrated');
  });

  it('an opened position that left the portfolio concentrated says so with its Herfindahl index', () => {
    const a = formatAlert({ ...ref, kind: 'position_opened', entryPrice: 100_000, qty: 0.015, stopLoss: 98_000, takeProfit: 110_000, signalId: null, concentration: 0.8234 });
    expect(a.text).toContain('⚠️ Concentrated portfolio: Herfindahl index 0.82 ≥ 0.7 — most of your holdings sit in few assets.');
  });

  it('uses the seed log icons for exits, and a closed position gets no buttons', () => {
    const cases: Array<[EngineEvent['kind'], string]> = [
      ['stop_loss', '🛑 STOP LOSS TRIGGERED'],
      ['take_profit', '🎯 TAKE PROFIT HIT'],
      ['trailing_stop', '📈 TRAILING STOP'],
      ['time_exit', '⏰ TIME EXIT'],
      ['liquidation_protection', '🚨 LIQUIDATION PROTECTION'],
    ];
    for (const [kind, title] of cases) {
      const a = formatAlert({ ...ref, kind: kind as 'stop_loss', price: 98_000, qty: 0.01, remainingQty: 0, pnl: -20.5, pct: -2 });
      expect(a.text).toContain(title);
      expect(a.text).toContain('🔴 P&L −20.50 USDT (−2.00 %)');
      expect(a.text).toContain('Position closed.');
      expect(a.positionId).toBeUndefined();
    }
  });

  it('a close that left dust says so once; an opposite signal’s close has its own title', () => {
    const a = formatAlert({ ...ref, kind: 'signal_reverse', price: 50_000, qty: 0.01998, remainingQty: 0, pnl: -1.999, pct: 0, dust: 0.000007 });
    expect(a.text).toContain('🔄 CLOSED BY AN OPPOSITE SIGNAL');
    expect(a.text).toContain('Closed 0.01998 BTC at 50,000');
    expect(a.text).toContain('0.000007 BTC stays in your wallet: below the exchange’s minimum order, it cannot be sold.');
    expect(a.positionId).toBeUndefined();
    const plain = formatAlert({ ...ref, kind: 'stop_loss', price: 49_000, qty: 0.01998, remainingQty: 0, pnl: -21, pct: -2 });
    expect(plain.text).not.toContain('wallet');
  });

  it('a partial take profit names its level and keeps the controls for what is left', () => {
    // seed example: 1 ETH, first level sells 0.25
    const a = formatAlert({ ...ref, symbol: 'ETH/USDT', kind: 'partial_tp', level: 0, price: 3030, qty: 0.25, remainingQty: 0.75, pnl: 7.5, pct: 1 });
    expect(a.text).toContain('💰 PARTIAL TP (level 1)');
    expect(a.text).toContain('Sold 0.25 ETH at 3,030');
    expect(a.text).toContain('🟢 P&L +7.50 USDT (+1.00 %)');
    expect(a.text).toContain('0.75 ETH still open.');
    expect(a.positionId).toBe('p1');
  });

  it('a liquidation warning gives the distance and the reduction', () => {
    const a = formatAlert({ ...ref, side: 'short', kind: 'liquidation_warning', price: 100_000, liquidationPrice: 112_000, distancePct: 12, reducedQty: 0.0025 });
    expect(a.text).toContain('🚨 LIQUIDATION RISK');
    expect(a.text).toContain('BTC/USDT SHORT');
    expect(a.text).toContain('12.00 % from liquidation at 112,000');
    expect(a.text).toContain('Reduced the position by 0.0025 BTC');
  });

  it('escapes what an exchange or a signal producer wrote', () => {
    const a = formatAlert({ kind: 'signal_rejected', userId: 'u1', signalId: 's', symbol: 'BTC/USDT', action: 'BUY', reasons: ['confidence 0.30 < threshold <0.45>'] });
    expect(a.text).toContain('confidence 0.30 &lt; threshold &lt;0.45&gt;');
    const b = formatAlert({ kind: 'action_needed', userId: 'u1', message: 'Binance rejected the API key: revoked?', accountId: 'a1' });
    expect(b.text).toContain('⚠️ <b>Action needed</b>');
    expect(b.text).toContain('See /accounts.');
  });

  it('a symbol, exchange or message with markup in it is shown as written, never breaking the message', () => {
    const odd = { ...ref, symbol: 'P<b>&/U<i>', exchange: 'ex</b>' };
    const events: EngineEvent[] = [
      { ...odd, kind: 'position_opened', entryPrice: 1, qty: 2, stopLoss: 0.5, takeProfit: 3, signalId: null },
      { ...odd, kind: 'stop_loss', price: 0.5, qty: 2, remainingQty: 0, pnl: -1, pct: -50 },
      { ...odd, kind: 'partial_tp', level: 0, price: 3, qty: 1, remainingQty: 1, pnl: 2, pct: 200 },
    ];
    for (const e of events) {
      const shown = parseFormatted(formatAlert(e).text, 'HTML').text;
      expect(shown).toContain('P<b>&/U<i>');
    }
    expect(parseFormatted(formatAlert(events[1]!).text, 'HTML').text).toContain('P&L −1 U<i>');
  });
});
