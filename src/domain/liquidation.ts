/**
 * A liquidation price where the exchange reports only the account's margin level (Kraken spot
 * margin: margin level = equity / used margin × 100, liquidation when it falls to 40 %).
 *
 * The account's cushion above liquidation is equity − L/100 × usedMargin = usedMargin × (ml − L) / 100.
 * Each position is given the share of it its own margin holds (margin × (ml − L) / 100), so
 * several positions never each count the whole cushion; the price at which that share is lost:
 * long  p − share / qty,  short  p + share / qty.
 */
export interface MarginLevelInput {
  side: 'long' | 'short';
  /** base units, > 0 */
  qty: number;
  /** quote per base: the price the margin level was measured at */
  price: number;
  /** quote units: the margin this position holds */
  margin: number;
  /** percent: the account's margin level now */
  marginLevel: number;
  /** percent: the level at which the exchange liquidates */
  liquidationLevel: number;
}

/** quote per base; 0 for a long whose cushion covers a fall to zero; undefined when an input is missing */
export function liquidationFromMarginLevel(input: MarginLevelInput): number | undefined {
  const { side, qty, price, margin, marginLevel, liquidationLevel } = input;
  if (!(qty > 0) || !(price > 0) || !(margin > 0) || !Number.isFinite(marginLevel)) return undefined;
  const share = (margin * (marginLevel - liquidationLevel)) / 100;
  const move = share / qty;
  return side === 'long' ? Math.max(0, price - move) : price + move;
}
