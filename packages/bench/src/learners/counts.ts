/** Success and attempt counts per task type × arm: what the per-type baselines learn. */
export class TypeArmCounts {
  readonly #arms: number;
  readonly #attempts = new Map<string, Float64Array>();
  readonly #successes = new Map<string, Float64Array>();
  readonly #empty: Float64Array;

  constructor(arms: number) {
    this.#arms = arms;
    this.#empty = new Float64Array(arms);
  }

  /** Attempts per arm on a type (a zero row for a type never seen; the row is not stored). */
  attempts(type: string): Float64Array {
    return this.#attempts.get(type) ?? this.#empty;
  }

  successes(type: string): Float64Array {
    return this.#successes.get(type) ?? this.#empty;
  }

  /** Attempts of every arm on a type. */
  total(type: string): number {
    let n = 0;
    for (const x of this.attempts(type)) n += x;
    return n;
  }

  add(type: string, arm: number, success: boolean): void {
    let n = this.#attempts.get(type);
    let s = this.#successes.get(type);
    if (n === undefined || s === undefined) {
      n = new Float64Array(this.#arms);
      s = new Float64Array(this.#arms);
      this.#attempts.set(type, n);
      this.#successes.set(type, s);
    }
    n[arm]! += 1;
    if (success) s[arm]! += 1;
  }

  /**
   * The posterior mean of each arm's success rate on a type under a Beta(1, 1) prior:
   * (successes + 1) / (attempts + 2) (Laplace's rule of succession).
   */
  posteriorMeans(type: string): Float32Array {
    const n = this.attempts(type);
    const s = this.successes(type);
    return Float32Array.from(n, (count, a) => (s[a]! + 1) / (count + 2));
  }

  /** Plain data, types sorted (a list, so a type named `__proto__` is just a name). */
  state(): { type: string; attempts: number[]; successes: number[] }[] {
    return [...this.#attempts.keys()].sort().map((type) => ({
      type,
      attempts: Array.from(this.#attempts.get(type)!),
      successes: Array.from(this.#successes.get(type)!),
    }));
  }
}
