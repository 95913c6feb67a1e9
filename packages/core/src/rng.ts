import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { brandClass, RNG_BRAND } from './brand';
import { SonaError } from './errors';

type Generator = ReturnType<typeof xoroshiro128plusFromState>;

/** Four unsigned 32-bit words. */
type Words = readonly [number, number, number, number];

/**
 * Everything needed to continue a stream exactly where it stopped: `key`
 * identifies the stream (it is what `fork` derives from), `generator` is the
 * xoroshiro128+ position within it. Plain numbers, safe to store as JSON.
 */
export interface RngState {
  readonly key: readonly number[];
  readonly generator: readonly number[];
}

const TWO_PI = 2 * Math.PI;

/** murmur3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function keyFromSeed(seed: number): Words {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return [
    fmix32(lo ^ 0x9e3779b9),
    fmix32(hi ^ 0x7f4a7c15),
    fmix32(lo ^ fmix32(hi ^ 0x85ebca6b)),
    fmix32(hi ^ fmix32(lo ^ 0xc2b2ae35)),
  ];
}

function deriveKey(parent: Words, label: string): Words {
  const out: number[] = [];
  for (let lane = 0; lane < 4; lane++) {
    let h = fmix32(parent[lane]! ^ Math.imul(0x9e3779b9, lane + 1));
    for (let i = 0; i < label.length; i++) h = fmix32(h ^ label.charCodeAt(i));
    h = fmix32(h ^ label.length ^ parent[(lane + 1) & 3]!);
    out.push(h);
  }
  return out as unknown as Words;
}

function generatorFromKey(key: Words): Generator {
  const s = key.map((w, i) => fmix32(w ^ Math.imul(0x2545f491, i + 1)) | 0);
  if (!s.some((w) => w !== 0)) s[0] = 1; // xoroshiro must not start from the all-zero state
  return xoroshiro128plusFromState(s);
}

function checkWords(value: unknown, name: string): Words {
  if (
    !Array.isArray(value) ||
    value.length !== 4 ||
    !value.every((w) => Number.isInteger(w) && w >= -0x8000_0000 && w <= 0xffff_ffff)
  ) {
    throw new SonaError('INVALID_ARGUMENT', `RngState.${name} must be four 32-bit integers`, {
      path: name,
    });
  }
  return value as unknown as Words;
}

/**
 * The one source of randomness in SONA: a seeded xoroshiro128+ stream
 * (pure-rand) with the draws the packages need. `fork(label)` derives an
 * independent stream from this stream's identity and the label alone, so a
 * fork is the same whatever was drawn from the parent before it. `instanceof Rng` holds for an
 * Rng from any copy of @sona/core (a brand check, see SonaError).
 */
export class Rng {
  readonly #key: Words;
  readonly #generator: Generator;

  private constructor(key: Words, generator: Generator) {
    this.#key = key;
    this.#generator = generator;
  }

  /** A stream from a seed: any safe integer in [0, 2^53). */
  static seeded(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `seed must be a safe non-negative integer, got ${seed}`,
      );
    }
    const key = keyFromSeed(seed);
    return new Rng(key, generatorFromKey(key));
  }

  static fromState(state: RngState): Rng {
    if (state === null || typeof state !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'RngState must be an object');
    }
    const key = checkWords(state.key, 'key').map((w) => w >>> 0) as unknown as Words;
    const generator = checkWords(state.generator, 'generator').map((w) => w | 0);
    if (!generator.some((w) => w !== 0)) {
      throw new SonaError('INVALID_ARGUMENT', 'RngState.generator must not be all zero');
    }
    return new Rng(key, xoroshiro128plusFromState(generator));
  }

  state(): RngState {
    return { key: [...this.#key], generator: [...this.#generator.getState()] };
  }

  /** An independent stream named by `label`, the same for the same parent key and label. */
  fork(label: string): Rng {
    if (typeof label !== 'string') {
      throw new SonaError('INVALID_ARGUMENT', 'fork label must be a string');
    }
    const key = deriveKey(this.#key, label);
    return new Rng(key, generatorFromKey(key));
  }

  /** An exact copy of this stream at its current position. */
  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** 32 random bits as an unsigned integer. */
  uint32(): number {
    return this.#generator.next() >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.#generator.next() >>> 5; // 27 bits
    const low = this.#generator.next() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
      throw new SonaError('INVALID_ARGUMENT', `int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    return uniformInt(this.#generator, 0, n - 1);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) {
      throw new SonaError('OUT_OF_RANGE', `bernoulli(p) needs p in [0, 1], got ${p}`);
    }
    return this.uniform() < p;
  }

  /** A normal draw by the Box–Muller transform (two uniforms per draw, nothing cached). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isFinite(mean) || !Number.isFinite(sd) || sd < 0) {
      throw new SonaError('INVALID_ARGUMENT', `normal(mean, sd) needs finite mean and sd >= 0`);
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
  }

  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** An index drawn with probability weights[i] / sum(weights). */
  choice(weights: ArrayLike<number>): number {
    const n = weights.length;
    if (n === 0) throw new SonaError('EMPTY_INPUT', 'choice needs at least one weight');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!Number.isFinite(w) || w < 0) {
        throw new SonaError(
          'INVALID_ARGUMENT',
          `weight ${i} is ${w}: weights must be finite and >= 0`,
          {
            path: `weights[${i}]`,
          },
        );
      }
      total += w;
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new SonaError('INVALID_ARGUMENT', 'weights must have a positive, finite sum');
    }
    const target = this.uniform() * total;
    let cumulative = 0;
    let lastPositive = -1;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      cumulative += w;
      lastPositive = i;
      if (target < cumulative) return i;
    }
    return lastPositive; // rounding left target at the very top of the range
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SonaError('EMPTY_INPUT', 'pick needs a non-empty list');
    return items[this.int(items.length)]!;
  }
}

brandClass(Rng, RNG_BRAND);

export function createRng(seed: number): Rng {
  return Rng.seeded(seed);
}
