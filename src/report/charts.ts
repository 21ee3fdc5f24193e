/**
 * The report's charts: one chart.js configuration per chart, plain JSON, rendered in Node by
 * chartjs-node-canvas (node-canvas) to PNG and embedded in index.html, where the page draws it
 * again interactively; both go through chart-runtime.ts (error bars, tooltips, legend behaviour),
 * so the two never disagree. Points carry their configuration as tooltip lines and, where the
 * result has one, a 95% bootstrap interval as error bars (recallCI, lossCI, mainScoreCI). Axis
 * titles and Pareto frontiers take names, units and directions from the metric registry.
 * Only the charts whose data exist in the run are made:
 *
 *   recall-qps-<dataset>       recall@10 (x) against QPS (y, log), a Pareto frontier per index and
 *                              every configuration as a faint point (ann-benchmarks' plot)
 *   build-time-<dataset>       build seconds per built configuration
 *   memory-<dataset>           index bytes and process peak RSS per built configuration (log)
 *   loss-vs-books-<dataset>    loss against the number of codebooks (paper Fig. 4)
 *   loss-vs-size-<dataset>     loss against the codebook size (paper Fig. 5)
 *   rate-distortion-<dataset>  loss against honest bits per vector, per quantizer, with the Gaussian
 *                              bound as a line (equal-bits view)
 *   loss-after-stage-<dataset> loss after each stage of RVQ / WRVQ / AVQ, one line per method
 *                              (src/eval/stage-diagnostics.ts)
 *   mteb-<model>               main_score per task, original vs each quantized variant (Fig. 6)
 *   insert-<cell>              seconds and memory change per insert batch (Fig. 7)
 *   stream-<cell>              recall@k and QPS at each search step of a streaming runbook, with the
 *                              rows live after every step (big-ann-benchmarks' streaming track)
 */
import { machineId, machinesOf } from './machines.js';
import type cncModule from 'chartjs-node-canvas';
import type { ChartConfiguration } from 'chart.js';
import { metricInfo } from '../eval/metric-registry.js';
import { paretoFrontierBy } from '../eval/pareto.js';
import { chartRuntime, type ChartPoint, type VqbenchChartOptions } from './chart-runtime.js';
import { slug, type RunView, type StreamView } from './model.js';

export interface ChartImage {
  /** Filename-safe id; the PNG is `charts/<id>.png`. */
  id: string;
  title: string;
  /** One or two sentences saying what is plotted and how to read it. */
  caption: string;
  /** The paper's figure this chart corresponds to, if any. */
  figure: string | null;
  png: Buffer;
  width: number;
  height: number;
  /**
   * The chart.js configuration the PNG was drawn from, as plain JSON (no functions): the page draws
   * the interactive chart from the same object, after the same `chartRuntime().hydrate`.
   */
  config: ChartConfiguration;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const WIDTH = 960;
const MIB = 2 ** 20;
const BARS_NOTE = 'Bars: 95% bootstrap interval';

const runtime = chartRuntime();
type Renderer = InstanceType<typeof cncModule.ChartJSNodeCanvas>;
const renderers = new Map<string, Renderer>();
// Loaded on first use, not at import: node-canvas costs ~0.15 s at every CLI start, and only reports draw.
let cnc: typeof cncModule | undefined;

async function renderer(width: number, height: number): Promise<Renderer> {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (!r) {
    if (!cnc) {
      // A CommonJS package: its exports are the namespace's default in Node, the namespace itself under tsx.
      const m = (await import('chartjs-node-canvas')) as unknown as typeof cncModule & { default?: typeof cncModule };
      cnc = m.default ?? m;
    }
    r = new cnc.ChartJSNodeCanvas({ width, height, backgroundColour: 'white', plugins: { modern: [runtime.plugin] } });
    renderers.set(key, r);
  }
  return r;
}

/** Stable colours: one per name, in sorted order of the names a chart family uses. */
function colours(names: string[]): Map<string, string> {
  return new Map([...new Set(names)].sort().map((n, i) => [n, PALETTE[i % PALETTE.length]]));
}

function alpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function titleOpts(text: string, sub?: string) {
  return {
    title: { display: true, text, font: { size: 16 } },
    subtitle: { display: !!sub, text: sub ?? '', padding: { bottom: 8 } },
  };
}

const axisTitle = (text: string) => ({ display: true, text });

/**
 * An axis title from the metric registry: name, unit and the better direction as an arrow
 * (→/← on x, ↑/↓ on y). `name` and `unit` override the registry's where the chart shows a variant
 * (recall@10, MiB).
 */
export function metricAxisTitle(id: string, axis: 'x' | 'y', over: { name?: string; unit?: string } = {}) {
  const m = metricInfo(id);
  const arrow = axis === 'x' ? (m.higherIsBetter ? '→' : '←') : m.higherIsBetter ? '↑' : '↓';
  return axisTitle(`${over.name ?? m.name} [${over.unit ?? m.unit}], ${arrow} better`);
}

/** A number for a tooltip: 4 significant digits, thousands grouped. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(4)).toString();
}

export interface Interval {
  lo: number;
  hi: number;
}

/** An interval read defensively (older results have none; other engineers' fields may be absent). */
export function intervalOf(v: unknown): Interval | null {
  if (typeof v !== 'object' || v === null) return null;
  const { lo, hi } = v as Record<string, unknown>;
  return typeof lo === 'number' && typeof hi === 'number' && Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi } : null;
}

