// test-lane: serial (Chromium with 20-30 s page deadlines)
// The report as a browser shows it: Debian's Chromium, driven by puppeteer-core (no browser
// download), loads index.html from disk (file://). The page is the report of the small real run of
// fixtures.ts, with summary sentences of our own (the generator fills them in `vqbench report`).
// Asserted: no console error or page error, no request leaves the file, every chart drew its
// points, a hover shows a tooltip with the point's configuration and interval, the log/linear
// button changes the axis type, the summary is at the top, every table has rows. Skipped, with the
// reason, only when no Chromium is installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { renderCharts, type ChartImage } from '../../src/report/charts.js';
import { renderHtml } from '../../src/report/html.js';
import { layout, type SummarySentence } from '../../src/report/layout.js';
import { loadRun } from '../../src/report/load.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildView } from '../../src/report/model.js';
import { allTables } from '../../src/report/tables.js';
import { rescore } from '../../src/report/rescore.js';
import { summarize } from '../../src/report/summary.js';
import { sharedFixtureRun } from './fixtures.js';

// The page's globals inside page.evaluate: the project compiles without the DOM library (it would
// retype Node's timers everywhere), so they are declared here, untyped.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, requestAnimationFrame: any;
type HTMLCanvasElement = any;
type HTMLElement = any;

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (Debian's chromium package): the browser check cannot run`;

const SUMMARY: SummarySentence[] = [
  { section: 'quantizers', text: 'At 8 bits, RVQ 2×16 has the lowest loss, 0.45 [0.43, 0.47]; PQ 2×16 0.50 [0.48, 0.52]; the difference is significant.', paper: 'WRVQ has the lowest loss at every bit rate (Table 5).' },
  { section: 'indexes', text: 'hnsw reaches recall@10 0.92 [0.90, 0.93] at 11,000 QPS; <no markup> & "quotes" stay text.' },
];

let tmp = '';
let htmlPath = '';
let charts: ChartImage[] = [];
let generated: SummarySentence[] = [];
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];
const seconds: Record<string, number> = {};

before(async () => {
  if (SKIP) return;
  let t0 = performance.now();
  const lap = (name: string) => {
    seconds[name] = Math.round(performance.now() - t0) / 1000;
    t0 = performance.now();
  };
  const runDir = await sharedFixtureRun();
  lap('fixture run');
  const rescored = await rescore(buildView(loadRun(runDir)));
  const view = rescored.view;
  charts = await renderCharts(view);
  // the hand-written sentences check escaping and the paper's claim; the generated ones follow
  generated = summarize(view, rescored);
  const content = layout(view.run.name, allTables(rescored), charts, [], [], [...SUMMARY, ...generated]);
  tmp = mkdtempSync(join(tmpdir(), 'vqbench-browser-'));
  htmlPath = join(tmp, 'index.html');
  writeFileSync(htmlPath, renderHtml(content, new Map(charts.map((c) => [c.id, c.png]))));
  writeFileSync(join(tmp, 'report.md'), renderMarkdown(content));
  lap('report');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${join(tmp, 'profile')}`],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForSelector('body[data-charts-ready]', { timeout: 20_000 });
  lap('browser and page');
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await shutdownWorkers();
});

test('browser: the page loads with no console error, no page error and no request beyond the file', { skip: SKIP }, (t) => {
  t.diagnostic(`seconds: ${JSON.stringify(seconds)}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, []);
});

