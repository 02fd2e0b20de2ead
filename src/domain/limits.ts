/**
 * Trade-rate and position-count limits (SPEC §3.6). Windows are rolling (the last 60 min and
 * the last 24 h before `now`), so there is no burst at the top of the hour or at midnight.
 * Times are ms since epoch.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface RateLimitInput {
  now: number;
  /** open times of the user's trades (position openings), any order */
  recentTradeTimes: readonly number[];
  openPositions: number;
  maxPositions: number;
  /** default 15 */
  dailyTradeLimit: number;
  /** default 5 */
  hourlyTradeLimit: number;
  /** the trade only closes or reduces a position: rate and count limits do not apply */
  reducing?: boolean;
}

export interface LimitDecision {
  execute: boolean;
  /** 1 when allowed, 0 when refused (these limits cannot shrink a trade) */
  sizeMultiplier: number;
  reasons: string[];
  /** ms from now until a refused trade would pass the rate limits again; null if not rate-limited */
  retryAfterMs: number | null;
}

export function checkTradeLimits(input: RateLimitInput): LimitDecision {
  if (input.reducing) return { execute: true, sizeMultiplier: 1, reasons: [], retryAfterMs: null };
  const reasons: string[] = [];
  if (input.openPositions >= input.maxPositions) {
    reasons.push(`max open positions reached (${input.openPositions}/${input.maxPositions})`);
  }
  const retry: number[] = [];
  const window = (len: number, limit: number, label: string) => {
    const inWindow = input.recentTradeTimes.filter((t) => t > input.now - len && t <= input.now).sort((a, b) => a - b);
    if (inWindow.length < limit) return;
    reasons.push(`${label} trade limit reached (${inWindow.length}/${limit})`);
    // the window frees a slot when its (count − limit + 1)-th oldest trade leaves it
    const leaving = inWindow[inWindow.length - limit];
    if (leaving !== undefined) retry.push(leaving + len - input.now);
  };
  window(HOUR_MS, input.hourlyTradeLimit, 'hourly');
  window(DAY_MS, input.dailyTradeLimit, 'daily');
  const execute = reasons.length === 0;
  return {
    execute,
    sizeMultiplier: execute ? 1 : 0,
    reasons,
    retryAfterMs: retry.length > 0 ? Math.max(...retry) : null,
  };
}
