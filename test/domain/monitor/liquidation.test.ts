import { describe, expect, it } from 'vitest';
import { effectiveLiquidationPrice, evaluate } from '../../../src/domain/monitor/index.ts';
import { MIN, open, run, settings, T0, trades } from './helpers.ts';

const st = settings({ trailingEnabled: false, partialTpEnabled: false });
// futures long, 5x, exchange-reported liquidation price 80.4: distance at entry 19.6 %
const long = () => open({ side: 'long', entry: 100, mode: 'futures', leverage: 5, liquidationPrice: 80.4 }, st);

describe('liquidation protection (SPEC §6 rule 6)', () => {
  it('warns and reduces by 25 % once per episode, re-arms above 15 %, closes within 3.5 %', () => {
    // distances: 96 → 16.25 %, 94 → 14.47 %, 93 → 13.5 %, 95 → 15.37 %, 94 → 14.47 %, 83 → 3.13 %
    const { perTick, state } = run(long(), [96, 94, 93, 95, 94, 83], st);
    expect(perTick[0]).toEqual([]);
    expect(perTick[1]?.[0]).toMatchObject({ type: 'alert', event: 'liquidation_warning', severity: 'warning' });
    expect(perTick[1]?.[0]?.type === 'alert' && perTick[1][0].distancePct).toBeCloseTo(14.468, 3);
    expect(trades(perTick[1] ?? [])).toEqual([{ type: 'reduce', reason: 'liquidation_protection', qty: 0.25, price: 94 }]);
    expect(perTick[2]).toEqual([]); // same episode
    expect(perTick[3]).toEqual([]); // back above 15 %: re-armed, no action
    expect(trades(perTick[4] ?? [])).toEqual([{ type: 'reduce', reason: 'liquidation_protection', qty: 0.1875, price: 94 }]);
    expect(perTick[5]?.[0]).toMatchObject({ type: 'alert', event: 'liquidation_critical', severity: 'critical' });
    expect(trades(perTick[5] ?? [])).toEqual([{ type: 'close_all', reason: 'liquidation_protection', qty: 0.5625, price: 83 }]);
    expect(state.closed).toBe(true);
  });

  it('a gap straight into the 3.5 % zone closes without a warning reduce first', () => {
    const { actions } = run(long(), [82], st);
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'liquidation_protection', qty: 1, price: 82 }]);
  });

  it('a continuous fall through both zones reduces at the 15 % level then closes at the 3.5 % level', () => {
    const { actions } = run(long(), [96, [80, true]], st);
    const t = trades(actions);
    expect(t.map((x) => x.type)).toEqual(['reduce', 'close_all']);
    expect(t[0]?.price).toBeCloseTo(80.4 / 0.85, 9); // 94.588…
    expect(t[1]?.price).toBeCloseTo(80.4 / 0.965, 9); // 83.316…
    expect(t[1]?.qty).toBeCloseTo(0.75, 12);
  });

  it('short: the liquidation price is above; warning at 15 %, close at 3.5 %', () => {
    const pos = open({ side: 'short', entry: 100, mode: 'margin', leverage: 5, liquidationPrice: 119.6 }, st);
    // 104 → 15 % exactly (119.6 − 104)/104 = 15 % → warning; 116 → 3.1 % → close
    const { actions } = run(pos, [103, 104, 116], st);
    expect(trades(actions)).toEqual([
      { type: 'reduce', reason: 'liquidation_protection', qty: 0.25, price: 104 },
      { type: 'close_all', reason: 'liquidation_protection', qty: 0.75, price: 116 },
    ]);
  });

  it('estimates the liquidation price from leverage when the exchange gives none; spot has none', () => {
    const mmr = st.maintenanceMarginRate;
    expect(effectiveLiquidationPrice({ mode: 'futures', side: 'long', entry: 100, leverage: 10, liquidationPrice: null }, mmr)).toBeCloseTo(90.5, 10);
    expect(effectiveLiquidationPrice({ mode: 'futures', side: 'short', entry: 100, leverage: 10 }, mmr)).toBeCloseTo(109.5, 10);
    expect(effectiveLiquidationPrice({ mode: 'spot', side: 'long', entry: 100, leverage: 10 }, mmr)).toBeNull();
    const spot = open({ side: 'long', entry: 100, mode: 'spot', leverage: 10 }, st);
    expect(evaluate(spot, { time: T0 + MIN, price: 10, continuous: false }, st).actions).toEqual([]);
  });
});
