/**
 * `index.html`: ONE self-contained page. The summary first, then each section's tables and
 * interactive charts (chart.js inlined, each chart's data embedded as JSON, the PNG kept as a
 * <noscript> fallback: src/report/interactive.ts); the CSS is inline, nothing is fetched from the
 * network (no script, font or stylesheet URL). The page's script marks on <body> how many charts
 * drew (`data-charts-loaded`, `data-charts-ready`) and how many tables have no rows, for headless checks.
 */
import { interactiveFigure, interactiveScripts } from './interactive.js';
import type { ReportContent, SummarySentence } from './layout.js';
import type { Table } from './tables.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --paper: #fff7e0; --failed: #fdecea; --head: #f3f4f6; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; color: var(--fg); margin: 0; padding: 24px 32px 64px; line-height: 1.45; max-width: 1500px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 6px; }
p.meta, p.intro { color: var(--muted); margin: 4px 0 12px; }
nav a { margin-right: 14px; color: #1a5fb4; text-decoration: none; }
ul.notes { margin: 4px 0 8px; padding-left: 18px; color: var(--muted); font-size: 13px; }
.table-wrap { overflow-x: auto; margin: 6px 0 18px; }
table { border-collapse: collapse; font-size: 12.5px; min-width: 40%; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; max-width: 30em; overflow-wrap: anywhere; }
th { background: var(--head); position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; }
tr.paper td { background: var(--paper); font-style: italic; }
tr.failed td { background: var(--failed); }
span.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 4px; background: #e8eaed; font-style: normal; }
tr.paper span.badge { background: #f6d365; }
tr.failed span.badge { background: #f28b82; }
figure { margin: 12px 0 28px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
.chart-box { position: relative; width: 100%; max-width: 960px; border: 1px solid var(--line); }
.chart-tools { margin: 0 0 4px; }
.chart-tools button { font: inherit; font-size: 12px; padding: 1px 8px; margin-right: 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--head); cursor: pointer; }
.chart-tools button[aria-pressed="true"] { background: #dbe7f7; }
#summary ul { padding-left: 20px; }
#summary li { margin: 4px 0; }
#summary .paper-claim { display: block; color: var(--muted); font-size: 13px; font-style: italic; }
figcaption { color: var(--muted); font-size: 13px; max-width: 960px; }
code { background: #f1f3f4; padding: 0 3px; border-radius: 3px; }
`;


const NUMERIC = /^[-+]?(\d[\d,.]*(e[-+]?\d+)?|—)( %| [KMG]iB| B)?$/i;

function htmlTable(t: Table): string {
  const head = `<thead><tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const body = t.rows.map((r) => {
    const cls = r.source === 'paper' ? ' class="paper"' : r.source === 'failed' ? ' class="failed"' : '';
    const tds = r.cells.map((c, i) => {
      if (i === 0 && (r.source === 'paper' || (r.source !== 'info' && /^(ours|paper)/.test(c)))) return `<td><span class="badge">${escapeHtml(c)}</span></td>`;
      return `<td${NUMERIC.test(c) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`;
    });
    return `<tr${cls}>${tds.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table id="table-${escapeHtml(t.id)}">${head}<tbody>${body.join('\n')}</tbody></table></div>`;
}

/** The summary: one item per generated sentence, the paper's claim on the same question beside it. */
function summaryHtml(summary: SummarySentence[]): string {
  const items = summary.map((s) => `<li data-section="${escapeHtml(s.section)}">${escapeHtml(s.text)}${s.paper ? `<span class="paper-claim">Paper: ${escapeHtml(s.paper)}</span>` : ''}</li>`);
  return `<section id="summary"><h2>Summary</h2>${items.length
    ? `<ul>${items.join('')}</ul>`
    : '<p class="intro">No comparison in this run has enough numbers for a generated sentence.</p>'}</section>`;
}

export function renderHtml(c: ReportContent, pngs: Map<string, Buffer>): string {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(c.title)}</h1>`);
  parts.push(`<p class="meta">Generated ${escapeHtml(c.generatedAt)} by <code>vqbench report</code>. Rows marked <span class="badge">paper</span> are the paper's own numbers (src/report/paper-figures.json), set beside ours where the method matches; everything else is measured in this run.</p>`);
  parts.push(summaryHtml(c.summary ?? []));
  parts.push(`<nav>${['<a href="#summary">Summary</a>', ...c.sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`), '<a href="#exports">Exports</a>'].join('')}</nav>`);
  for (const s of c.sections) {
    parts.push(`<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>`);
    if (s.intro) parts.push(`<p class="intro">${escapeHtml(s.intro)}</p>`);
    for (const t of s.tables) {
      parts.push(`<h3>${escapeHtml(t.title)}</h3>`);
      if (t.notes.length) parts.push(`<ul class="notes">${t.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
      parts.push(htmlTable(t));
    }
    for (const ch of s.charts) {
      const png = pngs.get(ch.id);
      if (png) parts.push(interactiveFigure(ch, png));
    }
    parts.push('</section>');
  }
  parts.push('<section id="exports"><h2>Exports</h2>');
  if (c.exportNotes.length) parts.push(`<ul class="notes">${c.exportNotes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push(c.exports.length
    ? `<ul>${c.exports.map((e) => `<li><code>${escapeHtml(e.path)}</code>: ${escapeHtml(e.what)}</li>`).join('')}</ul>`
    : '<p class="intro">None (no index or MTEB results in this run).</p>');
  parts.push('</section>');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(c.title)}</title>
<style>${CSS}</style>
</head>
<body>
${parts.join('\n')}
${interactiveScripts()}
</body>
</html>
`;
}
