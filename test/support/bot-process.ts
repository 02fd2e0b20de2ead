/**
 * Runs the real app in a child process with a clean environment, for end-to-end tests against the
 * emulators: from source (`node --import tsx src/main.ts`), or with TEST_COMPILED=1 (CI, after
 * `npm run build`) the compiled JavaScript `npm start` runs (`node dist/main.js`). The child is killed when the test
 * that started it finishes, and in any case when the test worker exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve, sep } from 'node:path';
import { onTestFinished } from 'vitest';

export interface BotProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BotProcess {
  proc: ChildProcess;
  /** sends `signal` (default SIGTERM); SIGKILL after `graceMs` (default 10 000) if still running */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<BotProcessExit>;
  exited: Promise<BotProcessExit>;
  /** stdout and stderr so far, interleaved in arrival order */
  output(): string;
  /** resolves with the output once it matches; rejects with the output on timeout or exit (default 15 000 ms) */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
}

export interface StartBotProcessOptions {
  /** the project's variables (TELEGRAM_BOT_TOKEN, TELEGRAM_API_ROOT, DATA_DIR, …); merged over PATH and HOME only */
  env: Record<string, string | undefined>;
  /** default: the repository root */
  cwd?: string;
  /** the script to run, relative to the repository root or absolute; default 'src/main.ts' (other CLIs work too) */
  entry?: string;
  args?: string[];
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** node's arguments for a script, by absolute location so any cwd works */
function entryArgs(script: string): string[] {
  const source = resolve(REPO_ROOT, script);
  const srcDir = join(REPO_ROOT, 'src') + sep;
  // only the app's own sources are compiled; a test's scripts run through tsx
  if (process.env.TEST_COMPILED === '1' && source.startsWith(srcDir)) {
    const compiled = join(REPO_ROOT, 'dist', source.slice(srcDir.length)).replace(/\.ts$/, '.js');
    if (!existsSync(compiled)) throw new Error(`TEST_COMPILED=1 but ${compiled} does not exist: run npm run build first`);
    return [compiled];
  }
  return ['--import', pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href, source];
}
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export function startBotProcess(options: StartBotProcessOptions): BotProcess {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME'] as const) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  // several bot processes run at once in the suite: each HTTP server on a free port unless the test picks one
  env['HTTP_PORT'] = '0';
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;

  const proc = spawn(process.execPath, [...entryArgs(options.entry ?? 'src/main.ts'), ...(options.args ?? [])], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  installExitHook();

  let output = '';
  const outputListeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const l of [...outputListeners]) l();
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);

  let done = false;
  // 'close' comes after 'exit' once stdout and stderr are drained, so output() is complete by then
  const exited = new Promise<BotProcessExit>((resolve) => {
    proc.once('close', (code, signal) => {
      done = true;
      live.delete(proc);
      resolve({ code, signal });
      for (const l of [...outputListeners]) l();
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<BotProcessExit> => {
    if (!done) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      timer.unref();
      void exited.then(() => clearTimeout(timer));
    }
    return exited;
  };

  const waitForOutput = (pattern: RegExp | string, timeoutMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const matches = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
      const check = () => {
        if (matches()) {
          finish();
          resolve(output);
        } else if (done) {
          finish();
          reject(new Error(`bot process exited before printing ${String(pattern)}. Output:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`bot process did not print ${String(pattern)} within ${timeoutMs} ms. Output:\n${output}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        outputListeners.delete(check);
      };
      outputListeners.add(check);
      check();
    });

  try {
    onTestFinished(async () => {
      await stop('SIGKILL');
    });
  } catch {
    // started outside a test (e.g. in beforeAll): the caller stops it; the exit hook is the backstop
  }

  return { proc, stop, exited, output: () => output, waitForOutput };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}