const withInterval = (name: string, v: number, ci: Interval | null) => `${name}: ${fmt(v)}${ci ? ` [${fmt(ci.lo)}, ${fmt(ci.hi)}]` : ''}`;

/** Throws when a configuration holds something JSON cannot carry (a function, undefined, NaN): the page would draw another chart. */
export function assertPlainJson(v: unknown, path = 'config'): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path} is ${v}: not JSON`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => assertPlainJson(x, `${path}[${i}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) assertPlainJson(x, `${path}.${k}`);
    return;
  }
  throw new Error(`${path} is ${v === undefined ? 'undefined' : typeof v === 'object' ? `a ${(v as object).constructor?.name ?? 'object'}` : `a ${typeof v}`}: not JSON`);
}

async function render(id: string, title: string, caption: string, figure: string | null, config: ChartConfiguration, height = 540): Promise<ChartImage> {
  const opts = (config.options ??= {}) as { animation?: boolean };
  opts.animation = false; // the page draws at once too (and its hover test needs no wait)
  assertPlainJson(config);
  const json = JSON.stringify(config);
  // the PNG is drawn from a parsed copy of exactly the JSON the page embeds
  const png = await (await renderer(WIDTH, height)).renderToBuffer(runtime.hydrate(JSON.parse(json) as ChartConfiguration), 'image/png');
  return { id, title, caption, figure, png, width: WIDTH, height, config: JSON.parse(json) as ChartConfiguration };
}

const vq = (o: VqbenchChartOptions) => ({ vqbench: o });

async function recallQps(view: RunView, dataset: string): Promise<ChartImage | null> {
  const rows = view.index.filter((r) => r.dataset === dataset && r.rec.status === 'ok' && r.rec.qps !== null && r.rec.recall?.['10'] !== undefined);
  if (rows.length === 0) return null;
  // timings of several machines: one series (and frontier) per index and machine, never a frontier across machines
  const multi = machinesOf(rows).size > 1;
  const series = (r: (typeof rows)[number]) => r.rec.index + (r.rec.params?.build?.trainer === 'adam' ? ' (adam)' : '') + (r.rec.mode === 'batch' ? ' (batch)' : '') + (multi ? ` on machine ${machineId(r) ?? '?'}` : '');
  const groups = new Map<string, ChartPoint[]>();
  let withCI = 0;
  for (const r of rows) {
    const g = groups.get(series(r)) ?? [];
    const recall = r.rec.recall!['10'], qps = r.rec.qps!;
    const ci = intervalOf(r.rec.recallCI?.['recall@10']);
    if (ci) withCI++;
    const search = Object.entries(r.rec.params?.search ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    g.push({
      x: recall, y: qps, ...(ci && { xMin: ci.lo, xMax: ci.hi }),
      tip: [r.rec.label, `search: ${search || 'defaults'}`, withInterval('recall@10', recall, ci), `QPS: ${fmt(qps)}`],
    });
    groups.set(series(r), g);
  }
  const col = colours([...groups.keys()]);
  const datasets = [...groups.entries()].flatMap(([name, pts]) => {
    const c = col.get(name)!;
    const front = paretoFrontierBy(pts, { id: 'recall' }, { id: 'qps' });
    return [
      { label: `${name} (frontier)`, series: name, data: front, showLine: true, borderColor: c, backgroundColor: c, pointRadius: 4, borderWidth: 2 },
      { label: `${name} · all`, series: name, data: pts, showLine: false, borderColor: alpha(c, 0.5), backgroundColor: alpha(c, 0.25), errorBarColor: alpha(c, 0.45), pointRadius: 3 },
    ];
  });
  const minRecall = Math.min(...rows.map((r) => r.rec.recall!['10']), ...[...groups.values()].flat().map((p) => p.xMin ?? 1));
  const k = rows[0].rec.k;
  return render(`recall-qps-${slug(dataset)}`, `Recall–QPS: ${dataset}`,
    `recall@10 = |approx top-10 ∩ exact top-10| / 10 (x) against queries per second on one thread (y, log scale), ${rows[0].rec.queries} queries, k = ${k}. Lines: the Pareto frontier of each index over all its configurations (directions from the metric registry: up and right is better); faint points: every configuration (as ann-benchmarks plots).${multi ? ' Timed on several machines: one series per index and machine (QPS compares within a machine only).' : ''}${withCI ? ` ${BARS_NOTE} of recall@10 over queries.` : ''}`,
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        interaction: { mode: 'nearest', intersect: true },
        plugins: {
          ...titleOpts(`Recall–QPS on ${dataset}`, 'Pareto frontier per index; faint points = every configuration'),
          ...vq({ legendHideSuffix: ' · all', linkedSeries: true, toggleAxes: ['y'] }),
        },
        scales: {
          x: { type: 'linear', min: Math.max(0, Math.floor(minRecall * 10) / 10 - 0.05), max: 1.0, title: metricAxisTitle('recall', 'x', { name: 'recall@10' }) },
          y: { type: 'logarithmic', title: metricAxisTitle('qps', 'y', { name: 'queries per second (1 thread)' }) },
        },
      },
    } as ChartConfiguration);
}

