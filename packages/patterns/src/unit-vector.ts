/**
 * Euclidean norm in float64 of a float32 vector. Unlike a float32 sum of squares it neither
 * underflows nor loses precision for tiny components, so it is 0 only for the zero vector.
 */
export function norm64(values: Float32Array, offset = 0, length = values.length - offset): number {
  let largest = 0;
  for (let i = 0; i < length; i++) {
    const a = Math.abs(values[offset + i]!);
    if (a > largest) largest = a;
  }
  if (largest === 0) return 0;
  // Scaling by the largest component keeps the squares of subnormal float32 values exact.
  let squares = 0;
  for (let i = 0; i < length; i++) squares += (values[offset + i]! / largest) ** 2;
  return largest * Math.sqrt(squares);
}

/**
 * Writes `source / ‖source‖` (computed in float64, rounded once to float32) into `out`;
 * returns the norm, 0 (and zeros written) for the zero vector.
 */
export function writeUnit(source: Float32Array, out: Float32Array): number {
  const length = norm64(source);
  for (let i = 0; i < source.length; i++) out[i] = length > 0 ? source[i]! / length : 0;
  return length;
}
