// Reductions: dot products, squared L2 distances, sums of squares, and their batched forms
// (one query against every row of a row-major matrix). Every one follows the README's scheme:
// 16 float32 partial sums, element j to lane j mod 16 in increasing j, product rounded before
// the sum (no FMA), then the fixed fold s[i] += s[i+8], +4, +2, +1.
//
// The batched kernels score several rows per pass over the query (each row keeps its own 16
// partial sums, so the bits equal those of one row at a time) to keep both floating-point
// pipes busy: a single row's sums form only 16 dependency chains.
#pragma once

#include "common.h"

namespace sona {

// ---------------------------------------------------------------------------------------------
// serial: the portable reference every other ISA must match bit for bit.

inline float dot_f32_serial(const float* a, const float* b, size_t n) {
  float s[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t lane = 0; lane < kLanes; ++lane) s[lane] += a[j + lane] * b[j + lane];
  }
  for (size_t lane = 0; j < n; ++j, ++lane) s[lane] += a[j] * b[j];
  return fold16(s);
}

inline float l2sq_f32_serial(const float* a, const float* b, size_t n) {
  float s[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t lane = 0; lane < kLanes; ++lane) {
      const float d = a[j + lane] - b[j + lane];
      s[lane] += d * d;
    }
  }
  for (size_t lane = 0; j < n; ++j, ++lane) {
    const float d = a[j] - b[j];
    s[lane] += d * d;
  }
  return fold16(s);
}

inline float sumsq_f32_serial(const float* a, size_t n) { return dot_f32_serial(a, a, n); }

inline float cosine_f32_serial(const float* a, const float* b, size_t n) {
  return cosine_from_sums(dot_f32_serial(a, b, n), sumsq_f32_serial(a, n),
                          sumsq_f32_serial(b, n));
}

inline void dot_many_f32_serial(const float* q, const float* m, size_t dim, size_t rows,
                                float* out, RowOrder order) {
  (void)order;  // one row at a time in every case
  for (size_t r = 0; r < rows; ++r) out[r] = canonical(dot_f32_serial(m + r * dim, q, dim));
}

inline void l2sq_many_f32_serial(const float* q, const float* m, size_t dim, size_t rows,
                                 float* out, RowOrder order) {
  (void)order;  // one row at a time in every case
  for (size_t r = 0; r < rows; ++r) out[r] = canonical(l2sq_f32_serial(m + r * dim, q, dim));
}

inline void cosine_many_f32_serial(const float* q, const float* m, size_t dim, size_t rows,
                                   float* out, RowOrder order) {
  (void)order;  // one row at a time in every case
  const float q_norm_sq = sumsq_f32_serial(q, dim);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = m + r * dim;
    out[r] = canonical(
        cosine_from_sums(dot_f32_serial(row, q, dim), q_norm_sq, sumsq_f32_serial(row, dim)));
  }
}

// ---------------------------------------------------------------------------------------------
// SSE4.1: the 16 lanes are four __m128 (lanes 0-3, 4-7, 8-11, 12-15).

#if SONA_HAS_SSE41
SONA_BEGIN_SSE41

struct f32x16_sse41 {
  __m128 v0, v1, v2, v3;
};