async function buildBars(view: RunView, dataset: string): Promise<ChartImage[]> {
  const builds = view.builds.filter((b) => b.dataset === dataset);
  if (builds.length === 0) return [];
  const labels = builds.map((b) => b.label);
  const h = Math.max(320, 140 + 44 * builds.length);
  const col = colours(builds.map((b) => b.index));
  const time = await render(`build-time-${slug(dataset)}`, `Build time: ${dataset}`,
    'Seconds to build each index configuration once (training included); the sweep of search parameters reuses the build.', null, {
      type: 'bar',
      data: {
        labels,
        datasets: [{
          label: 'build seconds', backgroundColor: builds.map((b) => col.get(b.index)!),
          data: builds.map((b): ChartPoint => ({ x: b.buildSeconds, y: b.label, tip: [b.label, `build: ${fmt(b.buildSeconds)} s`, `${b.bitsPerVector} bits/vector`] })),
        }],
      },
      options: {
        indexAxis: 'y',
        plugins: { ...titleOpts(`Build time on ${dataset}`), legend: { display: false }, ...vq({ toggleAxes: ['x'] }) },
        scales: { x: { type: 'linear', beginAtZero: true, title: metricAxisTitle('build', 'x', { name: 'build time' }) } },
      },
    } as ChartConfiguration, h);
  const memLabels = builds.map((b) => (b.memoryIsExact ? b.label : `${b.label} *`));
  const mem = await render(`memory-${slug(dataset)}`, `Memory: ${dataset}`,
    "Two different quantities per configuration: the index's own bytes (what it holds; native libraries' are the adapter's estimate, marked *) and the process peak RSS (the whole process: dataset, ground truth and every index built before in the same process). Log scale.", null, {
      type: 'bar',
      data: {
        labels: memLabels,
        datasets: [
          { label: "index bytes (the index's own; * = estimate), MiB", data: builds.map((b, i): ChartPoint => ({ x: b.indexBytes / MIB, y: memLabels[i], tip: [b.label, `index: ${fmt(b.indexBytes / MIB)} MiB${b.memoryIsExact ? '' : ' (estimate)'}`] })), backgroundColor: '#1f77b4' },
          { label: 'peak RSS (whole process), MiB', data: builds.map((b, i): ChartPoint => ({ x: b.peakRssBytes / MIB, y: memLabels[i], tip: [b.label, `peak RSS: ${fmt(b.peakRssBytes / MIB)} MiB (whole process)`] })), backgroundColor: '#bbbbbb' },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { ...titleOpts(`Memory on ${dataset}`, 'index bytes vs process peak RSS (log scale)'), ...vq({ toggleAxes: ['x'] }) },
        scales: { x: { type: 'logarithmic', title: metricAxisTitle('indexsize', 'x', { name: 'memory', unit: 'MiB' }) } },
      },
    } as ChartConfiguration, Math.max(360, 160 + 56 * builds.length));
  return [time, mem];
}

/** Loss against one shape parameter (books or size), the other held fixed per series. */
async function lossVs(view: RunView, dataset: string, along: 'books' | 'size'): Promise<ChartImage | null> {
  const rows = view.quant.filter((q) => q.dataset === dataset);
  const other = along === 'books' ? 'size' : 'books';
  const groups = new Map<string, ChartPoint[]>();
  let withCI = 0;
  for (const q of rows) {
    const key = `${q.family} · ${other === 'size' ? `${q.r.size} codewords` : `${q.r.books} books`}`;
    const g = groups.get(key) ?? [];
    const ci = intervalOf(q.r.lossCI);
    if (ci) withCI++;
    g.push({
      x: along === 'books' ? q.r.books : Math.log2(q.r.size), y: q.r.loss, ...(ci && { yMin: ci.lo, yMax: ci.hi }),
      tip: [q.r.label, `${q.r.books} books × ${q.r.size} codewords, ${q.r.bitsPerVector} bits/vector`, withInterval('loss', q.r.loss, ci)],
    });
    groups.set(key, g);
  }
  const useful = [...groups.entries()].filter(([, pts]) => new Set(pts.map((p) => p.x)).size >= 2);
  if (useful.length === 0) return null;
  const col = colours(useful.map(([k]) => k));
  const fig = along === 'books' ? 'Fig. 4' : 'Fig. 5';
  const datasets = useful.map(([name, pts]) => ({
    label: name, data: [...pts].sort((a, b) => (a.x as number) - (b.x as number)), showLine: true, borderColor: col.get(name)!, backgroundColor: col.get(name)!, pointRadius: 4, borderWidth: 2,
  }));
  const bars = withCI ? ` ${BARS_NOTE} of the loss over the held-out rows.` : '';
  return render(`loss-vs-${along}-${slug(dataset)}`, `Loss vs ${along === 'books' ? 'number of codebooks' : 'codebook size'}: ${dataset}`,
    (along === 'books'
      ? 'Quantization loss (mean ||x − x̂||² on held-out rows, paper eq. 5) against the number of codebooks, one line per quantizer and codebook size (cf. paper Fig. 4; note that bits per vector differ between quantizers at the same number of codebooks: see the equal-bits chart).'
      : 'Quantization loss against the codebook size (log2 scale), one line per quantizer and number of codebooks (cf. paper Fig. 5).') + bars,
    fig, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: {
          ...titleOpts(`Loss vs ${along === 'books' ? 'number of codebooks' : 'codebook size'} on ${dataset}`, `cf. paper ${fig}`),
          ...vq({ toggleAxes: ['y'], ...(along === 'size' && { tickFormat: { x: 'pow2' } }) }),
        },
        scales: {
          x: along === 'books'
            ? { type: 'linear', ticks: { stepSize: 1 }, title: axisTitle('number of codebooks') }
            : { type: 'linear', ticks: { stepSize: 1 }, title: axisTitle('codewords per codebook (log2 scale)') },
          y: { type: 'linear', title: metricAxisTitle('loss', 'y', { name: 'loss = mean ||x − x̂||²' }) },
        },
      },
    } as ChartConfiguration);
}

