// The N-API face of the kernels: one object of functions per kernel table this CPU can run.
// Every argument is checked here before any memory is touched (types, lengths, integer
// ranges, overlaps), independently of the TypeScript layer's checks. A failed check throws a
// JS Error whose `code` is one of @sona/core's error codes; src/native.ts turns it into a
// SonaError.

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "kernels/dispatch.h"

namespace {

using sona::KernelTable;

[[noreturn]] void fail(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  throw error;
}

struct F32 {
  float* data;
  size_t length;
};

struct I32 {
  int32_t* data;
  size_t length;
};

// A typed array argument of the given type, with its element pointer and length.
void* typed_array_arg(const Napi::CallbackInfo& info, size_t index, const char* name,
                      napi_typedarray_type expected, const char* type_name, size_t* length) {
  const napi_env env = info.Env();
  napi_typedarray_type type;
  void* data = nullptr;
  // napi_invalid_arg for anything that is not a typed array (one call instead of two: this
  // runs on every kernel call).
  if (napi_get_typedarray_info(env, info[index], &type, length, &data, nullptr, nullptr) !=
          napi_ok ||
      type != expected) {
    fail(env, "INVALID_ARGUMENT", std::string(name) + " must be a " + type_name);
  }
  if (*length > 0 && data == nullptr) {
    fail(env, "INVALID_ARGUMENT", std::string(name) + " has a detached buffer");
  }
  // A detached buffer reads as length 0: refuse it rather than compute on an empty vector (the
  // buffer is fetched only then, to keep the common call to one napi_get_typedarray_info).
  if (*length == 0) {
    napi_value buffer;
    bool detached = false;
    if (napi_get_typedarray_info(env, info[index], &type, length, &data, &buffer, nullptr) !=
            napi_ok ||
        napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok || detached) {
      fail(env, "INVALID_ARGUMENT", std::string(name) + " is a view of a detached buffer");
    }
  }
  if (reinterpret_cast<uintptr_t>(data) % 4 != 0) {
    fail(env, "INVALID_ARGUMENT", std::string(name) + " is not 4-byte aligned");
  }
  return data;
}

F32 float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  size_t length = 0;
  void* data = typed_array_arg(info, index, name, napi_float32_array, "Float32Array", &length);
  return {static_cast<float*>(data), length};
}

I32 int32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  size_t length = 0;
  void* data = typed_array_arg(info, index, name, napi_int32_array, "Int32Array", &length);
  return {static_cast<int32_t*>(data), length};
}

double number_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const napi_env env = info.Env();
  napi_valuetype type;
  double value = 0;
  if (napi_typeof(env, info[index], &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, info[index], &value) != napi_ok) {
    fail(env, "INVALID_ARGUMENT", std::string(name) + " must be a number");
  }
  return value;
}

// The largest integer a JavaScript number holds exactly (Number.MAX_SAFE_INTEGER).
constexpr double kMaxSafeInteger = 9007199254740991.0;

// An integer in [minimum, 2^53 - 1], the range of the TypeScript layer's checks: every count and
// dimension the kernels accept (the lengths they must agree with bound them further).
size_t count_arg(const Napi::CallbackInfo& info, size_t index, const char* name, double minimum) {
  const double value = number_arg(info, index, name);
  if (!std::isfinite(value) || value != std::floor(value)) {
    fail(info.Env(), "INVALID_ARGUMENT", std::string(name) + " must be an integer");
  }
  if (value < minimum || value > kMaxSafeInteger) {
    fail(info.Env(), "OUT_OF_RANGE", std::string(name) + " is out of range");
  }
  return static_cast<size_t>(value);
}

float alpha_arg(const Napi::CallbackInfo& info, size_t index) {
  const double value = number_arg(info, index, "alpha");
  if (!std::isfinite(value)) fail(info.Env(), "NON_FINITE", "alpha must be finite");
  return static_cast<float>(value);  // README: alpha is rounded to float32 first
}

