/**
 * Text from results or data (model, arm, task and type names) made inert in Markdown: HTML and
 * Markdown syntax characters become entities or are backslash-escaped, and line breaks become
 * spaces, so a name like `<script>` or one with a newline cannot add markup or break a table or
 * a list item.
 */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** A Markdown table; the first `leftColumns` columns hold text and are left-aligned, the rest numbers. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns = 1,
): string {
  const align = header.map((_, i) => (i < leftColumns ? ':--' : '--:'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
