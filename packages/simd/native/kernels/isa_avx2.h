// AVX2 kernels: a reduction's 16 lanes are two __m256 (lanes 0-7 and 8-15); element-wise and
// matrix kernels work 8 floats at a time. Multiply and add stay separate instructions (no FMA),
// as the scheme requires.
#pragma once

#include "common.h"
#include "serial.h"

#if SONA_HAS_AVX2
SONA_BEGIN_AVX2
namespace sona::avx2 {

struct Block {
  __m256 lo, hi;
};

SONA_INLINE Block block_zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }

SONA_INLINE Block block_load(const float* p) {
  return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}

SONA_INLINE Block block_add_mul(Block s, Block x, Block y) {
  return {_mm256_add_ps(s.lo, _mm256_mul_ps(x.lo, y.lo)),
          _mm256_add_ps(s.hi, _mm256_mul_ps(x.hi, y.hi))};
}

SONA_INLINE Block block_add_sqdiff(Block s, Block x, Block y) {
  const __m256 dlo = _mm256_sub_ps(x.lo, y.lo), dhi = _mm256_sub_ps(x.hi, y.hi);
  return {_mm256_add_ps(s.lo, _mm256_mul_ps(dlo, dlo)),
          _mm256_add_ps(s.hi, _mm256_mul_ps(dhi, dhi))};
}

// s[i] += s[i+8] (lo + hi), then +4, +2, +1 on the 128-bit halves.
SONA_INLINE float block_fold(Block s) {
  const __m256 s8 = _mm256_add_ps(s.lo, s.hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

// Of the 16 YMM registers: four rows' accumulators (8), enough independent additions for both
// add pipes; two rows with their dots and norms (8).
constexpr size_t kDotRows = 4;
constexpr size_t kCosineRows = 2;

using Vec = __m256;
constexpr size_t kVecWidth = 8;

SONA_INLINE Vec vec_load(const float* p) { return _mm256_loadu_ps(p); }
SONA_INLINE void vec_store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
SONA_INLINE Vec vec_set1(float x) { return _mm256_set1_ps(x); }
SONA_INLINE Vec vec_zero() { return _mm256_setzero_ps(); }
SONA_INLINE Vec vec_add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
SONA_INLINE Vec vec_sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
SONA_INLINE Vec vec_mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }

SONA_INLINE Vec vec_canonical(Vec v) {
  const __m256 nan = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm256_blendv_ps(v, nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

#include "dot.inc"
#include "elementwise.inc"
#include "matrix.inc"

}  // namespace sona::avx2
SONA_END_AVX2
#endif