SONA_INLINE f32x16_sse41 f32x16_zero_sse41() {
  return {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
}

SONA_INLINE f32x16_sse41 f32x16_load_sse41(const float* p) {
  return {_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _mm_loadu_ps(p + 8), _mm_loadu_ps(p + 12)};
}

// s + x*y with the product rounded first.
SONA_INLINE f32x16_sse41 f32x16_add_mul_sse41(f32x16_sse41 s, f32x16_sse41 x, f32x16_sse41 y) {
  return {_mm_add_ps(s.v0, _mm_mul_ps(x.v0, y.v0)), _mm_add_ps(s.v1, _mm_mul_ps(x.v1, y.v1)),
          _mm_add_ps(s.v2, _mm_mul_ps(x.v2, y.v2)), _mm_add_ps(s.v3, _mm_mul_ps(x.v3, y.v3))};
}

// s + (x-y)*(x-y), each operation rounded.
SONA_INLINE f32x16_sse41 f32x16_add_sqdiff_sse41(f32x16_sse41 s, f32x16_sse41 x,
                                                 f32x16_sse41 y) {
  const __m128 d0 = _mm_sub_ps(x.v0, y.v0), d1 = _mm_sub_ps(x.v1, y.v1);
  const __m128 d2 = _mm_sub_ps(x.v2, y.v2), d3 = _mm_sub_ps(x.v3, y.v3);
  return {_mm_add_ps(s.v0, _mm_mul_ps(d0, d0)), _mm_add_ps(s.v1, _mm_mul_ps(d1, d1)),
          _mm_add_ps(s.v2, _mm_mul_ps(d2, d2)), _mm_add_ps(s.v3, _mm_mul_ps(d3, d3))};
}

// s[i] += s[i+8], s[i] += s[i+4], s[i] += s[i+2], s[0] += s[1].
SONA_INLINE float f32x16_fold_sse41(f32x16_sse41 s) {
  const __m128 s8a = _mm_add_ps(s.v0, s.v2);
  const __m128 s8b = _mm_add_ps(s.v1, s.v3);
  const __m128 s4 = _mm_add_ps(s8a, s8b);
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

inline float dot_f32_sse41(const float* a, const float* b, size_t n) {
  f32x16_sse41 s = f32x16_zero_sse41();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_mul_sse41(s, f32x16_load_sse41(a + j), f32x16_load_sse41(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_mul_sse41(s, f32x16_load_sse41(ta.v), f32x16_load_sse41(tb.v));
  }
  return f32x16_fold_sse41(s);
}

inline float l2sq_f32_sse41(const float* a, const float* b, size_t n) {
  f32x16_sse41 s = f32x16_zero_sse41();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_sqdiff_sse41(s, f32x16_load_sse41(a + j), f32x16_load_sse41(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_sqdiff_sse41(s, f32x16_load_sse41(ta.v), f32x16_load_sse41(tb.v));
  }
  return f32x16_fold_sse41(s);
}

inline float sumsq_f32_sse41(const float* a, size_t n) { return dot_f32_sse41(a, a, n); }

// The three sums of a cosine in one pass.
inline float cosine_f32_sse41(const float* a, const float* b, size_t n) {
  f32x16_sse41 ab = f32x16_zero_sse41(), aa = ab, bb = ab;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const f32x16_sse41 x = f32x16_load_sse41(a + j), y = f32x16_load_sse41(b + j);
    ab = f32x16_add_mul_sse41(ab, x, y);
    aa = f32x16_add_mul_sse41(aa, x, x);
    bb = f32x16_add_mul_sse41(bb, y, y);
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    const f32x16_sse41 x = f32x16_load_sse41(ta.v), y = f32x16_load_sse41(tb.v);
    ab = f32x16_add_mul_sse41(ab, x, y);
    aa = f32x16_add_mul_sse41(aa, x, x);
    bb = f32x16_add_mul_sse41(bb, y, y);
  }
  return cosine_from_sums(f32x16_fold_sse41(ab), f32x16_fold_sse41(aa), f32x16_fold_sse41(bb));
}

// Two rows per pass: 8 accumulators of the 16 XMM registers.
inline void dot_many_f32_sse41(const float* q, const float* m, size_t dim, size_t rows,
                               float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 2 <= rows; r += 2) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    f32x16_sse41 s0 = f32x16_zero_sse41(), s1 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_sse41 x = f32x16_load_sse41(q + j);
      s0 = f32x16_add_mul_sse41(s0, f32x16_load_sse41(m0 + j), x);
      s1 = f32x16_add_mul_sse41(s1, f32x16_load_sse41(m1 + j), x);
    }
    if (full < dim) {
      const f32x16_sse41 x = f32x16_load_sse41(tq.v);
      const Tail16 t0(m0 + full, dim - full), t1(m1 + full, dim - full);
      s0 = f32x16_add_mul_sse41(s0, f32x16_load_sse41(t0.v), x);
      s1 = f32x16_add_mul_sse41(s1, f32x16_load_sse41(t1.v), x);
    }
    out[r] = canonical(f32x16_fold_sse41(s0));
    out[r + 1] = canonical(f32x16_fold_sse41(s1));
  }
  for (; r < rows; ++r) out[r] = canonical(dot_f32_sse41(m + r * dim, q, dim));
}

inline void l2sq_many_f32_sse41(const float* q, const float* m, size_t dim, size_t rows,
                                float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 2 <= rows; r += 2) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    f32x16_sse41 s0 = f32x16_zero_sse41(), s1 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_sse41 x = f32x16_load_sse41(q + j);
      s0 = f32x16_add_sqdiff_sse41(s0, f32x16_load_sse41(m0 + j), x);
      s1 = f32x16_add_sqdiff_sse41(s1, f32x16_load_sse41(m1 + j), x);
    }
    if (full < dim) {
      const f32x16_sse41 x = f32x16_load_sse41(tq.v);
      const Tail16 t0(m0 + full, dim - full), t1(m1 + full, dim - full);
      s0 = f32x16_add_sqdiff_sse41(s0, f32x16_load_sse41(t0.v), x);
      s1 = f32x16_add_sqdiff_sse41(s1, f32x16_load_sse41(t1.v), x);
    }
    out[r] = canonical(f32x16_fold_sse41(s0));
    out[r + 1] = canonical(f32x16_fold_sse41(s1));
  }
  for (; r < rows; ++r) out[r] = canonical(l2sq_f32_sse41(m + r * dim, q, dim));
}

