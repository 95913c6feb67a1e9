// AVX-512F kernels: a reduction's 16 lanes are one __m512, and element-wise and matrix kernels
// work 16 floats at a time. Tails use zero-padded blocks or scalar code rather than masked loads
// and stores, so the same source also compiles against SIMDe for the emulated tests.
#pragma once

#include "common.h"
#include "serial.h"

#if SONA_HAS_AVX512
SONA_BEGIN_AVX512
namespace sona::avx512 {

using Block = __m512;

SONA_INLINE Block block_zero() { return _mm512_setzero_ps(); }
SONA_INLINE Block block_load(const float* p) { return _mm512_loadu_ps(p); }

SONA_INLINE Block block_add_mul(Block s, Block x, Block y) {
  return _mm512_add_ps(s, _mm512_mul_ps(x, y));
}

SONA_INLINE Block block_add_sqdiff(Block s, Block x, Block y) {
  const __m512 d = _mm512_sub_ps(x, y);
  return _mm512_add_ps(s, _mm512_mul_ps(d, d));
}

// s[i] += s[i+8] on the two 256-bit halves, then the AVX fold (+4, +2, +1).
SONA_INLINE float block_fold(Block s) {
  const __m256 lo = _mm512_castps512_ps256(s);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

// One ZMM accumulator per row: eight rows give 8 independent addition chains; four rows with
// their dots and norms give 8 as well.
constexpr size_t kDotRows = 8;
constexpr size_t kCosineRows = 4;

using Vec = __m512;
constexpr size_t kVecWidth = 16;

SONA_INLINE Vec vec_load(const float* p) { return _mm512_loadu_ps(p); }
SONA_INLINE void vec_store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
SONA_INLINE Vec vec_set1(float x) { return _mm512_set1_ps(x); }
SONA_INLINE Vec vec_zero() { return _mm512_setzero_ps(); }
SONA_INLINE Vec vec_add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
SONA_INLINE Vec vec_sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
SONA_INLINE Vec vec_mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }

SONA_INLINE Vec vec_canonical(Vec v) {
  const __m512 nan = _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan);
}

#include "dot.inc"
#include "elementwise.inc"
#include "matrix.inc"

}  // namespace sona::avx512
SONA_END_AVX512
#endif
