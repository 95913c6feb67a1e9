/** A Markdown table; the first `leftColumns` columns hold text and are left-aligned, the rest numbers. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns = 1,
): string {
  const align = header.map((_, i) => (i < leftColumns ? ':--' : '--:'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