// One row per pass (its dot and its sum of squares: 8 accumulators).
inline void cosine_many_f32_sse41(const float* q, const float* m, size_t dim, size_t rows,
                                  float* out, RowOrder order) {
  (void)order;  // one row at a time in every case
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  const float q_norm_sq = sumsq_f32_sse41(q, dim);
  for (size_t r = 0; r < rows; ++r) {
    const float* m0 = m + r * dim;
    f32x16_sse41 d0 = f32x16_zero_sse41(), n0 = d0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_sse41 x = f32x16_load_sse41(q + j);
      const f32x16_sse41 y0 = f32x16_load_sse41(m0 + j);
      d0 = f32x16_add_mul_sse41(d0, y0, x);
      n0 = f32x16_add_mul_sse41(n0, y0, y0);
    }
    if (full < dim) {
      const f32x16_sse41 x = f32x16_load_sse41(tq.v);
      const Tail16 t0(m0 + full, dim - full);
      const f32x16_sse41 y0 = f32x16_load_sse41(t0.v);
      d0 = f32x16_add_mul_sse41(d0, y0, x);
      n0 = f32x16_add_mul_sse41(n0, y0, y0);
    }
    out[r] = canonical(
        cosine_from_sums(f32x16_fold_sse41(d0), q_norm_sq, f32x16_fold_sse41(n0)));
  }
}

SONA_END_SSE41
#endif

// ---------------------------------------------------------------------------------------------
// AVX2: the 16 lanes are two __m256 (lanes 0-7 and 8-15). Multiply and add stay separate
// instructions (no FMA), as the scheme requires.

#if SONA_HAS_AVX2
SONA_BEGIN_AVX2

struct f32x16_avx2 {
  __m256 lo, hi;
};

SONA_INLINE f32x16_avx2 f32x16_zero_avx2() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }

SONA_INLINE f32x16_avx2 f32x16_load_avx2(const float* p) {
  return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}

SONA_INLINE f32x16_avx2 f32x16_add_mul_avx2(f32x16_avx2 s, f32x16_avx2 x, f32x16_avx2 y) {
  return {_mm256_add_ps(s.lo, _mm256_mul_ps(x.lo, y.lo)),
          _mm256_add_ps(s.hi, _mm256_mul_ps(x.hi, y.hi))};
}

SONA_INLINE f32x16_avx2 f32x16_add_sqdiff_avx2(f32x16_avx2 s, f32x16_avx2 x, f32x16_avx2 y) {
  const __m256 dlo = _mm256_sub_ps(x.lo, y.lo), dhi = _mm256_sub_ps(x.hi, y.hi);
  return {_mm256_add_ps(s.lo, _mm256_mul_ps(dlo, dlo)),
          _mm256_add_ps(s.hi, _mm256_mul_ps(dhi, dhi))};
}

// Fold of 8 lanes that already hold s[i] + s[i+8]: +4, +2, +1.
SONA_INLINE float fold8_avx2(__m256 s8) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

SONA_INLINE float f32x16_fold_avx2(f32x16_avx2 s) { return fold8_avx2(_mm256_add_ps(s.lo, s.hi)); }

inline float dot_f32_avx2(const float* a, const float* b, size_t n) {
  f32x16_avx2 s = f32x16_zero_avx2();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_mul_avx2(s, f32x16_load_avx2(a + j), f32x16_load_avx2(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_mul_avx2(s, f32x16_load_avx2(ta.v), f32x16_load_avx2(tb.v));
  }
  return f32x16_fold_avx2(s);
}

inline float l2sq_f32_avx2(const float* a, const float* b, size_t n) {
  f32x16_avx2 s = f32x16_zero_avx2();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_sqdiff_avx2(s, f32x16_load_avx2(a + j), f32x16_load_avx2(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_sqdiff_avx2(s, f32x16_load_avx2(ta.v), f32x16_load_avx2(tb.v));
  }
  return f32x16_fold_avx2(s);
}

inline float sumsq_f32_avx2(const float* a, size_t n) { return dot_f32_avx2(a, a, n); }

inline float cosine_f32_avx2(const float* a, const float* b, size_t n) {
  f32x16_avx2 ab = f32x16_zero_avx2(), aa = ab, bb = ab;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const f32x16_avx2 x = f32x16_load_avx2(a + j), y = f32x16_load_avx2(b + j);
    ab = f32x16_add_mul_avx2(ab, x, y);
    aa = f32x16_add_mul_avx2(aa, x, x);
    bb = f32x16_add_mul_avx2(bb, y, y);
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    const f32x16_avx2 x = f32x16_load_avx2(ta.v), y = f32x16_load_avx2(tb.v);
    ab = f32x16_add_mul_avx2(ab, x, y);
    aa = f32x16_add_mul_avx2(aa, x, x);
    bb = f32x16_add_mul_avx2(bb, y, y);
  }
  return cosine_from_sums(f32x16_fold_avx2(ab), f32x16_fold_avx2(aa), f32x16_fold_avx2(bb));
}

// Four rows per pass: 8 accumulators, enough independent additions for both add pipes.
inline void dot_many_f32_avx2(const float* q, const float* m, size_t dim, size_t rows,
                              float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 4 <= rows; r += 4) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    const float* m2 = m1 + dim;
    const float* m3 = m2 + dim;
    f32x16_avx2 s0 = f32x16_zero_avx2(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_avx2 x = f32x16_load_avx2(q + j);
      s0 = f32x16_add_mul_avx2(s0, f32x16_load_avx2(m0 + j), x);
      s1 = f32x16_add_mul_avx2(s1, f32x16_load_avx2(m1 + j), x);
      s2 = f32x16_add_mul_avx2(s2, f32x16_load_avx2(m2 + j), x);
      s3 = f32x16_add_mul_avx2(s3, f32x16_load_avx2(m3 + j), x);
    }
    if (full < dim) {
      const f32x16_avx2 x = f32x16_load_avx2(tq.v);
      const size_t rest = dim - full;
      const Tail16 t0(m0 + full, rest), t1(m1 + full, rest), t2(m2 + full, rest),
          t3(m3 + full, rest);
      s0 = f32x16_add_mul_avx2(s0, f32x16_load_avx2(t0.v), x);
      s1 = f32x16_add_mul_avx2(s1, f32x16_load_avx2(t1.v), x);
      s2 = f32x16_add_mul_avx2(s2, f32x16_load_avx2(t2.v), x);
      s3 = f32x16_add_mul_avx2(s3, f32x16_load_avx2(t3.v), x);
    }
    out[r] = canonical(f32x16_fold_avx2(s0));
    out[r + 1] = canonical(f32x16_fold_avx2(s1));
    out[r + 2] = canonical(f32x16_fold_avx2(s2));
    out[r + 3] = canonical(f32x16_fold_avx2(s3));
  }
  for (; r < rows; ++r) out[r] = canonical(dot_f32_avx2(m + r * dim, q, dim));
}