void expect_length(Napi::Env env, size_t actual, size_t expected, const char* name) {
  if (actual != expected) {
    fail(env, "DIM_MISMATCH",
         std::string(name) + " has length " + std::to_string(actual) + ", expected " +
             std::to_string(expected));
  }
}

bool overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
  return a0 < b0 + b_bytes && b0 < a0 + a_bytes;
}

bool overlaps(const F32& a, const F32& b) {
  return overlaps(a.data, a.length * sizeof(float), b.data, b.length * sizeof(float));
}

// An output may be exactly an input (element-wise ops) or disjoint from it, never partly over it.
void expect_disjoint(Napi::Env env, const F32& out, const F32& input, bool allow_same,
                     const char* what) {
  const bool same = out.data == input.data && out.length == input.length;
  if (overlaps(out, input) && !(allow_same && same)) {
    fail(env, "INVALID_ARGUMENT", std::string(what) + " overlaps an input");
  }
}

using PairFn = float (*)(const float*, const float*, size_t);
using BinaryFn = void (*)(const float*, const float*, float*, size_t);

const KernelTable& table_of(const Napi::CallbackInfo& info) {
  return *static_cast<const KernelTable*>(info.Data());
}

// dot / l2sq / cosine (a, b) -> number
template <PairFn KernelTable::*Fn>
Napi::Value pair_reduction(const Napi::CallbackInfo& info) {
  const F32 a = float32_arg(info, 0, "a");
  const F32 b = float32_arg(info, 1, "b");
  expect_length(info.Env(), b.length, a.length, "b");
  return Napi::Number::New(info.Env(), (table_of(info).*Fn)(a.data, b.data, a.length));
}

// add / sub / mul (a, b, out)
template <BinaryFn KernelTable::*Fn>
Napi::Value binary_elementwise(const Napi::CallbackInfo& info) {
  const F32 a = float32_arg(info, 0, "a");
  const F32 b = float32_arg(info, 1, "b");
  const F32 out = float32_arg(info, 2, "out");
  expect_length(info.Env(), b.length, a.length, "b");
  expect_length(info.Env(), out.length, a.length, "out");
  expect_disjoint(info.Env(), out, a, true, "out");
  expect_disjoint(info.Env(), out, b, true, "out");
  (table_of(info).*Fn)(a.data, b.data, out.data, a.length);
  return info.Env().Undefined();
}

Napi::Value axpy(const Napi::CallbackInfo& info) {
  const float alpha = alpha_arg(info, 0);
  const F32 x = float32_arg(info, 1, "x");
  const F32 y = float32_arg(info, 2, "y");
  expect_length(info.Env(), y.length, x.length, "y");
  expect_disjoint(info.Env(), y, x, false, "y");
  table_of(info).axpy(alpha, x.data, y.data, x.length);
  return info.Env().Undefined();
}

Napi::Value scale(const Napi::CallbackInfo& info) {
  const F32 x = float32_arg(info, 0, "x");
  const float alpha = alpha_arg(info, 1);
  const F32 out = float32_arg(info, 2, "out");
  expect_length(info.Env(), out.length, x.length, "out");
  expect_disjoint(info.Env(), out, x, true, "out");
  table_of(info).scale(x.data, alpha, out.data, x.length);
  return info.Env().Undefined();
}

struct Batch {
  F32 query, matrix;
  size_t dim, rows;
};

// (query, matrix, dim) with query.length == dim >= 1 and matrix.length a multiple of dim.
Batch batch_args(const Napi::CallbackInfo& info) {
  const F32 query = float32_arg(info, 0, "query");
  const F32 matrix = float32_arg(info, 1, "matrix");
  const size_t dim = count_arg(info, 2, "dim", 1);
  expect_length(info.Env(), query.length, dim, "query");
  if (matrix.length % dim != 0) {
    fail(info.Env(), "DIM_MISMATCH", "matrix length is not a multiple of dim");
  }
  return {query, matrix, dim, matrix.length / dim};
}

