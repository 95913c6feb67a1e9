import fc from 'fast-check';

const MIN_NORMAL = 2 ** -126;

/**
 * Reals spread uniformly over [-scale, scale] with a full random significand, like embedding
 * values. (fc.float spreads over bit patterns, so most of its values are tiny or round, and
 * sums of them rarely depend on the order of the additions: they cannot tell two summation
 * orders apart, these can.)
 */
const uniformReal = (scale: number) =>
  fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).map((n) => Math.fround((n / 2 ** 30) * scale));

/** Ordinary magnitudes, exact zeros of both signs, subnormals, and magnitudes near overflow. */
export const float32Value = fc.oneof(
  { weight: 6, arbitrary: uniformReal(1) },
  { weight: 2, arbitrary: uniformReal(1000) },
  { weight: 4, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  {
    weight: 1,
    arbitrary: fc.float({ min: -MIN_NORMAL, max: MIN_NORMAL, noNaN: true }), // subnormal range
  },
  {
    weight: 1,
    arbitrary: fc.float({ min: Math.fround(-3e19), max: Math.fround(3e19), noNaN: true }),
  },
);

export const length = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 1100 }),
  fc.constantFrom(15, 16, 17, 31, 32, 33, 255, 256, 257, 1024),
);

const vectorFrom = (value: fc.Arbitrary<number>) => (n: number) =>
  fc.array(value, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));

export const vectorOf = vectorFrom(float32Value);

export const vector = length.chain(vectorOf);

export const vectorPair = length.chain((n) => fc.tuple(vectorOf(n), vectorOf(n)));

/** A query and an n × dim matrix. */
export const queryAndMatrix = fc
  .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 40 }))
  .chain(([dim, rows]) => fc.tuple(vectorOf(dim), vectorOf(dim * rows), fc.constant(dim)));

/** Values that keep sums finite, for error-bound checks against float64. */
export const moderateVectorPair = length.chain((n) =>
  fc.tuple(
    fc.array(fc.float({ min: -1e6, max: 1e6, noNaN: true }), { minLength: n, maxLength: n }),
    fc.array(fc.float({ min: -1e6, max: 1e6, noNaN: true }), { minLength: n, maxLength: n }),
  ),
);

export function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** The float32 bits of a number; a NaN (whose bits a number does not carry) as the canonical 0x7fc00000. */
export function bitsOfNumber(value: number): number {
  if (Number.isNaN(value)) return 0x7fc00000;
  return new Uint32Array(Float32Array.of(value).buffer)[0]!;
}

/** Values whose sums stay finite and depend on the order of the additions. */
export const finiteFloat32Value = fc.oneof(
  { weight: 6, arbitrary: uniformReal(1) },
  { weight: 2, arbitrary: uniformReal(1000) },
  { weight: 2, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.float({ min: -MIN_NORMAL, max: MIN_NORMAL, noNaN: true }) },
);

const NAN_BITS = fc
  .tuple(fc.boolean(), fc.integer({ min: 1, max: 0x7fffff }))
  .map(([negative, payload]) => ((negative ? 0x80000000 : 0) | 0x7f800000 | payload) >>> 0);

/**
 * Float32 bit patterns: the values above plus infinities and NaN of either sign with any
 * payload (backends must agree on them and write only the canonical NaN).
 */
const anyFloat32Bits = fc.oneof(
  { weight: 24, arbitrary: float32Value.map((v) => bitsOfFloat32(v)) },
  { weight: 1, arbitrary: fc.constantFrom(0x7f800000, 0xff800000) },
  { weight: 1, arbitrary: NAN_BITS },
);

const anyVectorOf = (n: number) =>
  fc
    .array(anyFloat32Bits, { minLength: n, maxLength: n })
    .map((b) => new Float32Array(Uint32Array.from(b).buffer));

type VectorOf = (n: number) => fc.Arbitrary<Float32Array>;

/**
 * For agreement between backends, each case draws one kind of vector: finite values whose sums
 * depend on the addition order (most often), values that may overflow, or values with
 * infinities and NaN of any payload (which decide a whole sum, so they are not the common case).
 */
const vectorKind: fc.Arbitrary<VectorOf> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(vectorFrom(finiteFloat32Value)) },
  { weight: 1, arbitrary: fc.constant(vectorOf) },
  { weight: 1, arbitrary: fc.constant(anyVectorOf) },
);

export const mixedVectorPair = fc
  .tuple(vectorKind, length)
  .chain(([of, n]) => fc.tuple(of(n), of(n)));

/** A query and an n × dim matrix of one kind of vector. */
export const mixedQueryAndMatrix = fc
  .tuple(vectorKind, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 40 }))
  .chain(([of, dim, rows]) => fc.tuple(of(dim), of(dim * rows), fc.constant(dim)));

/** A rows × cols matrix with vectors of length cols (x) and rows (u), of one kind. */
export const mixedMatrixShape = fc
  .tuple(vectorKind, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 }))
  .chain(([of, rows, cols]) =>
    fc.tuple(fc.constant(rows), fc.constant(cols), of(rows * cols), of(cols), of(rows)),
  );

function bitsOfFloat32(value: number): number {
  return new Uint32Array(Float32Array.of(value).buffer)[0]!;
}