async function rateDistortion(view: RunView, dataset: string): Promise<ChartImage | null> {
  const rows = view.quant.filter((q) => q.dataset === dataset);
  const curve = view.rd.find((c) => c.dataset === dataset);
  if (rows.length === 0 && !curve) return null;
  const fams = [...new Set(rows.map((q) => q.family))];
  const col = colours(fams);
  let withCI = 0;
  const point = (q: (typeof rows)[number]): ChartPoint => {
    const ci = intervalOf(q.r.lossCI);
    if (ci) withCI++;
    return {
      x: q.r.bitsPerVector, y: q.r.loss, ...(ci && { yMin: ci.lo, yMax: ci.hi }),
      tip: [q.r.label, `${q.r.bitsPerVector} bits/vector`, withInterval('loss', q.r.loss, ci)],
    };
  };
  const datasets: { label: string; data: ChartPoint[]; [k: string]: unknown }[] = fams.map((f) => ({
    label: f, data: rows.filter((q) => q.family === f).map(point).sort((a, b) => (a.x as number) - (b.x as number)),
    showLine: false, borderColor: col.get(f)!, backgroundColor: col.get(f)!, pointRadius: 5,
  }));
  if (curve) {
    const maxBits = rows.length ? Math.max(...rows.map((q) => q.r.bitsPerVector)) * 1.15 : Infinity;
    const pts = curve.rates.map((r, i) => ({ x: r, y: curve.distortion[i], tip: [`Gaussian bound at ${fmt(r)} bits: D = ${fmt(curve.distortion[i])}`] })).filter((p) => p.x <= maxBits && p.y > 0);
    datasets.push({ label: 'Gaussian bound D(R)', data: pts, showLine: true, borderColor: '#000000', backgroundColor: 'rgba(0, 0, 0, 0)', borderDash: [6, 4], pointRadius: 0, pointHitRadius: 4, borderWidth: 2 });
  }
  return render(`rate-distortion-${slug(dataset)}`, `Loss at equal bits: ${dataset}`,
    `Quantization loss (log scale) against honest bits per vector (every stored bit: codes, WRVQ's weights, RaBitQ's stored scalars), one colour per quantizer family, each point at its real bits (no line joins a family: a budget a method cannot reach stays empty); compare quantizers vertically at the same x. The dashed line is the rate–distortion bound of a Gaussian with the data's covariance (a reference: clustered data can go below it).${withCI ? ` ${BARS_NOTE} of the loss over the held-out rows.` : ''}`,
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: {
          ...titleOpts(`Loss vs honest bits per vector on ${dataset}`, 'equal-bits comparison; dashed: Gaussian rate–distortion bound'),
          ...vq({ toggleAxes: ['y', 'x'] }),
        },
        scales: {
          x: { type: 'linear', beginAtZero: true, title: metricAxisTitle('bitsPerVector', 'x', { name: 'bits per vector (every stored bit)' }) },
          y: { type: 'logarithmic', title: metricAxisTitle('loss', 'y', { name: 'loss = mean ||x − x̂||²' }) },
        },
      },
    } as ChartConfiguration);
}

