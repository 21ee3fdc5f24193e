// The charts' configurations (src/report/charts.ts) on the small real run of fixtures.ts: plain
// JSON that the page can embed, error bars from the results' bootstrap intervals, frontiers from
// the metric registry's directions, and the error-bar plugin really drawing whiskers in the PNG.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, loadImage } from 'canvas';
import cnc from 'chartjs-node-canvas';
import type { ChartConfiguration } from 'chart.js';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { paretoFrontierBy } from '../../src/eval/pareto.js';
import { chartRuntime, type ChartPoint } from '../../src/report/chart-runtime.js';
import { assertPlainJson, renderCharts, type ChartImage } from '../../src/report/charts.js';
import { renderHtml } from '../../src/report/html.js';
import { scriptSafe } from '../../src/report/interactive.js';
import { layout } from '../../src/report/layout.js';
import { loadRun } from '../../src/report/load.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildView, type RunView } from '../../src/report/model.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import { sharedFixtureRun } from './fixtures.js';

let runDir = '';
let view: RunView;
let charts: ChartImage[];

before(async () => {
  runDir = await sharedFixtureRun();
  view = buildView(loadRun(runDir));
  charts = await renderCharts(view);
});

after(async () => {
  await shutdownWorkers();
});

const chart = (id: string) => charts.find((c) => c.id === id)!;
type Dataset = { label: string; data: ChartPoint[]; series?: string };
const datasets = (c: ChartImage) => c.config.data.datasets as unknown as Dataset[];

test('charts: every configuration is plain JSON (what the page embeds is what the PNG was drawn from)', () => {
  assert.equal(charts.length, 9);
  for (const c of charts) {
    assertPlainJson(c.config);
    assert.deepEqual(JSON.parse(JSON.stringify(c.config)), c.config, c.id);
    assert.equal((c.config.options as { animation?: boolean }).animation, false);
  }
  assert.throws(() => assertPlainJson({ options: { ticks: { callback: () => 1 } } }), /config\.options\.ticks\.callback is a function/);
  assert.throws(() => assertPlainJson({ data: [1, NaN] }), /config\.data\[1\] is NaN/);
  assert.throws(() => assertPlainJson({ a: undefined }), /config\.a is undefined/);
});

test('recall–QPS: horizontal bars are each record\'s recall@10 interval; frontiers follow the registry\'s directions', () => {
  const c = chart('recall-qps-synthetic-gmm');
  const records = ['index-ivfpq', 'index-wrvq', 'index-hnsw']
    .flatMap((cell) => (JSON.parse(readFileSync(join(runDir, `${cell}.json`), 'utf8')).metrics as IndexRecord[]))
    .filter((r) => r.status === 'ok');
  const all = datasets(c).filter((d) => d.label.endsWith(' · all'));
  assert.equal(all.reduce((n, d) => n + d.data.length, 0), records.length, 'every configuration is a faint point');
  for (const r of records) {
    const ci = r.recallCI!['recall@10'];
    const p = all.flatMap((d) => d.data).find((q) => q.x === r.recall!['10'] && q.y === r.qps && q.tip![0] === r.label);
    assert.ok(p, `${r.label} ${JSON.stringify(r.params.search)}`);
    assert.deepEqual([p.xMin, p.xMax], [ci.lo, ci.hi]);
    assert.ok(ci.lo <= r.recall!['10'] && r.recall!['10'] <= ci.hi);
    assert.ok(p.tip!.some((line) => line.startsWith('recall@10: ') && line.includes('[')));
  }
  for (const d of datasets(c).filter((x) => x.label.endsWith(' (frontier)'))) {
    const pts = all.find((a) => a.series === d.series)!.data;
    assert.deepEqual(d.data, paretoFrontierBy(pts, { id: 'recall' }, { id: 'qps' }));
    assert.ok(d.data.length >= 1);
  }
  const scales = c.config.options!.scales as Record<string, { title: { text: string } }>;
  assert.match(scales.x.title.text, /recall@10 \[fraction\], → better/);
  assert.match(scales.y.title.text, /queries per second .*\[1\/s\], ↑ better/);
  assert.match(c.caption, /Bars: 95% bootstrap interval/);
});

test('loss charts: vertical bars are each quantizer cell\'s lossCI; the axis says lower is better', () => {
  const rd = chart('rate-distortion-synthetic-gmm');
  const quant = view.quant.map((q) => q.r as QuantizeResult);
  const points = datasets(rd).filter((d) => d.label !== 'Gaussian bound D(R)').flatMap((d) => d.data);
  assert.equal(points.length, quant.length);
  for (const r of quant) {
    const p = points.find((q) => q.x === r.bitsPerVector && q.y === r.loss)!;
    assert.deepEqual([p.yMin, p.yMax], [r.lossCI!.lo, r.lossCI!.hi]);
    assert.ok(r.lossCI!.lo < r.loss && r.loss < r.lossCI!.hi);
  }
  const y = (rd.config.options!.scales as Record<string, { title: { text: string } }>).y.title.text;
  assert.match(y, /↓ better/);
  assert.match((rd.config.options!.scales as Record<string, { title: { text: string } }>).x.title.text, /\[bits\], ← better/);
  for (const id of ['rate-distortion-synthetic-gmm', 'loss-vs-books-synthetic-gmm', 'loss-vs-size-synthetic-gmm']) assert.match(chart(id).caption, /Bars: 95% bootstrap interval of the loss/);
});

