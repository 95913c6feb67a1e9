// @sona/bench/report: reports in memory (`writeReports` of the root export writes them), result
// files and their hashes.
export type { Block, Cell, Inline, ReportDocument, Table } from './document';
export { mdText, renderHtml, renderMarkdown } from './document';
export { computeResultHash, resultFileName } from './files';
export type { ModelComparison, RunGroup, VersionComparison } from './report';
export { buildReport, groupResults } from './report';
