// Shared pieces of the @sona/simd kernels: architecture detection, per-ISA target regions,
// the canonical NaN, the 16-lane fold and the cosine formula. The numeric scheme every
// kernel follows is documented in packages/simd/README.md ("The numeric scheme").
//
// Kernel files follow one layout. Each family of operations (dot.inc: reductions,
// elementwise.inc, matrix.inc) is written once, against a small vocabulary of vector types and
// operations; each ISA's header (isa_avx512.h, isa_avx2.h, isa_sse41.h, isa_neon.h) defines
// that vocabulary and includes the families inside its own namespace (sona::avx2::dot_f32,
// ...) between SONA_BEGIN_<ISA> and SONA_END_<ISA>, which compile them for that ISA only.
// serial.h holds the portable reference kernels (sona::serial), written independently; topk.h
// the selection shared by every ISA; dispatch.h the tables and the choice of the one the CPU
// can run.
//
// Build requirements (CMakeLists.txt): C++17, -ffp-contract=off (a fused multiply-add would
// change the bits), no -ffast-math, no flush-to-zero.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define SONA_X86 1
#else
#define SONA_X86 0
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define SONA_ARM64 1
#else
#define SONA_ARM64 0
#endif

#if SONA_X86
#include <immintrin.h>
// Test builds only: compile the AVX-512 kernels against SIMD Everywhere's portable
// implementations of the AVX-512F intrinsics, so their logic can be checked bit for bit on a
// CPU without AVX-512. Only the AVX-512F function names are aliased; the SSE/AVX2 intrinsics
// the AVX-512 kernels also use stay native (such a build needs -mavx2).
#if defined(SONA_EMULATE_AVX512)
#define SIMDE_X86_AVX512F_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#endif
#endif

#if SONA_ARM64
#include <arm_neon.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SONA_INLINE inline __attribute__((always_inline))
#else
#define SONA_INLINE inline
#endif

// Target regions. GCC and Clang compile the functions between BEGIN and END for the named ISA
// even though the translation unit targets the baseline, so one binary carries every kernel and
// the dispatcher decides at load time which ones the CPU may run.
#if defined(__clang__)
#define SONA_TARGET_PUSH_SSE41 \
  _Pragma("clang attribute push(__attribute__((target(\"sse4.1\"))), apply_to = function)")
#define SONA_TARGET_PUSH_AVX2 \
  _Pragma("clang attribute push(__attribute__((target(\"avx2\"))), apply_to = function)")
#define SONA_TARGET_PUSH_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx2\"))), apply_to = function)")
#define SONA_TARGET_POP _Pragma("clang attribute pop")
#define SONA_TARGET_POP_AVX512 SONA_TARGET_POP
#elif defined(__GNUC__)
#define SONA_TARGET_PUSH_SSE41 _Pragma("GCC push_options") _Pragma("GCC target(\"sse4.1\")")
#define SONA_TARGET_PUSH_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2\")")
// GCC 12 flags the deliberate self-initialisation inside its own _mm256_undefined_pd() as
// "uninitialized" once it is inlined into the AVX-512 casts (a known false positive of that
// release): silenced inside the AVX-512 region only.
#define SONA_TARGET_PUSH_AVX512                                                   \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx2\")")            \
      _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
          _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define SONA_TARGET_POP_AVX512 _Pragma("GCC diagnostic pop") _Pragma("GCC pop_options")
#define SONA_TARGET_POP _Pragma("GCC pop_options")
#else
#define SONA_TARGET_PUSH_SSE41
#define SONA_TARGET_PUSH_AVX2
#define SONA_TARGET_PUSH_AVX512
#define SONA_TARGET_POP
#define SONA_TARGET_POP_AVX512
#endif

#if SONA_X86
#define SONA_HAS_SSE41 1
#define SONA_HAS_AVX2 1
#define SONA_HAS_AVX512 1
#define SONA_BEGIN_SSE41 SONA_TARGET_PUSH_SSE41
#define SONA_END_SSE41 SONA_TARGET_POP
#define SONA_BEGIN_AVX2 SONA_TARGET_PUSH_AVX2
#define SONA_END_AVX2 SONA_TARGET_POP
#if defined(SONA_EMULATE_AVX512)
// Emulated: plain code calling SIMDe, compiled for the translation unit's own target.
#define SONA_BEGIN_AVX512
#define SONA_END_AVX512
#else
#define SONA_BEGIN_AVX512 SONA_TARGET_PUSH_AVX512
#define SONA_END_AVX512 SONA_TARGET_POP_AVX512
#endif
#else
#define SONA_HAS_SSE41 0
#define SONA_HAS_AVX2 0
#define SONA_HAS_AVX512 0
#endif

#if SONA_ARM64
#define SONA_HAS_NEON 1
#else
#define SONA_HAS_NEON 0
#endif

namespace sona {

// Number of float32 partial sums of every reduction (README: element j goes to lane j mod 16).
constexpr size_t kLanes = 16;

constexpr uint32_t kCanonicalNanBits = 0x7fc00000u;

inline float canonical_nan() {
  float value;
  std::memcpy(&value, &kCanonicalNanBits, sizeof value);
  return value;
}

// Every NaN written into a Float32Array output becomes the canonical quiet NaN.
SONA_INLINE float canonical(float value) { return value != value ? canonical_nan() : value; }

// The fixed fold of the 16 partial sums: s[i] += s[i+8], then +4, +2, +1.
inline float fold16(float* s) {
  for (size_t width = 8; width >= 1; width >>= 1) {
    for (size_t i = 0; i < width; ++i) s[i] += s[i + width];
  }
  return s[0];
}

// cos = dot / (sqrt(|a|^2) * sqrt(|b|^2)) in float64 from the three float32 sums, clamped to
// [-1, 1] and rounded to float32; a zero vector has cosine 0 with anything.
inline float cosine_from_sums(float dot, float norm_sq_a, float norm_sq_b) {
  if (norm_sq_a == 0.0f || norm_sq_b == 0.0f) return 0.0f;
  const double c = static_cast<double>(dot) /
                   (std::sqrt(static_cast<double>(norm_sq_a)) *
                    std::sqrt(static_cast<double>(norm_sq_b)));
  return static_cast<float>(c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c));
}

// How a batched kernel walks the rows. Interleaved: several rows per pass over the query, so
// that the additions of different rows overlap (one row's sums form only 16 dependency chains);
// best while the matrix is cache-resident. Sequential: one row after another, which the
// hardware prefetchers follow best once the matrix streams from memory. Both give the same
// bits (each row keeps its own 16 partial sums).
enum class RowOrder { interleaved, sequential };

// Measured on Zen 3 with AVX2 (native/bench): interleaving 4 rows was ~35% faster at 150 x 256
// floats and ~35% slower at 10,000 x 256 and beyond; the crossover lay between 0.15 and 2 MB.
constexpr size_t kInterleaveMaxBytes = size_t{1} << 20;

inline RowOrder row_order_for(size_t dim, size_t rows) {
  return dim * rows <= kInterleaveMaxBytes / sizeof(float) ? RowOrder::interleaved
                                                           : RowOrder::sequential;
}

// The last n % 16 elements of a row, zero-padded to a full block of 16. Padding lanes add
// 0 * 0 = +0 to partial sums that are never -0 (they start at +0 and round to nearest), so a
// padded block adds exactly what the README's "element j to lane j mod 16" adds.
struct Tail16 {
  alignas(64) float v[kLanes];
  Tail16(const float* p, size_t count) {
    std::memset(v, 0, sizeof v);
    if (count > 0) std::memcpy(v, p, count * sizeof(float));
  }
};

}  // namespace sona