inline void l2sq_many_f32_avx2(const float* q, const float* m, size_t dim, size_t rows,
                               float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 4 <= rows; r += 4) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    const float* m2 = m1 + dim;
    const float* m3 = m2 + dim;
    f32x16_avx2 s0 = f32x16_zero_avx2(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_avx2 x = f32x16_load_avx2(q + j);
      s0 = f32x16_add_sqdiff_avx2(s0, f32x16_load_avx2(m0 + j), x);
      s1 = f32x16_add_sqdiff_avx2(s1, f32x16_load_avx2(m1 + j), x);
      s2 = f32x16_add_sqdiff_avx2(s2, f32x16_load_avx2(m2 + j), x);
      s3 = f32x16_add_sqdiff_avx2(s3, f32x16_load_avx2(m3 + j), x);
    }
    if (full < dim) {
      const f32x16_avx2 x = f32x16_load_avx2(tq.v);
      const size_t rest = dim - full;
      const Tail16 t0(m0 + full, rest), t1(m1 + full, rest), t2(m2 + full, rest),
          t3(m3 + full, rest);
      s0 = f32x16_add_sqdiff_avx2(s0, f32x16_load_avx2(t0.v), x);
      s1 = f32x16_add_sqdiff_avx2(s1, f32x16_load_avx2(t1.v), x);
      s2 = f32x16_add_sqdiff_avx2(s2, f32x16_load_avx2(t2.v), x);
      s3 = f32x16_add_sqdiff_avx2(s3, f32x16_load_avx2(t3.v), x);
    }
    out[r] = canonical(f32x16_fold_avx2(s0));
    out[r + 1] = canonical(f32x16_fold_avx2(s1));
    out[r + 2] = canonical(f32x16_fold_avx2(s2));
    out[r + 3] = canonical(f32x16_fold_avx2(s3));
  }
  for (; r < rows; ++r) out[r] = canonical(l2sq_f32_avx2(m + r * dim, q, dim));
}

// A row's dot product with q and its own sum of squares, in one pass over the row.
inline void dot_sumsq_f32_avx2(const float* row, const float* q, size_t n, float* dot,
                               float* sumsq) {
  f32x16_avx2 d = f32x16_zero_avx2(), s = d;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const f32x16_avx2 y = f32x16_load_avx2(row + j);
    d = f32x16_add_mul_avx2(d, y, f32x16_load_avx2(q + j));
    s = f32x16_add_mul_avx2(s, y, y);
  }
  if (j < n) {
    const Tail16 ty(row + j, n - j), tq(q + j, n - j);
    const f32x16_avx2 y = f32x16_load_avx2(ty.v);
    d = f32x16_add_mul_avx2(d, y, f32x16_load_avx2(tq.v));
    s = f32x16_add_mul_avx2(s, y, y);
  }
  *dot = f32x16_fold_avx2(d);
  *sumsq = f32x16_fold_avx2(s);
}

