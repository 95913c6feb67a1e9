/**
 * A sum-tree and a min-tree over `capacity` float64 priorities (Schaul et al.,
 * "Prioritized Experience Replay", 2016, appendix B.2.1). Both are complete
 * binary trees stored in arrays: leaves sit at `leafCount + i` with `leafCount`
 * the next power of two, so leaves are in index order and a prefix-sum descent
 * maps [prefix(i), prefix(i) + p_i) to slot i. Unused leaves hold 0 in the
 * sum-tree and +Infinity in the min-tree.
 *
 * Every internal node is recomputed from its two children (never adjusted by a
 * delta), so the trees are a pure function of the leaves: no drift, and a tree
 * rebuilt from the same leaves has the same bits.
 */
export class PriorityTrees {
  readonly capacity: number;
  readonly #leafCount: number;
  readonly #sum: Float64Array;
  readonly #min: Float64Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    let leafCount = 1;
    while (leafCount < capacity) leafCount *= 2;
    this.#leafCount = leafCount;
    this.#sum = new Float64Array(2 * leafCount);
    this.#min = new Float64Array(2 * leafCount).fill(Number.POSITIVE_INFINITY);
  }

  /** O(log n): sets slot `index` to `priority` (> 0, finite) and repairs both paths to the root. */
  set(index: number, priority: number): void {
    const sum = this.#sum;
    const min = this.#min;
    let node = this.#leafCount + index;
    sum[node] = priority;
    min[node] = priority;
    node >>= 1;
    while (node >= 1) {
      const left = node << 1;
      sum[node] = sum[left]! + sum[left + 1]!;
      const a = min[left]!;
      const b = min[left + 1]!;
      min[node] = a < b ? a : b;
      node >>= 1;
    }
  }

  get(index: number): number {
    return this.#sum[this.#leafCount + index]!;
  }

  /** Sum of every priority. */
  get total(): number {
    return this.#sum[1]!;
  }

  /** Smallest priority held, +Infinity when empty. */
  get min(): number {
    return this.#min[1]!;
  }

  /**
   * O(log n): the slot whose interval [prefix(i), prefix(i) + p_i) holds `mass`,
   * for 0 <= mass < total. A mass at or beyond the total (rounding) lands on the
   * last slot with a positive priority, never on an empty one.
   */
  find(mass: number): number {
    const sum = this.#sum;
    const leafCount = this.#leafCount;
    let node = 1;
    while (node < leafCount) {
      const left = node << 1;
      const leftSum = sum[left]!;
      if (mass < leftSum || !(sum[left + 1]! > 0)) {
        node = left;
      } else {
        mass -= leftSum;
        node = left + 1;
      }
    }
    return node - leafCount;
  }
}
