/** Shared set-up for the emulator's own tests: a fresh emulator per test and grammY bots pointed at it. */
import { afterEach, beforeEach } from 'vitest';
import { Bot, type Context } from 'grammy';
import { startBotApiEmulator, type BotApiEmulator } from '../bot-api.ts';
import type { TgUser } from './types.ts';

export const alice: TgUser = { id: 1001, first_name: 'Alice', username: 'alice' };
export const bob: TgUser = { id: 1002, first_name: 'Bob' };

export interface Harness {
  readonly emu: BotApiEmulator;
  /** a bot on the emulator; `polling` (default true) starts long polling with 1-second polls */
  makeBot(setup?: (bot: Bot) => void, opts?: { polling?: boolean; token?: string }): Bot;
  /** a raw Bot API call over HTTP, for what grammY would never send */
  raw(method: string, body?: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }>;
}

/** Call at the top of a test file: registers the hooks that start and stop everything per test. */
export function useEmulator(): Harness {
  let emu: BotApiEmulator | undefined;
  let bots: Bot[] = [];
  beforeEach(async () => {
    emu = await startBotApiEmulator();
  });
  afterEach(async () => {
    await Promise.all(bots.map((b) => (b.isRunning() ? b.stop() : undefined)));
    bots = [];
    await emu?.close();
    emu = undefined;
  });
  const current = (): BotApiEmulator => {
    if (!emu) throw new Error('the emulator runs only inside a test');
    return emu;
  };
  return {
    get emu() {
      return current();
    },
    makeBot(setup = () => {}, opts = {}) {
      const e = current();
      const bot = new Bot<Context>(opts.token ?? e.token, { client: { apiRoot: e.url }, botInfo: e.botInfo });
      setup(bot);
      bot.catch(() => {});
      bots.push(bot);
      if (opts.polling ?? true) void bot.start({ timeout: 1 });
      return bot;
    },
    async raw(method, body) {
      const e = current();
      const res = await fetch(`${e.url}/bot${e.token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
  };
}
