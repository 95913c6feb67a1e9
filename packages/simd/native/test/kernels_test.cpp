// Compares every ISA kernel table against the serial kernels bit for bit on random inputs
// (lengths 0..1100, every alignment offset within a cache line, zeros of both signs,
// subnormals, magnitudes near overflow, infinities and NaN), and the serial reductions against
// a literal transcription of the README's scheme. Buffers are sized exactly, so
// AddressSanitizer reports any read or write past them.
//
// Usage: kernels_test [--emulated-avx512] [--seed N]
//   Tests the tables this CPU can run (never serial against itself), and with
//   --emulated-avx512 (a build with SONA_EMULATE_AVX512) the AVX-512 table on SIMDe.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "../kernels/dispatch.h"

namespace {

using sona::KernelTable;

struct Rng {
  uint64_t state;
  uint64_t next() {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The value mix of the TypeScript properties, plus rare infinities and NaN of any sign and
// payload (hardware-generated NaN differ from the canonical one, which is the point).
float random_value(Rng& rng) {
  const size_t kind = rng.below(100);
  const float sign = (rng.next() & 1) ? -1.0f : 1.0f;
  if (kind < 60) return static_cast<float>((rng.unit() * 2.0 - 1.0) * 100.0);
  if (kind < 70) return sign * 0.0f;
  if (kind < 80) return from_bits(static_cast<uint32_t>(rng.below(0x800000)) |
                                  (sign < 0 ? 0x80000000u : 0u));  // subnormal (or zero)
  if (kind < 95) return sign * static_cast<float>(std::exp2(60.0 + rng.unit() * 67.9));
  if (kind < 98) return static_cast<float>((rng.unit() * 2.0 - 1.0) * 1e-30);
  if (kind < 99) return sign * INFINITY;
  return from_bits(0x7f800001u | static_cast<uint32_t>(rng.below(0x7fffff)) |
                   (sign < 0 ? 0x80000000u : 0u));
}

// Mostly ordinary values; the occasional special one keeps reductions mostly finite.
float mostly_finite_value(Rng& rng) {
  if (rng.below(20) == 0) return random_value(rng);
  return static_cast<float>((rng.unit() * 2.0 - 1.0) * 10.0);
}

struct Buffer {
  std::vector<float> storage;
  size_t offset;
  float* data() { return storage.data() + offset; }
  const float* data() const { return storage.data() + offset; }
};

// n values after `offset` floats of padding, allocated to the exact size.
Buffer random_buffer(Rng& rng, size_t n, size_t offset, bool finite_mostly) {
  Buffer b{std::vector<float>(n + offset), offset};
  for (size_t i = 0; i < n + offset; ++i) {
    b.storage[i] = finite_mostly ? mostly_finite_value(rng) : random_value(rng);
  }
  return b;
}

struct Tally {
  long passed = 0;
  long failed = 0;
};

Tally total;

bool same_scalar(float a, float b) { return (a != a && b != b) || bits_of(a) == bits_of(b); }

void check(bool ok, const char* table, const char* what, const std::string& detail) {
  if (ok) {
    ++total.passed;
    return;
  }
  ++total.failed;
  if (total.failed <= 20) std::printf("FAIL %s %s: %s\n", table, what, detail.c_str());
}

// Exact bits, and every NaN canonical.
bool same_array(const float* expected, const float* actual, size_t n, std::string& detail) {
  for (size_t i = 0; i < n; ++i) {
    if (bits_of(expected[i]) != bits_of(actual[i])) {
      char text[160];
      std::snprintf(text, sizeof text, "index %zu expected 0x%08x got 0x%08x", i,
                    bits_of(expected[i]), bits_of(actual[i]));
      detail = text;
      return false;
    }
    if (actual[i] != actual[i] && bits_of(actual[i]) != sona::kCanonicalNanBits) {
      detail = "non-canonical NaN at index " + std::to_string(i);
      return false;
    }
  }
  return true;
}

// The README's scheme, transcribed literally: element j to lane j mod 16, then the fold.
float spec_dot(const float* a, const float* b, size_t n) {
  float s[16] = {};
  for (size_t j = 0; j < n; ++j) {
    const float p = a[j] * b[j];
    s[j % 16] = s[j % 16] + p;
  }
  for (size_t i = 0; i < 8; ++i) s[i] = s[i] + s[i + 8];
  for (size_t i = 0; i < 4; ++i) s[i] = s[i] + s[i + 4];
  for (size_t i = 0; i < 2; ++i) s[i] = s[i] + s[i + 2];
  s[0] = s[0] + s[1];
  return s[0];
}

float spec_l2sq(const float* a, const float* b, size_t n) {
  std::vector<float> d(n);
  for (size_t j = 0; j < n; ++j) d[j] = a[j] - b[j];
  return spec_dot(d.data(), d.data(), n);
}

void test_spec(Rng& rng) {
  for (size_t n = 0; n <= 1100; ++n) {
    const Buffer a = random_buffer(rng, n, rng.below(16), n % 3 == 0);
    const Buffer b = random_buffer(rng, n, rng.below(16), n % 3 == 0);
    const std::string at = "n=" + std::to_string(n);
    check(same_scalar(spec_dot(a.data(), b.data(), n), sona::serial::dot_f32(a.data(), b.data(), n)),
          "serial", "dot vs README scheme", at);
    check(same_scalar(spec_l2sq(a.data(), b.data(), n),
                      sona::serial::l2sq_f32(a.data(), b.data(), n)),
          "serial", "l2sq vs README scheme", at);
  }
  // A case where the order matters: 17 elements whose sum depends on the lane assignment.
  std::vector<float> a(17, 1.0f), b(17, 1.0f);
  a[0] = 1e8f;
  a[16] = -1e8f;
  check(sona::serial::dot_f32(a.data(), b.data(), 17) == spec_dot(a.data(), b.data(), 17) &&
            sona::serial::dot_f32(a.data(), b.data(), 17) == 15.0f,
        "serial", "lane 0 receives elements 0 and 16", "");
}

void test_reductions(const KernelTable& t, Rng& rng) {
  const KernelTable& ref = sona::serial_table();
  for (size_t n = 0; n <= 1100; ++n) {
    const bool finite = rng.below(2) == 0;
    const Buffer a = random_buffer(rng, n, rng.below(16), finite);
    const Buffer b = random_buffer(rng, n, rng.below(16), finite);
    const std::string at = "n=" + std::to_string(n);
    check(same_scalar(ref.dot(a.data(), b.data(), n), t.dot(a.data(), b.data(), n)), t.name,
          "dot", at);
    check(same_scalar(ref.l2sq(a.data(), b.data(), n), t.l2sq(a.data(), b.data(), n)), t.name,
          "l2sq", at);
    check(same_scalar(ref.cosine(a.data(), b.data(), n), t.cosine(a.data(), b.data(), n)), t.name,
          "cosine", at);
    check(same_scalar(ref.dot(a.data(), a.data(), n), t.dot(a.data(), a.data(), n)), t.name,
          "sum of squares", at);
  }
}

void test_elementwise(const KernelTable& t, Rng& rng) {
  const KernelTable& ref = sona::serial_table();
  for (size_t n = 0; n <= 1100; ++n) {
    const Buffer a = random_buffer(rng, n, rng.below(16), false);
    const Buffer b = random_buffer(rng, n, rng.below(16), false);
    const float alpha = random_value(rng);
    const size_t out_offset = rng.below(16);
    Buffer expected{std::vector<float>(n + out_offset), out_offset};
    Buffer actual{std::vector<float>(n + out_offset), out_offset};
    std::string detail;
    const std::string at = "n=" + std::to_string(n);
    struct Binary {
      const char* name;
      void (*ref)(const float*, const float*, float*, size_t);
      void (*isa)(const float*, const float*, float*, size_t);
    };
    const Binary ops[] = {{"add", ref.add, t.add}, {"sub", ref.sub, t.sub}, {"mul", ref.mul, t.mul}};
    for (const Binary& op : ops) {
      op.ref(a.data(), b.data(), expected.data(), n);
      op.isa(a.data(), b.data(), actual.data(), n);
      check(same_array(expected.data(), actual.data(), n, detail), t.name, op.name, at + " " + detail);
      // out == a (allowed aliasing)
      Buffer in_place = a;
      op.isa(in_place.data(), b.data(), in_place.data(), n);
      check(same_array(expected.data(), in_place.data(), n, detail), t.name, op.name,
            at + " in place " + detail);
    }
    ref.scale(a.data(), alpha, expected.data(), n);
    t.scale(a.data(), alpha, actual.data(), n);
    check(same_array(expected.data(), actual.data(), n, detail), t.name, "scale", at + " " + detail);
    Buffer y_ref = b, y_isa = b;
    ref.axpy(alpha, a.data(), y_ref.data(), n);
    t.axpy(alpha, a.data(), y_isa.data(), n);
    check(same_array(y_ref.data(), y_isa.data(), n, detail), t.name, "axpy", at + " " + detail);
  }
}

void test_batched(const KernelTable& t, Rng& rng) {
  const KernelTable& ref = sona::serial_table();
  const size_t special_dims[] = {1, 2, 15, 16, 17, 31, 32, 33, 255, 256, 257, 1024, 1100};
  for (int round = 0; round < 400; ++round) {
    const size_t dim =
        round < 13 ? special_dims[round] : (rng.below(4) == 0 ? 1 + rng.below(1100) : 1 + rng.below(300));
    const size_t rows = rng.below(dim > 300 ? 12 : 41);
    const bool finite = rng.below(2) == 0;
    const Buffer q = random_buffer(rng, dim, rng.below(16), finite);
    const Buffer m = random_buffer(rng, dim * rows, rng.below(16), finite);
    std::vector<float> expected(rows), actual(rows);
    std::string detail;
    const std::string at = "dim=" + std::to_string(dim) + " rows=" + std::to_string(rows);
    struct Many {
      const char* name;
      sona::ScoreRowsFn ref;
      sona::ScoreRowsFn isa;
    };
    const Many ops[] = {{"dotMany", ref.dot_many, t.dot_many},
                        {"cosineMany", ref.cosine_many, t.cosine_many},
                        {"l2sqMany", ref.l2sq_many, t.l2sq_many}};
    for (const Many& op : ops) {
      op.ref(q.data(), m.data(), dim, rows, expected.data(), sona::RowOrder::sequential);
      for (const sona::RowOrder order : {sona::RowOrder::interleaved, sona::RowOrder::sequential}) {
        op.isa(q.data(), m.data(), dim, rows, actual.data(), order);
        check(same_array(expected.data(), actual.data(), rows, detail), t.name, op.name,
              at + (order == sona::RowOrder::interleaved ? " interleaved " : " sequential ") +
                  detail);
      }
    }
  }
}

void test_matrix(const KernelTable& t, Rng& rng) {
  const KernelTable& ref = sona::serial_table();
  for (int round = 0; round < 400; ++round) {
    const size_t rows = rng.below(13);
    const size_t cols = round % 4 == 0 ? rng.below(400) : rng.below(70);
    const bool finite = rng.below(2) == 0;
    const Buffer m = random_buffer(rng, rows * cols, rng.below(16), finite);
    const Buffer x = random_buffer(rng, cols, rng.below(16), finite);
    const Buffer u = random_buffer(rng, rows, rng.below(16), finite);
    const float alpha = random_value(rng);
    std::string detail;
    const std::string at = "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols);
    std::vector<float> expected(std::max(rows, cols)), actual(std::max(rows, cols));
    ref.gemv(m.data(), rows, cols, x.data(), expected.data());
    t.gemv(m.data(), rows, cols, x.data(), actual.data());
    check(same_array(expected.data(), actual.data(), rows, detail), t.name, "gemv", at + " " + detail);
    ref.gemvT(m.data(), rows, cols, u.data(), expected.data());
    t.gemvT(m.data(), rows, cols, u.data(), actual.data());
    check(same_array(expected.data(), actual.data(), cols, detail), t.name, "gemvT", at + " " + detail);
    Buffer m_ref = m, m_isa = m;
    ref.ger(m_ref.data(), rows, cols, alpha, u.data(), x.data());
    t.ger(m_isa.data(), rows, cols, alpha, u.data(), x.data());
    check(same_array(m_ref.data(), m_isa.data(), rows * cols, detail), t.name, "ger",
          at + " " + detail);
  }
}

// topK against a full stable sort of the serial scores.
void test_topk(const KernelTable& t, Rng& rng) {
  const KernelTable& ref = sona::serial_table();
  for (int round = 0; round < 60; ++round) {
    const size_t dim = 1 + rng.below(40);
    const size_t rows = round % 10 == 0 ? 1000 + rng.below(1500) : rng.below(60);
    // Few distinct values so that ties are common.
    Buffer q = random_buffer(rng, dim, rng.below(16), true);
    Buffer m{std::vector<float>(dim * rows + 3), 3};
    for (size_t i = 0; i < dim * rows; ++i) {
      m.data()[i] = rng.below(4) == 0 ? random_value(rng) : static_cast<float>(rng.below(5)) - 2.0f;
    }
    for (int metric = 0; metric < 3; ++metric) {
      const bool ascending = metric == static_cast<int>(sona::Metric::l2sq);
      const sona::ScoreRowsFn ref_scores =
          metric == 0 ? ref.cosine_many : (metric == 1 ? ref.dot_many : ref.l2sq_many);
      const sona::ScoreRowsFn isa_scores =
          metric == 0 ? t.cosine_many : (metric == 1 ? t.dot_many : t.l2sq_many);
      std::vector<float> all(rows);
      ref_scores(q.data(), m.data(), dim, rows, all.data(), sona::RowOrder::sequential);
      std::vector<int32_t> order(rows);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int32_t i, int32_t j) {
        return sona::ranks_before({all[i], i}, {all[j], j}, ascending);
      });
      const size_t k = rows == 0 ? 0 : rng.below(rows + 1);
      std::vector<int32_t> indices(k);
      std::vector<float> scores(k);
      sona::topk_f32(isa_scores, ascending, q.data(), m.data(), dim, rows, k, indices.data(),
                     scores.data());
      bool ok = true;
      for (size_t i = 0; i < k && ok; ++i) {
        ok = indices[i] == order[i] && bits_of(scores[i]) == bits_of(all[order[i]]);
      }
      check(ok, t.name, "topK", "rows=" + std::to_string(rows) + " k=" + std::to_string(k) +
                                    " metric=" + std::to_string(metric));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool emulated_avx512 = false;
  uint64_t seed = 20240601;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--emulated-avx512") {
      emulated_avx512 = true;
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }

  std::vector<const KernelTable*> tables;
  for (const KernelTable* t : sona::usable_tables(sona::detect_cpu())) {
    if (t != &sona::serial_table()) tables.push_back(t);
  }
  if (emulated_avx512) {
#if defined(SONA_EMULATE_AVX512)
    tables = {&sona::avx512_table()};
#else
    std::fprintf(stderr, "--emulated-avx512 needs a build with SONA_EMULATE_AVX512\n");
    return 2;
#endif
  }

  Rng rng{seed};
  test_spec(rng);
  std::printf("serial matches the README scheme: %ld checks\n", total.passed);
  for (const KernelTable* t : tables) {
    const long before = total.passed + total.failed;
    test_reductions(*t, rng);
    test_elementwise(*t, rng);
    test_batched(*t, rng);
    test_matrix(*t, rng);
    test_topk(*t, rng);
    std::printf("%s%s vs serial: %ld checks\n", t->name, emulated_avx512 ? " (SIMDe emulation)" : "",
                total.passed + total.failed - before);
  }
  if (tables.empty()) std::printf("no ISA table besides serial can run here\n");
  std::printf("kernels: %ld passed, %ld failed\n", total.passed, total.failed);
  return total.failed == 0 ? 0 : 1;
}
