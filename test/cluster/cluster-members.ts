/**
 * The app processes of the cluster test: the real app (`npm start`'s code) started with one
 * environment, except what lets the test tell them apart at the edges: each reaches the Binance
 * emulator's REST API and the Bot API emulator through a recording proxy of its own, connects to
 * PostgreSQL with its own application_name, and has its own DATA_DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotProcess, type BotProcess } from '../support/bot-process.ts';
import { startRecordingProxy, type ProxiedRequest, type RecordingProxy } from './recording-proxy.ts';

export interface Member {
  /** 'p0', 'p1', 'p2': also its application_name */
  name: string;
  app: BotProcess;
  exchange: RecordingProxy;
  telegram: RecordingProxy;
  /** its lease owner id (processes.id), once known */
  owner?: string;
  killedAt?: number;
  frozenAt?: number;
  /** the app's JSON log lines so far whose msg is `msg` */
  logLines(msg: string): Array<Record<string, unknown> & { time: number }>;
  close(): Promise<void>;
}

export interface MemberEnv {
  databaseUrl: string;
  secretKey: string;
  telegramRoot: string;
  telegramToken: string;
  binanceRoot: string;
  /** the emulator's ccxt urls.api (its websocket entries are used as they are) */
  binanceUrls: Record<string, string | Record<string, string>>;
  logLevel: string;
}

/** urls.api with every REST entry moved from `from` to `to` (the websocket entries stay) */
function viaProxy(urls: Record<string, string | Record<string, string>>, from: string, to: string): Record<string, string | Record<string, string>> {
  return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, typeof v === 'string' ? v.replace(from, to) : v]));
}

export async function startMember(name: string, env: MemberEnv): Promise<Member> {
  const exchange = await startRecordingProxy(env.binanceRoot);
  const telegram = await startRecordingProxy(env.telegramRoot);
  const dataDir = mkdtempSync(join(tmpdir(), `ase-cluster-${name}-`));
  const url = new URL(env.databaseUrl);
  url.searchParams.set('application_name', name);
  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: env.telegramToken,
      TELEGRAM_API_ROOT: telegram.url,
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      SECRET_KEY: env.secretKey,
      CLUSTER: 'true',
      COUNCIL_ENABLED: 'false',
      EXCHANGE_OPTIONS: JSON.stringify({ binance: { timeout: 10_000, urls: { api: viaProxy(env.binanceUrls, env.binanceRoot, exchange.url) } } }),
      LOG_LEVEL: env.logLevel,
    },
  });
  const logLines = (msg: string) =>
    app
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes(msg))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown> & { time: number };
        } catch {
          return undefined;
        }
      })
      .filter((l): l is Record<string, unknown> & { time: number } => l !== undefined && l['msg'] === msg);
  const member: Member = {
    name,
    app,
    exchange,
    telegram,
    logLines,
    async close() {
      if (member.frozenAt !== undefined) app.proc.kill('SIGCONT');
      await app.stop('SIGKILL');
      await exchange.close();
      await telegram.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return member;
}

/** a request that acts on the exchange (an order, a stop, a cancel), not a read */
export const isActing = (r: ProxiedRequest) => r.method !== 'GET' && /order|openorders/i.test(r.path);

/** the Bot API method a proxied Telegram request called */
export const telegramMethod = (r: ProxiedRequest) => r.path.split('/').pop() ?? '';
