import { type Rng, SonaError } from '@sona/core';

/**
 * A Gamma(shape, 1) draw for shape ≥ 1 by Marsaglia & Tsang (2000), "A simple method for
 * generating gamma variables": d = shape − 1/3, c = 1/√(9d); repeat x ~ N(0, 1), v = (1 + c·x)³
 * until v > 0 and ln u < x²/2 + d − d·v + d·ln v (u uniform); return d·v. Every draw comes from
 * `rng`, so the same stream gives the same value.
 */
export function sampleGamma(shape: number, rng: Rng): number {
  if (!(Number.isFinite(shape) && shape >= 1)) {
    throw new SonaError('OUT_OF_RANGE', `sampleGamma needs a finite shape ≥ 1, got ${shape}`);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw (a, b ≥ 1) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), X drawn first. */
export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}
