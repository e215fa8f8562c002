/*
 * glukit_accuracy: maximum error in ULP of every variant x direction (y, dv,
 * dg) x dtype x ISA against MPFR at 160 bits, with the formulas of README
 * "Numerics". Sweeps:
 *   f16, bf16  all 2^16 gate patterns x representative values, and all
 *              2^16 value patterns x representative gates (dy = 1);
 *   f32        gate patterns i*STRIDE (value 1, dy = 1), and sampled pairs;
 *   f64        sampled (value, gate, dy) triples.
 * dg near a zero of act' loses accuracy to cancellation (README): besides
 * its plain ULP error the table gives the error where the terms of act' do
 * not cancel (their magnitude T <= 2|dg|), and the largest error relative
 * to T, in units of T * 2^-p (p: the dtype's precision). --check exits 1 when a documented bound fails:
 * y, dv within bound ULP; dg within bound ULP + T * 2^-w (w = 50 reference,
 * 22 SIMD), as the tests hold.
 *
 * Usage: glukit_accuracy [--check] [--stride N | --full] [--samples N] [--half-stride N]
 *        glukit_accuracy --f32-all VARIANT|all [--isa NAME] [--threads N]
 *                        [--range FROM TO] [--window ULP] [--mpfr-sample N]
 *                        [--oracle d|ld]
 * --half-stride N (odd): f16/bf16 patterns i*N only (CI under qemu).
 * --f32-all: every f32 gate pattern (or gate bits FROM..TO-1) of one
 * variant on one ISA, through a double oracle (--oracle d, the default;
 * --oracle ld skips it), the long-double oracle and MPFR re-checks (see
 * f32_all below); minutes per variant on two cores.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <float.h>
#include <math.h>
#include <mpfr.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"
#include "support/bounds.h"
#include "support/oracle.h"

#define PREC 160

/* act(g), act'(g) and the magnitude T of act''s terms, for one gate. */
typedef struct exact_act { mpfr_t a, d, t; } exact_act;

/* Scratch per thread (the --f32-all workers evaluate MPFR concurrently);
 * the two constants are set once in main and only read. */
static _Thread_local mpfr_t tmp1, tmp2, tmp3;
static mpfr_t sq2pi, c1702;

/* s = sigma(x) = 1/(1+e^-x) */
static void sigma(mpfr_t s, const mpfr_t x) {
  mpfr_neg(s, x, MPFR_RNDN);
  mpfr_exp(s, s, MPFR_RNDN);
  mpfr_add_ui(s, s, 1, MPFR_RNDN);
  mpfr_ui_div(s, 1, s, MPFR_RNDN);
}

/* act = g sigma(b g); act' = sigma(bg) + b g sigma(bg) sigma(-bg). */
static void x_sigma(exact_act *e, const mpfr_t g, const mpfr_t b) {
  mpfr_mul(tmp1, g, b, MPFR_RNDN);
  sigma(tmp2, tmp1);                 /* sigma(bg) */
  mpfr_neg(tmp3, tmp1, MPFR_RNDN);
  sigma(tmp3, tmp3);                 /* sigma(-bg) */
  mpfr_mul(e->a, g, tmp2, MPFR_RNDN);
  mpfr_mul(tmp1, tmp1, tmp2, MPFR_RNDN);
  mpfr_mul(tmp1, tmp1, tmp3, MPFR_RNDN); /* bg s(bg) s(-bg) */
  mpfr_add(e->d, tmp2, tmp1, MPFR_RNDN);
  mpfr_abs(tmp1, tmp1, MPFR_RNDN);
  mpfr_add(e->t, tmp2, tmp1, MPFR_RNDN);
}

static void exact_of(glk_act act, double gd, double alpha, double limit, exact_act *e) {
  mpfr_t g;
  mpfr_init2(g, PREC);
  mpfr_set_d(g, gd, MPFR_RNDN);
  switch (act) {
    case GLK_ACT_GLU:
      sigma(e->a, g);
      mpfr_neg(tmp1, g, MPFR_RNDN);
      sigma(tmp1, tmp1);
      mpfr_mul(e->d, e->a, tmp1, MPFR_RNDN);
      mpfr_set(e->t, e->d, MPFR_RNDN);
      break;
    case GLK_ACT_SWIGLU: mpfr_set_ui(tmp3, 1, MPFR_RNDN); {
        mpfr_t one; mpfr_init2(one, PREC); mpfr_set_ui(one, 1, MPFR_RNDN);
        x_sigma(e, g, one); mpfr_clear(one);
      }
      break;
    case GLK_ACT_GEGLU_QUICK: x_sigma(e, g, c1702); break;
    case GLK_ACT_SWIGLU_OAI: {
      mpfr_t b;
      mpfr_init2(b, PREC);
      mpfr_set_d(b, alpha, MPFR_RNDN);
      if (gd > limit) mpfr_set_d(g, limit, MPFR_RNDN);
      x_sigma(e, g, b);
      if (gd > limit) mpfr_set_ui(e->d, 0, MPFR_RNDN), mpfr_set_ui(e->t, 0, MPFR_RNDN);
      mpfr_clear(b);
      break;
    }
    case GLK_ACT_GEGLU: { /* Phi = erfc(-g/sqrt2)/2, phi = e^(-g^2/2)/sqrt(2 pi) */
      mpfr_sqrt_ui(tmp1, 2, MPFR_RNDN);
      mpfr_div(tmp1, g, tmp1, MPFR_RNDN);
      mpfr_neg(tmp1, tmp1, MPFR_RNDN);
      mpfr_erfc(tmp2, tmp1, MPFR_RNDN);
      mpfr_div_2ui(tmp2, tmp2, 1, MPFR_RNDN); /* Phi */
      mpfr_mul(e->a, g, tmp2, MPFR_RNDN);
      mpfr_sqr(tmp1, g, MPFR_RNDN);
      mpfr_div_2ui(tmp1, tmp1, 1, MPFR_RNDN);
      mpfr_neg(tmp1, tmp1, MPFR_RNDN);
      mpfr_exp(tmp1, tmp1, MPFR_RNDN);
      mpfr_div(tmp1, tmp1, sq2pi, MPFR_RNDN);
      mpfr_mul(tmp1, tmp1, g, MPFR_RNDN); /* g phi */
      mpfr_add(e->d, tmp2, tmp1, MPFR_RNDN);
      mpfr_abs(tmp1, tmp1, MPFR_RNDN);
      mpfr_add(e->t, tmp2, tmp1, MPFR_RNDN);
      break;
    }
    case GLK_ACT_GEGLU_TANH: { /* g sigma(2u), u = sqrt(2/pi)(g + 0.044715 g^3) */
      mpfr_t k, c, s;
      mpfr_inits2(PREC, k, c, s, (mpfr_ptr)0);
      mpfr_const_pi(k, MPFR_RNDN);
      mpfr_ui_div(k, 2, k, MPFR_RNDN);
      mpfr_sqrt(k, k, MPFR_RNDN);            /* sqrt(2/pi) */
      mpfr_set_str(c, "0.044715", 10, MPFR_RNDN);
      mpfr_sqr(tmp1, g, MPFR_RNDN);
      mpfr_mul(tmp2, tmp1, c, MPFR_RNDN);     /* c g^2 */
      mpfr_add_ui(tmp2, tmp2, 1, MPFR_RNDN);
      mpfr_mul(tmp2, tmp2, g, MPFR_RNDN);
      mpfr_mul(tmp2, tmp2, k, MPFR_RNDN);
      mpfr_mul_2ui(tmp2, tmp2, 1, MPFR_RNDN); /* 2u */
      sigma(s, tmp2);
      mpfr_neg(tmp2, tmp2, MPFR_RNDN);
      sigma(tmp2, tmp2);                      /* sigma(-2u) */
      mpfr_mul(e->a, g, s, MPFR_RNDN);
      mpfr_mul_ui(tmp3, c, 3, MPFR_RNDN);
      mpfr_mul(tmp3, tmp3, tmp1, MPFR_RNDN);
      mpfr_add_ui(tmp3, tmp3, 1, MPFR_RNDN);  /* 1 + 3c g^2 */
      mpfr_mul(tmp3, tmp3, k, MPFR_RNDN);
      mpfr_mul_2ui(tmp3, tmp3, 1, MPFR_RNDN);
      mpfr_mul(tmp3, tmp3, g, MPFR_RNDN);
      mpfr_mul(tmp3, tmp3, s, MPFR_RNDN);
      mpfr_mul(tmp3, tmp3, tmp2, MPFR_RNDN);
      mpfr_add(e->d, s, tmp3, MPFR_RNDN);
      mpfr_abs(tmp3, tmp3, MPFR_RNDN);
      mpfr_add(e->t, s, tmp3, MPFR_RNDN);
      mpfr_clears(k, c, s, (mpfr_ptr)0);
      break;
    }
    case GLK_ACT_REGLU:
      if (gd > 0) mpfr_set(e->a, g, MPFR_RNDN), mpfr_set_ui(e->d, 1, MPFR_RNDN);
      else mpfr_set_ui(e->a, 0, MPFR_RNDN), mpfr_set_ui(e->d, 0, MPFR_RNDN);
      mpfr_abs(e->t, e->d, MPFR_RNDN);
      break;
    default: /* bilinear */
      mpfr_set(e->a, g, MPFR_RNDN);
      mpfr_set_ui(e->d, 1, MPFR_RNDN);
      mpfr_set_ui(e->t, 1, MPFR_RNDN);
  }
  mpfr_clear(g);
}

