/**
 * Portfolio limits (SPEC §5, seed §7.3). Values are quote currency (USD); a holding's value is
 * what the caller counts against equity, and its exposure the leveraged notional (= value unless
 * given), which the L1 exposure limit reads.
 */

export type Category = 'L1' | 'DeFi' | 'meme' | 'stable' | 'other';

/** Base asset → category. Overridable per call; anything unlisted is 'other'. */
export const DEFAULT_CATEGORIES: Readonly<Record<string, Category>> = {
  BTC: 'L1', ETH: 'L1', SOL: 'L1', ADA: 'L1', AVAX: 'L1', DOT: 'L1', ATOM: 'L1', NEAR: 'L1',
  TRX: 'L1', XRP: 'L1', LTC: 'L1', BNB: 'L1', TON: 'L1', APT: 'L1', SUI: 'L1', ALGO: 'L1', DASH: 'L1',
  UNI: 'DeFi', AAVE: 'DeFi', MKR: 'DeFi', COMP: 'DeFi', CRV: 'DeFi', SUSHI: 'DeFi', LDO: 'DeFi',
  SNX: 'DeFi', CAKE: 'DeFi', LINK: 'DeFi', DYDX: 'DeFi', GMX: 'DeFi', PENDLE: 'DeFi', JUP: 'DeFi',
  DOGE: 'meme', SHIB: 'meme', PEPE: 'meme', WIF: 'meme', BONK: 'meme', FLOKI: 'meme', TRUMP: 'meme',
  USDT: 'stable', USDC: 'stable', DAI: 'stable', BUSD: 'stable', FDUSD: 'stable', TUSD: 'stable',
  USDP: 'stable', PYUSD: 'stable', USD: 'stable', EUR: 'stable',
};

export interface PortfolioLimits {
  /** percent of equity per asset */
  maxSingleAssetPct: number;
  /** percent of equity per category without its own limit (L1, other) */
  maxCategoryPct: number;
  maxMemePct: number;
  maxDefiPct: number;
  /** leveraged exposure (Σ notional) to layer-1 coins, percent of equity; the seed's max_l1_exposure_pct */
  maxL1ExposurePct: number;
  /** stablecoins kept after the trade, percent of equity */
  minStableReservePct: number;
  /** Herfindahl index of non-stable holdings that triggers a warning */
  concentrationWarning: number;
  /** a shrunk trade below this share of the request is refused instead */
  minSizeMultiplier: number;
}

export const DEFAULT_PORTFOLIO_LIMITS: Readonly<PortfolioLimits> = {
  maxSingleAssetPct: 25,
  maxCategoryPct: 40,
  maxMemePct: 10,
  maxDefiPct: 50,
  maxL1ExposurePct: 400,
  minStableReservePct: 10,
  concentrationWarning: 0.7,
  minSizeMultiplier: 0.05,
};

export interface Holding {
  asset: string;
  /** quote currency */
  value: number;
  /** leveraged notional, quote currency; default value (spot) */
  exposure?: number;
}

export interface TradeProposal {
  /** base asset, e.g. 'BTC' (see baseAsset for 'BTC/USDT') */
  asset: string;
  /** value of the trade, quote currency, > 0 */
  value: number;
  /** its leveraged notional, quote currency; default value. Shrinks with the value. */
  exposure?: number;
  /** 'open' adds exposure (funded from stablecoins); 'reduce' only lowers it */
  kind: 'open' | 'reduce';
}

export interface PortfolioDecision {
  execute: boolean;
  /** 0..1: the share of the proposed value that fits */
  sizeMultiplier: number;
  /** every limit that shrank or refused the trade, and warnings */
  reasons: string[];
  /** Herfindahl index of non-stable holdings after the (shrunk) trade */
  herfindahl: number;
  /** the Herfindahl index when it reached the warning level on an executed trade, else null */
  concentration: number | null;
}

/** 'BTC/USDT:USDT' → 'BTC' */
export function baseAsset(symbol: string): string {
  return (symbol.split('/')[0] ?? symbol).toUpperCase();
}

export function categoryOf(asset: string, categories: Readonly<Record<string, Category>> = DEFAULT_CATEGORIES): Category {
  return categories[asset.toUpperCase()] ?? 'other';
}

