/**
 * Optimal string alignment distance (restricted Damerau–Levenshtein): the fewest insertions,
 * deletions, substitutions and swaps of two adjacent characters that turn `a` into `b`, where no
 * substring is edited twice. A swap counts once, so `--jsno` is one edit from `--json`.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let beforePrevious = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      }
      current[j] = best;
    }
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return previous[b.length]!;
}

/** The largest distance still suggested for an input of this length: 1, plus 1 per 3 characters beyond 3. */
export function suggestionThreshold(length: number): number {
  return Math.max(1, Math.floor(length / 3));
}

/**
 * The candidate the user most likely meant by `input`, or undefined: the nearest one by
 * `editDistance` (ignoring case) if it is within `suggestionThreshold(input.length)`, else the
 * only candidate `input` is a prefix of. Ties go to the earlier candidate.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= suggestionThreshold(input.length)) return best;
  const extensions = candidates.filter((c) => wanted !== '' && c.toLowerCase().startsWith(wanted));
  return extensions.length === 1 ? extensions[0] : undefined;
}
