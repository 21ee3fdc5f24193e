/**
 * The interactive charts of index.html: chart.js itself (node_modules/chart.js/dist/chart.umd.js,
 * read at report time and inlined), the chart runtime (src/report/chart-runtime.ts, inlined as its
 * source text), each chart's configuration as embedded JSON, and a few lines that draw them, wire
 * the log/linear buttons and mark readiness for headless checks. Nothing is fetched.
 *
 * Each chart keeps its PNG in a <noscript>: without scripts, or if a chart fails to draw, the page
 * shows the same chart as report.md links.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChartImage } from './charts.js';
import { chartRuntime, type VqbenchChartOptions } from './chart-runtime.js';

let chartJsSource: string | null = null;

/** chart.js's UMD build, as shipped with the chart.js the PNGs are drawn with (the same version). */
export function chartJsUmd(): string {
  if (chartJsSource === null) {
    const main = createRequire(import.meta.url).resolve('chart.js'); // .../chart.js/dist/chart.cjs
    chartJsSource = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  }
  return chartJsSource;
}

/** Text that is safe inside <script>…</script>: no "</script" or "<!--" can end or comment it. */
export function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function axisType(config: ChartImage['config'], axis: string): string {
  const scales = (config.options as { scales?: Record<string, { type?: string }> } | undefined)?.scales;
  return scales?.[axis]?.type === 'logarithmic' ? 'log' : 'linear';
}

/** One chart's figure: canvas, log/linear buttons, its JSON, the PNG as <noscript> fallback, the caption. */
export function interactiveFigure(ch: ChartImage, png: Buffer): string {
  const id = escapeAttr(ch.id);
  const v = ((ch.config.options?.plugins as Record<string, unknown> | undefined)?.vqbench ?? {}) as VqbenchChartOptions;
  const buttons = (v.toggleAxes ?? []).map((a) => {
    const t = axisType(ch.config, a);
    return `<button type="button" class="axis-toggle" data-chart="${id}" data-axis="${escapeAttr(a)}" aria-pressed="${t === 'log'}">${escapeAttr(a)} axis: ${t}</button>`;
  });
  const img = `<img class="chart" alt="${escapeAttr(ch.title)}" width="${ch.width}" height="${ch.height}" src="data:image/png;base64,${png.toString('base64')}">`;
  return [
    `<figure id="chart-${id}" class="chart" data-chart="${id}">`,
    `<h3>${escapeAttr(ch.title)}</h3>`,
    buttons.length ? `<div class="chart-tools">${buttons.join('')}</div>` : '',
    `<div class="chart-box" style="height:${ch.height}px"><canvas role="img" aria-label="${escapeAttr(ch.title)}"></canvas></div>`,
    `<noscript>${img}</noscript>`,
    `<script type="application/json" id="chart-data-${id}">${scriptSafe(JSON.stringify(ch.config))}</script>`,
    `<figcaption>${escapeAttr(ch.caption)}</figcaption>`,
    '</figure>',
  ].join('');
}

/**
 * The page's script: draw every figure.chart from its JSON with the shared runtime. Body markers:
 * chartsTotal, chartsLoaded (charts drawn, or fallback PNGs decoded), chartsReady (set, to the
 * number of charts, once every interactive chart has rendered), tables, emptyTables.
 */
const PAGE_SCRIPT = `
var charts = {};
(function () {
  var figures = Array.prototype.slice.call(document.querySelectorAll('figure.chart'));
  var drawn = {};
  function mark() {
    var n = Object.keys(drawn).length;
    if (n === figures.length) document.body.dataset.chartsReady = String(n);
  }
  var ready = { id: 'vqbenchReady', afterRender: function (chart) { drawn[chart.canvas.closest('figure').dataset.chart] = true; mark(); } };
  function fallback(fig) {
    var box = fig.querySelector('.chart-box'), ns = fig.querySelector('noscript');
    if (box && ns) box.outerHTML = ns.textContent;
    var tools = fig.querySelector('.chart-tools');
    if (tools) tools.remove();
  }
  var vq = null;
  try {
    vq = vqbenchChartRuntime();
    Chart.register(vq.plugin);
  } catch (e) {
    console.error('charts: chart.js did not load: ' + e.message);
  }
  figures.forEach(function (fig) {
    var id = fig.dataset.chart;
    if (!vq) return fallback(fig);
    try {
      var config = vq.hydrate(JSON.parse(document.getElementById('chart-data-' + id).textContent));
      config.options.responsive = true;
      config.options.maintainAspectRatio = false;
      config.plugins = [ready];
      charts[id] = new Chart(fig.querySelector('canvas'), config);
    } catch (e) {
      console.error('chart ' + id + ': ' + e.message);
      fallback(fig);
    }
  });
  mark();
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button.axis-toggle');
    if (!b || !charts[b.dataset.chart]) return;
    var chart = charts[b.dataset.chart], axis = b.dataset.axis;
    var scale = chart.config.options.scales[axis];
    var log = scale.type !== 'logarithmic';
    scale.type = log ? 'logarithmic' : 'linear';
    // a log axis cannot start at 0
    if (log && typeof scale.min === 'number' && scale.min <= 0) delete scale.min;
    chart.update();
    b.textContent = axis + ' axis: ' + (log ? 'log' : 'linear');
    b.setAttribute('aria-pressed', String(log));
  });
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.querySelectorAll('img.chart'));
    var decoded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
    var tables = document.querySelectorAll('table');
    var empty = Array.prototype.filter.call(tables, function (t) { return t.querySelectorAll('tbody tr').length === 0; }).length;
    document.body.dataset.chartsTotal = String(figures.length);
    document.body.dataset.chartsLoaded = String(Object.keys(drawn).length + decoded);
    document.body.dataset.tables = String(tables.length);
    document.body.dataset.emptyTables = String(empty);
  });
})();
`;

/** The <script> elements that end the page: chart.js, the runtime, the page script. */
export function interactiveScripts(): string {
  // esbuild (tsx) keeps function names with a __name(fn, name) helper inside the runtime's source text
  const runtime = `var __name = function (f) { return f; };\nvar vqbenchChartRuntime = ${chartRuntime.toString()};`;
  return [chartJsUmd(), runtime, PAGE_SCRIPT].map((s) => `<script>${scriptSafe(s)}</script>`).join('\n');
}
