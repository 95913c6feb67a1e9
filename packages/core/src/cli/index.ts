export type { OptionSpec, OptionSpecs, OptionValues, ParsedArgs } from './args';
export { formatUsageError, parseArgs, parseIntegerArg, usageError } from './args';
export type { ColorTarget, Environment, Paint, StyleName } from './color';
export { colorEnabled, createPaint } from './color';
export { escapeTerminal, terminalJson, unescapeTerminal } from './escape';
export { didYouMean, editDistance, suggestionThreshold } from './suggest';
