// SSE4.1 kernels: a reduction's 16 lanes are four __m128 (lanes 0-3, 4-7, 8-11, 12-15);
// element-wise and matrix kernels work 4 floats at a time.
#pragma once

#include "common.h"
#include "serial.h"

#if SONA_HAS_SSE41
SONA_BEGIN_SSE41
namespace sona::sse41 {

struct Block {
  __m128 v0, v1, v2, v3;
};

SONA_INLINE Block block_zero() {
  return {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
}

SONA_INLINE Block block_load(const float* p) {
  return {_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _mm_loadu_ps(p + 8), _mm_loadu_ps(p + 12)};
}

SONA_INLINE Block block_add_mul(Block s, Block x, Block y) {
  return {_mm_add_ps(s.v0, _mm_mul_ps(x.v0, y.v0)), _mm_add_ps(s.v1, _mm_mul_ps(x.v1, y.v1)),
          _mm_add_ps(s.v2, _mm_mul_ps(x.v2, y.v2)), _mm_add_ps(s.v3, _mm_mul_ps(x.v3, y.v3))};
}

SONA_INLINE Block block_add_sqdiff(Block s, Block x, Block y) {
  const __m128 d0 = _mm_sub_ps(x.v0, y.v0), d1 = _mm_sub_ps(x.v1, y.v1);
  const __m128 d2 = _mm_sub_ps(x.v2, y.v2), d3 = _mm_sub_ps(x.v3, y.v3);
  return {_mm_add_ps(s.v0, _mm_mul_ps(d0, d0)), _mm_add_ps(s.v1, _mm_mul_ps(d1, d1)),
          _mm_add_ps(s.v2, _mm_mul_ps(d2, d2)), _mm_add_ps(s.v3, _mm_mul_ps(d3, d3))};
}

// s[i] += s[i+8], s[i] += s[i+4], s[i] += s[i+2], s[0] += s[1].
SONA_INLINE float block_fold(Block s) {
  const __m128 s8a = _mm_add_ps(s.v0, s.v2);
  const __m128 s8b = _mm_add_ps(s.v1, s.v3);
  const __m128 s4 = _mm_add_ps(s8a, s8b);
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

// Of the 16 XMM registers: two rows' accumulators (8); one row with its dot and its norm (8).
constexpr size_t kDotRows = 2;
constexpr size_t kCosineRows = 1;

using Vec = __m128;
constexpr size_t kVecWidth = 4;

SONA_INLINE Vec vec_load(const float* p) { return _mm_loadu_ps(p); }
SONA_INLINE void vec_store(float* p, Vec v) { _mm_storeu_ps(p, v); }
SONA_INLINE Vec vec_set1(float x) { return _mm_set1_ps(x); }
SONA_INLINE Vec vec_zero() { return _mm_setzero_ps(); }
SONA_INLINE Vec vec_add(Vec a, Vec b) { return _mm_add_ps(a, b); }
SONA_INLINE Vec vec_sub(Vec a, Vec b) { return _mm_sub_ps(a, b); }
SONA_INLINE Vec vec_mul(Vec a, Vec b) { return _mm_mul_ps(a, b); }

SONA_INLINE Vec vec_canonical(Vec v) {
  const __m128 nan = _mm_castsi128_ps(_mm_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm_blendv_ps(v, nan, _mm_cmpunord_ps(v, v));
}

#include "dot.inc"
#include "elementwise.inc"
#include "matrix.inc"

}  // namespace sona::sse41
SONA_END_SSE41
#endif
