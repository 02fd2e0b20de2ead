/**
 * One life of the kill loop's child engine (fixtures/kill-child.ts), spawned warm: it loads its
 * modules while the previous life still runs, and starts on the database only when told.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onJsonLines } from '../support/json-lines.ts';

const CHILD = fileURLToPath(new URL('./fixtures/kill-child.ts', import.meta.url));

export interface ChildLine {
  event: string;
  step?: number;
  message?: string;
  recovery?: Record<string, number>;
}

export interface LifeEnd {
  signal: NodeJS.Signals | null;
  lines: ChildLine[];
}

export interface Life {
  child: ChildProcess;
  /** starts it on the database from `start` (a path step); resolves when it exits or is killed */
  run(start: number, final: boolean, onLine: (line: ChildLine) => void): Promise<LifeEnd>;
  kill(): void;
}

export function spawnLife(env: Record<string, string>): Life {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: ChildLine[] = [];
  let listener: ((line: ChildLine) => void) | undefined;
  let stderr = '';
  onJsonLines<ChildLine>(child.stdout!, (line) => {
    lines.push(line);
    listener?.(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => {}); // a life killed before it was told to start
  const ended = new Promise<LifeEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr.slice(-2000)} ${JSON.stringify(lines.slice(-3))}`));
      else resolve({ signal, lines });
    });
  });
  ended.catch(() => {});
  return {
    child,
    run(start, final, onLine) {
      listener = onLine;
      child.stdin!.end(`${JSON.stringify({ start, final })}\n`);
      return ended;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