test('browser: every chart is drawn interactively and has its points', { skip: SKIP }, async () => {
  const body = await page.evaluate(() => ({ ...document.body.dataset }));
  assert.equal(Number(body.chartsTotal), charts.length);
  assert.equal(Number(body.chartsReady), charts.length, 'data-charts-ready: every chart rendered');
  assert.equal(Number(body.chartsLoaded), charts.length);
  assert.equal(Number(body.emptyTables), 0);
  assert.ok(Number(body.tables) >= 8, `${body.tables} tables`);
  const drawn = await page.evaluate(() => {
    const C = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: unknown[] }[] }; getDatasetMeta(i: number): { data: unknown[] } } | undefined } }).Chart;
    return [...document.querySelectorAll('figure.chart')].map((f) => {
      const chart = C.getChart(f.querySelector('canvas')!);
      const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((p) => p !== null).length, 0) : 0;
      const elements = chart ? chart.data.datasets.reduce((n, _d, i) => n + chart.getDatasetMeta(i).data.length, 0) : 0;
      return { id: (f as HTMLElement).dataset.chart!, points, elements, fallbackImg: !!f.querySelector('img.chart') };
    });
  });
  assert.deepEqual(drawn.map((d) => d.id).sort(), charts.map((c) => c.id).sort());
  for (const d of drawn) {
    assert.ok(d.points >= 1 && d.elements >= 1, `${d.id}: ${d.points} points, ${d.elements} drawn elements`);
    assert.equal(d.fallbackImg, false, `${d.id} fell back to its PNG`);
  }
  // the page drew the same data the PNG was rendered from
  const embedded = await page.evaluate(() => JSON.parse(document.getElementById('chart-data-recall-qps-synthetic-gmm')!.textContent!));
  assert.deepEqual(embedded, charts.find((c) => c.id === 'recall-qps-synthetic-gmm')!.config);
});

/** Moves the mouse onto the centre of dataset `di`'s element `pi` (a point, or the middle of a bar); returns the tooltip's state after. */
async function hover(id: string, di: number, pi: number) {
  const pos = await page.evaluate((id, di, pi) => {
    const canvas = document.querySelector(`figure[data-chart="${id}"] canvas`) as HTMLCanvasElement;
    canvas.scrollIntoView({ block: 'center' });
    const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { getDatasetMeta(i: number): { data: { getCenterPoint(): { x: number; y: number } }[] } } } }).Chart.getChart(canvas);
    const el = chart.getDatasetMeta(di).data[pi].getCenterPoint();
    const r = canvas.getBoundingClientRect();
    return { x: r.left + el.x, y: r.top + el.y };
  }, id, di, pi);
  await page.mouse.move(pos.x - 30, pos.y - 30);
  await page.mouse.move(pos.x, pos.y, { steps: 3 });
  return page.evaluate((id) => {
    const canvas = document.querySelector(`figure[data-chart="${id}"] canvas`) as HTMLCanvasElement;
    type Tip = { opacity: number; getActiveElements(): unknown[]; title: string[]; body: { lines: string[] }[] };
    const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { tooltip: Tip } } }).Chart.getChart(canvas);
    const t = chart.tooltip;
    return { opacity: t.opacity, active: t.getActiveElements().length, title: t.title ?? [], lines: (t.body ?? []).flatMap((b) => b.lines) };
  }, id);
}

test('browser: hovering a recall–QPS point shows its configuration, recall interval and QPS', { skip: SKIP }, async () => {
  const config = charts.find((c) => c.id === 'recall-qps-synthetic-gmm')!.config;
  const first = config.data.datasets[0] as unknown as { label: string; data: { tip: string[]; xMin: number; xMax: number }[] };
  const tip = await hover('recall-qps-synthetic-gmm', 0, 0);
  assert.ok(tip.active >= 1 && tip.opacity > 0, JSON.stringify(tip));
  assert.equal(tip.lines.filter((l: string) => l === first.data[0].tip[0]).length, 1, 'the frontier point and its faint twin are listed once');
  assert.ok(tip.title.includes(first.label), JSON.stringify(tip.title));
  const text = tip.lines.join('\n');
  assert.ok(text.includes(first.data[0].tip[0]), `the configuration label: ${text}`);
  assert.match(text, /recall@10: [\d.]+ \[[\d.]+, [\d.]+\]/);
  assert.match(text, /QPS: [\d,]+/);
  assert.ok(first.data[0].xMin <= first.data[0].xMax);
});