/** Σ wᵢ² over non-stable holdings, wᵢ their share of the non-stable total; 0 when there are none. */
export function herfindahl(holdings: readonly Holding[], categories = DEFAULT_CATEGORIES): number {
  const risky = holdings.filter((h) => categoryOf(h.asset, categories) !== 'stable' && h.value > 0);
  const total = risky.reduce((s, h) => s + h.value, 0);
  if (total <= 0) return 0;
  const byAsset = new Map<string, number>();
  for (const h of risky) byAsset.set(h.asset.toUpperCase(), (byAsset.get(h.asset.toUpperCase()) ?? 0) + h.value);
  let hhi = 0;
  for (const v of byAsset.values()) hhi += (v / total) ** 2;
  return hhi;
}

/**
 * Does the trade fit the limits? A trade that would break one is shrunk to the largest value
 * that fits all of them (sizeMultiplier < 1), or refused when that is below
 * `minSizeMultiplier` of the request. Reducing trades always pass. Concentration (HHI ≥ 0.7)
 * only warns.
 */
export function analyzeTrade(
  holdings: readonly Holding[],
  trade: TradeProposal,
  limits: PortfolioLimits = DEFAULT_PORTFOLIO_LIMITS,
  categories: Readonly<Record<string, Category>> = DEFAULT_CATEGORIES,
): PortfolioDecision {
  const asset = trade.asset.toUpperCase();
  const equity = holdings.reduce((s, h) => s + Math.max(0, h.value), 0);
  const reasons: string[] = [];
  if (trade.kind === 'reduce' || !(trade.value > 0)) {
    return { execute: true, sizeMultiplier: 1, reasons, herfindahl: herfindahl(holdings, categories), concentration: null };
  }
  const cat = categoryOf(asset, categories);
  const sum = (pred: (h: Holding) => boolean) => holdings.filter(pred).reduce((s, h) => s + Math.max(0, h.value), 0);
  const assetNow = sum((h) => h.asset.toUpperCase() === asset);
  const catNow = sum((h) => categoryOf(h.asset, categories) === cat);
  const stableNow = sum((h) => categoryOf(h.asset, categories) === 'stable');

  let allowed = trade.value;
  const cap = (room: number, why: string) => {
    if (room < allowed) {
      allowed = Math.max(0, room);
      reasons.push(why);
    }
  };
  if (cat !== 'stable') {
    const singleMax = (equity * limits.maxSingleAssetPct) / 100;
    cap(singleMax - assetNow, `${asset} would exceed ${limits.maxSingleAssetPct} % of equity (holds ${pct(assetNow, equity)})`);
    const catLimit = cat === 'meme' ? limits.maxMemePct : cat === 'DeFi' ? limits.maxDefiPct : limits.maxCategoryPct;
    cap((equity * catLimit) / 100 - catNow, `${cat} would exceed ${catLimit} % of equity (holds ${pct(catNow, equity)})`);
    if (cat === 'L1') {
      // the room is in exposure; the trade's exposure shrinks in proportion to its value
      const l1Now = holdings.filter((h) => categoryOf(h.asset, categories) === 'L1').reduce((s, h) => s + Math.max(0, h.exposure ?? h.value), 0);
      const perValue = (trade.exposure ?? trade.value) / trade.value;
      const room = (equity * limits.maxL1ExposurePct) / 100 - l1Now;
      cap(room / perValue, `L1 exposure would exceed ${limits.maxL1ExposurePct} % of equity (holds ${pct(l1Now, equity)})`);
    }
    const reserve = (equity * limits.minStableReservePct) / 100;
    cap(stableNow - reserve, `stablecoin reserve would fall below ${limits.minStableReservePct} % of equity (holds ${pct(stableNow, equity)})`);
  }
  let sizeMultiplier = allowed / trade.value;
  let execute = true;
  if (sizeMultiplier < limits.minSizeMultiplier) {
    execute = false;
    sizeMultiplier = 0;
    reasons.push('refused: the trade does not fit the portfolio limits');
  } else if (sizeMultiplier < 1) {
    reasons.push(`shrunk to ${(sizeMultiplier * 100).toFixed(1)} % of the requested size`);
  }
  const after: Holding[] = [...holdings, { asset, value: trade.value * sizeMultiplier }];
  const hhi = herfindahl(after, categories);
  const concentrated = execute && hhi >= limits.concentrationWarning;
  if (concentrated) reasons.push(concentrationWarning(hhi, limits.concentrationWarning));
  return { execute, sizeMultiplier, reasons, herfindahl: hhi, concentration: concentrated ? hhi : null };
}

/** "concentration warning: Herfindahl index 0.82 ≥ 0.7": one wording for the decision, the alert and /status. */
export function concentrationWarning(hhi: number, threshold = DEFAULT_PORTFOLIO_LIMITS.concentrationWarning): string {
  return `concentration warning: Herfindahl index ${hhi.toFixed(2)} ≥ ${threshold}`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : '0 %';
}
