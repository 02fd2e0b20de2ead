/**
 * Bitget trigger orders in the emulator:
 * - spot plan orders (`place-plan-order`, planType `amount`): hold nothing while they wait; when
 *   the price reaches the trigger a market order is placed, and fails (`fail_execute`) if the
 *   coins are no longer there;
 * - USDT-M position stops (`place-tpsl-order`, planType `loss_plan` / `profit_plan`): a sized,
 *   reduce-only close of the position named by holdSide ('buy' = long, 'sell' = short in one-way
 *   mode). A long's stop must sit below the mark price (40917), a short's above it (45122);
 *   several may rest at once; they go when their position is closed;
 * - USDT-M `normal_plan` trigger orders (`place-plan-order`).
 * The direction of a plan order is fixed at placement: a trigger below the price fires on a fall.
 */
import type { BitgetBook } from './bitget-book.ts';
import { BitgetReject, fitsDecimals, type MarginModeId, type PlanOrder, type Side } from './bitget-types.ts';

export interface PlanInput {
  symbol: string;
  side: Side;
  size: number;
  triggerPrice: number;
  triggerType?: string;
  clientOid?: string;
}

function stamp(book: BitgetBook, input: PlanInput, now: number): Pick<PlanOrder, 'orderId' | 'clientOid' | 'symbol' | 'side' | 'size' | 'triggerPrice' | 'triggerType' | 'cTime' | 'uTime' | 'status'> {
  book.checkClientOid(input.clientOid);
  if (!(input.triggerPrice > 0)) throw new BitgetReject('43011', 'The parameter does not meet the specification triggerPrice <= 0');
  if (!(input.size > 0)) throw new BitgetReject('40017', 'Parameter verification failed size');
  return { orderId: book.newId(), clientOid: input.clientOid ?? book.newId(), symbol: input.symbol, side: input.side, size: input.size, triggerPrice: input.triggerPrice, triggerType: input.triggerType ?? 'fill_price', cTime: now, uTime: now, status: 'live' };
}

export function placeSpotPlan(book: BitgetBook, input: PlanInput & { planType: string }, now: number): PlanOrder {
  const market = book.market(input.symbol);
  if (input.planType !== 'amount') throw new BitgetReject('40017', 'Parameter verification failed planType: only amount market plans are emulated');
  if (!fitsDecimals(input.triggerPrice, market.spotPricePrecision)) throw new BitgetReject('41103', 'param price scale error error');
  if (!fitsDecimals(input.size, market.spotQuantityPrecision)) throw new BitgetReject('40808', `Parameter verification exception size checkBDScale error value=${input.size} checkScale=${market.spotQuantityPrecision}`);
  const price = book.price(market.id);
  const plan: PlanOrder = { ...stamp(book, input, now), venue: 'spot', planType: 'amount', direction: input.triggerPrice < price ? 'down' : 'up', reduceOnly: false };
  book.plans.push(plan);
  return plan;
}

export function placeMixTpsl(book: BitgetBook, input: PlanInput & { planType: string; holdSide: string }, now: number): PlanOrder {
  const market = book.market(input.symbol);
  if (input.planType !== 'loss_plan' && input.planType !== 'profit_plan' && input.planType !== 'pos_loss' && input.planType !== 'pos_profit') throw new BitgetReject('40017', `Parameter verification failed planType ${input.planType}`);
  if (input.planType === 'pos_loss' || input.planType === 'pos_profit') throw new BitgetReject('40017', 'Parameter verification failed: only loss_plan and profit_plan are emulated');
  if (!fitsDecimals(input.triggerPrice, market.pricePlace)) throw new BitgetReject('41103', 'param price scale error error');
  if (!fitsDecimals(input.size, market.volumePlace)) throw new BitgetReject('40808', `Parameter verification exception size checkBDScale error value=${input.size} checkScale=${market.volumePlace}`);
  const long = input.holdSide === 'buy' || input.holdSide === 'long';
  const position = book.positions.get(market.id);
  if (!position || (position.holdSide === 'long') !== long) throw new BitgetReject('43023', 'Insufficient position, can not set profit or stop loss');
  const mark = book.price(market.id);
  const loss = input.planType === 'loss_plan';
  // a stop loss below the mark for a long, above it for a short; a take profit the other way
  if (loss && long && !(input.triggerPrice < mark)) throw new BitgetReject('40917', `Stop price for long positions please < mark price ${mark}`);
  if (loss && !long && !(input.triggerPrice > mark)) throw new BitgetReject('45122', `Short position stop loss price please > mark price ${mark}`);
  const plan: PlanOrder = {
    ...stamp(book, { ...input, side: long ? 'sell' : 'buy' }, now),
    venue: 'mix',
    planType: input.planType,
    direction: input.triggerPrice < mark ? 'down' : 'up',
    holdSide: input.holdSide,
    reduceOnly: true,
    marginMode: position.marginMode,
  };
  book.plans.push(plan);
  return plan;
}

export function placeMixPlan(book: BitgetBook, input: PlanInput & { planType: string; reduceOnly: boolean; marginMode: MarginModeId }, now: number): PlanOrder {
  const market = book.market(input.symbol);
  if (input.planType !== 'normal_plan') throw new BitgetReject('40017', `Parameter verification failed planType ${input.planType}`);
  if (!fitsDecimals(input.triggerPrice, market.pricePlace)) throw new BitgetReject('41103', 'param price scale error error');
  const mark = book.price(market.id);
  const plan: PlanOrder = { ...stamp(book, input, now), venue: 'mix', planType: 'normal_plan', direction: input.triggerPrice < mark ? 'down' : 'up', reduceOnly: input.reduceOnly, marginMode: input.marginMode };
  book.plans.push(plan);
  return plan;
}

export function findPlan(book: BitgetBook, venue: 'spot' | 'mix', ref: { orderId?: string; clientOid?: string }): PlanOrder | undefined {
  return book.plans.find((p) => p.venue === venue && (ref.orderId ? p.orderId === ref.orderId : ref.clientOid !== undefined && p.clientOid === ref.clientOid));
}

/** planType filter of Bitget's plan lists: `profit_loss` = every tpsl kind */
export function planTypeMatches(plan: PlanOrder, planType: string | undefined): boolean {
  if (plan.venue === 'spot') return true;
  const tpsl = plan.planType === 'loss_plan' || plan.planType === 'profit_plan';
  if (planType === 'profit_loss') return tpsl;
  if (planType === undefined || planType === 'normal_plan') return plan.planType === 'normal_plan';
  return plan.planType === planType;
}

/** Fires the live trigger orders of a symbol the price has reached (called on every setPrice). */
export function firePlans(book: BitgetBook, symbol: string, now: number): void {
  const price = book.prices.get(symbol);
  if (price === undefined) return;
  for (const plan of book.plans) {
    if (plan.symbol !== symbol || plan.status !== 'live') continue;
    const reached = plan.direction === 'down' ? price <= plan.triggerPrice : price >= plan.triggerPrice;
    if (!reached) continue;
    plan.uTime = now;
    try {
      const order =
        plan.venue === 'spot'
          ? book.placeSpotMarket({ symbol, side: plan.side, size: plan.size })
          : book.placeMixMarket({ symbol, side: plan.side, size: plan.size, marginMode: plan.marginMode ?? 'crossed', reduceOnly: plan.reduceOnly });
      plan.status = 'executed';
      plan.executeOrderId = order.orderId;
    } catch (error) {
      if (!(error instanceof BitgetReject)) throw error;
      plan.status = 'fail_execute';
    }
  }
}
