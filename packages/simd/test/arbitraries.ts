import fc from 'fast-check';

const MIN_NORMAL = 2 ** -126;

/** Ordinary magnitudes, exact zeros of both signs, subnormals, and magnitudes near overflow. */
export const float32Value = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
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

export const vectorOf = (n: number) =>
  fc.array(float32Value, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));

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
