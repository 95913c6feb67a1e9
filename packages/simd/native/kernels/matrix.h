// Matrix kernels for adapters (M is row-major, rows x cols):
//   gemv:  out = M x     (each row a 16-lane reduction: dot_many with the query x)
//   gemvT: out = M^T x   (out[c] = sum over r of M[r][c]*x[r], in increasing r from +0,
//                         one rounded product and one rounded sum per step)
//   ger:   M += alpha u v^T   (M[r][c] + (alpha*u[r])*v[c], each operation rounded)
// The vector forms work on a block of columns at a time; each column's operations happen in
// the same order as in the serial form, so the bits are the same.
#pragma once

#include "common.h"
#include "dot.h"
#include "elementwise.h"

namespace sona {

// ---------------------------------------------------------------------------------------------
// serial

inline void gemv_f32_serial(const float* m, size_t rows, size_t cols, const float* x,
                            float* out) {
  dot_many_f32_serial(x, m, cols, rows, out, row_order_for(cols, rows));
}

// Columns [c0, c1) of gemvT, in scalar code: the tail of every vector version.
inline void gemvT_columns_f32_serial(const float* m, size_t rows, size_t cols, const float* x,
                                     float* out, size_t c0, size_t c1) {
  for (size_t c = c0; c < c1; ++c) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += m[r * cols + c] * x[r];
    out[c] = canonical(s);
  }
}

inline void gemvT_f32_serial(const float* m, size_t rows, size_t cols, const float* x,
                             float* out) {
  gemvT_columns_f32_serial(m, rows, cols, x, out, 0, cols);
}

inline void ger_f32_serial(float* m, size_t rows, size_t cols, float alpha, const float* u,
                           const float* v) {
  for (size_t r = 0; r < rows; ++r) {
    const float au = alpha * u[r];
    float* row = m + r * cols;
    for (size_t c = 0; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
  }
}

// ---------------------------------------------------------------------------------------------
// SSE4.1

#if SONA_HAS_SSE41
SONA_BEGIN_SSE41

inline void gemv_f32_sse41(const float* m, size_t rows, size_t cols, const float* x, float* out) {
  dot_many_f32_sse41(x, m, cols, rows, out, row_order_for(cols, rows));
}

// 32 columns (8 registers) per pass down the rows, then 4 at a time, then scalar.
inline void gemvT_f32_sse41(const float* m, size_t rows, size_t cols, const float* x,
                            float* out) {
  constexpr size_t kRegs = 8, kWidth = 4;
  size_t c = 0;
  for (; c + kRegs * kWidth <= cols; c += kRegs * kWidth) {
    __m128 s[kRegs];
    for (size_t k = 0; k < kRegs; ++k) s[k] = _mm_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      const __m128 xr = _mm_set1_ps(x[r]);
      const float* p = m + r * cols + c;
      for (size_t k = 0; k < kRegs; ++k) {
        s[k] = _mm_add_ps(s[k], _mm_mul_ps(_mm_loadu_ps(p + k * kWidth), xr));
      }
    }
    for (size_t k = 0; k < kRegs; ++k) _mm_storeu_ps(out + c + k * kWidth, canonical_sse41(s[k]));
  }
  for (; c + kWidth <= cols; c += kWidth) {
    __m128 s = _mm_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      s = _mm_add_ps(s, _mm_mul_ps(_mm_loadu_ps(m + r * cols + c), _mm_set1_ps(x[r])));
    }
    _mm_storeu_ps(out + c, canonical_sse41(s));
  }
  gemvT_columns_f32_serial(m, rows, cols, x, out, c, cols);
}

inline void ger_f32_sse41(float* m, size_t rows, size_t cols, float alpha, const float* u,
                          const float* v) {
  for (size_t r = 0; r < rows; ++r) {
    const float au = alpha * u[r];
    const __m128 a = _mm_set1_ps(au);
    float* row = m + r * cols;
    size_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      const __m128 y = _mm_add_ps(_mm_loadu_ps(row + c), _mm_mul_ps(a, _mm_loadu_ps(v + c)));
      _mm_storeu_ps(row + c, canonical_sse41(y));
    }
    for (; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
  }
}

SONA_END_SSE41
#endif

// ---------------------------------------------------------------------------------------------
// AVX2

#if SONA_HAS_AVX2
SONA_BEGIN_AVX2

inline void gemv_f32_avx2(const float* m, size_t rows, size_t cols, const float* x, float* out) {
  dot_many_f32_avx2(x, m, cols, rows, out, row_order_for(cols, rows));
}

// 64 columns (8 registers) per pass down the rows, then 8 at a time, then scalar.
inline void gemvT_f32_avx2(const float* m, size_t rows, size_t cols, const float* x,
                           float* out) {
  constexpr size_t kRegs = 8, kWidth = 8;
  size_t c = 0;
  for (; c + kRegs * kWidth <= cols; c += kRegs * kWidth) {
    __m256 s[kRegs];
    for (size_t k = 0; k < kRegs; ++k) s[k] = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      const __m256 xr = _mm256_set1_ps(x[r]);
      const float* p = m + r * cols + c;
      for (size_t k = 0; k < kRegs; ++k) {
        s[k] = _mm256_add_ps(s[k], _mm256_mul_ps(_mm256_loadu_ps(p + k * kWidth), xr));
      }
    }
    for (size_t k = 0; k < kRegs; ++k) {
      _mm256_storeu_ps(out + c + k * kWidth, canonical_avx2(s[k]));
    }
  }
  for (; c + kWidth <= cols; c += kWidth) {
    __m256 s = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      s = _mm256_add_ps(s, _mm256_mul_ps(_mm256_loadu_ps(m + r * cols + c), _mm256_set1_ps(x[r])));
    }
    _mm256_storeu_ps(out + c, canonical_avx2(s));
  }
  gemvT_columns_f32_serial(m, rows, cols, x, out, c, cols);
}

