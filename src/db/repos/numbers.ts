/** numeric columns come back as strings: convert once, at the repo boundary. */
export function num(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

export function numOrNull(value: string | number | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A JS number as numeric input text (postgres accepts exponent notation). */
export function dec(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

export function decOrNull(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : dec(value);
}
