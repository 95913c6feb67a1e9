// NEON kernels (AArch64, where NEON is part of the baseline: no target region): a reduction's
// 16 lanes are four float32x4_t; element-wise and matrix kernels work 4 floats at a time.
// vaddvq/vpaddq would pair lanes in another order than the scheme's fold, so the fold is
// spelled out.
#pragma once

#include "common.h"
#include "serial.h"

#if SONA_HAS_NEON
namespace sona::neon {

struct Block {
  float32x4_t v0, v1, v2, v3;
};

SONA_INLINE Block block_zero() {
  const float32x4_t z = vdupq_n_f32(0.0f);
  return {z, z, z, z};
}

SONA_INLINE Block block_load(const float* p) {
  return {vld1q_f32(p), vld1q_f32(p + 4), vld1q_f32(p + 8), vld1q_f32(p + 12)};
}

SONA_INLINE Block block_add_mul(Block s, Block x, Block y) {
  return {vaddq_f32(s.v0, vmulq_f32(x.v0, y.v0)), vaddq_f32(s.v1, vmulq_f32(x.v1, y.v1)),
          vaddq_f32(s.v2, vmulq_f32(x.v2, y.v2)), vaddq_f32(s.v3, vmulq_f32(x.v3, y.v3))};
}

SONA_INLINE Block block_add_sqdiff(Block s, Block x, Block y) {
  const float32x4_t d0 = vsubq_f32(x.v0, y.v0), d1 = vsubq_f32(x.v1, y.v1);
  const float32x4_t d2 = vsubq_f32(x.v2, y.v2), d3 = vsubq_f32(x.v3, y.v3);
  return {vaddq_f32(s.v0, vmulq_f32(d0, d0)), vaddq_f32(s.v1, vmulq_f32(d1, d1)),
          vaddq_f32(s.v2, vmulq_f32(d2, d2)), vaddq_f32(s.v3, vmulq_f32(d3, d3))};
}

SONA_INLINE float block_fold(Block s) {
  const float32x4_t s8a = vaddq_f32(s.v0, s.v2);
  const float32x4_t s8b = vaddq_f32(s.v1, s.v3);
  const float32x4_t s4 = vaddq_f32(s8a, s8b);
  const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
  return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
}

// Of the 32 vector registers: four rows' accumulators (16); two rows with their dots and
// norms (16).
constexpr size_t kDotRows = 4;
constexpr size_t kCosineRows = 2;

using Vec = float32x4_t;
constexpr size_t kVecWidth = 4;

SONA_INLINE Vec vec_load(const float* p) { return vld1q_f32(p); }
SONA_INLINE void vec_store(float* p, Vec v) { vst1q_f32(p, v); }
SONA_INLINE Vec vec_set1(float x) { return vdupq_n_f32(x); }
SONA_INLINE Vec vec_zero() { return vdupq_n_f32(0.0f); }
SONA_INLINE Vec vec_add(Vec a, Vec b) { return vaddq_f32(a, b); }
SONA_INLINE Vec vec_sub(Vec a, Vec b) { return vsubq_f32(a, b); }
SONA_INLINE Vec vec_mul(Vec a, Vec b) { return vmulq_f32(a, b); }

SONA_INLINE Vec vec_canonical(Vec v) {
  const float32x4_t nan = vreinterpretq_f32_u32(vdupq_n_u32(kCanonicalNanBits));
  return vbslq_f32(vceqq_f32(v, v), v, nan);  // v == v is false only for NaN
}

#include "dot.inc"
#include "elementwise.inc"
#include "matrix.inc"

}  // namespace sona::neon
#endif
