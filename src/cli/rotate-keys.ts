/**
 * Re-encrypts every stored exchange credential (and traders' webhook ids) under the current SECRET_KEY.
 *   SECRET_KEY=<new> SECRET_KEY_PREVIOUS=<old> npm run keys:rotate
 * Afterwards SECRET_KEY_PREVIOUS can be dropped.
 */
import { existsSync } from 'node:fs';
import { ConfigError, createConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { createRepos } from '../db/repos/index.ts';
import { createSecretBox } from '../security/secret-box.ts';
import { resolveSecretKey } from '../security/secret-key-file.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const config = createConfig({ TELEGRAM_BOT_TOKEN: '0:rotate-keys-needs-no-token', ...process.env });
  const { key } = resolveSecretKey(config.secretKey, config.database.dataDir);
  const box = createSecretBox(key, config.previousSecretKeys);
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  const repos = createRepos(database.db, box);
  const changed = await repos.accounts.reencryptAll();
  const hooks = await repos.webhooks.reencryptAll();
  await database.close();
  console.log(`Re-encrypted ${changed} account(s) and ${hooks} webhook(s) under key id ${box.keyId}.`);
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : `keys:rotate failed: ${(e as Error).message}`);
  process.exit(2);
}
