/*
 * glukit_gather_bench: what a table lookup costs on this core, against the
 * arithmetic of a computed first pass (src/kernels/gate_table.c decides,
 * per CPU, which 16-bit first passes look their gate up; bench/RESULTS-cpu.md,
 * "Gathers on the AMD EPYC").
 *
 * Throughput, in ns per instruction and per lane, of the gathers the
 * kernels use (AVX-512: 16 x 32-bit, and 8 x 64-bit for bf16's pairs;
 * AVX2: 8 x 32-bit) from a 512 KiB table at indices that change every
 * step, and of VDIVPS, VFMADD and VPERMPS on ZMM for scale; each as many
 * independent streams as the loop holds, best of --reps runs.
 *
 *   glukit_gather_bench [--reps 5]
 */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GLK_TARGET __attribute__((target("avx512f,avx512dq,avx2,fma")))

enum { TABLE = 1 << 17, STEPS = 2000000 };
static float table[TABLE] __attribute__((aligned(64)));
static volatile float sink;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Four independent gathers a step, their indices walking the low 64 Ki
 * entries: I the index vector's intrinsics prefix and type (_mm512_,
 * si512 / _mm256_, si256), A the accumulator's (add, zero), G(i) the
 * gather. Returns seconds per gather. */
#define GATHER_LOOP(IP, IT, ITYPE, ATYPE, AADD, AZERO, G, START)                  \
  do {                                                                            \
    ITYPE idx = START;                                                            \
    const ITYPE step = IP##set1_epi32(7), mask = IP##set1_epi32(0xffff);          \
    ATYPE a0 = AZERO, a1 = a0, a2 = a0, a3 = a0;                                  \
    const double t0 = now_s();                                                    \
    for (int i = 0; i < STEPS; i++) {                                             \
      const ITYPE i0 = IP##and_##IT(idx, mask);                                   \
      const ITYPE i1 = IP##and_##IT(IP##add_epi32(i0, step), mask);               \
      const ITYPE i2 = IP##and_##IT(IP##add_epi32(i1, step), mask);               \
      const ITYPE i3 = IP##and_##IT(IP##add_epi32(i2, step), mask);               \
      idx = IP##add_epi32(i3, step);                                              \
      a0 = AADD(a0, G(i0)), a1 = AADD(a1, G(i1)), a2 = AADD(a2, G(i2)), a3 = AADD(a3, G(i3)); \
    }                                                                             \
    t = (now_s() - t0) / (4.0 * STEPS);                                           \
    ATYPE sum = AADD(AADD(a0, a1), AADD(a2, a3));                                 \
    float first;                                                                  \
    memcpy(&first, &sum, sizeof first);                                           \
    sink = first;                                                                 \
  } while (0)

#define START16                                                                              \
  _mm512_set_epi32(0, 3100, 6200, 9300, 12400, 15500, 18600, 21700, 24800, 27900, 31000, \
                   34100, 37200, 40300, 43400, 46500)
#define START8 _mm256_set_epi32(0, 6200, 12400, 18600, 24800, 31000, 37200, 43400)

GLK_TARGET static double gather16(void) {
  double t;
#define G(i) _mm512_i32gather_ps(i, table, 4)
  GATHER_LOOP(_mm512_, si512, __m512i, __m512, _mm512_add_ps, _mm512_setzero_ps(), G, START16);
#undef G
  return t;
}
GLK_TARGET static double gather8x64(void) {
  double t;
#define G(i) _mm512_i32gather_pd(i, table, 8)
  GATHER_LOOP(_mm256_, si256, __m256i, __m512d, _mm512_add_pd, _mm512_setzero_pd(), G, START8);
#undef G
  return t;
}
GLK_TARGET static double gather8(void) {
  double t;
#define G(i) _mm256_i32gather_ps(table, i, 4)
  GATHER_LOOP(_mm256_, si256, __m256i, __m256, _mm256_add_ps, _mm256_setzero_ps(), G, START8);
#undef G
  return t;
}

/* Eight independent chains of one ZMM instruction (its throughput where
 * 8 x latency is below 8 x the issue interval: true for these). */
#define CHAINS(OP)                                                                          \
  do {                                                                                      \
    __m512 c0 = _mm512_set1_ps(1.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, \
           c7 = c0;                                                                         \
    const double t0 = now_s();                                                              \
    for (int i = 0; i < STEPS; i++) {                                                       \
      c0 = OP(c0), c1 = OP(c1), c2 = OP(c2), c3 = OP(c3);                                   \
      c4 = OP(c4), c5 = OP(c5), c6 = OP(c6), c7 = OP(c7);                                   \
      __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3));                        \
      __asm__ volatile("" : "+v"(c4), "+v"(c5), "+v"(c6), "+v"(c7));                        \
    }                                                                                       \
    t = (now_s() - t0) / (8.0 * STEPS);                                                     \
    sink = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1),          \
                                                            _mm512_add_ps(c2, c3)),         \
                                              _mm512_add_ps(_mm512_add_ps(c4, c5),          \
                                                            _mm512_add_ps(c6, c7))));       \
  } while (0)

GLK_TARGET static double zmm_div(void) {
  const __m512 one = _mm512_set1_ps(1.0001f);
  double t;
#define OP(x) _mm512_div_ps(one, x)
  CHAINS(OP);
#undef OP
  return t;
}
GLK_TARGET static double zmm_fma(void) {
  const __m512 m = _mm512_set1_ps(0.9999f), a = _mm512_set1_ps(1e-4f);
  double t;
#define OP(x) _mm512_fmadd_ps(x, m, a)
  CHAINS(OP);
#undef OP
  return t;
}
GLK_TARGET static double zmm_permute(void) {
  const __m512 tab = _mm512_set1_ps(1.5f);
  double t;
#define OP(x) _mm512_permutexvar_ps(_mm512_castps_si512(x), tab)
  CHAINS(OP);
#undef OP
  return t;
}

int main(int argc, char **argv) {
  int reps = 5;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = atoi(argv[++i]);
    else
      return fprintf(stderr, "usage: %s [--reps N]\n", argv[0]), 2;
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq"))
    return fprintf(stderr, "needs AVX-512F and DQ\n"), 77;
  for (int i = 0; i < TABLE; i++) table[i] = 1.0f + (float)(i & 7);
  static const struct {
    const char *name;
    double (*run)(void);
    int lanes;
  } probes[] = {
      {"vgatherdps zmm (16 x 32-bit)", gather16, 16},
      {"vgatherdpd zmm (8 x 64-bit)", gather8x64, 8},
      {"vgatherdps ymm (8 x 32-bit)", gather8, 8},
      {"vdivps zmm", zmm_div, 16},
      {"vfmadd zmm", zmm_fma, 16},
      {"vpermps zmm", zmm_permute, 16},
  };
  printf("%-30s %10s %10s\n", "instruction", "ns each", "ns a lane");
  for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
      const double t = probes[p].run();
      if (t < best) best = t;
    }
    printf("%-30s %10.3f %10.4f\n", probes[p].name, 1e9 * best, 1e9 * best / probes[p].lanes);
  }
  return 0;
}
