// One kernel table per instruction set, and the choice of the tables this CPU can run, made
// once at load: from CPUID and XGETBV on x86-64 (the CPU must report the ISA and the OS must
// save its register state), from the build target on AArch64 (NEON is part of the baseline).
#pragma once

#include <vector>

#include "common.h"
#include "isa_avx2.h"
#include "isa_avx512.h"
#include "isa_neon.h"
#include "isa_sse41.h"
#include "serial.h"
#include "topk.h"

#if SONA_X86 && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace sona {

struct KernelTable {
  const char* name;
  float (*dot)(const float* a, const float* b, size_t n);
  float (*l2sq)(const float* a, const float* b, size_t n);
  float (*cosine)(const float* a, const float* b, size_t n);
  void (*axpy)(float alpha, const float* x, float* y, size_t n);
  void (*scale)(const float* x, float alpha, float* out, size_t n);
  void (*add)(const float* a, const float* b, float* out, size_t n);
  void (*sub)(const float* a, const float* b, float* out, size_t n);
  void (*mul)(const float* a, const float* b, float* out, size_t n);
  ScoreRowsFn dot_many;
  ScoreRowsFn l2sq_many;
  ScoreRowsFn cosine_many;
  void (*gemv)(const float* m, size_t rows, size_t cols, const float* x, float* out);
  void (*gemvT)(const float* m, size_t rows, size_t cols, const float* x, float* out);
  void (*ger)(float* m, size_t rows, size_t cols, float alpha, const float* u, const float* v);
};

// The table of the kernels in namespace sona::<isa>.
#define SONA_KERNEL_TABLE(isa)                                                                  \
  KernelTable {                                                                                 \
    #isa, isa::dot_f32, isa::l2sq_f32, isa::cosine_f32, isa::axpy_f32, isa::scale_f32,          \
        isa::add_f32, isa::sub_f32, isa::mul_f32, isa::dot_many_f32, isa::l2sq_many_f32,        \
        isa::cosine_many_f32, isa::gemv_f32, isa::gemvT_f32, isa::ger_f32                       \
  }

inline const KernelTable& serial_table() {
  static const KernelTable table = SONA_KERNEL_TABLE(serial);
  return table;
}

#if SONA_HAS_SSE41
inline const KernelTable& sse41_table() {
  static const KernelTable table = SONA_KERNEL_TABLE(sse41);
  return table;
}
#endif

#if SONA_HAS_AVX2
inline const KernelTable& avx2_table() {
  static const KernelTable table = SONA_KERNEL_TABLE(avx2);
  return table;
}
#endif

#if SONA_HAS_AVX512
inline const KernelTable& avx512_table() {
  static const KernelTable table = SONA_KERNEL_TABLE(avx512);
  return table;
}
#endif

#if SONA_HAS_NEON
inline const KernelTable& neon_table() {
  static const KernelTable table = SONA_KERNEL_TABLE(neon);
  return table;
}
#endif

struct CpuFeatures {
  bool sse41 = false;
  bool avx2 = false;     // AVX2 reported and YMM state enabled by the OS
  bool avx512f = false;  // AVX-512F reported and opmask/ZMM state enabled by the OS
  bool neon = false;
};

#if SONA_X86 && (defined(__GNUC__) || defined(__clang__))
inline uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

inline CpuFeatures detect_cpu() {
  CpuFeatures f;
#if SONA_X86 && (defined(__GNUC__) || defined(__clang__))
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  f.sse41 = (ecx & (1u << 19)) != 0;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool avx = (ecx & (1u << 28)) != 0;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // XMM and YMM
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.avx2 = ymm_state && (ebx & (1u << 5)) != 0;
  f.avx512f = f.avx2 && zmm_state && (ebx & (1u << 16)) != 0;
#elif SONA_ARM64
  f.neon = true;
#endif
  return f;
}

// The tables this CPU can run, best first; serial is always last.
inline std::vector<const KernelTable*> usable_tables(const CpuFeatures& cpu) {
  std::vector<const KernelTable*> tables;
#if SONA_HAS_AVX512 && !defined(SONA_EMULATE_AVX512)
  if (cpu.avx512f) tables.push_back(&avx512_table());
#endif
#if SONA_HAS_AVX2
  if (cpu.avx2) tables.push_back(&avx2_table());
#endif
#if SONA_HAS_SSE41
  if (cpu.sse41) tables.push_back(&sse41_table());
#endif
#if SONA_HAS_NEON
  if (cpu.neon) tables.push_back(&neon_table());
#endif
  (void)cpu;
  tables.push_back(&serial_table());
  return tables;
}

// The dispatch table: chosen once, on first use, from what the CPU reports.
inline const KernelTable& best_table() {
  static const KernelTable* const best = usable_tables(detect_cpu()).front();
  return *best;
}

}  // namespace sona
