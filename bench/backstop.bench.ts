/**
 * SPEC §10 / issue 12 item 2: exchange calls a backstop costs while its position trails. One
 * USD-M long on the Binance emulator (real ccxt, engine on PGlite), 1 000 one-second ticks of a
 * 2 % rally; the bound is at most 5 calls on the backstop (test/engine/backstop.test.ts asserts it).
 */
import { closeWorld, createWorld, open, trailingTicks } from '../test/engine/backstop-world.ts';
import { fmt, ms, type Bench } from './lib.ts';

const TICKS = 1_000;
const BOUND = 5;

export default {
  name: `backstop: exchange calls over ${TICKS} trailing ticks (bound ${BOUND})`,
  async run() {
    const w = await createWorld('futures', { partialTpEnabled: false });
    try {
      await open(w);
      const start = process.hrtime.bigint();
      const { backstopCalls, requests } = await trailingTicks(w, TICKS);
      const elapsed = ms(start);
      console.log(`backstop calls: ${backstopCalls} (bound ${BOUND}); all exchange requests during the ticks: ${requests}; ${fmt(elapsed)} ms for ${TICKS} ticks`);
      if (backstopCalls > BOUND) {
        console.error(`over the bound: ${backstopCalls} > ${BOUND}`);
        process.exitCode = 1;
      }
    } finally {
      await closeWorld(w);
    }
  },
} satisfies Bench;
