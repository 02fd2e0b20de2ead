/**
 * `npm run council -- --candles FILE.csv [--out signals.csv] [--symbol BTC/USDT] [--minutes 15]`:
 * the built-in council (SPEC §9) over recorded candles, written as a signals CSV (SPEC §8) for
 * `npm run backtest`. The rows are what the live council would have written: one run every
 * `--minutes` (COUNCIL_MINUTES, default 15) on the hourly candles closed by then.
 * Exit codes: 0 done, 2 bad input (the message names the file, line and column), 1 unexpected.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCandlesCsv, SIGNAL_COLUMNS } from '../domain/csv.ts';
import { COUNCIL_SOURCE, councilOverCandles, type CouncilRow } from '../domain/council/index.ts';

const USAGE = 'usage: npm run council -- --candles FILE.csv [--out signals.csv] [--symbol BTC/USDT] [--minutes 15]';

/** "BTC_USDT-1m-2021-02-19.csv" → "BTC/USDT"; null when the name does not say */
export function symbolFromFileName(file: string): string | null {
  const m = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_PERP)?[-.]/i.exec(basename(file));
  return m ? `${(m[1] as string).toUpperCase()}/${(m[2] as string).toUpperCase()}` : null;
}

/** the table's columns plus expires_at: each row expires when the next run speaks (as live) */
export function toSignalsCsv(symbol: string, rows: readonly CouncilRow[], minutes: number): string {
  const lines = [[...SIGNAL_COLUMNS, 'expires_at'].join(',')];
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const r of rows) lines.push([iso(r.createdAt), symbol, r.verdict.action, r.verdict.confidence.toFixed(3), COUNCIL_SOURCE, '', '', iso(r.createdAt + minutes * 60_000)].join(','));
  return `${lines.join('\n')}\n`;
}

export async function runCouncilCli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { candles: { type: 'string' }, out: { type: 'string' }, symbol: { type: 'string' }, minutes: { type: 'string', default: '15' } },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | undefined> });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = values.candles;
  if (file === undefined) {
    err(`--candles is required\n${USAGE}`);
    return 2;
  }
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    err(`--minutes ${values.minutes}: must be a whole number of minutes from 1 to 1440`);
    return 2;
  }
  const symbol = values.symbol ?? symbolFromFileName(file);
  if (symbol === null || !/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/i.test(symbol)) {
    err(symbol === null ? `${file}: the file name does not name the symbol; pass --symbol BASE/QUOTE` : `--symbol ${symbol}: expected BASE/QUOTE, like BTC/USDT`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    err(`${file}:1:1: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return 2;
  }
  const parsed = parseCandlesCsv(text, file);
  if (!parsed.ok) {
    err(parsed.error.message);
    return 2;
  }
  if (parsed.value.length === 0) {
    err(`${file}:2:1: no candles`);
    return 2;
  }
  const rows = councilOverCandles(parsed.value, minutes);
  const csv = toSignalsCsv(symbol.toUpperCase(), rows, minutes);
  const count = (a: string) => rows.filter((r) => r.verdict.action === a).length;
  const summary = `council over ${parsed.value.length} candles of ${symbol.toUpperCase()}, every ${minutes} min: ${rows.length} rows (${count('BUY')} BUY, ${count('SELL')} SELL, ${count('HOLD')} HOLD; a HOLD repeating a HOLD is not written)`;
  if (values.out === undefined) {
    out(csv.trimEnd());
    err(summary);
  } else {
    await writeFile(values.out, csv);
    out(summary);
    out(`signals written to ${values.out}`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCouncilCli(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`council failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
