import fc from 'fast-check';

/** A moderate float32 value. */
export const moderate = (magnitude = 2) =>
  fc.float({ min: Math.fround(-magnitude), max: Math.fround(magnitude), noNaN: true });

export const vectorOf = (length: number, magnitude = 2) =>
  fc
    .array(moderate(magnitude), { minLength: length, maxLength: length })
    .map((values) => Float32Array.from(values));

/** dim, rank ≤ dim, alpha: small shapes, plus a few at the sizes SONA uses. */
export const shape = fc
  .oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(64, 256) },
  )
  .chain((dim) =>
    fc.record({
      dim: fc.constant(dim),
      rank: fc.integer({ min: 1, max: Math.min(dim, 6) }),
      alpha: fc.oneof(fc.constant(undefined), fc.double({ min: 0.1, max: 8, noNaN: true })),
      seed: fc.nat(),
    }),
  );

export type Shape = { dim: number; rank: number; alpha: number | undefined; seed: number };

export const learningRate = fc.double({ min: 0, max: 0.5, noNaN: true });

/** Bit patterns of a Float32Array, for bit-exact comparisons (-0 and NaN payloads included). */
export function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}