inline void ger_f32_avx2(float* m, size_t rows, size_t cols, float alpha, const float* u,
                         const float* v) {
  for (size_t r = 0; r < rows; ++r) {
    const float au = alpha * u[r];
    const __m256 a = _mm256_set1_ps(au);
    float* row = m + r * cols;
    size_t c = 0;
    for (; c + 8 <= cols; c += 8) {
      const __m256 y =
          _mm256_add_ps(_mm256_loadu_ps(row + c), _mm256_mul_ps(a, _mm256_loadu_ps(v + c)));
      _mm256_storeu_ps(row + c, canonical_avx2(y));
    }
    for (; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
  }
}

SONA_END_AVX2
#endif

// ---------------------------------------------------------------------------------------------
// AVX-512F

#if SONA_HAS_AVX512
SONA_BEGIN_AVX512

inline void gemv_f32_avx512(const float* m, size_t rows, size_t cols, const float* x,
                            float* out) {
  dot_many_f32_avx512(x, m, cols, rows, out, row_order_for(cols, rows));
}

// 128 columns (8 registers) per pass down the rows, then 16 at a time, then scalar.
inline void gemvT_f32_avx512(const float* m, size_t rows, size_t cols, const float* x,
                             float* out) {
  constexpr size_t kRegs = 8, kWidth = 16;
  size_t c = 0;
  for (; c + kRegs * kWidth <= cols; c += kRegs * kWidth) {
    __m512 s[kRegs];
    for (size_t k = 0; k < kRegs; ++k) s[k] = _mm512_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      const __m512 xr = _mm512_set1_ps(x[r]);
      const float* p = m + r * cols + c;
      for (size_t k = 0; k < kRegs; ++k) {
        s[k] = _mm512_add_ps(s[k], _mm512_mul_ps(_mm512_loadu_ps(p + k * kWidth), xr));
      }
    }
    for (size_t k = 0; k < kRegs; ++k) {
      _mm512_storeu_ps(out + c + k * kWidth, canonical_avx512(s[k]));
    }
  }
  for (; c + kWidth <= cols; c += kWidth) {
    __m512 s = _mm512_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      s = _mm512_add_ps(s, _mm512_mul_ps(_mm512_loadu_ps(m + r * cols + c), _mm512_set1_ps(x[r])));
    }
    _mm512_storeu_ps(out + c, canonical_avx512(s));
  }
  gemvT_columns_f32_serial(m, rows, cols, x, out, c, cols);
}

inline void ger_f32_avx512(float* m, size_t rows, size_t cols, float alpha, const float* u,
                           const float* v) {
  for (size_t r = 0; r < rows; ++r) {
    const float au = alpha * u[r];
    const __m512 a = _mm512_set1_ps(au);
    float* row = m + r * cols;
    size_t c = 0;
    for (; c + 16 <= cols; c += 16) {
      const __m512 y =
          _mm512_add_ps(_mm512_loadu_ps(row + c), _mm512_mul_ps(a, _mm512_loadu_ps(v + c)));
      _mm512_storeu_ps(row + c, canonical_avx512(y));
    }
    for (; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
  }
}

SONA_END_AVX512
#endif

// ---------------------------------------------------------------------------------------------
// NEON

#if SONA_HAS_NEON

inline void gemv_f32_neon(const float* m, size_t rows, size_t cols, const float* x, float* out) {
  dot_many_f32_neon(x, m, cols, rows, out, row_order_for(cols, rows));
}

// 32 columns (8 registers) per pass down the rows, then 4 at a time, then scalar.
inline void gemvT_f32_neon(const float* m, size_t rows, size_t cols, const float* x,
                           float* out) {
  constexpr size_t kRegs = 8, kWidth = 4;
  size_t c = 0;
  for (; c + kRegs * kWidth <= cols; c += kRegs * kWidth) {
    float32x4_t s[kRegs];
    for (size_t k = 0; k < kRegs; ++k) s[k] = vdupq_n_f32(0.0f);
    for (size_t r = 0; r < rows; ++r) {
      const float32x4_t xr = vdupq_n_f32(x[r]);
      const float* p = m + r * cols + c;
      for (size_t k = 0; k < kRegs; ++k) {
        s[k] = vaddq_f32(s[k], vmulq_f32(vld1q_f32(p + k * kWidth), xr));
      }
    }
    for (size_t k = 0; k < kRegs; ++k) vst1q_f32(out + c + k * kWidth, canonical_neon(s[k]));
  }
  for (; c + kWidth <= cols; c += kWidth) {
    float32x4_t s = vdupq_n_f32(0.0f);
    for (size_t r = 0; r < rows; ++r) {
      s = vaddq_f32(s, vmulq_f32(vld1q_f32(m + r * cols + c), vdupq_n_f32(x[r])));
    }
    vst1q_f32(out + c, canonical_neon(s));
  }
  gemvT_columns_f32_serial(m, rows, cols, x, out, c, cols);
}

inline void ger_f32_neon(float* m, size_t rows, size_t cols, float alpha, const float* u,
                         const float* v) {
  for (size_t r = 0; r < rows; ++r) {
    const float au = alpha * u[r];
    const float32x4_t a = vdupq_n_f32(au);
    float* row = m + r * cols;
    size_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      vst1q_f32(row + c, canonical_neon(vaddq_f32(vld1q_f32(row + c), vmulq_f32(a, vld1q_f32(v + c)))));
    }
    for (; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
  }
}

#endif

}  // namespace sona
