/*
 * glukit_vecmath_bench: glukit's own vector math against SLEEF's (issue 4,
 * point 3), for the forward y = v * act(g) of glu, swiglu, geglu and
 * geglu_tanh in f32:
 *   glukit  glk_forward_split with options.isa = AVX512 / AVX2, one thread
 *           (special-value and deep-tail handling included);
 *   sleef   the same activations composed in sleef_acts_tmpl.h from SLEEF's
 *           expf (u10), erff (u10), erfcf (u15), tanhf (u10, u35);
 *   floor   y = v * g through glukit (bilinear) and through the bench's own
 *           loop: what load, store and call cost without any math.
 * Speed: n f32 per call (default 4096, in cache), random v and g (g uniform
 * in [-8, 8]); each sample times --iters calls; the samples of all
 * implementations are taken round-robin, --reps of them, and the median is
 * reported in ns per element.
 * Accuracy (v = 1): max error in ULP of f32 at the exact value (long double
 * reference), over every --stride-th f32 bit pattern (all finite f32, both
 * signs: large |g| and the deep tails included), plus every f32 in a window
 * of each activation's deep tail (where the output leaves f32's normal range
 * and reaches 0; --no-dense skips it). "normal" is the maximum over outputs
 * whose exact value is at least FLT_MIN in size; "all" includes the
 * subnormal outputs. Special values: g = NaN, -inf, +inf, -0, +0 against
 * the README's numerics (NaN; glu 0, 1, 0.5, 0.5; the others -0, +inf, -0,
 * +0), bit for bit.
 *
 *   glukit_vecmath_bench [--n 4096] [--reps 31] [--iters N] [--stride 61]
 *                        [--no-dense] [--isa avx512|avx2|all]
 *                        [--act glu,swiglu,geglu,geglu_tanh] [--no-speed]
 *                        [--no-accuracy]
 */
#define _GNU_SOURCE
#include <float.h>
#include <glukit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vecmath_impls.h"

/* ---- implementations -------------------------------------------------------- */

enum { ACT_GLU, ACT_SWIGLU, ACT_GEGLU, ACT_GEGLU_TANH, ACT_NONE };
static const char *const act_names[] = {"glu", "swiglu", "geglu", "geglu_tanh", "floor"};
static const glk_act act_glk[] = {GLK_ACT_GLU, GLK_ACT_SWIGLU, GLK_ACT_GEGLU,
                                  GLK_ACT_GEGLU_TANH, GLK_ACT_BILINEAR};

typedef struct impl {
  int act;           /* ACT_* (ACT_NONE: floor rows, speed only) */
  const char *name;  /* how it is computed */
  int isa512;        /* 1: AVX-512, 0: AVX2 */
  vm_fn fn;          /* NULL: glukit through the API */
  /* results */
  double ns;
  double max_all, g_all, max_norm, g_norm;
  long nonfinite; /* finite exact value, non-finite result (or the reverse) */
  int spec_ok;
  char spec_bad[96];
} impl;

#define MAX_IMPLS 64
static impl impls[MAX_IMPLS];
static int n_impls;

static void add(int act, const char *name, int isa512, vm_fn fn) {
  impl *p = &impls[n_impls++];
  memset(p, 0, sizeof *p);
  p->act = act, p->name = name, p->isa512 = isa512, p->fn = fn;
}

static void add_isa(int isa512, unsigned acts) {
#define PICK(f) (isa512 ? vm_##f##_avx512 : vm_##f##_avx2)
  if (acts & (1u << ACT_NONE)) {
    add(ACT_NONE, "glukit bilinear (v*g)", isa512, NULL);
    add(ACT_NONE, "bench loop (v*g)", isa512, PICK(floor));
  }
  if (acts & (1u << ACT_GLU)) {
    add(ACT_GLU, "glukit", isa512, NULL);
    add(ACT_GLU, "sleef expf_u10: e/(1+e)", isa512, PICK(glu));
  }
  if (acts & (1u << ACT_SWIGLU)) {
    add(ACT_SWIGLU, "glukit", isa512, NULL);
    add(ACT_SWIGLU, "sleef expf_u10: g e/(1+e)", isa512, PICK(swiglu));
    add(ACT_SWIGLU, "sleef expf_u10: g e/(1+e) +tails", isa512, PICK(swiglu_deep));
  }
  if (acts & (1u << ACT_GEGLU)) {
    add(ACT_GEGLU, "glukit", isa512, NULL);
    add(ACT_GEGLU, "sleef erff_u10: 1+erf", isa512, PICK(geglu_erf));
    add(ACT_GEGLU, "sleef erfcf_u15: erfc, hi+lo arg", isa512, PICK(geglu_erfc));
  }
  if (acts & (1u << ACT_GEGLU_TANH)) {
    add(ACT_GEGLU_TANH, "glukit", isa512, NULL);
    add(ACT_GEGLU_TANH, "sleef tanhf_u10: 1+tanh", isa512, PICK(geglu_tanh_t10));
    add(ACT_GEGLU_TANH, "sleef tanhf_u35: 1+tanh", isa512, PICK(geglu_tanh_t35));
    add(ACT_GEGLU_TANH, "sleef expf_u10: 2 sig(2u), hi+lo arg", isa512, PICK(geglu_tanh_exp));
    add(ACT_GEGLU_TANH, "sleef expf_u10: 2 sig(2u), hi+lo arg +tails", isa512,
        PICK(geglu_tanh_exp_deep));
  }
#undef PICK
}

