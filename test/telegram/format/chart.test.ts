import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { renderPnlChart } from '../../../src/telegram/format/chart.ts';

function colorsOf(buf: Buffer): Set<string> {
  const png = PNG.sync.read(buf);
  const seen = new Set<string>();
  for (let i = 0; i < png.data.length; i += 4) seen.add(`${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`);
  return seen;
}

describe('P&L chart', () => {
  it('is an 800×400 PNG drawn in green when the period ends in profit', () => {
    const buf = renderPnlChart([
      { time: 1, value: -10 },
      { time: 2, value: 25 },
      { time: 3, value: 40 },
    ]);
    const png = PNG.sync.read(buf);
    expect([png.width, png.height]).toEqual([800, 400]);
    const colors = colorsOf(buf);
    expect(colors.has('22,150,70')).toBe(true);
    expect(colors.has('200,40,40')).toBe(false);
  });

  it('is red when the period ends in a loss', () => {
    const colors = colorsOf(renderPnlChart([{ time: 1, value: 5 }, { time: 2, value: -30 }]));
    expect(colors.has('200,40,40')).toBe(true);
    expect(colors.has('22,150,70')).toBe(false);
  });

  it('draws a single trade and an empty series without failing', () => {
    expect(PNG.sync.read(renderPnlChart([{ time: 1, value: 3 }])).width).toBe(800);
    expect(PNG.sync.read(renderPnlChart([])).height).toBe(400);
  });
});
