import fc from 'fast-check';

/** Coordinates on a coarse grid, so equal distances and duplicate rows happen. */
const coordinateArb = fc.oneof(
  fc.integer({ min: -4, max: 4 }).map((v) => v / 2),
  fc.double({ min: -10, max: 10, noNaN: true }),
);

/** n rows of `dim` finite values, flattened. */
export function matrixArb(
  nRange: { min: number; max: number },
  dimRange: { min: number; max: number },
): fc.Arbitrary<{ data: Float32Array; n: number; dim: number }> {
  return fc
    .record({
      n: fc.integer(nRange),
      dim: fc.integer(dimRange),
    })
    .chain(({ n, dim }) =>
      fc
        .array(coordinateArb, { minLength: n * dim, maxLength: n * dim })
        .map((values) => ({ data: Float32Array.from(values), n, dim })),
    );
}

/** A row of `dim` values in [-1, 1] whose norm is at least `minNorm`. */
export function vectorArb(dim: number, minNorm = 0.1): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim })
    .map((values) => Float32Array.from(values))
    .filter((v) => Math.hypot(...v) >= minNorm);
}

export function cosine64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

export function row(data: Float32Array, dim: number, i: number): Float32Array {
  return data.subarray(i * dim, (i + 1) * dim);
}
