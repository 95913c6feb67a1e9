import { escapeXml } from './svg';

/**
 * An HTML table; the first `leftColumns` columns hold text and are left-aligned, the rest
 * numbers. Header cells are escaped here; body cells are HTML already.
 */
export function tableHtml(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns = 1,
): string {
  const cls = (i: number) => (i < leftColumns ? ' class="l"' : '');
  const head = `<tr>${header.map((h, i) => `<th${cls(i)}>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('');
  return `<div class="scroll"><table>${head}${body}</table></div>`;
}