/** The loss after each stage, one line per quantizer family and book size (its run with the most books). */
async function lossAfterStage(view: RunView, dataset: string): Promise<ChartImage | null> {
  const best = new Map<string, { label: string; bits: number; stages: { stage: number; loss: number; cosine?: number | null }[] }>();
  for (const q of view.quant.filter((x) => x.dataset === dataset)) {
    const st = (q.r as { stages?: unknown }).stages;
    if (!Array.isArray(st) || st.length < 2 || !st.every((s) => typeof s?.loss === 'number' && typeof s?.stage === 'number')) continue;
    const key = `${q.family} · ${q.r.size} codewords`;
    const prev = best.get(key);
    if (!prev || st.length > prev.stages.length) best.set(key, { label: q.r.label, bits: q.r.bitsPerVector, stages: st });
  }
  if (best.size === 0) return null;
  const col = colours([...best.keys()]);
  const datasets = [...best.entries()].map(([name, b]) => ({
    label: name, showLine: true, borderColor: col.get(name)!, backgroundColor: col.get(name)!, pointRadius: 4, borderWidth: 2,
    data: b.stages.map((s): ChartPoint => ({
      x: s.stage, y: s.loss,
      tip: [b.label, `${b.bits} bits/vector in all`, `after stage ${s.stage} of ${b.stages.length}: loss ${fmt(s.loss)}`, ...(typeof s.cosine === 'number' ? [`cos(residual, added): ${fmt(s.cosine)}`] : [])],
    })),
  }));
  return render(`loss-after-stage-${slug(dataset)}`, `Loss after each stage: ${dataset}`,
    "Quantization loss (mean ||x − x̂||² on held-out rows) of the reconstruction from the first m books (x) of each RVQ / WRVQ / AVQ run, one line per quantizer and book size (its run with the most books). A line that turns up means later stages add error: WRVQ's 'paper' weight (the residual length) does so once the best codeword is more than 60° from the residual, cos < 1/2 (see the per-stage table's cos column).",
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: { ...titleOpts(`Loss after each stage on ${dataset}`, 'one line per quantizer; the last point is its loss'), ...vq({ toggleAxes: ['y'] }) },
        scales: {
          x: { type: 'linear', ticks: { stepSize: 1 }, title: axisTitle('stage (books used so far)') },
          y: { type: 'linear', title: metricAxisTitle('loss', 'y', { name: 'loss after the stage = mean ||x − x̂_m||²' }) },
        },
      },
    } as ChartConfiguration);
}

