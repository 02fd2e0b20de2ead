import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger redaction', () => {
  const token = '123456:SECRET-bot-token-value';
  const secretKey = 'super-secret-key-material-123';

  it('removes secrets by path at any depth and by value in messages and errors', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination, secrets: [token, secretKey] });
    log.info({ apiKey: 'AKIA-key-1', account: { secret: 'sek-2', passphrase: 'pp-3', nested: { password: 'pw-4' } } }, 'connect');
    log.info({ headers: { 'X-MBX-APIKEY': 'hdr-5', authorization: 'Bearer abc-6' } }, 'request');
    log.info(`calling https://api.telegram.org/bot${token}/getMe with ${secretKey}`);
    log.error({ err: new Error(`failed for bot${token}`) }, 'boom');
    const out = lines.join('');
    for (const leaked of ['AKIA-key-1', 'sek-2', 'pp-3', 'pw-4', 'hdr-5', 'abc-6', token, secretKey]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('[REDACTED]');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!).msg).toBe('connect');
  });
});