// dotMany / cosineMany / l2sqMany (query, matrix, dim, out)
template <sona::ScoreRowsFn KernelTable::*Fn>
Napi::Value many(const Napi::CallbackInfo& info) {
  const Batch batch = batch_args(info);
  const F32 out = float32_arg(info, 3, "out");
  expect_length(info.Env(), out.length, batch.rows, "out");
  expect_disjoint(info.Env(), out, batch.query, false, "out");
  expect_disjoint(info.Env(), out, batch.matrix, false, "out");
  (table_of(info).*Fn)(batch.query.data, batch.matrix.data, batch.dim, batch.rows, out.data,
                       sona::row_order_for(batch.dim, batch.rows));
  return info.Env().Undefined();
}

// topK (query, matrix, dim, metric, indices, scores): k = indices.length
Napi::Value top_k(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Batch batch = batch_args(info);
  if (!info[3].IsString()) fail(env, "INVALID_ARGUMENT", "metric must be a string");
  const std::string metric = info[3].As<Napi::String>().Utf8Value();
  const I32 indices = int32_arg(info, 4, "indices");
  const F32 scores = float32_arg(info, 5, "scores");
  const size_t k = indices.length;
  if (batch.rows > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    fail(env, "OUT_OF_RANGE", "topK takes at most 2^31 - 1 rows (indices are Int32)");
  }
  if (k > batch.rows) fail(env, "INVALID_ARGUMENT", "k is larger than the number of rows");
  expect_length(env, scores.length, k, "scores");
  const size_t index_bytes = k * sizeof(int32_t);
  for (const F32* input : {&batch.query, &batch.matrix}) {
    if (overlaps(scores, *input) ||
        overlaps(indices.data, index_bytes, input->data, input->length * sizeof(float))) {
      fail(env, "INVALID_ARGUMENT", "indices or scores overlap an input");
    }
  }
  if (overlaps(indices.data, index_bytes, scores.data, k * sizeof(float))) {
    fail(env, "INVALID_ARGUMENT", "indices overlap scores");
  }
  const KernelTable& t = table_of(info);
  sona::ScoreRowsFn score_rows;
  bool ascending = false;
  if (metric == "cosine") {
    score_rows = t.cosine_many;
  } else if (metric == "dot") {
    score_rows = t.dot_many;
  } else if (metric == "l2sq") {
    score_rows = t.l2sq_many;
    ascending = true;
  } else {
    fail(env, "INVALID_ARGUMENT", "metric must be cosine, dot or l2sq");
  }
  sona::topk_f32(score_rows, ascending, batch.query.data, batch.matrix.data, batch.dim,
                 batch.rows, k, indices.data, scores.data);
  return env.Undefined();
}

struct Shape {
  F32 m;
  size_t rows, cols;
};

// (M, rows, cols) with M.length == rows * cols.
Shape shape_args(const Napi::CallbackInfo& info) {
  const F32 m = float32_arg(info, 0, "M");
  const size_t rows = count_arg(info, 1, "rows", 0);
  const size_t cols = count_arg(info, 2, "cols", 0);
  // A product beyond size_t is no array's length: the same DIM_MISMATCH as any other.
  if (cols != 0 && rows > std::numeric_limits<size_t>::max() / cols) {
    fail(info.Env(), "DIM_MISMATCH", "M has length " + std::to_string(m.length) +
                                         ", expected rows * cols, which overflows");
  }
  expect_length(info.Env(), m.length, rows * cols, "M");
  return {m, rows, cols};
}

// gemv (M, rows, cols, x, out): out = M x; gemvT: out = M^T x.
template <bool Transposed>
Napi::Value matrix_vector(const Napi::CallbackInfo& info) {
  const Shape s = shape_args(info);
  const F32 x = float32_arg(info, 3, "x");
  const F32 out = float32_arg(info, 4, "out");
  expect_length(info.Env(), x.length, Transposed ? s.rows : s.cols, "x");
  expect_length(info.Env(), out.length, Transposed ? s.cols : s.rows, "out");
  expect_disjoint(info.Env(), out, s.m, false, "out");
  expect_disjoint(info.Env(), out, x, false, "out");
  const KernelTable& t = table_of(info);
  (Transposed ? t.gemvT : t.gemv)(s.m.data, s.rows, s.cols, x.data, out.data);
  return info.Env().Undefined();
}

