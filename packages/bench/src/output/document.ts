/**
 * A report as one document (headings, paragraphs, lists, tables, charts), built once and rendered
 * to Markdown and to HTML, so no table is written twice. Every piece of text is escaped by the
 * renderer for its format: names from results or data (models, arms, tasks, types, files) cannot
 * add markup, break a table cell or a list item, in either format.
 */
import type { Verdict } from '../protocol/result';
import { escapeXml } from './svg';

export type Inline = string | { readonly code: string } | { readonly strong: string };

export interface Cell {
  readonly text: string;
  /** Colours a paired difference in HTML. */
  readonly verdict?: Verdict;
  readonly strong?: boolean;
  /** A second line (HTML: below; Markdown: after a colon). */
  readonly note?: string;
}

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly (Cell | string)[])[];
  /** Leading text columns (left-aligned); the rest are numbers. */
  readonly leftColumns?: number;
}

export type Block =
  | {
      readonly kind: 'heading';
      readonly level: 1 | 2 | 3;
      readonly text: string;
      readonly badge?: 'SIMULATED' | 'REAL LOGGED DATA';
    }
  | {
      readonly kind: 'banner';
      readonly tone: 'simulated' | 'real' | 'mixed';
      readonly parts: readonly Inline[];
    }
  | {
      readonly kind: 'paragraph';
      readonly parts: readonly Inline[];
      readonly style?: 'note' | 'meta' | 'callout';
    }
  | {
      readonly kind: 'list';
      readonly items: readonly (readonly Inline[])[];
      readonly style?: 'note' | 'callout';
    }
  | { readonly kind: 'table'; readonly table: Table }
  /** An inline SVG (HTML only; Markdown carries the same figures in its tables). */
  | { readonly kind: 'chart'; readonly svg: string; readonly legend: string }
  | { readonly kind: 'section'; readonly blocks: readonly Block[] };

export interface ReportDocument {
  readonly title: string;
  readonly blocks: readonly Block[];
}

const cell = (c: Cell | string): Cell => (typeof c === 'string' ? { text: c } : c);

// ---------------------------------------------------------------- Markdown

/**
 * Text made inert in Markdown: line breaks become spaces, HTML's `&`, `<` and `>` become entities,
 * and the characters of Markdown syntax that act inside a line (`\\`, backtick, `*`, `_`, `|`,
 * `~`, and `](` of a link) are backslash-escaped.
 */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029\u0085]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_|~])/g, '\\$1')
    .replace(/\]\(/g, ']\\(')
    .replace(/^([#>+-]|\d+\.)(?=\s)/, '\\$1')
    .replace(/^=+$/, (m) => `\\${m}`);
}

function mdInline(parts: readonly Inline[]): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return mdText(p);
      if ('code' in p) {
        // A code span shows its text literally; its fence is longer than any run of backticks in it.
        const code = p.code.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ');
        const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
        const fence = '`'.repeat(longest + 1);
        return longest === 0 ? `${fence}${code}${fence}` : `${fence} ${code} ${fence}`;
      }
      return `**${mdText(p.strong)}**`;
    })
    .join('');
}

function mdCell(c: Cell): string {
  const text = c.note === undefined ? mdText(c.text) : `${mdText(c.text)}: ${mdText(c.note)}`;
  return c.strong === true ? `**${text}**` : text;
}

function mdTable(t: Table): string {
  const left = t.leftColumns ?? 1;
  const align = t.header.map((_, i) => (i < left ? ':--' : '--:'));
  const rows = t.rows.map((r) => r.map((c) => mdCell(cell(c))));
  return [t.header.map((h) => mdText(h)), align, ...rows]
    .map((r) => `| ${r.join(' | ')} |`)
    .join('\n');
}

function mdBlock(b: Block): string {
  switch (b.kind) {
    case 'heading': {
      const word = b.badge === 'SIMULATED' ? 'SIMULATED' : 'Real logged data';
      const prefix = b.badge === undefined || b.text.startsWith(word) ? '' : `${word} · `;
      return `${'#'.repeat(b.level)} ${prefix}${mdText(b.text)}`;
    }
    case 'banner':
      return `> **${b.tone === 'simulated' ? 'SIMULATED.' : b.tone === 'real' ? 'REAL LOGGED DATA.' : 'SIMULATED and REAL.'}** ${mdInline(b.parts)}`;
    case 'paragraph':
      return mdInline(b.parts);
    case 'list':
      return b.items.map((item) => `- ${mdInline(item)}`).join('\n');
    case 'table':
      return mdTable(b.table);
    case 'chart':
      return '';
    case 'section':
      return b.blocks
        .map(mdBlock)
        .filter((s) => s !== '')
        .join('\n\n');
  }
}

