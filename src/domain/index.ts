/** Public API of the pure trading core (SPEC §3–§6). No I/O, no clock, no randomness. */
export * from './types.ts';
export * from './candles.ts';
export * from './settings.ts';
export * from './signals.ts';
export * from './sizing.ts';
export * from './sltp.ts';
export * from './portfolio.ts';
export * from './limits.ts';
export * from './protections.ts';
export * from './monitor/index.ts';
