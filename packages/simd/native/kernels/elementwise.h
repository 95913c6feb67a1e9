// Element-wise kernels: axpy (y += alpha*x), scale, add, sub, mul. Each output element is one
// float32 operation (axpy: a product then a sum, never fused), and every NaN written is the
// canonical 0x7fc00000. `out` may be exactly one of the inputs (each element is read before it
// is written); callers reject partial overlaps.
#pragma once

#include "common.h"

namespace sona {

// ---------------------------------------------------------------------------------------------
// serial

inline void axpy_f32_serial(float alpha, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = canonical(y[i] + alpha * x[i]);
}

inline void scale_f32_serial(const float* x, float alpha, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(x[i] * alpha);
}

inline void add_f32_serial(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] + b[i]);
}

inline void sub_f32_serial(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] - b[i]);
}

inline void mul_f32_serial(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] * b[i]);
}

// ---------------------------------------------------------------------------------------------
// SSE4.1

#if SONA_HAS_SSE41
SONA_BEGIN_SSE41

// NaN lanes replaced by the canonical NaN.
SONA_INLINE __m128 canonical_sse41(__m128 v) {
  const __m128 nan = _mm_castsi128_ps(_mm_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm_blendv_ps(v, nan, _mm_cmpunord_ps(v, v));
}

inline void axpy_f32_sse41(float alpha, const float* x, float* y, size_t n) {
  const __m128 a = _mm_set1_ps(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_add_ps(_mm_loadu_ps(y + i), _mm_mul_ps(a, _mm_loadu_ps(x + i)));
    _mm_storeu_ps(y + i, canonical_sse41(v));
  }
  axpy_f32_serial(alpha, x + i, y + i, n - i);
}

inline void scale_f32_sse41(const float* x, float alpha, float* out, size_t n) {
  const __m128 a = _mm_set1_ps(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_ps(out + i, canonical_sse41(_mm_mul_ps(_mm_loadu_ps(x + i), a)));
  }
  scale_f32_serial(x + i, alpha, out + i, n - i);
}

inline void add_f32_sse41(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_ps(out + i, canonical_sse41(_mm_add_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i))));
  }
  add_f32_serial(a + i, b + i, out + i, n - i);
}

inline void sub_f32_sse41(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_ps(out + i, canonical_sse41(_mm_sub_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i))));
  }
  sub_f32_serial(a + i, b + i, out + i, n - i);
}

inline void mul_f32_sse41(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_ps(out + i, canonical_sse41(_mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i))));
  }
  mul_f32_serial(a + i, b + i, out + i, n - i);
}

SONA_END_SSE41
#endif

// ---------------------------------------------------------------------------------------------
// AVX2

#if SONA_HAS_AVX2
SONA_BEGIN_AVX2

SONA_INLINE __m256 canonical_avx2(__m256 v) {
  const __m256 nan = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm256_blendv_ps(v, nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

inline void axpy_f32_avx2(float alpha, const float* x, float* y, size_t n) {
  const __m256 a = _mm256_set1_ps(alpha);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(a, _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(y + i, canonical_avx2(v));
  }
  axpy_f32_serial(alpha, x + i, y + i, n - i);
}

inline void scale_f32_avx2(const float* x, float alpha, float* out, size_t n) {
  const __m256 a = _mm256_set1_ps(alpha);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, canonical_avx2(_mm256_mul_ps(_mm256_loadu_ps(x + i), a)));
  }
  scale_f32_serial(x + i, alpha, out + i, n - i);
}

inline void add_f32_avx2(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(out + i, canonical_avx2(v));
  }
  add_f32_serial(a + i, b + i, out + i, n - i);
}

inline void sub_f32_avx2(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(out + i, canonical_avx2(v));
  }
  sub_f32_serial(a + i, b + i, out + i, n - i);
}

inline void mul_f32_avx2(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(out + i, canonical_avx2(v));
  }
  mul_f32_serial(a + i, b + i, out + i, n - i);
}

SONA_END_AVX2
#endif

// ---------------------------------------------------------------------------------------------
// AVX-512F (tails in scalar code: no masked stores, so SIMDe can emulate the source)

#if SONA_HAS_AVX512
SONA_BEGIN_AVX512

SONA_INLINE __m512 canonical_avx512(__m512 v) {
  const __m512 nan = _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(kCanonicalNanBits)));
  return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan);
}

inline void axpy_f32_avx512(float alpha, const float* x, float* y, size_t n) {
  const __m512 a = _mm512_set1_ps(alpha);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(y + i), _mm512_mul_ps(a, _mm512_loadu_ps(x + i)));
    _mm512_storeu_ps(y + i, canonical_avx512(v));
  }
  axpy_f32_serial(alpha, x + i, y + i, n - i);
}

inline void scale_f32_avx512(const float* x, float alpha, float* out, size_t n) {
  const __m512 a = _mm512_set1_ps(alpha);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, canonical_avx512(_mm512_mul_ps(_mm512_loadu_ps(x + i), a)));
  }
  scale_f32_serial(x + i, alpha, out + i, n - i);
}

inline void add_f32_avx512(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    _mm512_storeu_ps(out + i, canonical_avx512(v));
  }
  add_f32_serial(a + i, b + i, out + i, n - i);
}

inline void sub_f32_avx512(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    _mm512_storeu_ps(out + i, canonical_avx512(v));
  }
  sub_f32_serial(a + i, b + i, out + i, n - i);
}

inline void mul_f32_avx512(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    _mm512_storeu_ps(out + i, canonical_avx512(v));
  }
  mul_f32_serial(a + i, b + i, out + i, n - i);
}

SONA_END_AVX512
#endif

// ---------------------------------------------------------------------------------------------
// NEON

#if SONA_HAS_NEON

SONA_INLINE float32x4_t canonical_neon(float32x4_t v) {
  const float32x4_t nan = vreinterpretq_f32_u32(vdupq_n_u32(kCanonicalNanBits));
  return vbslq_f32(vceqq_f32(v, v), v, nan);  // v == v is false only for NaN
}

inline void axpy_f32_neon(float alpha, const float* x, float* y, size_t n) {
  const float32x4_t a = vdupq_n_f32(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(y + i, canonical_neon(vaddq_f32(vld1q_f32(y + i), vmulq_f32(a, vld1q_f32(x + i)))));
  }
  axpy_f32_serial(alpha, x + i, y + i, n - i);
}

inline void scale_f32_neon(const float* x, float alpha, float* out, size_t n) {
  const float32x4_t a = vdupq_n_f32(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(out + i, canonical_neon(vmulq_f32(vld1q_f32(x + i), a)));
  scale_f32_serial(x + i, alpha, out + i, n - i);
}

inline void add_f32_neon(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(out + i, canonical_neon(vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i))));
  }
  add_f32_serial(a + i, b + i, out + i, n - i);
}

inline void sub_f32_neon(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(out + i, canonical_neon(vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i))));
  }
  sub_f32_serial(a + i, b + i, out + i, n - i);
}

inline void mul_f32_neon(const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(out + i, canonical_neon(vmulq_f32(vld1q_f32(a + i), vld1q_f32(b + i))));
  }
  mul_f32_serial(a + i, b + i, out + i, n - i);
}

#endif

}  // namespace sona
