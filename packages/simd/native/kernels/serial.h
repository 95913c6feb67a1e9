// The serial kernels of every family: portable scalar C++, written independently of the ISA
// kernels (native/kernels/*.inc) so that the tests can hold those to these bit for bit. They also
// serve the ISA kernels' scalar tails.
#pragma once

#include "common.h"

namespace sona::serial {

// ---------------------------------------------------------------------------------------------
// Reductions: 16 partial sums, element j to lane j mod 16, then the fixed fold.

inline float dot_f32(const float* a, const float* b, size_t n) {
  float s[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t lane = 0; lane < kLanes; ++lane) s[lane] += a[j + lane] * b[j + lane];
  }
  for (size_t lane = 0; j < n; ++j, ++lane) s[lane] += a[j] * b[j];
  return fold16(s);
}

inline float l2sq_f32(const float* a, const float* b, size_t n) {
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

inline float sumsq_f32(const float* a, size_t n) { return dot_f32(a, a, n); }

inline float cosine_f32(const float* a, const float* b, size_t n) {
  return cosine_from_sums(dot_f32(a, b, n), sumsq_f32(a, n), sumsq_f32(b, n));
}

inline void dot_many_f32(const float* q, const float* m, size_t dim, size_t rows, float* out,
                         RowOrder order) {
  (void)order;  // one row at a time in every case
  for (size_t r = 0; r < rows; ++r) out[r] = canonical(dot_f32(m + r * dim, q, dim));
}

inline void l2sq_many_f32(const float* q, const float* m, size_t dim, size_t rows, float* out,
                          RowOrder order) {
  (void)order;  // one row at a time in every case
  for (size_t r = 0; r < rows; ++r) out[r] = canonical(l2sq_f32(m + r * dim, q, dim));
}

inline void cosine_many_f32(const float* q, const float* m, size_t dim, size_t rows, float* out,
                            RowOrder order) {
  (void)order;  // one row at a time in every case
  const float q_norm_sq = sumsq_f32(q, dim);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = m + r * dim;
    out[r] = canonical(cosine_from_sums(dot_f32(row, q, dim), q_norm_sq, sumsq_f32(row, dim)));
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise: one float32 operation per element (axpy: a product, then a sum).

inline void axpy_f32(float alpha, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = canonical(y[i] + alpha * x[i]);
}

inline void scale_f32(const float* x, float alpha, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(x[i] * alpha);
}

inline void add_f32(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] + b[i]);
}

inline void sub_f32(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] - b[i]);
}

inline void mul_f32(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = canonical(a[i] * b[i]);
}

// ---------------------------------------------------------------------------------------------
// Matrix kernels (see matrix.inc for the definitions).

inline void gemv_f32(const float* m, size_t rows, size_t cols, const float* x, float* out) {
  dot_many_f32(x, m, cols, rows, out, row_order_for(cols, rows));
}

// Columns [c0, c1) of gemvT: the whole serial kernel, and the tail of every vector version.
inline void gemvT_columns_f32(const float* m, size_t rows, size_t cols, const float* x,
                              float* out, size_t c0, size_t c1) {
  for (size_t c = c0; c < c1; ++c) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += m[r * cols + c] * x[r];
    out[c] = canonical(s);
  }
}

inline void gemvT_f32(const float* m, size_t rows, size_t cols, const float* x, float* out) {
  gemvT_columns_f32(m, rows, cols, x, out, 0, cols);
}

// One row of ger from column c0 on: the tail of every vector version.
inline void ger_row_f32(float* row, size_t cols, float au, const float* v, size_t c0) {
  for (size_t c = c0; c < cols; ++c) row[c] = canonical(row[c] + au * v[c]);
}

inline void ger_f32(float* m, size_t rows, size_t cols, float alpha, const float* u,
                    const float* v) {
  for (size_t r = 0; r < rows; ++r) ger_row_f32(m + r * cols, cols, alpha * u[r], v, 0);
}

}  // namespace sona::serial
