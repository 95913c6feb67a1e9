/**
 * Cost frontiers judged against mixtures (RouterBench: Hu et al. 2024, "RouterBench: a benchmark
 * for multi-LLM routing systems", §3.2). A policy that can be run at several (mean cost, rate)
 * points can also be mixed at random between any two of them, reaching the segment between: what
 * it can achieve within a budget c is the non-decreasing upper convex hull of its points, h(c).
 */

export interface CostPoint {
  readonly cost: number;
  readonly rate: number;
}

/**
 * Whether a (with o.cost < a.cost < b.cost) lies on or below the chord from o to b: the chord's
 * height at a's cost by interpolation, which stays exact where a cross product of tiny
 * coordinates would underflow to 0.
 */
function notAbove(o: CostPoint, a: CostPoint, b: CostPoint): boolean {
  const t = (a.cost - o.cost) / (b.cost - o.cost);
  return a.rate <= o.rate + t * (b.rate - o.rate);
}

/**
 * The vertices, by increasing cost, of the non-decreasing upper convex hull of the points: the
 * upper hull (Andrew's monotone chain; points on a chord dropped) from the cheapest point up to
 * the best one (the cheapest among the best). Beyond the best point the hull is flat: a larger
 * budget can always be left unspent. Non-finite points are ignored; no points give no vertices.
 */
export function upperHull(points: readonly CostPoint[]): CostPoint[] {
  const sorted = points
    .filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.rate))
    .map((p) => ({ cost: p.cost, rate: p.rate }))
    .sort((a, b) => a.cost - b.cost || b.rate - a.rate);
  const distinct: CostPoint[] = [];
  for (const p of sorted)
    if (distinct.length === 0 || distinct[distinct.length - 1]!.cost !== p.cost) distinct.push(p);
  const hull: CostPoint[] = [];
  for (const p of distinct) {
    while (hull.length >= 2 && notAbove(hull[hull.length - 2]!, hull[hull.length - 1]!, p)) {
      hull.pop();
    }
    hull.push(p);
  }
  let best = 0;
  for (let i = 1; i < hull.length; i++) if (hull[i]!.rate > hull[best]!.rate) best = i;
  return hull.slice(0, best + 1);
}

/** h(c): 0 below the cheapest vertex (no mixture costs that little), linear between vertices, flat after the last. */
export function hullValue(vertices: readonly CostPoint[], cost: number): number {
  if (vertices.length === 0 || cost < vertices[0]!.cost) return 0;
  for (let i = 1; i < vertices.length; i++) {
    const b = vertices[i]!;
    if (cost <= b.cost) {
      const a = vertices[i - 1]!;
      return a.rate + ((cost - a.cost) / (b.cost - a.cost)) * (b.rate - a.rate);
    }
  }
  return vertices[vertices.length - 1]!.rate;
}

/** ∫ h(c) dc over [lo, hi] (lo ≤ hi), exactly: h is piecewise linear. */
export function areaUnderHull(vertices: readonly CostPoint[], lo: number, hi: number): number {
  if (!(hi > lo) || vertices.length === 0) return 0;
  const knots = [lo, ...vertices.map((v) => v.cost).filter((c) => c > lo && c < hi), hi];
  let area = 0;
  for (let k = 1; k < knots.length; k++) {
    const a = knots[k - 1]!;
    const b = knots[k]!;
    // h is linear on (a, b); below the first vertex it is 0 (the first knot there may be lo).
    const first = vertices[0]!.cost;
    if (b <= first) continue;
    const from = Math.max(a, first);
    area += ((hullValue(vertices, from) + hullValue(vertices, b)) / 2) * (b - from);
  }
  return area;
}

/**
 * AIQ: the mean of h over the cost range [lo, hi] (the cheapest and the most expensive fixed
 * arm's mean cost): ∫ h / (hi − lo). A range of zero width gives h(lo).
 */
export function averageImprovementInQuality(
  points: readonly CostPoint[],
  lo: number,
  hi: number,
): number {
  const vertices = upperHull(points);
  if (!(hi > lo)) return hullValue(vertices, lo);
  return areaUnderHull(vertices, lo, hi) / (hi - lo);
}
