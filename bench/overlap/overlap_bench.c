/*
 * glukit_overlap_bench: how much of a kernel's arithmetic this core hides
 * under its DRAM traffic (issue 4: why the large shapes stay below the
 * stream; bench/RESULTS-cpu.md, "Compute and memory do not overlap").
 *
 * A synthetic kernel with GLU's traffic (the halves of an R x C f32 matrix
 * in, an R x C/2 one out) does K independent FMAs per 16-lane vector
 * between its loads and its store (eight dependency chains; no
 * transcendental, no branch). Each K is timed twice:
 *   cache  on the first rows only, repeated (X and Y in L2): arithmetic alone;
 *   dram   on the whole matrix, written with streaming stores and read
 *          with software prefetch ahead, as glukit's streaming walks do.
 * A core that overlaps the two runs at max(cache, dram at K = 0); one that
 * does not, at their sum. "overlap" is the part of the smaller one hidden:
 * (cache + mem - dram) / min(cache, mem), mem the dram time at K = 0.
 *
 *   glukit_overlap_bench [--rows 4096] [--cols 8192] [--reps 11]
 *                        [--prefetch BYTES (2048; 0: none)] [--no-nt]
 *                        [--huge (madvise MADV_HUGEPAGE)]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define GLK_TARGET __attribute__((target("avx512f")))

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define FMA8(a, b, c, d, e, f, g, h)                                                 \
  a = _mm512_fmadd_ps(a, m, s), b = _mm512_fmadd_ps(b, m, s), c = _mm512_fmadd_ps(c, m, s), \
  d = _mm512_fmadd_ps(d, m, s), e = _mm512_fmadd_ps(e, m, s), f = _mm512_fmadd_ps(f, m, s), \
  g = _mm512_fmadd_ps(g, m, s), h = _mm512_fmadd_ps(h, m, s)

/* rows of cols floats: y = v * f(g), f = K/8 rounds of eight FMA chains on
 * two vectors (32 outputs a step) */
GLK_TARGET __attribute__((noinline)) static void run(const float *x, float *y, size_t rows,
                                                    size_t cols, int k, size_t pf, int nt) {
  const __m512 m = _mm512_set1_ps(0.999f), s = _mm512_set1_ps(0.001f);
  const size_t half = cols / 2;
  for (size_t r = 0; r < rows; r++) {
    const float *v = x + r * cols, *g = v + half;
    float *o = y + r * half;
    for (size_t i = 0; i + 32 <= half; i += 32) {
      if (pf) {
        __builtin_prefetch((const char *)(v + i) + pf, 0, 3);
        __builtin_prefetch((const char *)(v + i) + pf + 64, 0, 3);
        __builtin_prefetch((const char *)(g + i) + pf, 0, 3);
        __builtin_prefetch((const char *)(g + i) + pf + 64, 0, 3);
      }
      const __m512 g0 = _mm512_loadu_ps(g + i), g1 = _mm512_loadu_ps(g + i + 16);
      __m512 a0 = g0, a1 = g1, b0 = _mm512_add_ps(g0, m), b1 = _mm512_add_ps(g1, m);
      __m512 c0 = _mm512_add_ps(g0, s), c1 = _mm512_add_ps(g1, s);
      __m512 d0 = _mm512_sub_ps(g0, m), d1 = _mm512_sub_ps(g1, m);
      for (int j = 0; j < k / 8; j++) FMA8(a0, a1, b0, b1, c0, c1, d0, d1);
      a0 = _mm512_add_ps(_mm512_add_ps(a0, b0), _mm512_add_ps(c0, d0));
      a1 = _mm512_add_ps(_mm512_add_ps(a1, b1), _mm512_add_ps(c1, d1));
      a0 = _mm512_mul_ps(a0, _mm512_loadu_ps(v + i));
      a1 = _mm512_mul_ps(a1, _mm512_loadu_ps(v + i + 16));
      if (nt) {
        _mm512_stream_ps(o + i, a0);
        _mm512_stream_ps(o + i + 16, a1);
      } else {
        _mm512_storeu_ps(o + i, a0);
        _mm512_storeu_ps(o + i + 16, a1);
      }
    }
  }
  _mm_sfence();
}

