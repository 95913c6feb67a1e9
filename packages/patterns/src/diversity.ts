import { dotMany } from '@sona/simd';

/**
 * Greedy diverse selection over candidate patterns with unit centroids (rows of `centroids`).
 *
 * Each round scores every remaining candidate by `quality · (1 − 0.5 · maxSim)`, where maxSim
 * is its largest cosine with the candidates already kept (0 while none is kept), and takes the
 * best (lower index on ties). The best candidate is always kept; after it, selection stops at
 * the first round whose best score falls below `threshold`, or after `limit` picks. Because
 * maxSim only grows as candidates are kept, a candidate below the threshold never recovers, so
 * stopping there loses nothing. Returns the kept candidates in the order they were picked.
 */
export function selectDiverse(
  qualities: ArrayLike<number>,
  centroids: Float32Array,
  dim: number,
  threshold: number,
  limit = qualities.length,
): number[] {
  const count = qualities.length;
  const maxSim = new Float64Array(count);
  const taken = new Uint8Array(count);
  const similarities = new Float32Array(count);
  const kept: number[] = [];
  while (kept.length < Math.min(limit, count)) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < count; c++) {
      if (taken[c]) continue;
      const score = diversityScore(qualities[c]!, kept.length === 0 ? 0 : maxSim[c]!);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (kept.length > 0 && bestScore < threshold) break;
    kept.push(best);
    taken[best] = 1;
    dotMany(centroids.subarray(best * dim, (best + 1) * dim), centroids, dim, similarities);
    for (let c = 0; c < count; c++) {
      const s = similarities[c]!;
      if (kept.length === 1 || s > maxSim[c]!) maxSim[c] = s;
    }
  }
  return kept;
}

/** `quality · (1 − 0.5 · maxSim)`: the SPEC's diversity bonus. */
export function diversityScore(quality: number, maxSim: number): number {
  return quality * (1 - 0.5 * maxSim);
}
