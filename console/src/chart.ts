/**
 * Time charts on uPlot (canvas), in UTC: bars for one series on the left axis, an optional line
 * on the right axis (or on the bars' own, when both count the same thing). Shared by the console
 * and the MCP App view. The container gets `data-points` (how many buckets) and `data-nonzero`
 * (how many bars carry a value), so a reader can tell what was drawn.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const BAR_COLOR = '#3b5bdb';
export const LINE_COLOR = '#e8590c';

export interface Measure {
  label: string;
  values: number[];
  format: (value: number) => string;
  /** Counts: axis ticks at whole numbers only. */
  whole?: boolean;
}

export interface TimeSeries {
  /** Bucket starts, in seconds since the epoch, evenly spaced. */
  x: number[];
  bars: Measure;
  /** Drawn on the right axis, or on the bars' axis when `shared`. */
  line?: Measure & { shared?: boolean };
}

export interface TimeChart {
  update(series: TimeSeries): void;
  destroy(): void;
}

const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1e6, 1e7, 1e8];
const pad2 = (value: number) => String(value).padStart(2, '0');

/** Tick labels in UTC, as fine as the buckets: seconds, hours or days. */
function timeLabel(step: number): (seconds: number) => string {
  return (seconds) => {
    const date = new Date(seconds * 1000);
    const day = `${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
    if (step >= 86_400) return day;
    if (step >= 3_600) return `${day} ${pad2(date.getUTCHours())}:00`;
    return `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;
  };
}

const upFromZero: uPlot.Scale.Range = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];

export function timeChart(container: HTMLElement, initial: TimeSeries, height = 260): TimeChart {
  let series = initial;
  const width = () => Math.max(280, container.clientWidth || 600);
  const columns = (data: TimeSeries): uPlot.AlignedData => (data.line ? [data.x, data.bars.values, data.line.values] : [data.x, data.bars.values]);
  const make = (data: TimeSeries): uPlot => {
    const step = data.x.length > 1 ? data.x[1]! - data.x[0]! : 86_400;
    const label = timeLabel(step);
    const lineScale = data.line?.shared ? 'y' : 'r';
    const options: uPlot.Options = {
      width: width(),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Half a bucket either side, so the first and last bars are drawn whole.
        x: { time: false, range: (_u, min, max) => [min - step / 2, max + step / 2] },
        y: { range: upFromZero },
        ...(data.line && !data.line.shared ? { r: { range: upFromZero } } : {}),
      },
      series: [
        { label: 'UTC', value: (_u, value) => (value === null ? '—' : label(value)) },
        {
          label: data.bars.label,
          stroke: BAR_COLOR,
          fill: BAR_COLOR,
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.7, 60] }),
          points: { show: false },
          value: (_u, value) => (value === null ? '—' : data.bars.format(value)),
        },
        ...(data.line
          ? [
              {
                label: data.line.label,
                scale: lineScale,
                stroke: LINE_COLOR,
                width: 2,
                points: { show: data.x.length <= 48, size: 5 },
                value: (_u: uPlot, value: number | null) => (value === null ? '—' : data.line!.format(value)),
              },
            ]
          : []),
      ],
      axes: [
        {
          // Ticks on bucket starts only, as many as fit.
          splits: (u) => {
            const starts = u.data[0] as number[];
            const fit = Math.max(2, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / 90));
            const every = Math.ceil(starts.length / fit);
            return starts.filter((_start, index) => index % every === 0);
          },
          values: (_u, ticks) => ticks.map(label),
        },
        { values: (_u, ticks) => ticks.map((tick) => data.bars.format(tick)), size: 80, ...(data.bars.whole ? { incrs: WHOLE_STEPS } : {}) },
        ...(data.line && !data.line.shared
          ? [
              {
                side: 1,
                scale: 'r',
                grid: { show: false },
                values: (_u: uPlot, ticks: number[]) => ticks.map((tick) => data.line!.format(tick)),
                size: 60,
                ...(data.line.whole ? { incrs: WHOLE_STEPS } : {}),
              },
            ]
          : []),
      ],
    };
    return new uPlot(options, columns(data), container);
  };
  const mark = (data: TimeSeries) => {
    container.dataset.points = String(data.x.length);
    container.dataset.nonzero = String(data.bars.values.filter((value) => value > 0).length);
  };
  let plot = make(series);
  mark(series);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height }));
  resize.observe(container);
  return {
    update(next) {
      const sameShape =
        Boolean(next.line) === Boolean(series.line) &&
        next.line?.shared === series.line?.shared &&
        next.bars.label === series.bars.label &&
        next.x.length === series.x.length &&
        next.x[1]! - next.x[0]! === series.x[1]! - series.x[0]!;
      if (sameShape) {
        plot.setData(columns(next));
      } else {
        // A new bucket size or another kind of line needs new axes, not only new numbers.
        plot.destroy();
        plot = make(next);
      }
      series = next;
      mark(next);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

/**
 * Report rows by day (`YYYY-MM-DD`) or hour (`YYYY-MM-DDTHH`) → one bucket per day or hour of
 * the range, empty ones included, so the time axis has no gaps.
 */
export function bucketsOf<T>(
  rows: T[],
  keyOf: (row: T) => string | undefined,
  range: { start: string; end: string; hourly: boolean },
  value: (row: T | undefined) => number,
): { x: number[]; values: number[] } {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key) byKey.set(key, row);
  }
  const x: number[] = [];
  const values: number[] = [];
  const step = range.hourly ? 3_600_000 : 86_400_000;
  const first = Date.parse(`${range.start}T00:00:00Z`);
  const last = Date.parse(`${range.end}T00:00:00Z`) + 86_400_000 - step;
  // A bounded axis: at most 31 days of hours, or about ten years of days.
  const limit = range.hourly ? 24 * 31 : 3700;
  for (let time = first, n = 0; time <= last && n < limit; time += step, n++) {
    const iso = new Date(time).toISOString();
    const key = range.hourly ? iso.slice(0, 13) : iso.slice(0, 10);
    x.push(time / 1000);
    values.push(value(byKey.get(key)));
  }
  return { x, values };
}