static void run_impl(const impl *p, const float *v, const float *g, float *y, size_t n) {
  if (p->fn) {
    p->fn(v, g, y, n);
    return;
  }
  int64_t shape[1] = {(int64_t)n};
  glk_tensor tv, tg, ty;
  glk_tensor_init(&tv, (void *)v, GLK_DTYPE_F32, 1, shape, NULL);
  glk_tensor_init(&tg, (void *)g, GLK_DTYPE_F32, 1, shape, NULL);
  glk_tensor_init(&ty, y, GLK_DTYPE_F32, 1, shape, NULL);
  glk_options opt;
  glk_options_init(&opt);
  opt.act = act_glk[p->act];
  opt.isa = p->isa512 ? GLK_ISA_AVX512 : GLK_ISA_AVX2;
  opt.num_threads = 1;
  glk_status st = glk_forward_split(&tv, &tg, &ty, &opt);
  if (st != GLK_OK) {
    fprintf(stderr, "glk_forward_split: %s: %s\n", glk_status_string(st), glk_last_error());
    exit(2);
  }
}

/* ---- reference ---------------------------------------------------------------- */

static long double sigl(long double s) {
  if (s < 0) {
    const long double e = expl(s);
    return e / (1 + e);
  }
  return 1 / (1 + expl(-s));
}

/* act(g) in long double; only finite g comes here. */
static double ref_act(int act, float gf) {
  const long double g = gf;
  switch (act) {
    case ACT_GLU: return (double)sigl(g);
    case ACT_SWIGLU: return (double)(g * sigl(g));
    case ACT_GEGLU: return (double)(0.5L * g * erfcl(-g * 0.707106781186547524400844362104849039L));
    case ACT_GEGLU_TANH: {
      /* 0.5 g (1 + tanh u) = g sigmoid(2u) */
      const long double u = 0.797884560802865355879892119868763737L * (g + 0.044715L * g * g * g);
      return (double)(g * sigl(2 * u));
    }
  }
  return 0;
}

/* Error of y in ULP of f32 at the exact value r (rounded to double: its
 * 2^-53 is far below what is measured). */
static double ulp_err(float y, double r) {
  if (isnan(y) || isinf(y) || isinf(r)) return (double)y == r ? 0 : INFINITY;
  const double a = fabs(r);
  int e;
  double ulp;
  if (a < (double)FLT_MIN) {
    ulp = 0x1p-149;
  } else {
    frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
    ulp = ldexp(1.0, e - 24);
  }
  return fabs((double)y - r) / ulp;
}

/* ---- accuracy ----------------------------------------------------------------- */

#define CHUNK 4096

typedef struct sweep {
  /* strided pass over bit patterns, then a dense pass over [lo, hi] */
  uint64_t next, stride;
  float dense_lo, dense_hi, cur;
  int dense, in_dense;
} sweep;

/* Fills up to CHUNK finite gates; returns the count (0 when done). */
static size_t sweep_fill(sweep *s, float *g) {
  size_t k = 0;
  while (k < CHUNK && !s->in_dense && s->next < (1ull << 32)) {
    uint32_t b = (uint32_t)s->next;
    s->next += s->stride;
    if ((b & 0x7f800000u) == 0x7f800000u) continue; /* inf, NaN */
    float x;
    memcpy(&x, &b, 4);
    g[k++] = x;
  }
  if (!s->in_dense && s->next >= (1ull << 32)) {
    if (k) return k;
    if (!s->dense) return 0;
    s->in_dense = 1;
    s->cur = s->dense_lo;
  }
  while (k < CHUNK && s->in_dense && s->cur <= s->dense_hi) {
    g[k++] = s->cur;
    s->cur = nextafterf(s->cur, INFINITY);
  }
  return k;
}

