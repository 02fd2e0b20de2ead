import type { ExchangeId } from '../port.ts';
import { binanceQuirks } from './binance.ts';
import { bitgetQuirks } from './bitget.ts';
import { bybitQuirks } from './bybit.ts';
import { krakenQuirks } from './kraken.ts';
import { okxQuirks } from './okx.ts';
import type { ExchangeQuirks } from './types.ts';

export type { ExchangeQuirks, OrderParamsInput, SettingVia } from './types.ts';

const QUIRKS: Readonly<Record<ExchangeId, ExchangeQuirks>> = {
  binance: binanceQuirks,
  kraken: krakenQuirks,
  bybit: bybitQuirks,
  okx: okxQuirks,
  bitget: bitgetQuirks,
};

/** every exchange the bot offers, in the order /connect lists them */
export const EXCHANGE_IDS: readonly ExchangeId[] = Object.keys(QUIRKS) as ExchangeId[];

export function quirksFor(exchange: ExchangeId): ExchangeQuirks {
  return QUIRKS[exchange];
}

/** the name a trader reads for an exchange id ("Binance"); an unknown id as it is */
export function exchangeName(id: string): string {
  return (EXCHANGE_IDS as readonly string[]).includes(id) ? QUIRKS[id as ExchangeId].name : id;
}