static int cmp_d(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* seconds per output element of one pass of run() repeated `repeat` times */
static double time_once(const float *x, float *y, size_t rows, size_t cols, size_t repeat, int k,
                        size_t pf, int nt) {
  const double t0 = now_s();
  for (size_t j = 0; j < repeat; j++) run(x, y, rows, cols, k, pf, nt);
  return (now_s() - t0) / (double)(repeat * rows * (cols / 2)) * 1e9;
}

static size_t arg_size(const char *s) {
  char *end;
  const unsigned long long v = strtoull(s, &end, 10);
  if (*end || end == s) {
    fprintf(stderr, "glukit_overlap_bench: not a number: %s\n", s);
    exit(2);
  }
  return (size_t)v;
}

int main(int argc, char **argv) {
  size_t rows = 4096, cols = 8192, pf = 2048;
  int reps = 11, nt = 1, huge = 0;
  for (int i = 1; i < argc; i++) {
    const int more = i + 1 < argc;
    if (!strcmp(argv[i], "--rows") && more) rows = arg_size(argv[++i]);
    else if (!strcmp(argv[i], "--cols") && more) cols = arg_size(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && more) reps = (int)arg_size(argv[++i]);
    else if (!strcmp(argv[i], "--prefetch") && more) pf = arg_size(argv[++i]);
    else if (!strcmp(argv[i], "--no-nt")) nt = 0;
    else if (!strcmp(argv[i], "--huge")) huge = 1;
    else {
      fprintf(stderr, "usage: glukit_overlap_bench [--rows R] [--cols C] [--reps N] "
                      "[--prefetch BYTES] [--no-nt] [--huge]\n");
      return 2;
    }
  }
  if (!__builtin_cpu_supports("avx512f")) {
    printf("glukit_overlap_bench: this CPU has no AVX-512F; nothing measured\n");
    return 0;
  }
  if (cols % 64 || rows < 1 || reps < 1) {
    fprintf(stderr, "glukit_overlap_bench: --cols must be a multiple of 64, rows and reps >= 1\n");
    return 2;
  }
  const size_t nx = rows * cols, bx = nx * sizeof(float), by = bx / 2, align = (size_t)1 << 21;
  float *x = aligned_alloc(align, (bx + align - 1) / align * align);
  float *y = aligned_alloc(align, (by + align - 1) / align * align);
  if (!x || !y) {
    fprintf(stderr, "glukit_overlap_bench: out of memory\n");
    return 1;
  }
  if (huge) madvise(x, bx, MADV_HUGEPAGE), madvise(y, by, MADV_HUGEPAGE);
  for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 1000) * 1e-3f - 0.5f;
  memset(y, 0, by);
  /* the cache runs: 256 KiB of X or less, repeated to ~8M outputs */
  const size_t crows = cols * sizeof(float) >= 262144 ? 1 : 262144 / (cols * sizeof(float));
  const size_t crep = (size_t)8 << 20 > crows * cols / 2 ? ((size_t)8 << 20) / (crows * cols / 2) : 1;
  printf("# %zu x %zu f32 halves, one thread, %s stores, prefetch %zu B, %s pages; ns per "
         "output element, median of %d\n",
         rows, cols, nt ? "streaming" : "ordinary", pf, huge ? "huge (madvise)" : "default",
         reps);
  printf("%5s %9s %9s %9s %9s %8s\n", "FMAs", "cache", "dram", "sum", "dram-cch", "overlap");
  /* every K in cache and from DRAM, round-robin, reps times (this VM's
   * speed drifts in phases of seconds: each K sees the same phases) */
  enum { NK = 7, MAXREPS = 64 };
  static const int ks[NK] = {0, 16, 32, 64, 96, 128, 192};
  static double tc[NK][MAXREPS], td[NK][MAXREPS];
  if (reps > MAXREPS) reps = MAXREPS;
  const size_t cr = crows < rows ? crows : rows;
  for (int i = 0; i < NK; i++) run(x, y, cr, cols, ks[i], 0, 0); /* warm-up */
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < NK; i++) {
      tc[i][r] = time_once(x, y, cr, cols, crep, ks[i], 0, 0);
      td[i][r] = time_once(x, y, rows, cols, 1, ks[i], pf, nt);
    }
  double mem = 0;
  for (int i = 0; i < NK; i++) {
    qsort(tc[i], (size_t)reps, sizeof(double), cmp_d);
    qsort(td[i], (size_t)reps, sizeof(double), cmp_d);
    const double c = tc[i][reps / 2], d = td[i][reps / 2];
    if (!ks[i]) mem = d;
    const double lo = c < mem ? c : mem;
    printf("%5.1f %9.3f %9.3f %9.3f %9.3f", ks[i] / 16.0, c, d, c + mem, d - c);
    if (ks[i]) printf(" %7.0f%%", 100.0 * (c + mem - d) / lo);
    printf("\n");
  }
  free(x);
  free(y);
  return 0;
}
