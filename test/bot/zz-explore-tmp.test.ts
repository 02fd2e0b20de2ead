import { it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess } from '../support/bot-process.ts';
it('sigterm early', { timeout: 90000 }, async () => {
  for (const when of ['setMyCommands', 'getUpdates']) {
    const emu = await startBotApiEmulator();
    const app = startBotProcess({ env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'x')), SECRET_KEY: 'abcdefghijklmnopqrstuvwxyz123456' } });
    await emu.waitForCall(when, undefined, 60000);
    void app.stop('SIGTERM');
    console.log(when, await app.exited, app.output().split('\n').filter(l => /fatal|error|Abort/i.test(l)).join('\n'));
    await emu.close();
  }
  const emu = await startBotApiEmulator();
  const app = startBotProcess({ env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'x')), SECRET_KEY: 'abcdefghijklmnopqrstuvwxyz123456' } });
  await emu.waitForCall('getUpdates', undefined, 60000);
  emu.setOutage('502');
  await emu.waitForCall('getUpdates', c => c.status === 502, 10000);
  void app.stop('SIGTERM');
  console.log('during outage', await app.exited, app.output().split('\n').filter(l => /fatal|error|Abort/i.test(l)).join('\n'));
  await emu.close();
});
