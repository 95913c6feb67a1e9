/** Dense linear algebra for tests only: the direct computations fast paths are checked against. */

/** Gauss–Jordan inverse with partial pivoting (test oracle, O(d³)). */
export function invert(m: Float64Array, d: number): Float64Array {
  const a = m.slice();
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[p * d + c]!)) p = r;
    for (let j = 0; j < d; j++) {
      [a[c * d + j], a[p * d + j]] = [a[p * d + j]!, a[c * d + j]!];
      [inv[c * d + j], inv[p * d + j]] = [inv[p * d + j]!, inv[c * d + j]!];
    }
    const pivot = a[c * d + c]!;
    for (let j = 0; j < d; j++) {
      a[c * d + j]! /= pivot;
      inv[c * d + j]! /= pivot;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r * d + c]!;
      for (let j = 0; j < d; j++) {
        a[r * d + j]! -= f * a[c * d + j]!;
        inv[r * d + j]! -= f * inv[c * d + j]!;
      }
    }
  }
  return inv;
}