/* The windows where each output leaves f32's normal range and reaches 0,
 * with glukit's deep-tail switch (e^-|x| < 2^-100) inside. */
static const float dense_lo[] = {-104.5f, -104.5f, -14.5f, -11.5f};
static const float dense_hi[] = {-65.0f, -65.0f, -9.0f, -8.5f};

static void check_specials(impl *p) {
  static const float gs[5] = {NAN, -INFINITY, INFINITY, -0.0f, 0.0f};
  static const char *const gname[5] = {"nan", "-inf", "+inf", "-0", "+0"};
  const float want_glu[5] = {NAN, 0.0f, 1.0f, 0.5f, 0.5f};
  const float want_x[5] = {NAN, -0.0f, INFINITY, -0.0f, 0.0f};
  const float *want = p->act == ACT_GLU ? want_glu : want_x;
  float v[5] = {1, 1, 1, 1, 1}, y[5];
  run_impl(p, v, gs, y, 5);
  p->spec_ok = 0;
  p->spec_bad[0] = 0;
  for (int i = 0; i < 5; i++) {
    const int ok = isnan(want[i]) ? isnan(y[i]) : memcmp(&y[i], &want[i], 4) == 0;
    if (ok) {
      p->spec_ok++;
    } else {
      char b[40];
      snprintf(b, sizeof b, "%s%s->%g", p->spec_bad[0] ? " " : "", gname[i], (double)y[i]);
      strncat(p->spec_bad, b, sizeof p->spec_bad - strlen(p->spec_bad) - 1);
    }
  }
}

static long accuracy(int act, uint64_t stride, int dense) {
  static float g[CHUNK], v[CHUNK], y[CHUNK];
  static double r[CHUNK];
  for (int i = 0; i < CHUNK; i++) v[i] = 1.0f;
  sweep s = {0, stride, dense_lo[act], dense_hi[act], 0, dense, 0};
  long total = 0;
  size_t k;
  while ((k = sweep_fill(&s, g)) > 0) {
    for (size_t i = 0; i < k; i++) r[i] = ref_act(act, g[i]);
    total += (long)k;
    for (int j = 0; j < n_impls; j++) {
      impl *p = &impls[j];
      if (p->act != act) continue;
      run_impl(p, v, g, y, k);
      for (size_t i = 0; i < k; i++) {
        const double e = ulp_err(y[i], r[i]);
        if (isinf(e)) p->nonfinite++;
        if (e > p->max_all) p->max_all = e, p->g_all = g[i];
        if (fabs(r[i]) >= (double)FLT_MIN && e > p->max_norm) p->max_norm = e, p->g_norm = g[i];
      }
    }
  }
  return total;
}

/* ---- speed -------------------------------------------------------------------- */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void speed(size_t n, int reps, int iters) {
  float *v = aligned_alloc(64, (n * 4 + 63) / 64 * 64), *g = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
  float *y = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
  double *samples = malloc(sizeof(double) * (size_t)reps * (size_t)n_impls);
  if (!v || !g || !y || !samples) exit(2);
  uint64_t st = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < n; i++) {
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    g[i] = (float)((double)(st >> 11) / 0x1p53 * 16.0 - 8.0);
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    v[i] = (float)((double)(st >> 11) / 0x1p53 * 4.0 - 2.0);
  }
  for (int j = 0; j < n_impls; j++) /* warm up */
    for (int it = 0; it < iters; it++) run_impl(&impls[j], v, g, y, n);
  for (int rep = 0; rep < reps; rep++) {
    for (int j = 0; j < n_impls; j++) {
      const double t0 = now();
      for (int it = 0; it < iters; it++) run_impl(&impls[j], v, g, y, n);
      samples[(size_t)j * (size_t)reps + (size_t)rep] = (now() - t0) * 1e9 / ((double)n * iters);
    }
  }
  for (int j = 0; j < n_impls; j++) {
    double *s = samples + (size_t)j * (size_t)reps;
    qsort(s, (size_t)reps, sizeof *s, cmp_double);
    impls[j].ns = s[reps / 2];
  }
  free(v), free(g), free(y), free(samples);
}

/* ---- main --------------------------------------------------------------------- */

static void usage(void) {
  fputs("usage: glukit_vecmath_bench [--n 4096] [--reps 31] [--iters N] [--stride 61]\n"
        "         [--no-dense] [--isa avx512|avx2|all] [--act glu,swiglu,geglu,geglu_tanh]\n"
        "         [--no-speed] [--no-accuracy]\n", stderr);
  exit(2);
}

