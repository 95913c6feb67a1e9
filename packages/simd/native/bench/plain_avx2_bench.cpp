// The baseline for "our AVX2 kernel vs a plain AVX2 loop": dot products of one query with every
// row of a row-major matrix, written the way one naturally writes it (one _mm256_fmadd_ps
// accumulator per row, a horizontal sum at the end, rows one after another), timed against
// @sona/simd's avx2::dot_many_f32 (no FMA, 16 fixed partial sums, four rows per pass) on the
// same data in the same process, without N-API in between. Also a single 256-float dot.
//
// Usage: plain_avx2_bench DIM N1 [N2 ...]   Prints one JSON object.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "../kernels/dispatch.h"

namespace {

#if SONA_X86
__attribute__((target("avx2,fma"))) float plain_dot_avx2(const float* a, const float* b,
                                                          size_t n) {
  __m256 acc = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  float sum = _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void plain_dot_many_avx2(const float* q, const float* m,
                                                              size_t dim, size_t rows,
                                                              float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = plain_dot_avx2(m + r * dim, q, dim);
}

#endif

// Process CPU time in seconds (the machine is shared: CPU time leaves out the time other
// processes hold the core; on a quiet machine it equals wall time). Same clock as the TS bench.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Median over 7 samples of the CPU seconds one call takes; each sample repeats the call until
// it lasts at least 20 ms.
template <typename Call>
double seconds_per_call(Call call) {
  size_t reps = 1;
  for (;;) {
    const double t0 = cpu_seconds();
    for (size_t i = 0; i < reps; ++i) call();
    if (cpu_seconds() - t0 >= 0.02) break;
    reps *= 2;
  }
  std::vector<double> samples;
  for (int s = 0; s < 7; ++s) {
    const double t0 = cpu_seconds();
    for (size_t i = 0; i < reps; ++i) call();
    samples.push_back((cpu_seconds() - t0) / reps);
  }
  std::sort(samples.begin(), samples.end());
  return samples[3];
}

volatile float sink;

}  // namespace

int main(int argc, char** argv) {
#if !SONA_X86
  std::printf("{\"error\": \"not an x86-64 build\"}\n");
  return 0;
#else
  const sona::CpuFeatures cpu = sona::detect_cpu();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const bool fma = (ecx & (1u << 12)) != 0;
  if (!cpu.avx2 || !fma) {
    std::printf("{\"error\": \"this CPU lacks AVX2 or FMA\"}\n");
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: plain_avx2_bench DIM N1 [N2 ...]\n");
    return 2;
  }
  const size_t dim = std::strtoull(argv[1], nullptr, 10);
  std::vector<size_t> ns;
  for (int i = 2; i < argc; ++i) ns.push_back(std::strtoull(argv[i], nullptr, 10));
  const size_t max_n = *std::max_element(ns.begin(), ns.end());

  uint64_t state = 42;
  auto uniform = [&state]() {  // xorshift64*, uniform in [-1, 1)
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<float>(static_cast<double>((state * 2685821657736338717ull) >> 11) *
                                  0x1.0p-52 -
                              1.0);
  };
  std::vector<float> query(dim), matrix(max_n * dim), out(max_n);
  for (float& v : query) v = uniform();
  for (float& v : matrix) v = uniform();

  const double single_plain =
      seconds_per_call([&] { sink = plain_dot_avx2(matrix.data(), query.data(), dim); });
  const double single_ours =
      seconds_per_call([&] { sink = sona::avx2::dot_f32(matrix.data(), query.data(), dim); });
  std::printf("{\"dim\": %zu, \"single\": {\"plainNs\": %.2f, \"oursNs\": %.2f}, \"batched\": [",
              dim, 1e9 * single_plain, 1e9 * single_ours);
  for (size_t i = 0; i < ns.size(); ++i) {
    const size_t n = ns[i];
    const double plain = seconds_per_call([&] {
      plain_dot_many_avx2(query.data(), matrix.data(), dim, n, out.data());
      sink = out[0];
    });
    const double ours = seconds_per_call([&] {
      sona::avx2::dot_many_f32(query.data(), matrix.data(), dim, n, out.data(),
                              sona::row_order_for(dim, n));
      sink = out[0];
    });
    std::printf("%s{\"n\": %zu, \"plainMps\": %.2f, \"oursMps\": %.2f}", i ? ", " : "", n,
                n / plain / 1e6, n / ours / 1e6);
  }
  std::printf("]}\n");
  return 0;
#endif
}