async function mtebCharts(view: RunView): Promise<ChartImage[]> {
  const out: ChartImage[] = [];
  for (const model of [...new Set(view.mteb.map((t) => t.model))]) {
    const tasks = view.mteb.filter((t) => t.model === model);
    const names: string[] = [];
    for (const t of tasks) for (const v of t.variants) if (!names.includes(v.variant)) names.push(v.variant);
    const bits = (n: string) => tasks.flatMap((t) => t.variants).find((v) => v.variant === n)?.bitsPerVector ?? null;
    const col = colours(names.filter((n) => n !== 'original'));
    const taskLabel = (t: (typeof tasks)[number]) => (t.type ? `${t.task} (${t.type})` : t.task);
    let withCI = 0;
    const datasets = names.map((n) => ({
      label: `${n}${bits(n) !== null ? ` (${bits(n)} bits)` : ''}`,
      data: tasks.map((t): ChartPoint => {
        const v = t.variants.find((x) => x.variant === n);
        const score = v?.mainScore ?? null;
        // mainScoreCI: written by the MTEB runner where it resamples; absent in older results
        const ci = intervalOf((v as { mainScoreCI?: unknown } | undefined)?.mainScoreCI);
        if (ci && score !== null) withCI++;
        return score === null
          ? { x: taskLabel(t), y: null }
          : { x: taskLabel(t), y: score, ...(ci && { yMin: ci.lo, yMax: ci.hi }), tip: [n, `${t.task}${t.mainMetric ? ` (${t.mainMetric})` : ''}`, withInterval('main_score', score, ci)] };
      }),
      backgroundColor: n === 'original' ? '#444444' : col.get(n)!,
      errorBarColor: '#000000',
    }));
    out.push(await render(`mteb-${slug(model)}`, `MTEB: ${model}`,
      `main_score per task (MTEB's main metric of each task type) for the original embeddings and each quantized variant (cf. paper Fig. 6).${withCI ? ` ${BARS_NOTE} of the main score over test examples (or experiments).` : ''}`, 'Fig. 6', {
        type: 'bar',
        data: { labels: tasks.map(taskLabel), datasets },
        options: {
          plugins: { ...titleOpts(`MTEB main_score: ${model}, original vs quantized`, 'cf. paper Fig. 6'), ...vq({ toggleAxes: ['y'] }) },
          scales: { y: { type: 'linear', beginAtZero: true, title: metricAxisTitle('mainScore', 'y', { name: 'main_score' }) } },
        },
      } as ChartConfiguration));
  }
  return out;
}

async function insertCharts(view: RunView): Promise<ChartImage[]> {
  const out: ChartImage[] = [];
  for (const { cell, r, dataset } of view.insert) {
    const labels = r.batches.map((b) => `batch ${b.batch}: +${b.rows}`);
    out.push(await render(`insert-${slug(cell.cell)}`, `Incremental insert: ${r.label} on ${dataset}`,
      "Seconds per insert batch (bars, left axis) and, on the right axis, the change of the index's own bytes and of the process RSS over each batch (MiB) (cf. paper Fig. 7, whose memory is GPU memory).", 'Fig. 7', {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { type: 'bar', label: 'seconds per batch', data: r.batches.map((b) => b.seconds), backgroundColor: '#1f77b4', yAxisID: 'y', order: 2 },
            { type: 'line', label: "index bytes Δ (the index's own), MiB", data: r.batches.map((b) => b.indexBytesDelta / MIB), borderColor: '#ff7f0e', backgroundColor: '#ff7f0e', yAxisID: 'y1', order: 1 },
            { type: 'line', label: 'RSS Δ (whole process), MiB', data: r.batches.map((b) => b.rssDeltaBytes / MIB), borderColor: '#2ca02c', backgroundColor: 'rgba(0, 0, 0, 0)', pointBackgroundColor: '#2ca02c', borderDash: [5, 4], yAxisID: 'y1', order: 0 },
          ],
        },
        options: {
          plugins: {
            ...titleOpts(`Incremental insert: ${r.label} on ${dataset}`, 'cf. paper Fig. 7'),
            ...vq({ legendInDatasetOrder: true, toggleAxes: ['y'] }),
          },
          scales: {
            x: { title: axisTitle('insert batch (rows added)') },
            y: { type: 'linear', beginAtZero: true, position: 'left', title: axisTitle('seconds per batch [s], ↓ better') },
            y1: { type: 'linear', position: 'right', grid: { drawOnChartArea: false }, title: axisTitle('memory change [MiB]') },
          },
        },
      } as ChartConfiguration));
  }
  return out;
}

/**
 * The chart.js configuration of a streaming cell: one point per step on the x axis (`step n:
 * operation`), recall@k and QPS at the search steps (lines over the search steps only: spanGaps),
 * the rows live after each step as bars on a third axis.
 */
