/**
 * What the report's charts need beyond chart.js, in ONE self-contained function that runs in two
 * places: in Node before chartjs-node-canvas draws the PNG, and in the page, where index.html
 * inlines its source text (`chartRuntime.toString()`). So the PNG and the interactive chart are
 * drawn by the same code from the same JSON.
 *
 * A chart's configuration is plain JSON (charts.ts): no functions. Its declarative parts under
 * `options.plugins.vqbench` (VqbenchChartOptions) and per-point fields are turned into behaviour here:
 * - error bars: a point `{x, y, xMin?, xMax?, yMin?, yMax?}` gets whiskers (the plugin below);
 * - tooltips: a point's `tip` lines (configuration, value and interval) are its tooltip, listed
 *   once when two datasets hold the same point (a frontier point is also a faint point);
 * - legend: hide items by label suffix, keep dataset order, and toggle the datasets of one `series`
 *   together (a method's frontier line and its faint points);
 * - ticks: 'pow2' labels an axis of log2 values with 2^v.
 *
 * Rules for this function: reference nothing outside its body (no imports at run time, no
 * module-level helpers), since the page gets only its text.
 */
import type { Chart, ChartConfiguration, LegendItem, Plugin, TooltipItem } from 'chart.js';

/** Declarative options of a chart (JSON), read by chartRuntime. */
export interface VqbenchChartOptions {
  /** Legend items whose text ends with this are not listed (the faint "every point" datasets). */
  legendHideSuffix?: string;
  /** List legend items in dataset order (chart.js otherwise sorts them by `order`). */
  legendInDatasetOrder?: boolean;
  /** A legend click toggles every dataset with the clicked one's `series` field. */
  linkedSeries?: boolean;
  /** Tick labels per axis id: 'pow2' shows 2^v (an axis of log2 values). */
  tickFormat?: Record<string, 'pow2'>;
  /** Axes the page offers a log/linear toggle for. */
  toggleAxes?: string[];
}

/** A point with an interval and tooltip lines (any of them optional). */
export interface ChartPoint {
  x: number | string | null;
  y: number | string | null;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  tip?: string[];
}

export interface ChartRuntime {
  /** The error-bar plugin (id 'vqbench'); register it once per Chart class. */
  plugin: Plugin;
  /** Adds the functions the JSON cannot hold to a parsed configuration (mutates and returns it). */
  hydrate(config: ChartConfiguration): ChartConfiguration;
}

export function chartRuntime(): ChartRuntime {
  const finite = (v: unknown): v is number => typeof v === 'number' && isFinite(v);
  type Raw = Partial<ChartPoint> & Record<string, unknown>;

  const plugin: Plugin = {
    id: 'vqbench',
    // whiskers with end caps, drawn over the datasets, clipped to the chart area
    afterDatasetsDraw(chart: Chart) {
      const ctx = chart.ctx, area = chart.chartArea, cap = 4;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      for (const meta of chart.getSortedVisibleDatasetMetas()) {
        const ds = chart.data.datasets[meta.index] as unknown as { data: unknown[]; borderColor?: unknown; errorBarColor?: unknown };
        const xs = chart.scales[meta.xAxisID as string], ys = chart.scales[meta.yAxisID as string];
        const colour = typeof ds.errorBarColor === 'string' ? ds.errorBarColor : typeof ds.borderColor === 'string' ? ds.borderColor : '#333333';
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1.5;
        meta.data.forEach((el, i) => {
          const raw = ds.data[i] as Raw | null;
          if (!raw || typeof raw !== 'object' || (el as unknown as { skip?: boolean }).skip) return;
          const px = el.x, py = el.y;
          if (!finite(px) || !finite(py)) return;
          ctx.beginPath();
          if (finite(raw.xMin) && finite(raw.xMax) && xs) {
            const a = xs.getPixelForValue(raw.xMin), b = xs.getPixelForValue(raw.xMax);
            ctx.moveTo(a, py); ctx.lineTo(b, py);
            ctx.moveTo(a, py - cap); ctx.lineTo(a, py + cap);
            ctx.moveTo(b, py - cap); ctx.lineTo(b, py + cap);
          }
          if (finite(raw.yMin) && finite(raw.yMax) && ys) {
            const a = ys.getPixelForValue(raw.yMin), b = ys.getPixelForValue(raw.yMax);
            ctx.moveTo(px, a); ctx.lineTo(px, b);
            ctx.moveTo(px - cap, a); ctx.lineTo(px + cap, a);
            ctx.moveTo(px - cap, b); ctx.lineTo(px + cap, b);
          }
          ctx.stroke();
        });
      }
      ctx.restore();
    },
  };

  function hydrate(config: ChartConfiguration): ChartConfiguration {
    const options = (config.options ??= {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const plugins = (options.plugins ??= {});
    const v: VqbenchChartOptions = plugins.vqbench ?? {};
    const tooltip = (plugins.tooltip ??= {});
    tooltip.callbacks = {
      ...tooltip.callbacks,
      // the series for points with tip lines; chart.js's own title (the category) for the others
      title: (items: TooltipItem<'scatter'>[]) => {
        const raw = items.length ? (items[0].raw as Raw | null) : null;
        return raw && typeof raw === 'object' && Array.isArray(raw.tip) ? String(items[0].dataset.label ?? '') : undefined;
      },
      // undefined falls back to chart.js's own label (a point without tip lines)
      label: (item: TooltipItem<'scatter'>) => {
        const raw = item.raw as Raw | null;
        return raw && typeof raw === 'object' && Array.isArray(raw.tip) ? raw.tip : undefined;
      },
    };
    // a frontier point is also one of the faint points: list the same configuration once
    const tipKey = (item: TooltipItem<'scatter'>) => {
      const raw = item.raw as Raw | null;
      return raw && typeof raw === 'object' && Array.isArray(raw.tip) ? raw.tip.join('\n') : `${item.datasetIndex}/${item.dataIndex}`;
    };
    tooltip.filter = (item: TooltipItem<'scatter'>, index: number, items: TooltipItem<'scatter'>[]) => items.findIndex((o) => tipKey(o) === tipKey(item)) === index;
    const legend = (plugins.legend ??= {});
    const labels = (legend.labels ??= {});
    const hide = v.legendHideSuffix;
    if (hide) labels.filter = (item: LegendItem) => !item.text.endsWith(hide);
    if (v.legendInDatasetOrder) labels.sort = (a: LegendItem, b: LegendItem) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0);
    if (v.linkedSeries) {
      legend.onClick = (_e: unknown, item: LegendItem, l: { chart: Chart }) => {
        const chart = l.chart, i = item.datasetIndex ?? 0;
        const series = (chart.data.datasets[i] as { series?: string }).series;
        const show = !chart.isDatasetVisible(i);
        chart.data.datasets.forEach((d, j) => {
          if (j === i || (series !== undefined && (d as { series?: string }).series === series)) chart.setDatasetVisibility(j, show);
        });
        chart.update();
      };
    }
    for (const [axis, format] of Object.entries(v.tickFormat ?? {})) {
      const scale = ((options.scales ??= {})[axis] ??= {});
      const ticks = (scale.ticks ??= {});
      if (format === 'pow2') ticks.callback = (value: string | number) => String(2 ** Number(value));
    }
    return config;
  }

  return { plugin, hydrate };
}
