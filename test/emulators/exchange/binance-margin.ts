/**
 * Binance margin (/sapi/v1/margin) in the emulator: a cross wallet and one isolated wallet per
 * symbol, borrowing on MARGIN_BUY and repaying on AUTO_REPAY. Borrowing is capped at 3× equity
 * ("Your borrow amount has exceed maximum borrow amount."). Fees are paid in the quote asset.
 */
import { BinanceReject, SPOT_FEE, type EmulatorMarket, type EmulatorOrder } from './binance-book.ts';

export interface MarginAsset {
  free: number;
  borrowed: number;
}

export type MarginWallet = Map<string, MarginAsset>;

/** maximum cross/isolated leverage: borrowed value ≤ (MAX_LEVERAGE − 1) × equity */
export const MAX_LEVERAGE = 3;

const clean = (value: number): number => Math.round(value * 1e12) / 1e12;

export function asset(wallet: MarginWallet, name: string): MarginAsset {
  let entry = wallet.get(name);
  if (!entry) {
    entry = { free: 0, borrowed: 0 };
    wallet.set(name, entry);
  }
  return entry;
}

/** value in USDT of what the wallet holds and owes; `price(asset)` is USDT per unit */
export function walletValue(wallet: MarginWallet, price: (asset: string) => number): { assets: number; debt: number } {
  let assets = 0;
  let debt = 0;
  for (const [name, entry] of wallet) {
    assets += entry.free * price(name);
    debt += entry.borrowed * price(name);
  }
  return { assets, debt };
}

export function fillMargin(
  wallet: MarginWallet,
  order: EmulatorOrder,
  market: EmulatorMarket,
  fillPrice: number,
  sideEffect: string | undefined,
  price: (asset: string) => number,
): void {
  const base = asset(wallet, market.base);
  const quote = asset(wallet, market.quote);
  const cost = order.origQty * fillPrice;
  const fee = cost * SPOT_FEE;
  const borrow = sideEffect === 'MARGIN_BUY';
  const [spend, amount] = order.side === 'BUY' ? [quote, cost + fee] : [base, order.origQty];
  if (spend.free < amount) {
    if (!borrow) throw new BinanceReject(-2010, 'Account has insufficient balance for requested action.');
    const loan = amount - spend.free;
    spend.borrowed = clean(spend.borrowed + loan);
    spend.free = clean(spend.free + loan);
    const { assets, debt } = walletValue(wallet, price);
    if (debt > (MAX_LEVERAGE - 1) * (assets - debt) + 1e-9) {
      spend.borrowed = clean(spend.borrowed - loan);
      spend.free = clean(spend.free - loan);
      throw new BinanceReject(-3006, 'Your borrow amount has exceed maximum borrow amount.');
    }
  }
  if (order.side === 'BUY') {
    quote.free = clean(quote.free - cost - fee);
    base.free = clean(base.free + order.origQty);
  } else {
    base.free = clean(base.free - order.origQty);
    quote.free = clean(quote.free + cost - fee);
  }
  if (sideEffect === 'AUTO_REPAY') {
    const received = order.side === 'BUY' ? base : quote;
    const repay = Math.min(received.free, received.borrowed);
    received.free = clean(received.free - repay);
    received.borrowed = clean(received.borrowed - repay);
  }
  Object.assign(order, { executedQty: order.origQty, avgPrice: fillPrice, status: 'FILLED', commission: fee });
}
