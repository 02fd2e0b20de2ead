/**
 * The recorded candles live in shared/data beside the repository (../shared/data from its root),
 * both on a developer's machine and in CI's fresh clone.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function sharedDataFile(name: string): string {
  const beside = resolve(REPO_ROOT, '..', 'shared', 'data', name);
  if (existsSync(beside)) return beside;
  const fallback = join('/work/shared/data', name);
  if (existsSync(fallback)) return fallback;
  throw new Error(`recorded data file ${name} not found in ${resolve(REPO_ROOT, '..', 'shared', 'data')}`);
}
