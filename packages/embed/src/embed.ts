import { assertInteger, fmix32, SonaError } from '@sona/core';

export interface EmbedOptions {
  /** Output length. Default 256. */
  readonly dim?: number;
}

export const DEFAULT_DIM = 256;

const TOKEN = /[\p{L}\p{N}_]+/gu;
const encoder = new TextEncoder();

/** Text → tokens: Unicode NFKC, lower case, maximal runs of letters, digits and `_`. */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

/**
 * The features of a text, each with its count: word unigrams `w:<token>`, word bigrams
 * `b:<token> <token>`, and character 3- to 5-grams `c:<gram>` of each token wrapped as
 * `<token>` (so prefixes and suffixes are features of their own).
 */
export function features(text: string): Map<string, number> {
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    add(`w:${token}`);
    if (i + 1 < tokens.length) add(`b:${token} ${tokens[i + 1]}`);
    const chars = Array.from(`<${token}>`); // code points, not UTF-16 units
    for (let n = 3; n <= 5; n++) {
      for (let start = 0; start + n <= chars.length; start++) {
        add(`c:${chars.slice(start, start + n).join('')}`);
      }
    }
  }
  return counts;
}

/** 32-bit FNV-1a over the UTF-8 bytes of a string. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Embeds a text (Weinberger et al. 2009, "Feature hashing for large scale multitask
 * learning"): each feature f with count c adds sign(f)·(1 + ln c) to bucket
 * fnv1a32(f) mod dim, where sign(f) is + when fmix32(fnv1a32(f)) is even; the sum (in
 * float64) is scaled to unit L2 norm and rounded to float32. A text with no tokens embeds as
 * the zero vector.
 */
export function embedText(text: string, options: EmbedOptions = {}): Float32Array {
  if (typeof text !== 'string') {
    throw new SonaError('INVALID_ARGUMENT', `embedText needs a string, got ${typeof text}`);
  }
  const dim = assertInteger(options.dim ?? DEFAULT_DIM, 'dim', 1, 1 << 20);
  const sums = new Float64Array(dim);
  for (const [feature, count] of features(text)) {
    const hash = fnv1a32(feature);
    const sign = (fmix32(hash) & 1) === 0 ? 1 : -1;
    sums[hash % dim]! += sign * (1 + Math.log(count));
  }
  let norm = 0;
  for (let i = 0; i < dim; i++) norm += sums[i]! * sums[i]!;
  const out = new Float32Array(dim);
  if (norm === 0) return out;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) out[i] = sums[i]! * scale;
  return out;
}
