export { evaluate } from './evaluate.ts';
export {
  applyManualClose,
  checkStopLossPrice,
  checkTakeProfitPrice,
  moveStopLoss,
  moveTakeProfit,
  stopToBreakeven,
} from './manual.ts';
export {
  cloneState,
  effectiveLiquidationPrice,
  liquidationDistancePct,
  openPosition,
  priceAtProfit,
  profitPct,
  type OpenPositionInput,
} from './state.ts';
export { liquidationLevel } from './liquidation.ts';
export { trailingTpStop } from './take-profit.ts';
export { candleMayAct, candleWakes, tickMayAct, wakePrices, wakesAt, type Wake } from './wake.ts';
export { partialLevels } from './partial-tp.ts';
