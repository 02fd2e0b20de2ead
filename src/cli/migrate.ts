/** Applies the committed migrations to DATABASE_URL (or the embedded database in DATA_DIR) and exits. */
import { existsSync } from 'node:fs';
import { openDatabase } from '../db/client.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
const url = process.env.DATABASE_URL?.trim() || undefined;
const dataDir = process.env.DATA_DIR?.trim() || './data';
try {
  const database = await openDatabase({ url, dataDir, maxConnections: 1 });
  await database.close();
  console.log(`migrations applied (${url ? 'postgres' : `pglite in ${dataDir}`})`);
} catch (e) {
  console.error(`migration failed: ${(e as Error).message}`);
  process.exit(1);
}