// Two rows per pass, each with its dot and its sum of squares: 8 accumulators.
inline void cosine_many_f32_avx2(const float* q, const float* m, size_t dim, size_t rows,
                                 float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  const float q_norm_sq = sumsq_f32_avx2(q, dim);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 2 <= rows; r += 2) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    f32x16_avx2 d0 = f32x16_zero_avx2(), d1 = d0, n0 = d0, n1 = d0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_avx2 x = f32x16_load_avx2(q + j);
      const f32x16_avx2 y0 = f32x16_load_avx2(m0 + j), y1 = f32x16_load_avx2(m1 + j);
      d0 = f32x16_add_mul_avx2(d0, y0, x);
      n0 = f32x16_add_mul_avx2(n0, y0, y0);
      d1 = f32x16_add_mul_avx2(d1, y1, x);
      n1 = f32x16_add_mul_avx2(n1, y1, y1);
    }
    if (full < dim) {
      const f32x16_avx2 x = f32x16_load_avx2(tq.v);
      const Tail16 t0(m0 + full, dim - full), t1(m1 + full, dim - full);
      const f32x16_avx2 y0 = f32x16_load_avx2(t0.v), y1 = f32x16_load_avx2(t1.v);
      d0 = f32x16_add_mul_avx2(d0, y0, x);
      n0 = f32x16_add_mul_avx2(n0, y0, y0);
      d1 = f32x16_add_mul_avx2(d1, y1, x);
      n1 = f32x16_add_mul_avx2(n1, y1, y1);
    }
    out[r] =
        canonical(cosine_from_sums(f32x16_fold_avx2(d0), q_norm_sq, f32x16_fold_avx2(n0)));
    out[r + 1] =
        canonical(cosine_from_sums(f32x16_fold_avx2(d1), q_norm_sq, f32x16_fold_avx2(n1)));
  }
  for (; r < rows; ++r) {
    float dot = 0.0f, row_norm_sq = 0.0f;
    dot_sumsq_f32_avx2(m + r * dim, q, dim, &dot, &row_norm_sq);
    out[r] = canonical(cosine_from_sums(dot, q_norm_sq, row_norm_sq));
  }
}

SONA_END_AVX2
#endif

// ---------------------------------------------------------------------------------------------
// AVX-512F: the 16 lanes are one __m512. Tails use zero-padded blocks rather than masked
// loads, so the same source also compiles against SIMDe for the emulated tests.

#if SONA_HAS_AVX512
SONA_BEGIN_AVX512

SONA_INLINE __m512 f32x16_add_mul_avx512(__m512 s, __m512 x, __m512 y) {
  return _mm512_add_ps(s, _mm512_mul_ps(x, y));
}

SONA_INLINE __m512 f32x16_add_sqdiff_avx512(__m512 s, __m512 x, __m512 y) {
  const __m512 d = _mm512_sub_ps(x, y);
  return _mm512_add_ps(s, _mm512_mul_ps(d, d));
}

// s[i] += s[i+8] on the two 256-bit halves, then the AVX fold (+4, +2, +1).
SONA_INLINE float f32x16_fold_avx512(__m512 s) {
  const __m256 lo = _mm512_castps512_ps256(s);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

inline float dot_f32_avx512(const float* a, const float* b, size_t n) {
  __m512 s = _mm512_setzero_ps();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_mul_avx512(s, _mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_mul_avx512(s, _mm512_loadu_ps(ta.v), _mm512_loadu_ps(tb.v));
  }
  return f32x16_fold_avx512(s);
}

inline float l2sq_f32_avx512(const float* a, const float* b, size_t n) {
  __m512 s = _mm512_setzero_ps();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_sqdiff_avx512(s, _mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_sqdiff_avx512(s, _mm512_loadu_ps(ta.v), _mm512_loadu_ps(tb.v));
  }
  return f32x16_fold_avx512(s);
}

inline float sumsq_f32_avx512(const float* a, size_t n) { return dot_f32_avx512(a, a, n); }

inline float cosine_f32_avx512(const float* a, const float* b, size_t n) {
  __m512 ab = _mm512_setzero_ps(), aa = ab, bb = ab;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const __m512 x = _mm512_loadu_ps(a + j), y = _mm512_loadu_ps(b + j);
    ab = f32x16_add_mul_avx512(ab, x, y);
    aa = f32x16_add_mul_avx512(aa, x, x);
    bb = f32x16_add_mul_avx512(bb, y, y);
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    const __m512 x = _mm512_loadu_ps(ta.v), y = _mm512_loadu_ps(tb.v);
    ab = f32x16_add_mul_avx512(ab, x, y);
    aa = f32x16_add_mul_avx512(aa, x, x);
    bb = f32x16_add_mul_avx512(bb, y, y);
  }
  return cosine_from_sums(f32x16_fold_avx512(ab), f32x16_fold_avx512(aa),
                          f32x16_fold_avx512(bb));
}

// Eight rows per pass: one ZMM accumulator per row gives 8 independent addition chains.
inline void dot_many_f32_avx512(const float* q, const float* m, size_t dim, size_t rows,
                                float* out, RowOrder order) {
  constexpr size_t kRows = 8;
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + kRows <= rows; r += kRows) {
    const float* row = m + r * dim;
    __m512 s[kRows];
    for (size_t i = 0; i < kRows; ++i) s[i] = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += kLanes) {
      const __m512 x = _mm512_loadu_ps(q + j);
      for (size_t i = 0; i < kRows; ++i) {
        s[i] = f32x16_add_mul_avx512(s[i], _mm512_loadu_ps(row + i * dim + j), x);
      }
    }
    if (full < dim) {
      const __m512 x = _mm512_loadu_ps(tq.v);
      for (size_t i = 0; i < kRows; ++i) {
        const Tail16 t(row + i * dim + full, dim - full);
        s[i] = f32x16_add_mul_avx512(s[i], _mm512_loadu_ps(t.v), x);
      }
    }
    for (size_t i = 0; i < kRows; ++i) out[r + i] = canonical(f32x16_fold_avx512(s[i]));
  }
  for (; r < rows; ++r) out[r] = canonical(dot_f32_avx512(m + r * dim, q, dim));
}

