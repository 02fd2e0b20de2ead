/**
 * The paper wallet's bookkeeping is the domain's (src/domain/paper-account.ts, shared with the
 * backtest); here a refused fill becomes the ExchangeError a live venue would answer.
 */
import { applyFill as settle, type FillInput, type FillOutcome, type PaperMarket, type PaperState } from '../domain/paper-account.ts';
import { ExchangeError, type TradingMode } from './port.ts';

export { liquidateIfCrossed, liquidationPrice, lockedMargin, type FillInput, type FillOutcome } from '../domain/paper-account.ts';

export function applyFill(state: PaperState, market: PaperMarket, mode: TradingMode, fill: FillInput): FillOutcome {
  const r = settle(state, market, mode, fill);
  if (!r.ok) throw new ExchangeError(r.error.code, { message: r.error.message });
  return r.value;
}