export function renderMarkdown(doc: ReportDocument): string {
  const body = [`# ${mdText(doc.title)}`, ...doc.blocks.map(mdBlock)].filter((s) => s !== '');
  return `${body
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

// ---------------------------------------------------------------- HTML

const e = escapeXml;

function htmlInline(parts: readonly Inline[]): string {
  return parts
    .map((p) =>
      typeof p === 'string'
        ? e(p)
        : 'code' in p
          ? `<code>${e(p.code)}</code>`
          : `<b>${e(p.strong)}</b>`,
    )
    .join('');
}

/** A figure and its interval (`33.1% [30.8, 35.4]`): the interval may go to a line of its own. */
const WITH_INTERVAL = /^(\S.*?) (\[[^\]]*\])$/;

/**
 * A cell's text in HTML. A figure with an interval is two unbreakable pieces with a break allowed
 * between them, so a wide table narrows by putting intervals below their figures instead of
 * overflowing its page.
 */
export function htmlCellText(text: string): string {
  const m = WITH_INTERVAL.exec(text);
  return m === null
    ? e(text)
    : `<span class="n">${e(m[1]!)}</span> <span class="n">${e(m[2]!)}</span>`;
}

function htmlCell(c: Cell): string {
  let inner = htmlCellText(c.text);
  if (c.note !== undefined) inner += `<br>${e(c.note)}`;
  if (c.strong === true) inner = `<b>${inner}</b>`;
  return c.verdict === undefined ? inner : `<span class="${c.verdict}">${inner}</span>`;
}

function htmlTable(t: Table): string {
  const left = t.leftColumns ?? 1;
  // A rank column (`#`) is left-aligned text but needs no text column's minimum width.
  const cls = (i: number) =>
    i < left ? (t.header[i] === '#' ? ' class="l k"' : ' class="l"') : '';
  const head = `<tr>${t.header.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('')}</tr>`;
  const td = (c: Cell, i: number) =>
    i >= left && WITH_INTERVAL.test(c.text) ? ' class="w"' : cls(i);
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${td(cell(c), i)}>${htmlCell(cell(c))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<div class="scroll"><table>${head}${body}</table></div>`;
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'heading': {
      const badge =
        b.badge === undefined
          ? ''
          : `<span class="${b.badge === 'SIMULATED' ? 'sim' : 'real'}">${b.badge}</span>`;
      return `<h${b.level}>${badge}${e(b.text)}</h${b.level}>`;
    }
    case 'banner': {
      const label =
        b.tone === 'simulated'
          ? 'SIMULATED'
          : b.tone === 'real'
            ? 'REAL LOGGED DATA'
            : 'SIMULATED and REAL';
      return `<div class="banner${b.tone === 'real' ? ' replay' : ''}"><strong>${label}</strong> ${htmlInline(b.parts)}</div>`;
    }
    case 'paragraph':
      return `<p class="${b.style ?? 'text'}">${htmlInline(b.parts)}</p>`;
    case 'list':
      return `<ul class="${b.style ?? 'text'}">${b.items.map((i) => `<li>${htmlInline(i)}</li>`).join('')}</ul>`;
    case 'table':
      return htmlTable(b.table);
    case 'chart':
      return `${b.legend === '' ? '' : `<div class="legend">${b.legend}</div>`}${b.svg}`;
    case 'section':
      return `<section>${b.blocks.map(htmlBlock).join('\n')}</section>`;
  }
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1280px;margin:0 auto;padding:0 16px 40px;box-sizing:border-box}
.banner{background:#b3261e;color:#fff;padding:14px 20px;font-size:15px;line-height:1.45}
.banner strong{font-size:18px;letter-spacing:.08em;margin-right:8px}
.banner.replay{background:#0b5394}
h1{font-size:26px;margin:22px 0 6px}h2{font-size:20px;margin:34px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}
.sim,.real{display:inline-block;color:#fff;font-size:11px;font-weight:700;padding:2px 6px;border-radius:3px;vertical-align:middle;margin-right:6px;letter-spacing:.06em}
.sim{background:#b3261e}.real{background:#0b5394}
.meta{color:#555;font-size:13px;line-height:1.5;overflow-wrap:anywhere}
.callout{background:#e8f0fb;border-left:4px solid #0b5394;padding:8px 12px 8px 26px;font-size:13px;line-height:1.45;max-width:980px}
p.callout{padding-left:12px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}
th,td.w{white-space:normal}.n{white-space:nowrap}
th{background:#f0f0f0}.l{text-align:left;white-space:normal;min-width:8em}.l.k{min-width:0}
.scroll{overflow-x:auto;max-width:100%}
.note{color:#555;font-size:12.5px;max-width:900px}
.text{max-width:900px;line-height:1.45}
.charts{display:flex;flex-wrap:wrap;gap:10px}
.chart{display:inline-block;background:#fff;border:1px solid #e0e0e0;padding:6px;max-width:100%;overflow-x:auto;box-sizing:border-box}
.chart svg{max-width:100%;height:auto}
.legend{font-size:12px;color:#333;margin:4px 0}.legend span{display:inline-block;margin-right:12px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.helps{color:#1b7a2b}.hurts{color:#b3261e}.no-evidence{color:#8a6d00}
code{font-size:12px;overflow-wrap:anywhere}
`;

/** One self-contained page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderHtml(doc: ReportDocument): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(doc.title)} · @sona/bench</title>
<style>${STYLE}</style>
</head>
<body>
${doc.blocks
  .filter((b) => b.kind === 'banner')
  .map(htmlBlock)
  .join('\n')}
<main>
<h1>${e(doc.title)}</h1>
${doc.blocks
  .filter((b) => b.kind !== 'banner')
  .map(htmlBlock)
  .join('\n')}
</main>
</body>
</html>
`;
}
