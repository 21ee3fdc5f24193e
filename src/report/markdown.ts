/** `report.md`: the report's tables as GitHub-flavoured markdown, charts linked as `charts/<id>.png`. */
import type { ReportContent, SummarySentence } from './layout.js';
import type { Table } from './tables.js';

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim() || ' ';
}

export function markdownTable(t: Table): string {
  const lines = [`| ${t.header.map(cell).join(' | ')} |`, `|${t.header.map(() => ' --- ').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.cells.map((c, i) => (i === 0 && r.source === 'paper' ? `*${cell(c)}*` : cell(c))).join(' | ')} |`);
  return lines.join('\n');
}

/** The summary at the top: one bullet per generated sentence, the paper's claim beside it when it made one. */
function summaryMarkdown(summary: SummarySentence[]): string[] {
  const out = ['<a id="summary"></a>', '## Summary', ''];
  const line = (t: string) => t.replace(/\r?\n/g, ' ').trim();
  for (const s of summary) out.push(`- ${line(s.text)}${s.paper ? ` *Paper: ${line(s.paper)}*` : ''}`);
  if (summary.length === 0) out.push('No comparison in this run has enough numbers for a generated sentence.');
  out.push('');
  return out;
}

export function renderMarkdown(c: ReportContent): string {
  const out: string[] = [`# ${c.title}`, '', `Generated ${c.generatedAt} by \`vqbench report\`. Rows marked *paper* are the paper's own numbers (src/report/paper-figures.json); all others are ours.`, ''];
  out.push(...summaryMarkdown(c.summary ?? []));
  out.push('Contents: ' + ['[Summary](#summary)', ...c.sections.map((s) => `[${s.title}](#${s.id})`), '[Exports](#exports)'].join(' · '), '');
  for (const s of c.sections) {
    out.push(`<a id="${s.id}"></a>`, `## ${s.title}`, '');
    if (s.intro) out.push(s.intro, '');
    for (const t of s.tables) {
      out.push(`### ${t.title}`, '');
      for (const n of t.notes) out.push(`> ${n.replace(/\r?\n/g, ' ')}`, '>');
      if (t.notes.length) out.pop();
      if (t.notes.length) out.push('');
      out.push(markdownTable(t), '');
    }
    for (const ch of s.charts) {
      out.push(`### ${ch.title}`, '', `![${ch.title}](charts/${ch.id}.png)`, '', ch.caption, '');
    }
  }
  out.push('<a id="exports"></a>', '## Exports', '');
  for (const n of c.exportNotes) out.push(`- ${n}`);
  if (c.exportNotes.length) out.push('');
  for (const e of c.exports) out.push(`- [${e.path}](${e.path}): ${e.what}`);
  if (c.exports.length === 0) out.push('- none (no index or MTEB results in this run)');
  out.push('');
  return out.join('\n');
}