inline void l2sq_many_f32_avx512(const float* q, const float* m, size_t dim, size_t rows,
                                 float* out, RowOrder order) {
  constexpr size_t kRows = 8;
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + kRows <= rows; r += kRows) {
    const float* row = m + r * dim;
    __m512 s[kRows];
    for (size_t i = 0; i < kRows; ++i) s[i] = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += kLanes) {
      const __m512 x = _mm512_loadu_ps(q + j);
      for (size_t i = 0; i < kRows; ++i) {
        s[i] = f32x16_add_sqdiff_avx512(s[i], _mm512_loadu_ps(row + i * dim + j), x);
      }
    }
    if (full < dim) {
      const __m512 x = _mm512_loadu_ps(tq.v);
      for (size_t i = 0; i < kRows; ++i) {
        const Tail16 t(row + i * dim + full, dim - full);
        s[i] = f32x16_add_sqdiff_avx512(s[i], _mm512_loadu_ps(t.v), x);
      }
    }
    for (size_t i = 0; i < kRows; ++i) out[r + i] = canonical(f32x16_fold_avx512(s[i]));
  }
  for (; r < rows; ++r) out[r] = canonical(l2sq_f32_avx512(m + r * dim, q, dim));
}

// A row's dot product with q and its own sum of squares, in one pass over the row.
inline void dot_sumsq_f32_avx512(const float* row, const float* q, size_t n, float* dot,
                                 float* sumsq) {
  __m512 d = _mm512_setzero_ps(), s = d;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const __m512 y = _mm512_loadu_ps(row + j);
    d = f32x16_add_mul_avx512(d, y, _mm512_loadu_ps(q + j));
    s = f32x16_add_mul_avx512(s, y, y);
  }
  if (j < n) {
    const Tail16 ty(row + j, n - j), tq(q + j, n - j);
    const __m512 y = _mm512_loadu_ps(ty.v);
    d = f32x16_add_mul_avx512(d, y, _mm512_loadu_ps(tq.v));
    s = f32x16_add_mul_avx512(s, y, y);
  }
  *dot = f32x16_fold_avx512(d);
  *sumsq = f32x16_fold_avx512(s);
}

// Four rows per pass, each with its dot and its sum of squares: 8 accumulators.
inline void cosine_many_f32_avx512(const float* q, const float* m, size_t dim, size_t rows,
                                   float* out, RowOrder order) {
  constexpr size_t kRows = 4;
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  const float q_norm_sq = sumsq_f32_avx512(q, dim);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + kRows <= rows; r += kRows) {
    const float* row = m + r * dim;
    __m512 d[kRows], n[kRows];
    for (size_t i = 0; i < kRows; ++i) d[i] = n[i] = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += kLanes) {
      const __m512 x = _mm512_loadu_ps(q + j);
      for (size_t i = 0; i < kRows; ++i) {
        const __m512 y = _mm512_loadu_ps(row + i * dim + j);
        d[i] = f32x16_add_mul_avx512(d[i], y, x);
        n[i] = f32x16_add_mul_avx512(n[i], y, y);
      }
    }
    if (full < dim) {
      const __m512 x = _mm512_loadu_ps(tq.v);
      for (size_t i = 0; i < kRows; ++i) {
        const Tail16 t(row + i * dim + full, dim - full);
        const __m512 y = _mm512_loadu_ps(t.v);
        d[i] = f32x16_add_mul_avx512(d[i], y, x);
        n[i] = f32x16_add_mul_avx512(n[i], y, y);
      }
    }
    for (size_t i = 0; i < kRows; ++i) {
      out[r + i] = canonical(
          cosine_from_sums(f32x16_fold_avx512(d[i]), q_norm_sq, f32x16_fold_avx512(n[i])));
    }
  }
  for (; r < rows; ++r) {
    float dot = 0.0f, row_norm_sq = 0.0f;
    dot_sumsq_f32_avx512(m + r * dim, q, dim, &dot, &row_norm_sq);
    out[r] = canonical(cosine_from_sums(dot, q_norm_sq, row_norm_sq));
  }
}

SONA_END_AVX512
#endif

// ---------------------------------------------------------------------------------------------
// NEON (AArch64): the 16 lanes are four float32x4_t. vaddvq/vpaddq would pair lanes in
// another order than the scheme's fold, so the fold is spelled out.

#if SONA_HAS_NEON

struct f32x16_neon {
  float32x4_t v0, v1, v2, v3;
};

SONA_INLINE f32x16_neon f32x16_zero_neon() {
  const float32x4_t z = vdupq_n_f32(0.0f);
  return {z, z, z, z};
}

SONA_INLINE f32x16_neon f32x16_load_neon(const float* p) {
  return {vld1q_f32(p), vld1q_f32(p + 4), vld1q_f32(p + 8), vld1q_f32(p + 12)};
}

SONA_INLINE f32x16_neon f32x16_add_mul_neon(f32x16_neon s, f32x16_neon x, f32x16_neon y) {
  return {vaddq_f32(s.v0, vmulq_f32(x.v0, y.v0)), vaddq_f32(s.v1, vmulq_f32(x.v1, y.v1)),
          vaddq_f32(s.v2, vmulq_f32(x.v2, y.v2)), vaddq_f32(s.v3, vmulq_f32(x.v3, y.v3))};
}

