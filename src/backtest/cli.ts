import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSummary } from './report.ts';
import { backtestFromCsv, type BacktestInputs } from './run.ts';

const USAGE =
  'usage: npm run backtest -- --candles FILE.csv|SYMBOL=FILE.csv [--candles …] --signals FILE.csv ' +
  '[--out trades.json] [--balance N] [--fee RATE] [--slippage RATE] [--settings settings.json] [--fixed-qty Q]';

/** Exit codes: 0 done, 2 bad input (message names file, line, column), 1 unexpected failure. */
export async function runCli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values: Record<string, string | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        candles: { type: 'string', multiple: true },
        signals: { type: 'string' },
        out: { type: 'string' },
        balance: { type: 'string', default: '10000' },
        fee: { type: 'string', default: '0.001' },
        slippage: { type: 'string', default: '0.0005' },
        settings: { type: 'string' },
        'fixed-qty': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const candleArgs = (values.candles as string[] | undefined) ?? [];
  const signalsFile = values.signals as string | undefined;
  if (candleArgs.length === 0 || signalsFile === undefined) {
    err(`--candles and --signals are required\n${USAGE}`);
    return 2;
  }
  const number = (name: string, ok: (x: number) => boolean, what: string): number | string => {
    const raw = values[name] as string;
    const x = Number(raw);
    return raw.trim() !== '' && Number.isFinite(x) && ok(x) ? x : `--${name} ${raw}: must be ${what}`;
  };
  const balance = number('balance', (x) => x > 0, 'a positive number');
  const fee = number('fee', (x) => x >= 0 && x < 1, 'a rate in [0, 1), e.g. 0.001');
  const slippage = number('slippage', (x) => x >= 0 && x < 1, 'a rate in [0, 1), e.g. 0.0005');
  const fixedQty = values['fixed-qty'] === undefined ? null : number('fixed-qty', (x) => x > 0, 'a positive quantity');
  for (const v of [balance, fee, slippage, fixedQty]) {
    if (typeof v === 'string') {
      err(v);
      return 2;
    }
  }
  // one synchronous read: a CLI has nothing else to do meanwhile, and a 60 MB file read in the
  // async API's chunks costs a tenth of the whole run
  const readBytes = async (file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${file}:1:1: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const read = async (file: string) => (await readBytes(file)).toString('utf8');
  let inputs: BacktestInputs;
  try {
    const candles = await Promise.all(
      candleArgs.map(async (arg) => {
        const eq = arg.indexOf('=');
        const split = eq > 0 && !existsSync(arg);
        const symbol = split ? arg.slice(0, eq) : null;
        const file = split ? arg.slice(eq + 1) : arg;
        // the candles as bytes: a million rows parse without being decoded to a string first
        return { symbol, file, bytes: await readBytes(file) };
      }),
    );
    const settingsFile = values.settings as string | undefined;
    inputs = {
      candles,
      signals: { file: signalsFile, text: await read(signalsFile) },
      settings: settingsFile === undefined ? null : { file: settingsFile, text: await read(settingsFile) },
      balance: balance as number,
      fee: fee as number,
      slippage: slippage as number,
      fixedQty: fixedQty as number | null,
    };
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const result = backtestFromCsv(inputs);
  if (!result.ok) {
    err(result.error.message);
    return 2;
  }
  const outFile = values.out as string | undefined;
  if (outFile !== undefined) await writeFile(outFile, `${JSON.stringify(result.value.json, null, 2)}\n`);
  out(formatSummary(result.value.summary, result.value.run.rejections));
  if (outFile !== undefined) out(`trades written to ${outFile}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`backtest failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
