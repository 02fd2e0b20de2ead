/**
 * With the embedded database and no SECRET_KEY, a random key is made once and kept beside the
 * data (DATA_DIR/secret.key, mode 0600), so `npm start` needs only a bot token. With a server
 * database the key must come from the environment (config refuses to start otherwise).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function resolveSecretKey(secretKey: string | undefined, dataDir: string): { key: string; generated: boolean } {
  if (secretKey) return { key: secretKey, generated: false };
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}