SONA_INLINE f32x16_neon f32x16_add_sqdiff_neon(f32x16_neon s, f32x16_neon x, f32x16_neon y) {
  const float32x4_t d0 = vsubq_f32(x.v0, y.v0), d1 = vsubq_f32(x.v1, y.v1);
  const float32x4_t d2 = vsubq_f32(x.v2, y.v2), d3 = vsubq_f32(x.v3, y.v3);
  return {vaddq_f32(s.v0, vmulq_f32(d0, d0)), vaddq_f32(s.v1, vmulq_f32(d1, d1)),
          vaddq_f32(s.v2, vmulq_f32(d2, d2)), vaddq_f32(s.v3, vmulq_f32(d3, d3))};
}

SONA_INLINE float f32x16_fold_neon(f32x16_neon s) {
  const float32x4_t s8a = vaddq_f32(s.v0, s.v2);
  const float32x4_t s8b = vaddq_f32(s.v1, s.v3);
  const float32x4_t s4 = vaddq_f32(s8a, s8b);
  const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
  return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
}

inline float dot_f32_neon(const float* a, const float* b, size_t n) {
  f32x16_neon s = f32x16_zero_neon();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_mul_neon(s, f32x16_load_neon(a + j), f32x16_load_neon(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_mul_neon(s, f32x16_load_neon(ta.v), f32x16_load_neon(tb.v));
  }
  return f32x16_fold_neon(s);
}

inline float l2sq_f32_neon(const float* a, const float* b, size_t n) {
  f32x16_neon s = f32x16_zero_neon();
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    s = f32x16_add_sqdiff_neon(s, f32x16_load_neon(a + j), f32x16_load_neon(b + j));
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    s = f32x16_add_sqdiff_neon(s, f32x16_load_neon(ta.v), f32x16_load_neon(tb.v));
  }
  return f32x16_fold_neon(s);
}

inline float sumsq_f32_neon(const float* a, size_t n) { return dot_f32_neon(a, a, n); }

inline float cosine_f32_neon(const float* a, const float* b, size_t n) {
  f32x16_neon ab = f32x16_zero_neon(), aa = ab, bb = ab;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const f32x16_neon x = f32x16_load_neon(a + j), y = f32x16_load_neon(b + j);
    ab = f32x16_add_mul_neon(ab, x, y);
    aa = f32x16_add_mul_neon(aa, x, x);
    bb = f32x16_add_mul_neon(bb, y, y);
  }
  if (j < n) {
    const Tail16 ta(a + j, n - j), tb(b + j, n - j);
    const f32x16_neon x = f32x16_load_neon(ta.v), y = f32x16_load_neon(tb.v);
    ab = f32x16_add_mul_neon(ab, x, y);
    aa = f32x16_add_mul_neon(aa, x, x);
    bb = f32x16_add_mul_neon(bb, y, y);
  }
  return cosine_from_sums(f32x16_fold_neon(ab), f32x16_fold_neon(aa), f32x16_fold_neon(bb));
}

// Four rows per pass: 16 accumulators of the 32 vector registers.
inline void dot_many_f32_neon(const float* q, const float* m, size_t dim, size_t rows,
                              float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 4 <= rows; r += 4) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    const float* m2 = m1 + dim;
    const float* m3 = m2 + dim;
    f32x16_neon s0 = f32x16_zero_neon(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_neon x = f32x16_load_neon(q + j);
      s0 = f32x16_add_mul_neon(s0, f32x16_load_neon(m0 + j), x);
      s1 = f32x16_add_mul_neon(s1, f32x16_load_neon(m1 + j), x);
      s2 = f32x16_add_mul_neon(s2, f32x16_load_neon(m2 + j), x);
      s3 = f32x16_add_mul_neon(s3, f32x16_load_neon(m3 + j), x);
    }
    if (full < dim) {
      const f32x16_neon x = f32x16_load_neon(tq.v);
      const size_t rest = dim - full;
      const Tail16 t0(m0 + full, rest), t1(m1 + full, rest), t2(m2 + full, rest),
          t3(m3 + full, rest);
      s0 = f32x16_add_mul_neon(s0, f32x16_load_neon(t0.v), x);
      s1 = f32x16_add_mul_neon(s1, f32x16_load_neon(t1.v), x);
      s2 = f32x16_add_mul_neon(s2, f32x16_load_neon(t2.v), x);
      s3 = f32x16_add_mul_neon(s3, f32x16_load_neon(t3.v), x);
    }
    out[r] = canonical(f32x16_fold_neon(s0));
    out[r + 1] = canonical(f32x16_fold_neon(s1));
    out[r + 2] = canonical(f32x16_fold_neon(s2));
    out[r + 3] = canonical(f32x16_fold_neon(s3));
  }
  for (; r < rows; ++r) out[r] = canonical(dot_f32_neon(m + r * dim, q, dim));
}

