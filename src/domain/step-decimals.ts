/** Decimal places of a market's step or tick: 0.00001 → 5, 0.25 → 2, 1 → 0, 10 → 0 (an unknown step: 8). */
export function decimalsOf(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 8;
  const [mantissa = '', exponent = '0'] = Number(step.toPrecision(12)).toExponential().split('e');
  return Math.min(12, Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exponent)));
}
