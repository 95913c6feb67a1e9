export interface ParetoPoint {
  readonly name: string;
  /** Lower is better. */
  readonly cost: number;
  /** Higher is better. */
  readonly rate: number;
}

/**
 * The pass-rate/cost Pareto frontier: the points no other point dominates (another point with
 * cost ≤ and rate ≥, one of them strictly). Points with equal cost and rate are all kept.
 * Returned by increasing cost (then decreasing rate, then name).
 */
export function paretoFrontier(points: readonly ParetoPoint[]): ParetoPoint[] {
  const frontier = points.filter(
    (p) =>
      !points.some(
        (q) => q.cost <= p.cost && q.rate >= p.rate && (q.cost < p.cost || q.rate > p.rate),
      ),
  );
  return frontier.sort(
    (a, b) =>
      a.cost - b.cost || b.rate - a.rate || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