test('MTEB: bars from a variant\'s mainScoreCI when present, none (and no caption note) when absent', async () => {
  const plainChart = chart('mteb-fixture-model');
  assert.ok(datasets(plainChart).every((d) => d.data.every((p) => p.yMin === undefined)));
  assert.doesNotMatch(plainChart.caption, /Bars:/);
  // the MTEB runner's intervals (another engineer's field): the chart reads them where they exist
  const withCI: RunView = {
    ...view,
    mteb: view.mteb.map((t) => ({ ...t, variants: t.variants.map((v) => (v.mainScore === null ? v : { ...v, mainScoreCI: { lo: v.mainScore - 0.02, hi: v.mainScore + 0.01 } })) })),
  };
  const ciChart = (await renderCharts(withCI)).find((c) => c.id === 'mteb-fixture-model')!;
  const original = datasets(ciChart)[0];
  assert.match(original.label, /^original/);
  assert.equal(original.data[0].y, 0.71);
  assert.deepEqual([original.data[0].yMin, original.data[0].yMax], [0.71 - 0.02, 0.71 + 0.01]);
  assert.ok(original.data[0].tip!.includes('main_score: 0.71 [0.69, 0.72]'));
  assert.match(ciChart.caption, /Bars: 95% bootstrap interval of the main score/);
  assert.notDeepEqual(ciChart.png, plainChart.png);
});

/** The columns and rows where two same-sized PNGs differ. */
async function difference(a: Buffer, b: Buffer): Promise<{ xs: number[]; ys: number[] }> {
  const [ia, ib] = await Promise.all([loadImage(a), loadImage(b)]);
  const px = (img: Awaited<ReturnType<typeof loadImage>>) => {
    const c = createCanvas(img.width, img.height).getContext('2d');
    c.drawImage(img, 0, 0);
    return c.getImageData(0, 0, img.width, img.height).data;
  };
  const pa = px(ia), pb = px(ib), xs = new Set<number>(), ys = new Set<number>();
  for (let i = 0; i < pa.length; i += 4) {
    if (Math.abs(pa[i] - pb[i]) + Math.abs(pa[i + 1] - pb[i + 1]) + Math.abs(pa[i + 2] - pb[i + 2]) > 30) {
      xs.add((i / 4) % ia.width);
      ys.add(Math.floor(i / 4 / ia.width));
    }
  }
  return { xs: [...xs].sort((p, q) => p - q), ys: [...ys].sort((p, q) => p - q) };
}

test('the error-bar plugin draws a whisker spanning the interval, with caps, and nothing else', async () => {
  const { plugin, hydrate } = chartRuntime();
  const r = new cnc.ChartJSNodeCanvas({ width: 400, height: 400, backgroundColour: 'white', plugins: { modern: [plugin] } });
  const cfg = (point: ChartPoint): ChartConfiguration => hydrate({
    type: 'scatter',
    data: { datasets: [{ label: 'p', data: [point as never], borderColor: '#000000', backgroundColor: '#000000', pointRadius: 2 }] },
    options: { animation: false, plugins: { legend: { display: false } }, scales: { x: { type: 'linear', min: 0, max: 10 }, y: { type: 'linear', min: 0, max: 10 } } },
  });
  const plain = await r.renderToBuffer(cfg({ x: 5, y: 5 }));
  const vertical = await difference(plain, await r.renderToBuffer(cfg({ x: 5, y: 5, yMin: 2, yMax: 8 })));
  // 6 of the 10 y units span ~60% of the plot height; the whisker is a line with caps (~8 px wide)
  const height = vertical.ys[vertical.ys.length - 1] - vertical.ys[0], width = vertical.xs[vertical.xs.length - 1] - vertical.xs[0];
  assert.ok(height > 0.5 * 400 * 0.8 && height < 400, `vertical whisker spans ${height} px`);
  assert.ok(width >= 6 && width <= 12, `vertical whisker is ${width} px wide`);
  const horizontal = await difference(plain, await r.renderToBuffer(cfg({ x: 5, y: 5, xMin: 4, xMax: 6 })));
  const hw = horizontal.xs[horizontal.xs.length - 1] - horizontal.xs[0], hh = horizontal.ys[horizontal.ys.length - 1] - horizontal.ys[0];
  assert.ok(hw > 0.15 * 400 && hw < 0.3 * 400, `horizontal whisker spans ${hw} px`);
  assert.ok(hh >= 6 && hh <= 12, `horizontal whisker is ${hh} px tall`);
});

