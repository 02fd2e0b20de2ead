/**
 * A trading_signals row is written by outside producers; before any rule looks at it, say plainly
 * what is malformed in it (the trader sees these reasons in /signals), instead of letting a bad
 * action pass as HOLD or a missing confidence as 0.
 */
import type { SignalRecord } from '../db/repos/signals.ts';

const ACTIONS = ['BUY', 'SELL', 'HOLD'];
/** unified ccxt symbols: BASE/QUOTE, or BASE/QUOTE:SETTLE for derivatives */
const SYMBOL = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/;

export function signalRowProblems(row: SignalRecord): string[] {
  const problems: string[] = [];
  if (!ACTIONS.includes(row.action.trim().toUpperCase())) problems.push(`action "${row.action}" is not BUY, SELL or HOLD`);
  if (!SYMBOL.test(row.symbol)) problems.push(`symbol "${row.symbol}" is not a market like BTC/USDT`);
  if (row.confidence === null) problems.push('confidence is missing');
  else if (!(row.confidence >= 0 && row.confidence <= 1)) problems.push(`confidence ${row.confidence} is outside 0..1`);
  for (const [name, value] of [
    ['stop_loss', row.stopLoss],
    ['take_profit', row.takeProfit],
  ] as const) {
    if (value !== null && !(Number.isFinite(value) && value > 0)) problems.push(`${name} ${value} is not a positive price`);
  }
  return problems;
}