inline void l2sq_many_f32_neon(const float* q, const float* m, size_t dim, size_t rows,
                               float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 4 <= rows; r += 4) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    const float* m2 = m1 + dim;
    const float* m3 = m2 + dim;
    f32x16_neon s0 = f32x16_zero_neon(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_neon x = f32x16_load_neon(q + j);
      s0 = f32x16_add_sqdiff_neon(s0, f32x16_load_neon(m0 + j), x);
      s1 = f32x16_add_sqdiff_neon(s1, f32x16_load_neon(m1 + j), x);
      s2 = f32x16_add_sqdiff_neon(s2, f32x16_load_neon(m2 + j), x);
      s3 = f32x16_add_sqdiff_neon(s3, f32x16_load_neon(m3 + j), x);
    }
    if (full < dim) {
      const f32x16_neon x = f32x16_load_neon(tq.v);
      const size_t rest = dim - full;
      const Tail16 t0(m0 + full, rest), t1(m1 + full, rest), t2(m2 + full, rest),
          t3(m3 + full, rest);
      s0 = f32x16_add_sqdiff_neon(s0, f32x16_load_neon(t0.v), x);
      s1 = f32x16_add_sqdiff_neon(s1, f32x16_load_neon(t1.v), x);
      s2 = f32x16_add_sqdiff_neon(s2, f32x16_load_neon(t2.v), x);
      s3 = f32x16_add_sqdiff_neon(s3, f32x16_load_neon(t3.v), x);
    }
    out[r] = canonical(f32x16_fold_neon(s0));
    out[r + 1] = canonical(f32x16_fold_neon(s1));
    out[r + 2] = canonical(f32x16_fold_neon(s2));
    out[r + 3] = canonical(f32x16_fold_neon(s3));
  }
  for (; r < rows; ++r) out[r] = canonical(l2sq_f32_neon(m + r * dim, q, dim));
}

// A row's dot product with q and its own sum of squares, in one pass over the row.
inline void dot_sumsq_f32_neon(const float* row, const float* q, size_t n, float* dot,
                               float* sumsq) {
  f32x16_neon d = f32x16_zero_neon(), s = d;
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const f32x16_neon y = f32x16_load_neon(row + j);
    d = f32x16_add_mul_neon(d, y, f32x16_load_neon(q + j));
    s = f32x16_add_mul_neon(s, y, y);
  }
  if (j < n) {
    const Tail16 ty(row + j, n - j), tq(q + j, n - j);
    const f32x16_neon y = f32x16_load_neon(ty.v);
    d = f32x16_add_mul_neon(d, y, f32x16_load_neon(tq.v));
    s = f32x16_add_mul_neon(s, y, y);
  }
  *dot = f32x16_fold_neon(d);
  *sumsq = f32x16_fold_neon(s);
}

// Two rows per pass, each with its dot and its sum of squares: 16 accumulators.
inline void cosine_many_f32_neon(const float* q, const float* m, size_t dim, size_t rows,
                                 float* out, RowOrder order) {
  const size_t full = dim - dim % kLanes;
  const Tail16 tq(q + full, dim - full);
  const float q_norm_sq = sumsq_f32_neon(q, dim);
  size_t r = 0;
  for (; order == RowOrder::interleaved && r + 2 <= rows; r += 2) {
    const float* m0 = m + r * dim;
    const float* m1 = m0 + dim;
    f32x16_neon d0 = f32x16_zero_neon(), d1 = d0, n0 = d0, n1 = d0;
    for (size_t j = 0; j < full; j += kLanes) {
      const f32x16_neon x = f32x16_load_neon(q + j);
      const f32x16_neon y0 = f32x16_load_neon(m0 + j), y1 = f32x16_load_neon(m1 + j);
      d0 = f32x16_add_mul_neon(d0, y0, x);
      n0 = f32x16_add_mul_neon(n0, y0, y0);
      d1 = f32x16_add_mul_neon(d1, y1, x);
      n1 = f32x16_add_mul_neon(n1, y1, y1);
    }
    if (full < dim) {
      const f32x16_neon x = f32x16_load_neon(tq.v);
      const Tail16 t0(m0 + full, dim - full), t1(m1 + full, dim - full);
      const f32x16_neon y0 = f32x16_load_neon(t0.v), y1 = f32x16_load_neon(t1.v);
      d0 = f32x16_add_mul_neon(d0, y0, x);
      n0 = f32x16_add_mul_neon(n0, y0, y0);
      d1 = f32x16_add_mul_neon(d1, y1, x);
      n1 = f32x16_add_mul_neon(n1, y1, y1);
    }
    out[r] =
        canonical(cosine_from_sums(f32x16_fold_neon(d0), q_norm_sq, f32x16_fold_neon(n0)));
    out[r + 1] =
        canonical(cosine_from_sums(f32x16_fold_neon(d1), q_norm_sq, f32x16_fold_neon(n1)));
  }
  for (; r < rows; ++r) {
    float dot = 0.0f, row_norm_sq = 0.0f;
    dot_sumsq_f32_neon(m + r * dim, q, dim, &dot, &row_norm_sq);
    out[r] = canonical(cosine_from_sums(dot, q_norm_sq, row_norm_sq));
  }
}

#endif

}  // namespace sona