export function streamChartConfig(v: StreamView): ChartConfiguration {
  const { r, dataset } = v;
  const title = `Streaming runbook: ${r.label} on ${dataset}`;
  const labels = r.steps.map((s) => (s.start === null ? `${s.step}: search` : `${s.step}: ${s.operation} [${s.start}, ${s.end})`));
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        { type: 'line', label: `recall@${r.k} (mean ${r.meanRecall.toFixed(3)})`, data: r.steps.map((s) => s.recall), borderColor: PALETTE[0], backgroundColor: PALETTE[0], spanGaps: true, yAxisID: 'y', order: 0 },
        { type: 'line', label: 'QPS (one query at a time)', data: r.steps.map((s) => s.qps), borderColor: PALETTE[1], backgroundColor: PALETTE[1], borderDash: [5, 4], spanGaps: true, yAxisID: 'y1', order: 1 },
        { type: 'bar', label: 'rows live after the step', data: r.steps.map((s) => s.live), backgroundColor: 'rgba(127, 127, 127, 0.25)', yAxisID: 'y2', order: 2 },
      ],
    },
    options: {
      plugins: {
        ...titleOpts(title, `runbook ${r.runbook.file}, ${r.queries} queries per search step`),
        ...vq({ legendInDatasetOrder: true, toggleAxes: ['y1', 'y2'] }),
      },
      scales: {
        x: { title: axisTitle('runbook step') },
        y: { type: 'linear', min: 0, max: 1, position: 'left', title: axisTitle(`recall@${r.k} among the live rows, ↑ better`) },
        y1: { type: 'linear', beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: axisTitle('QPS, ↑ better') },
        y2: { type: 'linear', beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: axisTitle('rows live') },
      },
    },
  } as ChartConfiguration;
}

async function streamCharts(view: RunView): Promise<ChartImage[]> {
  const out: ChartImage[] = [];
  for (const v of view.stream) {
    out.push(await render(`stream-${slug(v.cell.cell)}`, `Streaming runbook: ${v.r.label} on ${v.dataset}`,
      `Recall@${v.r.k} against the exact neighbours among the rows live at each search step (left axis), QPS of the same step (right axis) and the rows live after every step (bars); big-ann-benchmarks' streaming score is the mean recall over the search steps.`,
      null, streamChartConfig(v)));
  }
  return out;
}

/**
 * Filtered search (VectorDBBench's label filters), one chart per index configuration and dataset:
 * recall@10 against the filtered exact truth (left axis) and the filtered QPS (right axis, log)
 * against the selectivity (share of rows kept, log), one pair of lines per search configuration.
 */
export async function filteredCharts(view: Pick<RunView, 'index'>): Promise<ChartImage[]> {
  const groups = new Map<string, (typeof view.index)[number][]>();
  for (const r of view.index) {
    if (r.rec.status !== 'ok' || !r.rec.filtered?.some((f) => f.status === 'ok')) continue;
    const key = `${r.dataset}\u0000${r.rec.label}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: ChartImage[] = [];
  for (const rows of groups.values()) {
    const { dataset } = rows[0], label = rows[0].rec.label;
    const search = (r: (typeof rows)[number]) => Object.entries(r.rec.params?.search ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'defaults';
    const col = colours(rows.map(search));
    const datasets = rows.flatMap((r) => {
      // the seeded label shares only (records before filter kinds have none): int and own-label filters are other curves
      const ok = (r.rec.filtered ?? []).filter((f) => f.status === 'ok' && (f.kind ?? 'share') === 'share').sort((a, b) => a.selectivity - b.selectivity);
      const c = col.get(search(r))!;
      const tip = (f: (typeof ok)[number]) => [`${label} (${search(r)})`, `${f.label}: ${f.rows} rows kept`, `recall@10: ${fmt(f.recall!['10'])}`, `QPS: ${fmt(f.qpsMedian!)} [${fmt(f.qpsMin!)}, ${fmt(f.qpsMax!)}]`, `returned per query: ${fmt(f.returnedPerQuery!)}`];
      return [
        { label: `recall@10 · ${search(r)}`, series: search(r), data: ok.map((f): ChartPoint => ({ x: f.selectivity, y: f.recall!['10'], tip: tip(f) })), showLine: true, borderColor: c, backgroundColor: c, yAxisID: 'y', pointRadius: 4 },
        { label: `QPS · ${search(r)}`, series: search(r), data: ok.map((f): ChartPoint => ({ x: f.selectivity, y: f.qpsMedian!, tip: tip(f) })), showLine: true, borderColor: c, backgroundColor: c, borderDash: [6, 4], yAxisID: 'y1', pointRadius: 3, pointStyle: 'rect' },
      ];
    });
    out.push(await render(`filtered-${slug(dataset)}-${slug(label)}`, `Filtered search: ${label} on ${dataset}`,
      `Filtered search (VectorDBBench's label filters): each query may return only rows carrying its label, which a seeded share of the base rows carries (x, log scale). Solid: recall@10 against the exact neighbours among the labelled rows (left axis); dashed: queries per second on one thread, the median of the runs (right axis, log scale). One colour per search configuration.`,
      null, {
        type: 'scatter',
        data: { datasets },
        options: {
          plugins: { ...titleOpts(`Filtered search: ${label} on ${dataset}`, 'recall@10 (solid) and QPS (dashed) against the share of rows kept'), ...vq({ linkedSeries: true, toggleAxes: ['y1'] }) },
          scales: {
            x: { type: 'logarithmic', title: metricAxisTitle('selectivity', 'x') },
            y: { type: 'linear', min: 0, max: 1, position: 'left', title: metricAxisTitle('filteredRecall', 'y') },
            y1: { type: 'logarithmic', position: 'right', grid: { drawOnChartArea: false }, title: metricAxisTitle('filteredQps', 'y', { name: 'filtered QPS (1 thread)' }) },
          },
        },
      } as ChartConfiguration));
  }
  return out;
}