test('browser: a legend click hides a method\'s frontier and its faint points together', { skip: SKIP }, async () => {
  const state = () => page.evaluate(() => {
    const canvas = document.querySelector('figure[data-chart="recall-qps-synthetic-gmm"] canvas');
    canvas.scrollIntoView({ block: 'center' }); // mouse clicks take viewport coordinates
    const chart = window.Chart.getChart(canvas);
    const r = canvas.getBoundingClientRect();
    const box = chart.legend.legendHitBoxes[0];
    return {
      click: { x: r.left + box.left + box.width / 2, y: r.top + box.top + box.height / 2 },
      legend: chart.legend.legendItems.map((i: { text: string }) => i.text),
      visible: chart.data.datasets.map((d: { label: string }, i: number) => [d.label, chart.isDatasetVisible(i)]),
    };
  });
  const s0 = await state();
  assert.ok(s0.legend.every((t: string) => t.endsWith(' (frontier)')), `the faint series are not listed: ${s0.legend}`);
  const series = s0.legend[0].replace(/ \(frontier\)$/, '');
  // chart.js handles events on the next animation frames: let two pass before reading the state
  const settle = () => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null)))));
  await page.mouse.click(s0.click.x, s0.click.y);
  await settle();
  const s1 = await state();
  for (const [label, visible] of s1.visible) assert.equal(visible, !label.startsWith(`${series} `), label);
  await page.mouse.click(s1.click.x, s1.click.y); // coordinates read again: the page may have scrolled
  await settle();
  assert.ok((await state()).visible.every(([, v]: [string, boolean]) => v), 'a second click shows them again');
});

test('browser: hovering a loss point shows its interval; an MTEB bar shows its score', { skip: SKIP }, async () => {
  const loss = await hover('rate-distortion-synthetic-gmm', 0, 0);
  assert.ok(loss.active >= 1 && loss.opacity > 0, JSON.stringify(loss));
  assert.match(loss.lines.join('\n'), /loss: [\d.]+ \[[\d.]+, [\d.]+\]/);
  const mteb = await hover('mteb-fixture-model', 0, 0);
  assert.ok(mteb.active >= 1 && mteb.opacity > 0, JSON.stringify(mteb));
  assert.match(mteb.lines.join('\n'), /main_score: 0\.71/);
});

test('browser: the log/linear button switches the value axis and back', { skip: SKIP }, async () => {
  const type = (id: string, axis: string) => page.evaluate((id, axis) => {
    const canvas = document.querySelector(`figure[data-chart="${id}"] canvas`) as HTMLCanvasElement;
    const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { scales: Record<string, { type: string; getPixelForValue(v: number): number }> } } }).Chart.getChart(canvas);
    return chart.scales[axis].type;
  }, id, axis);
  const button = 'figure[data-chart="recall-qps-synthetic-gmm"] button.axis-toggle[data-axis="y"]';
  assert.equal(await type('recall-qps-synthetic-gmm', 'y'), 'logarithmic');
  await page.click(button);
  assert.equal(await type('recall-qps-synthetic-gmm', 'y'), 'linear');
  assert.equal(await page.$eval(button, (b) => b.textContent), 'y axis: linear');
  await page.click(button);
  assert.equal(await type('recall-qps-synthetic-gmm', 'y'), 'logarithmic');
  // a linear axis starting at zero becomes log and the chart still draws its bars
  const mteb = 'figure[data-chart="mteb-fixture-model"] button.axis-toggle[data-axis="y"]';
  await page.click(mteb);
  assert.equal(await type('mteb-fixture-model', 'y'), 'logarithmic');
  assert.deepEqual(problems, [], 'no error from switching');
});

test('browser: the summary is at the top, one item per sentence with the paper\'s claim beside it', { skip: SKIP }, async () => {
  const s = await page.evaluate(() => {
    const sec = document.querySelector('section#summary');
    const firstSection = document.querySelector('section');
    return {
      first: firstSection?.id,
      items: [...(sec?.querySelectorAll('li') ?? [])].map((li) => ({ text: li.textContent, paper: li.querySelector('.paper-claim')?.textContent ?? null })),
    };
  });
  assert.equal(s.first, 'summary');
  assert.ok(generated.length >= 1, 'the run yields generated summary sentences');
  assert.equal(s.items.length, SUMMARY.length + generated.length);
  assert.ok(s.items.slice(SUMMARY.length).every((it, i) => it.text!.startsWith(generated[i].text)));
  assert.ok(s.items[0].text!.startsWith(SUMMARY[0].text));
  assert.equal(s.items[0].paper, `Paper: ${SUMMARY[0].paper}`);
  assert.equal(s.items[1].text, SUMMARY[1].text, 'markup in a sentence is text');
  assert.equal(s.items[1].paper, null);
  const md = readFileSync(join(tmp, 'report.md'), 'utf8');
  assert.ok(md.indexOf('## Summary') < md.indexOf('Contents:'), 'report.md: the summary first');
  assert.ok(md.includes(`- ${SUMMARY[0].text} *Paper: ${SUMMARY[0].paper}*`));
});
