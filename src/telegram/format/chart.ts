/**
 * A cumulative-P&L line chart as a PNG, drawn pixel by pixel (no fonts: the caption carries the
 * numbers). Green when the period ends in profit, red otherwise; the zero line is grey.
 */
import { PNG } from 'pngjs';

export interface ChartPoint {
  time: number;
  value: number;
}

type Rgb = readonly [number, number, number];
const BG: Rgb = [255, 255, 255];
const AXIS: Rgb = [90, 90, 90];
const ZERO: Rgb = [190, 190, 190];
const GRID: Rgb = [235, 235, 235];
const UP: Rgb = [22, 150, 70];
const DOWN: Rgb = [200, 40, 40];

export function renderPnlChart(points: readonly ChartPoint[], width = 800, height = 400): Buffer {
  const png = new PNG({ width, height });
  const set = (x: number, y: number, c: Rgb) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (width * Math.round(y) + Math.round(x)) << 2;
    png.data[i] = c[0];
    png.data[i + 1] = c[1];
    png.data[i + 2] = c[2];
    png.data[i + 3] = 255;
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, BG);

  const pad = { left: 40, right: 20, top: 20, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  // the line starts at 0 before the first trade
  const series: ChartPoint[] = points.length ? [{ time: points[0]!.time, value: 0 }, ...points] : [{ time: 0, value: 0 }];
  const values = series.map((p) => p.value);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi - lo < 1e-9) {
    hi += 1;
    lo -= 1;
  }
  const margin = (hi - lo) * 0.08;
  lo -= margin;
  hi += margin;
  const yOf = (v: number) => pad.top + ((hi - v) / (hi - lo)) * h;
  // equal spacing per trade: a burst of trades stays readable
  const xOf = (i: number) => pad.left + (series.length === 1 ? w / 2 : (i / (series.length - 1)) * w);

  for (let k = 1; k < 5; k++) {
    const y = pad.top + (k / 5) * h;
    for (let x = pad.left; x <= pad.left + w; x += 2) set(x, y, GRID);
  }
  for (let x = pad.left; x <= pad.left + w; x++) set(x, yOf(0), ZERO);
  for (let y = pad.top; y <= pad.top + h; y++) set(pad.left, y, AXIS);
  for (let x = pad.left; x <= pad.left + w; x++) set(x, pad.top + h, AXIS);

  const color = (values[values.length - 1] ?? 0) >= 0 ? UP : DOWN;
  const line = (x0: number, y0: number, x1: number, y1: number) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) set(x + dx, y + dy, color);
    }
  };
  for (let i = 1; i < series.length; i++) line(xOf(i - 1), yOf(series[i - 1]!.value), xOf(i), yOf(series[i]!.value));
  for (let i = 0; i < series.length; i++) {
    const cx = xOf(i);
    const cy = yOf(series[i]!.value);
    for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) set(cx + dx, cy + dy, color);
  }
  return PNG.sync.write(png);
}