/**
 * VectorDBBench's QPS–latency curve: per index configuration (label and search parameters) one line
 * through its concurrency levels, QPS (x) against p99 latency (y); null when no record has levels.
 */
export async function concurrencyCurve(view: RunView, dataset: string): Promise<ChartImage | null> {
  const rows = view.index.filter((r) => r.dataset === dataset && r.rec.status === 'ok' && (r.rec.concurrency?.length ?? 0) > 0);
  if (rows.length === 0) return null;
  const name = (r: (typeof rows)[number]) => {
    const search = Object.entries(r.rec.params?.search ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',');
    return `${r.rec.label}${search ? ` ${search}` : ''}`;
  };
  const col = colours(rows.map(name));
  const datasets = rows.map((r) => {
    const c = col.get(name(r))!;
    return {
      label: name(r), showLine: true, borderColor: c, backgroundColor: c, pointRadius: 4, borderWidth: 2,
      data: r.rec.concurrency!.map((l): ChartPoint => ({
        x: l.qps, y: l.p99,
        tip: [name(r), `${l.clients} client${l.clients === 1 ? '' : 's'}: ${fmt(l.qps)} QPS`, `p50 ${fmt(l.p50)} ms, p95 ${fmt(l.p95)} ms, p99 ${fmt(l.p99)} ms`, `${l.queries} queries in ${fmt(l.seconds)} s`,
          ...(r.rec.serialP99Ms != null ? [`serial pass p99: ${fmt(r.rec.serialP99Ms)} ms`] : [])],
      })),
    };
  });
  const levels = [...new Set(rows.flatMap((r) => r.rec.concurrency!.map((l) => l.clients)))].sort((a, b) => a - b);
  return render(`concurrency-${slug(dataset)}`, `QPS–latency under concurrency: ${dataset}`,
    `Each line is one index configuration at ${levels.join(', ')} concurrent clients (VectorDBBench's levels), each client searching one query at a time from its own offset for a fixed duration after a synced start: queries per second = queries done / wall seconds (x, not 1 / latency) against the p99 latency of those queries in ms (y, log scale). Right and down is better; a line bending up is the machine running out of cores.`,
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        interaction: { mode: 'nearest', intersect: true },
        plugins: { ...titleOpts(`QPS–p99 latency under concurrency on ${dataset}`, `clients: ${levels.join(', ')}`), ...vq({ toggleAxes: ['y'] }) },
        scales: {
          x: { type: 'linear', beginAtZero: true, title: metricAxisTitle('concurrentQps', 'x') },
          y: { type: 'logarithmic', title: metricAxisTitle('concurrentP99', 'y') },
        },
      },
    } as ChartConfiguration);
}

/** Every chart whose data exist in the run, in report order. */
export async function renderCharts(view: RunView): Promise<ChartImage[]> {
  const out: ChartImage[] = [];
  const push = (c: ChartImage | null) => {
    if (c) out.push(c);
  };
  for (const d of view.datasets) {
    push(await rateDistortion(view, d));
    push(await lossVs(view, d, 'books'));
    push(await lossVs(view, d, 'size'));
    push(await lossAfterStage(view, d));
  }
  for (const d of view.datasets) {
    push(await recallQps(view, d));
    push(await concurrencyCurve(view, d));
    out.push(...(await buildBars(view, d)));
  }
  out.push(...(await filteredCharts(view)));
  out.push(...(await insertCharts(view)));
  out.push(...(await streamCharts(view)));
  out.push(...(await mtebCharts(view)));
  return out;
}