test('hydrate: legend filter, dataset order, linked series and pow2 ticks come from the declarative options', () => {
  const { hydrate } = chartRuntime();
  const c = hydrate({
    type: 'scatter', data: { datasets: [] },
    options: { plugins: { vqbench: { legendHideSuffix: ' · all', legendInDatasetOrder: true, linkedSeries: true, tickFormat: { x: 'pow2' } } } as never },
  }) as unknown as { options: { plugins: { legend: { labels: { filter(i: { text: string }): boolean; sort(a: { datasetIndex: number }, b: { datasetIndex: number }): number }; onClick: unknown }; tooltip: { callbacks: { label(i: { raw: unknown }): unknown } } }; scales: { x: { ticks: { callback(v: number): string } } } } };
  const { legend, tooltip } = c.options.plugins;
  assert.equal(legend.labels.filter({ text: 'hnsw · all' }), false);
  assert.equal(legend.labels.filter({ text: 'hnsw (frontier)' }), true);
  assert.ok(legend.labels.sort({ datasetIndex: 2 }, { datasetIndex: 0 }) > 0);
  assert.equal(typeof legend.onClick, 'function');
  assert.equal(c.options.scales.x.ticks.callback(5), '32');
  assert.deepEqual(tooltip.callbacks.label({ raw: { x: 1, y: 2, tip: ['a', 'b'] } }), ['a', 'b']);
  assert.equal(tooltip.callbacks.label({ raw: 3 }), undefined, 'chart.js\'s own label for a point without tip lines');
});

test('html and markdown: charts are interactive figures with their JSON and PNG fallback; the summary leads both', () => {
  const content = layout('x', [], charts, [], [], [{ section: 'indexes', text: 'A < B & "C".', paper: 'The paper says so.' }]);
  const html = renderHtml(content, new Map(charts.map((c) => [c.id, c.png])));
  for (const c of charts) {
    const fig = html.match(new RegExp(`<figure id="chart-${c.id}"[\\s\\S]*?</figure>`))?.[0] ?? '';
    assert.match(fig, /<canvas /, c.id);
    assert.match(fig, /<noscript><img class="chart" [^>]*src="data:image\/png;base64,/, c.id);
    const json = fig.match(/<script type="application\/json" id="chart-data-[^"]+">([\s\S]*?)<\/script>/)![1];
    assert.deepEqual(JSON.parse(json), c.config, c.id);
  }
  assert.equal((html.match(/<button type="button" class="axis-toggle"/g) ?? []).length, charts.reduce((n, c) => n + ((c.config.options?.plugins as { vqbench?: { toggleAxes?: string[] } }).vqbench?.toggleAxes?.length ?? 0), 0));
  assert.ok(html.indexOf('<section id="summary">') < html.indexOf('<nav>'));
  assert.match(html, /<li data-section="indexes">A &lt; B &amp; &quot;C&quot;\.<span class="paper-claim">Paper: The paper says so\.<\/span><\/li>/);
  assert.equal((html.match(/<\/script>/g) ?? []).length, (html.match(/<script\b/g) ?? []).length, 'no script ends early');
  assert.equal(scriptSafe('a</script>b<!--c'), 'a<\\/script>b<\\!--c');
  const md = renderMarkdown(content);
  assert.ok(md.indexOf('## Summary') < md.indexOf('Contents:'));
  assert.match(md, /^- A < B & "C"\. \*Paper: The paper says so\.\*$/m);
  const empty = layout('x', [], [], [], [], []);
  assert.match(renderHtml(empty, new Map()), /<section id="summary"><h2>Summary<\/h2><p class="intro">No comparison/);
  assert.match(renderMarkdown(empty), /## Summary\n\nNo comparison/);
});

test('the runtime\'s source text works on its own, as the page gets it: the same PNG as the module\'s runtime', async () => {
  // the page's preamble (interactive.ts): the __name shim for esbuild's keepNames, then the source
  const fresh = new Function(`var __name = function (f) { return f; }; return (${chartRuntime.toString()})();`)() as ReturnType<typeof chartRuntime>;
  const c = chart('recall-qps-synthetic-gmm');
  const draw = (rt: ReturnType<typeof chartRuntime>) =>
    new cnc.ChartJSNodeCanvas({ width: c.width, height: c.height, backgroundColour: 'white', plugins: { modern: [rt.plugin] } })
      .renderToBuffer(rt.hydrate(JSON.parse(JSON.stringify(c.config)) as ChartConfiguration));
  const viaSource = await draw(fresh);
  assert.ok(viaSource.equals(await draw(chartRuntime())), 'the page\'s runtime draws what Node drew');
  assert.ok(viaSource.equals(c.png), 'and what the report wrote');
});