/* ---- error of one result ---------------------------------------------- */
static void format_of(glk_dtype dt, int *prec, int *emin, double *max) {
  switch (dt) {
    case GLK_DTYPE_F32: *prec = 24, *emin = -126, *max = FLT_MAX; return;
    case GLK_DTYPE_F64: *prec = 53, *emin = -1022, *max = DBL_MAX; return;
    case GLK_DTYPE_F16: *prec = 11, *emin = -14, *max = 65504; return;
    default: *prec = 8, *emin = -126, *max = 0x1.fep127;
  }
}

/* |got - x| in ULP of dt at x; *abs_err receives |got - x| (as a double). */
static double ulp_err(glk_dtype dt, long double got, const mpfr_t x, mpfr_t absd) {
  int prec, emin;
  double max;
  format_of(dt, &prec, &emin, &max);
  if (isnan(got)) { mpfr_set_inf(absd, 1); return INFINITY; }
  if (isinf(got)) {
    mpfr_set_ui(absd, 0, MPFR_RNDN);
    const int ok = mpfr_cmpabs_ui(x, 0) > 0 && mpfr_sgn(x) == (got > 0 ? 1 : -1) &&
                   mpfr_get_d(x, MPFR_RNDZ) * (got > 0 ? 1 : -1) >= max;
    if (!ok) mpfr_set_inf(absd, 1);
    return ok ? 0 : INFINITY;
  }
  mpfr_set_ld(absd, got, MPFR_RNDN);
  mpfr_sub(absd, absd, x, MPFR_RNDN);
  mpfr_abs(absd, absd, MPFR_RNDN);
  long e = mpfr_zero_p(x) ? emin : mpfr_get_exp(x) - 1; /* x = m 2^exp, m in [1/2,1) */
  if (e < emin) e = emin;
  mpfr_t u;
  mpfr_init2(u, PREC);
  mpfr_mul_2si(u, absd, -(e - (prec - 1)), MPFR_RNDN);
  const double r = mpfr_get_d(u, MPFR_RNDU);
  mpfr_clear(u);
  return r;
}

/* ---- one sweep: arrays of (v, g, dy) through the library ------------------ */
typedef struct stats {
  double y, dv, dg, dg_free, dg_terms; /* maxima */
  long bad;                            /* points past the documented bound */
} stats;

static int g_check, g_failed;

