/**
 * Binance margin (/sapi/v1/margin) in the emulator: a cross wallet and one isolated wallet per
 * symbol, borrowing on MARGIN_BUY and repaying on AUTO_REPAY. Borrowing is capped at 3× equity
 * ("Your borrow amount has exceed maximum borrow amount."). Fees are charged as on spot
 * (binance-spot.ts): in the coin received unless the account pays them in the quote coin.
 */
import { BinanceReject, type EmulatorMarket, type EmulatorOrder, type Fill } from './binance-book.ts';
import { settleFills, spending } from './binance-spot.ts';

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

/**
 * A margin fill: borrows what the free balance lacks when MARGIN_BUY allows it (refused past the
 * leverage cap), moves the coins, and repays from what was received on AUTO_REPAY.
 */
export function fillMargin(
  wallet: MarginWallet,
  order: EmulatorOrder,
  market: EmulatorMarket,
  fills: readonly Fill[],
  sideEffect: string | undefined,
  price: (asset: string) => number,
): void {
  const needed = spending(order, market, fills);
  const spend = asset(wallet, needed.asset);
  if (spend.free < needed.amount - 1e-12) {
    if (sideEffect !== 'MARGIN_BUY') throw new BinanceReject(-2010, 'Account has insufficient balance for requested action.');
    const loan = clean(needed.amount - spend.free);
    spend.borrowed = clean(spend.borrowed + loan);
    spend.free = clean(spend.free + loan);
    const { assets, debt } = walletValue(wallet, price);
    if (debt > (MAX_LEVERAGE - 1) * (assets - debt) + 1e-9) {
      spend.borrowed = clean(spend.borrowed - loan);
      spend.free = clean(spend.free - loan);
      throw new BinanceReject(-3006, 'Your borrow amount has exceed maximum borrow amount.');
    }
  }
  settleFills(order, market, fills, (name) => asset(wallet, name));
  if (sideEffect === 'AUTO_REPAY') {
    const received = asset(wallet, order.side === 'BUY' ? market.base : market.quote);
    const repay = Math.min(received.free, received.borrowed);
    received.free = clean(received.free - repay);
    received.borrowed = clean(received.borrowed - repay);
  }
}