// ger (M, rows, cols, alpha, u, v): M += alpha u v^T
Napi::Value ger(const Napi::CallbackInfo& info) {
  const Shape s = shape_args(info);
  const float alpha = alpha_arg(info, 3);
  const F32 u = float32_arg(info, 4, "u");
  const F32 v = float32_arg(info, 5, "v");
  expect_length(info.Env(), u.length, s.rows, "u");
  expect_length(info.Env(), v.length, s.cols, "v");
  expect_disjoint(info.Env(), s.m, u, false, "M");
  expect_disjoint(info.Env(), s.m, v, false, "M");
  table_of(info).ger(s.m.data, s.rows, s.cols, alpha, u.data, v.data);
  return info.Env().Undefined();
}

Napi::Object table_object(Napi::Env env, const KernelTable& t) {
  void* data = const_cast<KernelTable*>(&t);
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, t.name));
  o.Set("dot", Napi::Function::New<pair_reduction<&KernelTable::dot>>(env, "dot", data));
  o.Set("l2sq", Napi::Function::New<pair_reduction<&KernelTable::l2sq>>(env, "l2sq", data));
  o.Set("cosine", Napi::Function::New<pair_reduction<&KernelTable::cosine>>(env, "cosine", data));
  o.Set("axpy", Napi::Function::New<axpy>(env, "axpy", data));
  o.Set("scale", Napi::Function::New<scale>(env, "scale", data));
  o.Set("add", Napi::Function::New<binary_elementwise<&KernelTable::add>>(env, "add", data));
  o.Set("sub", Napi::Function::New<binary_elementwise<&KernelTable::sub>>(env, "sub", data));
  o.Set("mul", Napi::Function::New<binary_elementwise<&KernelTable::mul>>(env, "mul", data));
  o.Set("dotMany", Napi::Function::New<many<&KernelTable::dot_many>>(env, "dotMany", data));
  o.Set("cosineMany",
        Napi::Function::New<many<&KernelTable::cosine_many>>(env, "cosineMany", data));
  o.Set("l2sqMany", Napi::Function::New<many<&KernelTable::l2sq_many>>(env, "l2sqMany", data));
  o.Set("topK", Napi::Function::New<top_k>(env, "topK", data));
  o.Set("gemv", Napi::Function::New<matrix_vector<false>>(env, "gemv", data));
  o.Set("gemvT", Napi::Function::New<matrix_vector<true>>(env, "gemvT", data));
  o.Set("ger", Napi::Function::New<ger>(env, "ger", data));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const sona::CpuFeatures cpu = sona::detect_cpu();
  const auto usable = sona::usable_tables(cpu);

  Napi::Array names = Napi::Array::New(env, usable.size());
  Napi::Object tables = Napi::Object::New(env);
  for (size_t i = 0; i < usable.size(); ++i) {
    names.Set(static_cast<uint32_t>(i), Napi::String::New(env, usable[i]->name));
    tables.Set(usable[i]->name, table_object(env, *usable[i]));
  }

  Napi::Object features = Napi::Object::New(env);
  features.Set("sse41", Napi::Boolean::New(env, cpu.sse41));
  features.Set("avx2", Napi::Boolean::New(env, cpu.avx2));
  features.Set("avx512f", Napi::Boolean::New(env, cpu.avx512f));
  features.Set("neon", Napi::Boolean::New(env, cpu.neon));

  exports.Set("abiVersion", Napi::Number::New(env, 2));  // scripts/addon-files.mjs
  exports.Set("best", Napi::String::New(env, sona::best_table().name));
  exports.Set("backends", names);
  exports.Set("kernels", tables);
  exports.Set("cpu", features);
  return exports;
}

}  // namespace

NODE_API_MODULE(sona_simd, Init)