static void run_lib(glk_dtype dt, glk_act act, glk_isa isa, size_t n, const void *v,
                    const void *g, const void *dy, void *y, void *dv, void *dg) {
  int64_t shape[1] = {(int64_t)n};
  glk_tensor tv, tg, tdy, ty, tdv, tdg;
  glk_tensor_init(&tv, (void *)v, dt, 1, shape, NULL);
  glk_tensor_init(&tg, (void *)g, dt, 1, shape, NULL);
  glk_tensor_init(&tdy, (void *)dy, dt, 1, shape, NULL);
  glk_tensor_init(&ty, y, dt, 1, shape, NULL);
  glk_tensor_init(&tdv, dv, dt, 1, shape, NULL);
  glk_tensor_init(&tdg, dg, dt, 1, shape, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = act, o.isa = isa;
  if (glk_forward_split(&tv, &tg, &ty, &o) != GLK_OK ||
      glk_backward_split(&tv, &tg, &tdy, &tdv, &tdg, &o) != GLK_OK) {
    fprintf(stderr, "glukit_accuracy: %s\n", glk_last_error());
    exit(2);
  }
}

static const glk_isa kIsas[] = {GLK_ISA_SCALAR, GLK_ISA_AVX2, GLK_ISA_AVX512, GLK_ISA_NEON};

/* Sweeps n points; `share_gate` = the exact act is computed once per gate
 * run (the value sweeps reuse it). Prints one row per ISA. */
static void sweep(const char *name, glk_dtype dt, glk_act act, size_t n, const void *v,
                  const void *g, const void *dy) {
  const size_t es = glk_dtype_size(dt);
  unsigned char *y = malloc(n * es), *dv = malloc(n * es), *dg = malloc(n * es);
  stats st[4] = {{0}};
  int have[4];
  unsigned char *out[4][3];
  for (int i = 0; i < 4; i++) {
    have[i] = glk_isa_supported(kIsas[i]);
    if (!have[i]) continue;
    for (int k = 0; k < 3; k++) out[i][k] = malloc(n * es);
    run_lib(dt, act, kIsas[i], n, v, g, dy, out[i][0], out[i][1], out[i][2]);
  }
  exact_act e;
  mpfr_t x, vx, dyx, T, absd, allow;
  mpfr_inits2(PREC, e.a, e.d, e.t, x, vx, dyx, T, absd, allow, (mpfr_ptr)0);
  double last_g = NAN;
  for (size_t p = 0; p < n; p++) {
    const long double vl = dtype_decode(dt, (const unsigned char *)v + p * es),
                      gl = dtype_decode(dt, (const unsigned char *)g + p * es),
                      dyl = dtype_decode(dt, (const unsigned char *)dy + p * es);
    if (!isfinite(vl) || !isfinite(gl) || !isfinite(dyl)) continue;
    if (!((double)gl == last_g)) exact_of(act, (double)gl, GLK_DEFAULT_ALPHA, GLK_DEFAULT_LIMIT, &e);
    last_g = (double)gl;
    long double vc = vl; /* swiglu_oai: (clamp(v) + 1) multiplies act */
    int v_in = 1;
    if (act == GLK_ACT_SWIGLU_OAI) {
      v_in = vl >= -GLK_DEFAULT_LIMIT && vl <= GLK_DEFAULT_LIMIT;
      vc = (vl > GLK_DEFAULT_LIMIT ? GLK_DEFAULT_LIMIT : vl < -GLK_DEFAULT_LIMIT ? -GLK_DEFAULT_LIMIT : vl) + 1;
    }
    mpfr_set_ld(vx, vc, MPFR_RNDN);
    mpfr_set_ld(dyx, dyl, MPFR_RNDN);
    for (int i = 0; i < 4; i++) {
      if (!have[i]) continue;
      const double b = bound_ulp(kIsas[i], dt, act);
      const int w = working_bits_of(kIsas[i], dt);
      stats *s = &st[i];
      /* y = v act */
      mpfr_mul(x, vx, e.a, MPFR_RNDN);
      double err = ulp_err(dt, dtype_decode(dt, out[i][0] + p * es), x, absd);
      if (err > s->y) s->y = err;
      s->bad += err > b;
      /* dv = dy act (0 outside the clamp) */
      mpfr_mul(x, dyx, e.a, MPFR_RNDN);
      if (!v_in) mpfr_set_ui(x, 0, MPFR_RNDN);
      err = ulp_err(dt, dtype_decode(dt, out[i][1] + p * es), x, absd);
      if (err > s->dv) s->dv = err;
      s->bad += err > b;
      /* dg = dy v act', its terms T = |dy v| t */
      mpfr_mul(x, dyx, vx, MPFR_RNDN);
      mpfr_mul(T, x, e.t, MPFR_RNDN);
      mpfr_abs(T, T, MPFR_RNDN);
      mpfr_mul(x, x, e.d, MPFR_RNDN);
      err = ulp_err(dt, dtype_decode(dt, out[i][2] + p * es), x, absd);
      if (err > s->dg) s->dg = err;
      mpfr_mul_2ui(allow, x, 1, MPFR_RNDN);
      if (mpfr_cmpabs(T, allow) <= 0 && err > s->dg_free) s->dg_free = err;
      if (!mpfr_zero_p(T)) {
        mpfr_div(allow, absd, T, MPFR_RNDN);
        int prec, emin;
        double max;
        format_of(dt, &prec, &emin, &max);
        const double rel = ldexp(mpfr_get_d(allow, MPFR_RNDU), prec);
        if (rel > s->dg_terms) s->dg_terms = rel;
      }
      /* documented: b ULP + T 2^-w */
      if (err > b) {
        mpfr_mul_2si(allow, T, -w, MPFR_RNDN);
        if (mpfr_cmp(absd, allow) > 0) {
          /* absd - T 2^-w must be within b ULP: recompute as ULP */
          mpfr_sub(allow, absd, allow, MPFR_RNDN);
          mpfr_set(absd, allow, MPFR_RNDN);
          long ex = mpfr_zero_p(x) ? -1022 : mpfr_get_exp(x) - 1;
          int prec, emin;
          double max;
          format_of(dt, &prec, &emin, &max);
          if (ex < emin) ex = emin;
          mpfr_mul_2si(allow, absd, -(ex - (prec - 1)), MPFR_RNDN);
          if (mpfr_get_d(allow, MPFR_RNDU) > b) s->bad++;
        }
      }
    }
  }
  for (int i = 0; i < 4; i++) {
    if (!have[i]) continue;
    const stats *s = &st[i];
    printf("| %s | %s | %s | %s | %.3g | %.3g | %.3g | %.3g | %.3g | %g | %s |\n",
           glk_act_name(act), glk_dtype_name(dt), glk_isa_name(kIsas[i]), name, s->y,
           s->dv, s->dg, s->dg_free, s->dg_terms, bound_ulp(kIsas[i], dt, act),
           s->bad ? "**FAIL**" : "ok");
    if (s->bad) g_failed = 1;
    for (int k = 0; k < 3; k++) free(out[i][k]);
  }
  fflush(stdout);
  mpfr_clears(e.a, e.d, e.t, x, vx, dyx, T, absd, allow, (mpfr_ptr)0);
  free(y), free(dv), free(dg);
}

/* ---- the sweeps ----------------------------------------------------------- */
static void fill_const(glk_dtype dt, void *a, size_t n, long double x) {
  const size_t es = glk_dtype_size(dt);
  for (size_t i = 0; i < n; i++) dtype_encode_nearest(dt, x, (unsigned char *)a + i * es);
}

static uint64_t g_half_stride = 1; /* --half-stride */

static void half_sweeps(glk_dtype dt, glk_act act) {
  static const long double values[] = {1, -1, 0.375, 5.5};
  static const long double gates[] = {-3, -0.75, 0.5, 2.25};
  const size_t n = (65536 + g_half_stride - 1) / g_half_stride;
  uint16_t *pat = malloc(n * 2), *c = malloc(n * 2), *one = malloc(n * 2);
  for (size_t i = 0; i < n; i++) pat[i] = (uint16_t)(i * g_half_stride);
  fill_const(dt, one, n, 1);
  char name[64];
  for (int k = 0; k < 4; k++) {
    fill_const(dt, c, n, values[k]);
    snprintf(name, sizeof name, "%s gates, v=%Lg", g_half_stride > 1 ? "strided" : "all", values[k]);
    sweep(name, dt, act, n, c, pat, one);
  }
  for (int k = 0; k < 4; k++) {
    fill_const(dt, c, n, gates[k]);
    snprintf(name, sizeof name, "%s values, g=%Lg", g_half_stride > 1 ? "strided" : "all", gates[k]);
    sweep(name, dt, act, n, pat, c, one);
  }
  free(pat), free(c), free(one);
}

static void f32_stride(glk_act act, uint64_t stride) {
  const size_t n = (size_t)((0x100000000ull + stride - 1) / stride);
  uint32_t *g = malloc(n * 4);
  float *one = malloc(n * 4);
  for (size_t i = 0; i < n; i++) g[i] = (uint32_t)(i * stride), one[i] = 1;
  char name[64];
  snprintf(name, sizeof name, "gate bits i*%llu, v=1", (unsigned long long)stride);
  sweep(name, GLK_DTYPE_F32, act, n, one, g, one);
  free(g), free(one);
}

/* Random triples: v, dy log-uniform in +-[2^-4, 2^4]; g half uniform in
 * [-20, 20], half log-uniform in +-[2^-30, 2^7]. */
static void sampled(glk_dtype dt, glk_act act, size_t n) {
  const size_t es = glk_dtype_size(dt);
  unsigned char *v = malloc(n * es), *g = malloc(n * es), *dy = malloc(n * es);
  rng r = {7};
  for (size_t i = 0; i < n; i++) {
    const long double vs = (rng_next(&r) & 1) ? -1 : 1, gs = (rng_next(&r) & 1) ? -1 : 1;
    dtype_encode_nearest(dt, vs * exp2l(rng_uniform(&r, -4, 4)), v + i * es);
    dtype_encode_nearest(dt, exp2l(rng_uniform(&r, -4, 4)), dy + i * es);
    const long double gv = (i & 1) ? rng_uniform(&r, -20, 20) : gs * exp2l(rng_uniform(&r, -30, 7));
    dtype_encode_nearest(dt, gv, g + i * es);
  }
  char name[64];
  snprintf(name, sizeof name, "%zu sampled (v, g, dy)", n);
  sweep(name, dt, act, n, v, g, dy);
  free(v), free(g), free(dy);
}

/* ---- --f32-all: every f32 gate pattern, long-double oracle, threads ------ */
/*
 * All 2^32 f32 gate patterns (NaN and infinities skipped: README's table
 * holds those bit for bit), value 1, dy 1, one variant and ISA at a time.
 * The oracle is tests/support/oracle.c, the formulas in long double (x87:
 * 64-bit significand): its relative error is about 2^-60, i.e. ~2^-36 f32
 * ULP, negligible against the errors measured. Two safeguards make the
 * table rest on MPFR all the same:
 *  - every point whose long-double error is within --window (0.01) ULP of
 *    the running maximum of y, dv, dg or dg-without-cancellation (and at
 *    least --window itself: a maximum below 0.01 ULP is not certified; no
 *    f32 variant has one), or of the documented bound, is re-evaluated
 *    with MPFR at 160 bits, and the MPFR
 *    figure is what enters the maxima and the verdict; so every reported
 *    maximum and every failure is an MPFR measurement;
 *  - a fixed pseudo-random sample (1 point in --mpfr-sample, by a hash of
 *    the gate bits) is re-evaluated too.
 * The largest difference seen between the two oracles' error figures is
 * printed, as evidence for the 2^-36 claim. The long-double ULP is taken at
 * |exact| (1 - 2^-56): an oracle value just above a power of two then gives
 * the lower binade's (smaller) ULP, so the error can only be overestimated
 * (which sends the point to MPFR), never underestimated.
 */
typedef struct errs { double y, dv, dg, dg_free, dg_terms, dg_excess; } errs;

typedef struct f32all_job {
  glk_act act;
  glk_isa isa;
  uint64_t from, to, block, sample_mask;
  double window, bound;
  int w;
  double w_scale; /* 2^-w */
  uint64_t next; /* atomic: next block start */
  pthread_mutex_t lock;
  /* merged results */
  errs max;
  uint64_t points, checked, sampled, bad;
  double disc_ydv, disc_dg; /* max |ld - MPFR| error figures, ULP */
  uint32_t worst_g[4];      /* gate bits of the maxima y, dv, dg, dg_free */
  uint64_t blocks_done, blocks_total;
  double t0;
  errs seed; /* MPFR maxima over a stride through the range, before the run */
  uint32_t seed_g[4];
  int oracle_ld;      /* --oracle ld: no double tier */
  uint64_t forwarded; /* points the double tier passed to long double */
  uint64_t d_viol;    /* MPFR figures above the double tier's bound (must be 0) */
  double d_ratio_mpfr, d_ratio_ld; /* max (e_ref - e_d) / delta over y, dv, dg */
  long double clamp_odv, clamp_odg, clamp_T; /* swiglu_oai: oracle at any g > L */
} f32all_job;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double ulp_err_ld(long double got, long double exact) {
  if (isnan(got) || isnan(exact) || isinf(got) || isinf(exact))
    return ulp_error(GLK_DTYPE_F32, got, exact);
  return (double)(fabsl(got - exact) / dtype_ulp(GLK_DTYPE_F32, exact * (1 - 0x1p-56L)));
}

/* dg's excess over the documented allowance T 2^-w, in ULP (0 if within). */
static double excess_ld(double err, long double got, long double exact, long double T, int w) {
  const long double absd = fabsl(got - exact), allow = ldexpl(T, -w);
  if (!(err > 0) || isinf(err) || absd <= allow) return isinf(err) ? err : 0;
  return (double)((absd - allow) / dtype_ulp(GLK_DTYPE_F32, exact * (1 - 0x1p-56L)));
}

static void point_ld(const f32all_job *j, float g, float y, float dv, float dg, errs *e) {
  long double odv, odg, T;
  if (j->act == GLK_ACT_SWIGLU_OAI && g > GLK_DEFAULT_LIMIT) /* clamped: the values at L */
    odv = j->clamp_odv, odg = j->clamp_odg, T = j->clamp_T;
  else oracle_backward(j->act, 1.0L, g, 1.0L, &oracle_default_params, &odv, &odg, &T);
  const long double oy = j->act == GLK_ACT_SWIGLU_OAI ? 2 * odv : odv; /* v = 1 */
  e->y = ulp_err_ld(y, oy);
  e->dv = ulp_err_ld(dv, odv);
  e->dg = ulp_err_ld(dg, odg);
  e->dg_free = T <= 2 * fabsl(odg) ? e->dg : 0;
  e->dg_terms = T > 0 ? (double)(fabsl(dg - odg) / T * 0x1p24L) : 0;
  e->dg_excess = excess_ld(e->dg, dg, odg, T, j->w);
}

/* ---- --f32-all's first tier: the formulas in double ---------------------- */
/*
 * The same formulas as tests/support/oracle.c (README "Numerics"), in double
 * with glibc's exp and erfc, for v = 1, dy = 1: about 20-60 ns a gate
 * against ~300 ns in x87 long double. It only decides which points the
 * long-double tier sees; it never enters a maximum or a verdict.
 *
 * Its error bound. Every evaluation is a short chain of double operations
 * (relative error u = 2^-53 each; glibc's exp < 1 ulp, erfc < 6 ulp) on an
 * exact f32 gate, so each term of act and act' has relative error at most
 * K u, K = 64 (about 20 u is the worst chain), plus the amplification of
 * the rounding of the argument of exp / erfc: an absolute error d in the
 * argument s of e^s is a relative error d of the result, and s is formed
 * with relative error <= 8 u (geglu_tanh's 2u(g): g^3, the two constants,
 * one sum of like-signed terms, two products), so d <= 8 u |s|; each term
 * has at most two such factors (sigma(s) sigma(-s)). erfc(x) in its tail
 * is ~ e^-x^2 / (x sqrt(pi)): a relative error u|x| in x = -g/sqrt2 (one
 * constant, one product: 2 u) becomes a relative error ~ 2x^2 * 2u (for
 * x <= 0, g >= 0, erfc is in [1, 2] and that costs < 1 u). So e = e^-s
 * carries E = (4 + 32|s|) u; sigma(s) = 1/(1+e) and act = g/(1+e) then
 * carry t E + K u (t = sigma(-s): the amplification only counts where e
 * matters, which keeps large positive gates from getting a bound of many
 * ULP), sigma(-s) = e/(1+e) 2E + K u; erfc's tail (K + 32 x^2) u, the pdf
 * (K + 32 x^2) u.
 *   y, dv: |act_d - act| <= ra |act_d| + F (ra: act's bound above);
 *   dg:    |act'_d - act'| <= 2 sum |term| (its bound) + F, at most
 *          2 r T with T the sum of the magnitudes of the terms of act', so
 *          roots of act' (GELU' at g ~ -0.75, swiglu' at g ~ -1.28), where
 *          act' is tiny against T, get a large bound in ULP of dg and go
 *          on to the long-double tier;
 * F = 2^-900 covers results that underflow double (or are cut to 0 where
 * exp would overflow: |g| e^-709 < 2^-1000 for any f32 g; subnormal
 * intermediates times factors below 2^129). reglu and bilinear are exact
 * in double (no bound).
 * The bound in ULP: an error figure e_d = |got - o_d| / U, with U the f32
 * ULP at |o_d| - D (D the absolute bound above), which is <= the ULP at
 * the exact value, so e_true <= e_d + D / U; the rounding of the figure
 * itself adds 2^-50 e_d. Both go into the figure's `delta` below.
 * With --check, every point that reaches MPFR also checks e_mpfr <= e_d +
 * delta (counted in the second comment line; any violation fails).
 */
#define D_K 64.0
#define D_A 32.0

/* sigma(x), sigma(-x) and 1 + e^-x from one exp: s = 1/q, t = e/q.
 * Beyond the cuts the dropped parts are below 2^-1000 (|x| e^-709 for any
 * f32 x), within F. */
static void d_sig2(double x, double *s, double *t, double *q) {
  if (x > 745) { *s = 1, *t = 0, *q = 1; return; }
  if (x < -709) { *s = 0, *t = 1, *q = INFINITY; return; }
  const double e = exp(-x);
  *q = 1 + e, *s = 1 / *q, *t = e / *q;
}

/* f32's ULP at a >= 0 (no upper clamp, as dtype_ulp): a's exponent - 23. */
static double f32_ulp(double a) {
  if (!(a >= 0x1p-126)) return 0x1p-149;
  uint64_t b;
  memcpy(&b, &a, 8);
  b = (b & 0x7ff0000000000000ull) - (23ull << 52);
  memcpy(&a, &b, 8);
  return a;
}

/* act, act', ld-style T (tests/support/oracle.c's dg_scale), the relative
 * error bound ra of act and the absolute one Dd of act' (F included), for
 * v = 1, dy = 1; exact: reglu and bilinear. */
typedef struct dorc { double a, d, T, ra, Dd; int exact, T_ld_zero; } dorc;

/* Where tests/support/oracle.c's sigma(x) is 0 (-x > ORACLE_EXPL_MAX, 11357)
 * its T is exactly 0, and so its dg_terms; with a margin for the rounding
 * of x in double against long double. */
#define D_LD_SIG_ZERO 11358.0
#define D_U 0x1p-53
#define D_F 0x1p-900

/* The sigmoid family's bounds from e = e^-x: E bounds e's relative error
 * (exp's own and the argument's rounding, amplified by |x|); s = 1/(1+e)
 * and act = g/(1+e) then have relative error <= t E + K u and t = e/(1+e)
 * <= 2E + K u: the amplification only counts where e matters. */
static void d_sig_bounds(double x, double t, double *Ra, double *Rt) {
  const double E = (4 + D_A * fabs(x)) * D_U;
  *Ra = t * E + D_K * D_U, *Rt = 2 * E + D_K * D_U;
}

static void oracle_d(glk_act act, double g, dorc *o) {
  double Ra, Rt;
  o->T = 1, o->exact = 0, o->T_ld_zero = 0;
  switch (act) {
    case GLK_ACT_GLU: {
      double s, t, q;
      d_sig2(g, &s, &t, &q);
      d_sig_bounds(g, t, &Ra, &Rt);
      o->a = s, o->d = s * t, o->ra = Ra;
      o->Dd = 2 * fabs(o->d) * (Ra + Rt) + D_F;
      o->T = o->d; /* one term (oracle.c) */
      o->T_ld_zero = fabs(g) > D_LD_SIG_ZERO;
      return;
    }
    case GLK_ACT_SWIGLU:
    case GLK_ACT_GEGLU_QUICK:
    case GLK_ACT_SWIGLU_OAI: {
      const double L = GLK_DEFAULT_LIMIT;
      const double b = act == GLK_ACT_SWIGLU ? 1.0 : act == GLK_ACT_GEGLU_QUICK ? 1.702
                                                                              : GLK_DEFAULT_ALPHA;
      const double gc = act == GLK_ACT_SWIGLU_OAI && g > L ? L : g;
      const double bg = b * gc;
      double s, t, q;
      d_sig2(bg, &s, &t, &q);
      d_sig_bounds(bg, t, &Ra, &Rt);
      const double tail = s * t == 0 ? 0.0 : bg * s * t;
      o->a = gc / q, o->d = s + tail, o->T = s * (1 + fabs(bg) * t), o->ra = Ra;
      o->Dd = 2 * (s * Ra + fabs(tail) * (Ra + Rt)) + D_F;
      o->T_ld_zero = -bg > D_LD_SIG_ZERO;
      if (act == GLK_ACT_SWIGLU_OAI) { /* (clamp(1) + 1) = 2 multiplies act' */
        o->d *= 2, o->T *= 2, o->Dd *= 2;
        if (g > L) o->d = 0, o->Dd = D_F; /* exact 0 beyond the limit */
      }
      return;
    }
    case GLK_ACT_GEGLU: {
      const double x = -g * 0.70710678118654752440;
      const double cdf = x > 27.3 ? 0.0 : 0.5 * erfc(x); /* erfc(27.3) < 2^-1080 */
      const double h = 0.5 * g * g;
      const double pdf = h > 745 ? 0.0 : 0.39894228040143267794 * exp(-h);
      const double gp = pdf == 0 ? 0.0 : g * pdf;
      /* erfc's tail (g < 0) amplifies x's rounding by ~2x^2 = 2h; for
       * x <= 0, erfc is in [1, 2] and x's rounding costs < 1 u */
      const double Rc = (D_K + (g < 0 ? D_A * h : 0)) * D_U, Rp = (D_K + D_A * h) * D_U;
      o->a = g * cdf, o->d = cdf + gp, o->T = cdf + fabs(gp), o->ra = Rc;
      o->Dd = 2 * (cdf * Rc + fabs(gp) * Rp) + D_F;
      o->T_ld_zero = g < -160; /* erfcl(113) and expl(-12800) are 0 in x87 */
      return;
    }
    case GLK_ACT_GEGLU_TANH: {
      const double k = 0.79788456080286535588;
      const double u2 = 2.0 * k * (g + 0.044715 * g * g * g);
      double s, t, q;
      d_sig2(u2, &s, &t, &q);
      d_sig_bounds(u2, t, &Ra, &Rt);
      t *= s;
      const double tail = t == 0 ? 0.0 : g * t * 2.0 * k * (1.0 + 0.134145 * g * g);
      o->a = g / q, o->d = s + tail, o->T = s + fabs(tail), o->ra = Ra;
      o->Dd = 2 * (s * Ra + fabs(tail) * (Ra + Rt)) + D_F;
      o->T_ld_zero = -u2 > D_LD_SIG_ZERO;
      return;
    }
    case GLK_ACT_REGLU:
      o->a = g < 0 ? 0.0 : g, o->d = g > 0 ? 1.0 : 0.0;
      break;
    default: /* bilinear */
      o->a = g, o->d = 1;
  }
  o->exact = 1, o->ra = 0, o->Dd = 0;
}

/* One figure: e = |got - o| / U and its bound delta (see above). */
static double fig_d(float got, double o, double D, double *delta) {
  if (!isfinite(o) || !isfinite(got)) { *delta = 0; return INFINITY; }
  const double lo = fabs(o) - D, U = f32_ulp(lo > 0 ? lo : 0);
  const double e = fabs((double)got - o) / U;
  *delta = D / U + e * 0x1p-50;
  return e;
}

/* The double tier's figures and their bounds: hi.f = e.f + delta.f bounds
 * the exact figure from above (dg_free: generous on which side of T = 2|dg|
 * a point lies; dg_excess, dg_terms: their own margins). */
static void point_d(const f32all_job *j, float g, float y, float dv, float dg, errs *e,
                    errs *delta) {
  dorc o;
  oracle_d(j->act, g, &o);
  const double two = j->act == GLK_ACT_SWIGLU_OAI ? 2.0 : 1.0; /* y = (clamp(1)+1) act */
  const double Da = o.exact ? 0 : fabs(o.a) * o.ra + D_F, Dg = o.Dd;
  e->y = fig_d(y, two * o.a, two * Da, &delta->y);
  e->dv = fig_d(dv, o.a, Da, &delta->dv);
  e->dg = fig_d(dg, o.d, Dg, &delta->dg);
  /* ld counts dg as free of cancellation when T <= 2|dg|; T's error, as
   * act''s, is within Dg */
  const int free_ = o.T - Dg <= 2 * fabs(o.d) + 2 * Dg;
  e->dg_free = free_ ? e->dg : 0, delta->dg_free = free_ ? delta->dg : 0;
  e->dg_terms = 0, delta->dg_terms = 0;
  /* dg_terms = |dg - act'| / T 2^24 needs T well above Dg (not so where T
   * underflows double but not long double, e.g. swiglu at 709 < -g < 11357):
   * else pass the point on; where the long-double T is 0 too, so is its
   * dg_terms */
  if (!o.exact && !(o.T > 0x1p30 * Dg)) e->dg_terms = o.T_ld_zero ? 0 : INFINITY;
  else if (o.T > 0 && isfinite(e->dg)) {
    e->dg_terms = fabs((double)dg - o.d) / o.T * 0x1p24;
    delta->dg_terms = Dg / o.T * 0x1p24 + e->dg_terms * (2 * Dg / o.T + 0x1p-50);
  }
  /* dg's excess over T 2^-w, overestimated: |got - o| + Dg against the
   * allowance of a T smaller by Dg, in the smaller ULP */
  e->dg_excess = 0, delta->dg_excess = 0;
  if (!isfinite(e->dg)) e->dg_excess = INFINITY;
  else {
    const double lo = fabs(o.d) - Dg, U = f32_ulp(lo > 0 ? lo : 0);
    const double hi = fabs((double)dg - o.d) + Dg - (o.T - Dg) * j->w_scale;
    if (hi > 0) e->dg_excess = hi / U * (1 + 0x1p-50);
  }
}

/* Whether a point might reach a running maximum or the bound: then the
 * long-double tier sees it (and decides, as with --oracle ld, what goes to
 * MPFR). Otherwise its exact figures lie below every maximum by more than
 * the window and below the bound, so the long-double tier would neither
 * forward it nor change a maximum, and it is skipped. */
static int d_may_matter(const f32all_job *j, const errs *e, const errs *d, const errs *mx) {
  const double lo = j->window;
#define HI(f) (e->f + d->f)
#define MAY(f) (HI(f) > mx->f || (HI(f) >= lo && HI(f) >= mx->f - lo))
  return MAY(y) || MAY(dv) || MAY(dg) || MAY(dg_free) || HI(dg_terms) > mx->dg_terms ||
         HI(y) >= j->bound - lo || HI(dv) >= j->bound - lo || e->dg_excess >= j->bound - lo;
#undef MAY
#undef HI
}

/* The same figures with MPFR (160 bits): the code of sweep() for one point. */
static void point_mpfr(const f32all_job *j, float g, float y, float dv, float dg, errs *e) {
  exact_act ex;
  mpfr_t x, vx, T, absd, allow;
  mpfr_inits2(PREC, ex.a, ex.d, ex.t, x, vx, T, absd, allow, (mpfr_ptr)0);
  exact_of(j->act, g, GLK_DEFAULT_ALPHA, GLK_DEFAULT_LIMIT, &ex);
  mpfr_set_ui(vx, j->act == GLK_ACT_SWIGLU_OAI ? 2 : 1, MPFR_RNDN); /* (clamp(1) + 1) or 1 */
  mpfr_mul(x, vx, ex.a, MPFR_RNDN);
  e->y = ulp_err(GLK_DTYPE_F32, y, x, absd);
  e->dv = ulp_err(GLK_DTYPE_F32, dv, ex.a, absd);
  mpfr_mul(T, vx, ex.t, MPFR_RNDN);
  mpfr_mul(x, vx, ex.d, MPFR_RNDN);
  e->dg = ulp_err(GLK_DTYPE_F32, dg, x, absd);
  mpfr_mul_2ui(allow, x, 1, MPFR_RNDN);
  e->dg_free = mpfr_cmpabs(T, allow) <= 0 ? e->dg : 0;
  e->dg_terms = 0;
  if (!mpfr_zero_p(T)) {
    mpfr_div(allow, absd, T, MPFR_RNDN);
    e->dg_terms = ldexp(mpfr_get_d(allow, MPFR_RNDU), 24);
  }
  e->dg_excess = 0;
  if (isinf(e->dg)) e->dg_excess = e->dg;
  else if (e->dg > 0) {
    mpfr_mul_2si(allow, T, -j->w, MPFR_RNDN);
    if (mpfr_cmp(absd, allow) > 0) {
      mpfr_sub(absd, absd, allow, MPFR_RNDN);
      long ex2 = mpfr_zero_p(x) ? -126 : mpfr_get_exp(x) - 1;
      if (ex2 < -126) ex2 = -126;
      mpfr_mul_2si(allow, absd, -(ex2 - 23), MPFR_RNDN);
      e->dg_excess = mpfr_get_d(allow, MPFR_RNDU);
    }
  }
  mpfr_clears(ex.a, ex.d, ex.t, x, vx, T, absd, allow, (mpfr_ptr)0);
}

/* The largest (e_ref - e_d) / delta over y, dv and dg: how much of its
 * bound the double tier used; with viol, counts reference figures above
 * e_d + delta (beyond the MPFR figure's own upward rounding). */
static double d_ratio(const errs *ref, const errs *ed, const errs *dd, uint64_t *viol) {
  const double *r = &ref->y, *e = &ed->y, *d = &dd->y;
  double worst = 0;
  for (int k = 0; k < 3; k++) {
    if (!isfinite(r[k]) || !isfinite(e[k])) continue;
    if (viol && r[k] > (e[k] + d[k]) * (1 + 0x1p-40) + 0x1p-1000) ++*viol;
    if (d[k] > 0 && (r[k] - e[k]) / d[k] > worst) worst = (r[k] - e[k]) / d[k];
  }
  return worst;
}

static void *f32all_worker(void *arg) {
  f32all_job *j = arg;
  mpfr_inits2(PREC, tmp1, tmp2, tmp3, (mpfr_ptr)0);
  const size_t B = (size_t)j->block;
  float *g = malloc(B * 4), *one = malloc(B * 4), *y = malloc(B * 4), *dv = malloc(B * 4),
        *dg = malloc(B * 4);
  for (size_t i = 0; i < B; i++) one[i] = 1;
  errs mx = j->seed; /* certified maxima of the pre-pass */
  uint32_t worst[4];
  memcpy(worst, j->seed_g, sizeof worst);
  uint64_t points = 0, checked = 0, sampled = 0, bad = 0, forwarded = 0, d_viol = 0;
  double disc_ydv = 0, disc_dg = 0, d_ratio_mpfr = 0, d_ratio_ld = 0;
  const int use_d = !j->oracle_ld;
  errs plateau_err = {0}; /* set before use (have_plateau); zeroed for gcc */
  float plateau_out[3] = {0};
  int have_plateau = 0;
  for (;;) {
    const uint64_t start = __atomic_fetch_add(&j->next, j->block, __ATOMIC_RELAXED);
    if (start >= j->to) break;
    const size_t n = (size_t)(j->to - start < j->block ? j->to - start : j->block);
    size_t m = 0; /* finite gates of this block, packed */
    for (size_t i = 0; i < n; i++) {
      const uint32_t bits = (uint32_t)(start + i);
      if ((bits & 0x7f800000u) == 0x7f800000u) continue;
      memcpy(&g[m++], &bits, 4);
    }
    if (m) run_lib(GLK_DTYPE_F32, j->act, j->isa, m, one, g, one, y, dv, dg);
    for (size_t i = 0; i < m; i++) {
      errs e, ed = {0}, dd = {0};
      uint32_t bits;
      memcpy(&bits, &g[i], 4);
      const int sample = (mix64(bits) & j->sample_mask) == 0;
      if (use_d) { /* first tier: double; most points stop here */
        point_d(j, g[i], y[i], dv[i], dg[i], &ed, &dd);
        if (!sample && !d_may_matter(j, &ed, &dd, &mx)) continue;
        forwarded++;
      }
      point_ld(j, g[i], y[i], dv[i], dg[i], &e);
      if (use_d) {
        const double r = d_ratio(&e, &ed, &dd, NULL);
        if (r > d_ratio_ld) d_ratio_ld = r;
      }
      const double lo = j->window;
#define NEAR_MAX(f) (e.f >= lo && e.f >= mx.f - lo)
      const int near = NEAR_MAX(y) || NEAR_MAX(dv) || NEAR_MAX(dg) || NEAR_MAX(dg_free) ||
                       e.y >= j->bound - lo ||
                       e.dv >= j->bound - lo || e.dg_excess >= j->bound - lo ||
                       (e.dg_terms >= lo && e.dg_terms > mx.dg_terms);
      /* swiglu_oai beyond the limit: every gate has the exact values of
       * g = L, so equal outputs have equal errors; one MPFR evaluation serves
       * the whole clamped plateau (else its every point would be re-checked) */
      const int clamped = j->act == GLK_ACT_SWIGLU_OAI && g[i] > GLK_DEFAULT_LIMIT;
      if ((near || sample) && clamped && have_plateau && y[i] == plateau_out[0] &&
          dv[i] == plateau_out[1] && dg[i] == plateau_out[2]) {
        e = plateau_err;
      } else if (near || sample) {
        errs x;
        point_mpfr(j, g[i], y[i], dv[i], dg[i], &x);
        if (clamped)
          plateau_err = x, have_plateau = 1, plateau_out[0] = y[i], plateau_out[1] = dv[i],
          plateau_out[2] = dg[i];
        const double d1 = fmax(fabs(x.y - e.y), fabs(x.dv - e.dv));
        const double d2 = fabs(x.dg - e.dg);
        if (isfinite(d1) && d1 > disc_ydv) disc_ydv = d1;
        if (isfinite(d2) && d2 > disc_dg) disc_dg = d2;
        if (use_d) {
          const double r = d_ratio(&x, &ed, &dd, &d_viol);
          if (r > d_ratio_mpfr) d_ratio_mpfr = r;
        }
        e = x;
        checked++;
        sampled += sample;
      }
      if (e.y > mx.y) mx.y = e.y, worst[0] = bits;
      if (e.dv > mx.dv) mx.dv = e.dv, worst[1] = bits;
      if (e.dg > mx.dg) mx.dg = e.dg, worst[2] = bits;
      if (e.dg_free > mx.dg_free) mx.dg_free = e.dg_free, worst[3] = bits;
      if (e.dg_terms > mx.dg_terms) mx.dg_terms = e.dg_terms;
      bad += (e.y > j->bound) + (e.dv > j->bound) + (e.dg_excess > j->bound);
    }
    points += m;
    pthread_mutex_lock(&j->lock);
    const uint64_t done = ++j->blocks_done;
    if (done % 1024 == 0 || done == j->blocks_total) {
      const double t = now_s() - j->t0;
      fprintf(stderr, "\r%s %s: %5.1f%%  %.0f s, about %.0f s left   ", glk_act_name(j->act),
              glk_isa_name(j->isa), 100.0 * done / j->blocks_total, t,
              t * (j->blocks_total - done) / done);
    }
    pthread_mutex_unlock(&j->lock);
  }
  pthread_mutex_lock(&j->lock);
  const double *src = &mx.y;
  double *dst = &j->max.y;
  for (int k = 0; k < 5; k++)
    if (src[k] > dst[k]) {
      dst[k] = src[k];
      if (k < 4) j->worst_g[k] = worst[k];
    }
  j->points += points, j->checked += checked, j->sampled += sampled, j->bad += bad;
  j->forwarded += forwarded, j->d_viol += d_viol;
  if (d_ratio_mpfr > j->d_ratio_mpfr) j->d_ratio_mpfr = d_ratio_mpfr;
  if (d_ratio_ld > j->d_ratio_ld) j->d_ratio_ld = d_ratio_ld;
  if (disc_ydv > j->disc_ydv) j->disc_ydv = disc_ydv;
  if (disc_dg > j->disc_dg) j->disc_dg = disc_dg;
  pthread_mutex_unlock(&j->lock);
  free(g), free(one), free(y), free(dv), free(dg);
  mpfr_clears(tmp1, tmp2, tmp3, (mpfr_ptr)0);
  mpfr_free_cache();
  return NULL;
}

static void f32_all(glk_act act, glk_isa isa, uint64_t from, uint64_t to, int threads,
                    double window, uint64_t sample, int oracle_ld) {
  f32all_job j;
  memset(&j, 0, sizeof j);
  j.oracle_ld = oracle_ld;
  if (act == GLK_ACT_SWIGLU_OAI) /* every g > L has the oracle values of g = 8 */
    oracle_backward(act, 1.0L, 8.0L, 1.0L, &oracle_default_params, &j.clamp_odv, &j.clamp_odg,
                    &j.clamp_T);
  j.act = act, j.isa = isa, j.from = from, j.to = to, j.next = from;
  j.block = 1 << 16, j.window = window, j.sample_mask = sample - 1;
  j.bound = bound_ulp(isa, GLK_DTYPE_F32, act);
  j.w = working_bits_of(isa, GLK_DTYPE_F32);
  j.w_scale = ldexp(1.0, -j.w);
  j.blocks_total = (to - from + j.block - 1) / j.block;
  pthread_mutex_init(&j.lock, NULL);
  j.t0 = now_s();
  /* Pre-pass: 2^16 points spread over the range, all with MPFR, seed every
   * thread's running maxima, so that the window above selects only points
   * close to the true maxima from the start. */
  {
    const uint64_t step = (to - from) / 65536 ? (to - from) / 65536 : 1;
    size_t m = 0;
    float *g = malloc(65536 * 4), *one = malloc(65536 * 4), *y = malloc(65536 * 4),
          *dv = malloc(65536 * 4), *dg = malloc(65536 * 4);
    for (uint64_t b = from; b < to && m < 65536; b += step) {
      const uint32_t bits = (uint32_t)b;
      if ((bits & 0x7f800000u) == 0x7f800000u) continue;
      memcpy(&g[m], &bits, 4), one[m++] = 1;
    }
    run_lib(GLK_DTYPE_F32, act, isa, m, one, g, one, y, dv, dg);
    for (size_t i = 0; i < m; i++) {
      errs e;
      point_mpfr(&j, g[i], y[i], dv[i], dg[i], &e);
      uint32_t bits;
      memcpy(&bits, &g[i], 4);
      const double *src = &e.y;
      double *dst = &j.seed.y;
      for (int k = 0; k < 5; k++)
        if (src[k] > dst[k]) {
          dst[k] = src[k];
          if (k < 4) j.seed_g[k] = bits;
        }
    }
    j.max = j.seed;
    memcpy(j.worst_g, j.seed_g, sizeof j.seed_g);
    free(g), free(one), free(y), free(dv), free(dg);
  }
  pthread_t th[64];
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, f32all_worker, &j);
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  const double t = now_s() - j.t0;
  fprintf(stderr, "\n");
  char name[96];
  if (from == 0 && to == 0x100000000ull) snprintf(name, sizeof name, "all 2^32 gates, v=1");
  else snprintf(name, sizeof name, "gate bits 0x%08llx..0x%08llx, v=1",
                (unsigned long long)from, (unsigned long long)(to - 1));
  printf("| %s | f32 | %s | %s | %.3g | %.3g | %.3g | %.3g | %.3g | %g | %s |\n",
         glk_act_name(act), glk_isa_name(isa), name, j.max.y, j.max.dv, j.max.dg,
         j.max.dg_free, j.max.dg_terms, j.bound, j.bad ? "**FAIL**" : "ok");
  float wg[4];
  memcpy(wg, j.worst_g, sizeof wg);
  printf("<!-- %s %s: %llu finite gates in %.0f s on %d threads; MPFR re-checked %llu "
         "(%llu random); largest |long double - MPFR| error figure %.2g ULP (y, dv), "
         "%.2g ULP (dg); maxima at g = %.9g (y), %.9g (dv), %.9g (dg), %.9g (dg free); "
         "%llu values past the bound -->\n",
         glk_act_name(act), glk_isa_name(isa), (unsigned long long)j.points, t, threads,
         (unsigned long long)j.checked, (unsigned long long)j.sampled, j.disc_ydv, j.disc_dg,
         wg[0], wg[1], wg[2], wg[3], (unsigned long long)j.bad);
  if (oracle_ld) printf("<!-- %s %s: oracle ld (no double tier) -->\n", glk_act_name(act),
                        glk_isa_name(isa));
  else
    printf("<!-- %s %s: oracle d: %llu points (%.2g%%) passed on to long double; "
           "(figure - double figure) / double bound at most %.2g (MPFR), %.2g (long double); "
           "%llu MPFR figures above the double bound -->\n",
           glk_act_name(act), glk_isa_name(isa), (unsigned long long)j.forwarded,
           100.0 * j.forwarded / (j.points ? j.points : 1), j.d_ratio_mpfr, j.d_ratio_ld,
           (unsigned long long)j.d_viol);
  fflush(stdout);
  if (j.bad || j.d_viol) g_failed = 1;
  pthread_mutex_destroy(&j.lock);
}

