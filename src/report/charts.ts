/**
 * The report's charts: chart.js rendered in Node by chartjs-node-canvas (node-canvas) to PNG.
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
 *   mteb-<model>               main_score per task, original vs each quantized variant (Fig. 6)
 *   insert-<cell>              seconds and memory change per insert batch (Fig. 7)
 */
import cnc from 'chartjs-node-canvas';
import type { ChartConfiguration, LegendItem } from 'chart.js';
import { paretoFrontier } from '../eval/ann.js';
import { slug, type RunView } from './model.js';

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
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const WIDTH = 960;
const MIB = 2 ** 20;

const renderers = new Map<string, InstanceType<typeof cnc.ChartJSNodeCanvas>>();

function renderer(width: number, height: number): InstanceType<typeof cnc.ChartJSNodeCanvas> {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (!r) {
    r = new cnc.ChartJSNodeCanvas({ width, height, backgroundColour: 'white' });
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

async function render(id: string, title: string, caption: string, figure: string | null, config: ChartConfiguration, height = 540): Promise<ChartImage> {
  const png = await renderer(WIDTH, height).renderToBuffer(config, 'image/png');
  return { id, title, caption, figure, png, width: WIDTH, height };
}

async function recallQps(view: RunView, dataset: string): Promise<ChartImage | null> {
  const rows = view.index.filter((r) => r.dataset === dataset && r.rec.status === 'ok' && r.rec.qps !== null && r.rec.recall?.['10'] !== undefined);
  if (rows.length === 0) return null;
  const series = (r: (typeof rows)[number]) => r.rec.index + (r.rec.params?.build?.trainer === 'adam' ? ' (adam)' : '');
  const groups = new Map<string, { recall: number; qps: number; label: string }[]>();
  for (const r of rows) {
    const g = groups.get(series(r)) ?? [];
    g.push({ recall: r.rec.recall!['10'], qps: r.rec.qps!, label: r.rec.label });
    groups.set(series(r), g);
  }
  const col = colours([...groups.keys()]);
  const datasets = [...groups.entries()].flatMap(([name, pts]) => {
    const c = col.get(name)!;
    const front = paretoFrontier(pts);
    return [
      { label: `${name} (frontier)`, data: front.map((p) => ({ x: p.recall, y: p.qps })), showLine: true, borderColor: c, backgroundColor: c, pointRadius: 4, borderWidth: 2 },
      { label: `${name} · all`, data: pts.map((p) => ({ x: p.recall, y: p.qps })), showLine: false, borderColor: alpha(c, 0.5), backgroundColor: alpha(c, 0.25), pointRadius: 3 },
    ];
  });
  const minRecall = Math.min(...rows.map((r) => r.rec.recall!['10']));
  const k = rows[0].rec.k;
  return render(`recall-qps-${slug(dataset)}`, `Recall–QPS: ${dataset}`,
    `recall@10 (x) against queries per second on one thread (y, log scale), ${rows[0].rec.queries} queries, k = ${k}. Lines: the Pareto frontier of each index over all its configurations; faint points: every configuration (as ann-benchmarks plots). Up and right is better.`,
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: {
          ...titleOpts(`Recall–QPS on ${dataset}`, 'Pareto frontier per index; faint points = every configuration'),
          legend: { labels: { filter: (item: LegendItem) => !item.text.endsWith(' · all') } },
        },
        scales: {
          x: { type: 'linear', min: Math.max(0, Math.floor(minRecall * 10) / 10 - 0.05), max: 1.0, title: axisTitle('recall@10 = |approx top-10 ∩ exact top-10| / 10') },
          y: { type: 'logarithmic', title: axisTitle('queries per second (1 thread, log scale)') },
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
      data: { labels, datasets: [{ label: 'build seconds', data: builds.map((b) => b.buildSeconds), backgroundColor: builds.map((b) => col.get(b.index)!) }] },
      options: {
        indexAxis: 'y',
        plugins: { ...titleOpts(`Build time on ${dataset}`), legend: { display: false } },
        scales: { x: { beginAtZero: true, title: axisTitle('build seconds') } },
      },
    } as ChartConfiguration, h);
  const mem = await render(`memory-${slug(dataset)}`, `Memory: ${dataset}`,
    "Two different quantities per configuration: the index's own bytes (what it holds; native libraries' are the adapter's estimate, marked *) and the process peak RSS (the whole process: dataset, ground truth and every index built before in the same process). Log scale.", null, {
      type: 'bar',
      data: {
        labels: builds.map((b) => (b.memoryIsExact ? b.label : `${b.label} *`)),
        datasets: [
          { label: "index bytes (the index's own; * = estimate), MiB", data: builds.map((b) => b.indexBytes / MIB), backgroundColor: '#1f77b4' },
          { label: 'peak RSS (whole process), MiB', data: builds.map((b) => b.peakRssBytes / MIB), backgroundColor: '#bbbbbb' },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { ...titleOpts(`Memory on ${dataset}`, 'index bytes vs process peak RSS (log scale)') },
        scales: { x: { type: 'logarithmic', title: axisTitle('MiB (log scale)') } },
      },
    } as ChartConfiguration, Math.max(360, 160 + 56 * builds.length));
  return [time, mem];
}

/** Loss against one shape parameter (books or size), the other held fixed per series. */
async function lossVs(view: RunView, dataset: string, along: 'books' | 'size'): Promise<ChartImage | null> {
  const rows = view.quant.filter((q) => q.dataset === dataset);
  const other = along === 'books' ? 'size' : 'books';
  const groups = new Map<string, { x: number; y: number }[]>();
  for (const q of rows) {
    const key = `${q.family} · ${other === 'size' ? `${q.r.size} codewords` : `${q.r.books} books`}`;
    const g = groups.get(key) ?? [];
    g.push({ x: along === 'books' ? q.r.books : Math.log2(q.r.size), y: q.r.loss });
    groups.set(key, g);
  }
  const useful = [...groups.entries()].filter(([, pts]) => new Set(pts.map((p) => p.x)).size >= 2);
  if (useful.length === 0) return null;
  const col = colours(useful.map(([k]) => k));
  const fig = along === 'books' ? 'Fig. 4' : 'Fig. 5';
  const datasets = useful.map(([name, pts]) => ({
    label: name, data: [...pts].sort((a, b) => a.x - b.x), showLine: true, borderColor: col.get(name)!, backgroundColor: col.get(name)!, pointRadius: 4, borderWidth: 2,
  }));
  return render(`loss-vs-${along}-${slug(dataset)}`, `Loss vs ${along === 'books' ? 'number of codebooks' : 'codebook size'}: ${dataset}`,
    along === 'books'
      ? 'Quantization loss (mean ||x − x̂||² on held-out rows, paper eq. 5) against the number of codebooks, one line per quantizer and codebook size (cf. paper Fig. 4; note that bits per vector differ between quantizers at the same number of codebooks: see the equal-bits chart).'
      : 'Quantization loss against the codebook size (log2 scale), one line per quantizer and number of codebooks (cf. paper Fig. 5).',
    fig, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: titleOpts(`Loss vs ${along === 'books' ? 'number of codebooks' : 'codebook size'} on ${dataset}`, `cf. paper ${fig}`),
        scales: {
          x: along === 'books'
            ? { type: 'linear', ticks: { stepSize: 1 }, title: axisTitle('number of codebooks') }
            : { type: 'linear', ticks: { stepSize: 1, callback: (v: string | number) => String(2 ** Number(v)) }, title: axisTitle('codewords per codebook (log2 scale)') },
          y: { type: 'linear', title: axisTitle('loss = mean ||x − x̂||²') },
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
  const datasets: { label: string; data: { x: number; y: number }[]; [k: string]: unknown }[] = fams.map((f) => ({
    label: f, data: rows.filter((q) => q.family === f).map((q) => ({ x: q.r.bitsPerVector, y: q.r.loss })).sort((a, b) => a.x - b.x),
    showLine: false, borderColor: col.get(f)!, backgroundColor: col.get(f)!, pointRadius: 5,
  }));
  if (curve) {
    const maxBits = rows.length ? Math.max(...rows.map((q) => q.r.bitsPerVector)) * 1.15 : Infinity;
    const pts = curve.rates.map((r, i) => ({ x: r, y: curve.distortion[i] })).filter((p) => p.x <= maxBits && p.y > 0);
    datasets.push({ label: 'Gaussian bound D(R)', data: pts, showLine: true, borderColor: '#000000', backgroundColor: 'rgba(0, 0, 0, 0)', borderDash: [6, 4], pointRadius: 0, borderWidth: 2 });
  }
  return render(`rate-distortion-${slug(dataset)}`, `Loss at equal bits: ${dataset}`,
    'Quantization loss (log scale) against honest bits per vector (every stored bit: codes and WRVQ\'s fp16 weights), one colour per quantizer family; compare quantizers vertically at the same x. The dashed line is the rate–distortion bound of a Gaussian with the data\'s covariance (a reference: clustered data can go below it).',
    null, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: titleOpts(`Loss vs honest bits per vector on ${dataset}`, 'equal-bits comparison; dashed: Gaussian rate–distortion bound'),
        scales: {
          x: { type: 'linear', beginAtZero: true, title: axisTitle('bits per vector (every stored bit)') },
          y: { type: 'logarithmic', title: axisTitle('loss = mean ||x − x̂||² (log scale)') },
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
    const datasets = names.map((n) => ({
      label: `${n}${bits(n) !== null ? ` (${bits(n)} bits)` : ''}`,
      data: tasks.map((t) => t.variants.find((v) => v.variant === n)?.mainScore ?? null),
      backgroundColor: n === 'original' ? '#444444' : col.get(n)!,
    }));
    out.push(await render(`mteb-${slug(model)}`, `MTEB: ${model}`,
      'main_score per task (MTEB\'s main metric of each task type) for the original embeddings and each quantized variant (cf. paper Fig. 6).', 'Fig. 6', {
        type: 'bar',
        data: { labels: tasks.map((t) => (t.type ? `${t.task} (${t.type})` : t.task)), datasets },
        options: {
          plugins: titleOpts(`MTEB main_score: ${model}, original vs quantized`, 'cf. paper Fig. 6'),
          scales: { y: { beginAtZero: true, title: axisTitle('main_score') } },
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
            legend: { labels: { sort: (a: LegendItem, b: LegendItem) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
          },
          scales: {
            x: { title: axisTitle('insert batch (rows added)') },
            y: { beginAtZero: true, position: 'left', title: axisTitle('seconds') },
            y1: { position: 'right', grid: { drawOnChartArea: false }, title: axisTitle('memory change, MiB') },
          },
        },
      } as ChartConfiguration));
  }
  return out;
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
  }
  for (const d of view.datasets) {
    push(await recallQps(view, d));
    out.push(...(await buildBars(view, d)));
  }
  out.push(...(await insertCharts(view)));
  out.push(...(await mtebCharts(view)));
  return out;
}
