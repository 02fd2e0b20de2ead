/** Time source of the engine: every rule and record reads time from here, never Date.now(), so tests control it. */
export interface Clock {
  /** ms since epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