static void usage(void) {
  fprintf(stderr,
          "usage: glukit_accuracy [--check] [--stride N | --full] [--samples N] [--half-stride N]\n"
          "       glukit_accuracy --f32-all VARIANT|all [--isa NAME] [--threads N]\n"
          "                       [--range FROM TO] [--window ULP] [--mpfr-sample N]\n"
          "                       [--oracle d|ld] [--check]\n");
  exit(2);
}

int main(int argc, char **argv) {
  uint64_t stride = 65521, from = 0, to = 0x100000000ull, sample = 1 << 16;
  size_t samples = 20000;
  const char *all_variant = NULL, *isa_name = NULL;
  int threads = 2, oracle_ld = 0;
  double window = 0.01;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) g_check = 1;
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc) stride = strtoull(argv[++i], 0, 10);
    else if (!strcmp(argv[i], "--full")) stride = 1;
    else if (!strcmp(argv[i], "--samples") && i + 1 < argc) samples = strtoull(argv[++i], 0, 10);
    else if (!strcmp(argv[i], "--half-stride") && i + 1 < argc) g_half_stride = strtoull(argv[++i], 0, 10);
    else if (!strcmp(argv[i], "--f32-all") && i + 1 < argc) all_variant = argv[++i];
    else if (!strcmp(argv[i], "--isa") && i + 1 < argc) isa_name = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--window") && i + 1 < argc) window = atof(argv[++i]);
    else if (!strcmp(argv[i], "--mpfr-sample") && i + 1 < argc) sample = strtoull(argv[++i], 0, 0);
    else if (!strcmp(argv[i], "--oracle") && i + 1 < argc) {
      ++i;
      if (!strcmp(argv[i], "ld")) oracle_ld = 1;
      else if (!strcmp(argv[i], "d")) oracle_ld = 0;
      else usage();
    }
    else if (!strcmp(argv[i], "--range") && i + 2 < argc) {
      from = strtoull(argv[i + 1], 0, 0), to = strtoull(argv[i + 2], 0, 0), i += 2;
    } else usage();
  }
  if (threads < 1 || threads > 64 || from >= to || to > 0x100000000ull || !sample ||
      (sample & (sample - 1)) || !(g_half_stride & 1))
    usage();
  mpfr_inits2(PREC, tmp1, tmp2, tmp3, sq2pi, c1702, (mpfr_ptr)0);
  mpfr_const_pi(sq2pi, MPFR_RNDN);
  mpfr_mul_2ui(sq2pi, sq2pi, 1, MPFR_RNDN);
  mpfr_sqrt(sq2pi, sq2pi, MPFR_RNDN);
  mpfr_set_str(c1702, "1.702", 10, MPFR_RNDN); /* geglu_quick: decimal 1.702 (swiglu_oai: the double alpha) */
  printf("| variant | dtype | ISA | inputs | y ULP | dv ULP | dg ULP | dg ULP, no cancellation |"
         " dg err / (T 2^-p) | bound | |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  if (all_variant) {
    glk_isa isa = glk_default_isa();
    if (isa_name) {
      isa = GLK_ISA_COUNT;
      for (int k = 0; k < 4; k++)
        if (!strcmp(isa_name, glk_isa_name(kIsas[k]))) isa = kIsas[k];
      if (isa == GLK_ISA_COUNT || !glk_isa_supported(isa)) {
        fprintf(stderr, "glukit_accuracy: ISA %s is not available here\n", isa_name);
        return 2;
      }
    }
    if (threads > 1 && !mpfr_buildopt_tls_p()) {
      fprintf(stderr, "glukit_accuracy: this MPFR is not thread-safe: use --threads 1\n");
      return 2;
    }
    glk_act one;
    const int every = !strcmp(all_variant, "all");
    if (!every && glk_act_from_name(all_variant, &one) != GLK_OK) usage();
    for (int act = 0; act < GLK_ACT_COUNT; act++)
      if (every || act == (int)one) f32_all((glk_act)act, isa, from, to, threads, window, sample, oracle_ld);
  } else {
    for (int act = 0; act < GLK_ACT_COUNT; act++) {
      half_sweeps(GLK_DTYPE_F16, (glk_act)act);
      half_sweeps(GLK_DTYPE_BF16, (glk_act)act);
      f32_stride((glk_act)act, stride);
      sampled(GLK_DTYPE_F32, (glk_act)act, samples);
      sampled(GLK_DTYPE_F64, (glk_act)act, samples);
    }
  }
  mpfr_clears(tmp1, tmp2, tmp3, sq2pi, c1702, (mpfr_ptr)0);
  mpfr_free_cache();
  return g_check && g_failed ? 1 : 0;
}