static void fmt_ulp(char *b, size_t sz, double e) {
  if (isinf(e)) snprintf(b, sz, "inf");
  else if (e >= 1e4) snprintf(b, sz, "%.2e", e);
  else snprintf(b, sz, "%.2f", e);
}

int main(int argc, char **argv) {
  size_t n = 4096;
  int reps = 31, iters = 0, do_speed = 1, do_acc = 1, dense = 1;
  uint64_t stride = 61;
  const char *isa = "all";
  unsigned acts = 0x1f;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--n") && val) n = strtoull(val, NULL, 10), i++;
    else if (!strcmp(a, "--reps") && val) reps = atoi(val), i++;
    else if (!strcmp(a, "--iters") && val) iters = atoi(val), i++;
    else if (!strcmp(a, "--stride") && val) stride = strtoull(val, NULL, 10), i++;
    else if (!strcmp(a, "--isa") && val) isa = val, i++;
    else if (!strcmp(a, "--act") && val) {
      acts = 1u << ACT_NONE;
      char buf[256];
      snprintf(buf, sizeof buf, "%s", val);
      for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        int found = 0;
        for (int k = 0; k < ACT_NONE; k++)
          if (!strcmp(t, act_names[k])) acts |= 1u << k, found = 1;
        if (!found) usage();
      }
      i++;
    } else if (!strcmp(a, "--no-dense")) dense = 0;
    else if (!strcmp(a, "--no-speed")) do_speed = 0;
    else if (!strcmp(a, "--no-accuracy")) do_acc = 0;
    else usage();
  }
  if (n < 1 || reps < 1 || stride < 1) usage();
  if (!iters) iters = (int)(1000000 / n) + 1;

  const int want512 = !strcmp(isa, "all") || !strcmp(isa, "avx512");
  const int want2 = !strcmp(isa, "all") || !strcmp(isa, "avx2");
  if (!want512 && !want2) usage();
  __builtin_cpu_init();
  const int has512 = glk_isa_supported(GLK_ISA_AVX512) && __builtin_cpu_supports("avx512f");
  const int has2 = glk_isa_supported(GLK_ISA_AVX2) && __builtin_cpu_supports("avx2") &&
                   __builtin_cpu_supports("fma");
  if (want512 && has512) add_isa(1, acts);
  if (want2 && has2) add_isa(0, acts);
  if (want512 && !has512) printf("AVX-512 not available here: skipped\n");
  if (want2 && !has2) printf("AVX2 not available here: skipped\n");
  if (!n_impls) return 0;

  printf("glukit %s; n = %zu f32 per call, %d reps x %d calls (median), one thread; "
         "accuracy: stride %llu over f32 bit patterns%s\n\n",
         glk_version_string(), n, reps, iters, (unsigned long long)stride,
         dense ? " + dense deep-tail windows" : "");
  if (do_acc) {
    for (int act = 0; act < ACT_NONE; act++) {
      if (!(acts & (1u << act))) continue;
      const long cnt = accuracy(act, stride, dense);
      printf("%s: %ld gates", act_names[act], cnt);
      if (dense) printf(" (dense window [%g, %g])", (double)dense_lo[act], (double)dense_hi[act]);
      printf("\n");
    }
    for (int j = 0; j < n_impls; j++)
      if (impls[j].act != ACT_NONE) check_specials(&impls[j]);
    printf("\n");
  }
  if (do_speed) speed(n, reps, iters);

  printf("| act | ISA | implementation | ns/elem | max ULP, normal outputs (at g) "
         "| max ULP, all incl. subnormal (at g) | specials ok | wrong specials |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  for (int j = 0; j < n_impls; j++) {
    const impl *p = &impls[j];
    char ns[32] = "-", en[64] = "-", ea[64] = "-", sp[16] = "-";
    if (do_speed) snprintf(ns, sizeof ns, "%.3f", p->ns);
    if (do_acc && p->act != ACT_NONE) {
      char u[24];
      fmt_ulp(u, sizeof u, p->max_norm);
      snprintf(en, sizeof en, "%s (%.9g)", u, (double)p->g_norm);
      fmt_ulp(u, sizeof u, p->max_all);
      snprintf(ea, sizeof ea, "%s (%.9g)", u, (double)p->g_all);
      snprintf(sp, sizeof sp, "%d/5", p->spec_ok);
    }
    printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", act_names[p->act],
           p->isa512 ? "avx512" : "avx2", p->name, ns, en, ea, sp,
           p->act == ACT_NONE ? "" : p->spec_bad);
  }
  return 0;
}
