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
 * Usage: glukit_accuracy [--check] [--stride N] [--samples N]
 */
#include <float.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"
#include "support/bounds.h"
#include "support/oracle.h"

#define PREC 160

/* act(g), act'(g) and the magnitude T of act''s terms, for one gate. */
typedef struct exact_act { mpfr_t a, d, t; } exact_act;

static mpfr_t tmp1, tmp2, tmp3, sq2pi, c1702;

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
    have[i] = glk_isa_supported(kIsas[i]) && (dt != GLK_DTYPE_F64 || i == 0);
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

static void half_sweeps(glk_dtype dt, glk_act act) {
  static const long double values[] = {1, -1, 0.375, 5.5};
  static const long double gates[] = {-3, -0.75, 0.5, 2.25};
  const size_t n = 65536;
  uint16_t *pat = malloc(n * 2), *c = malloc(n * 2), *one = malloc(n * 2);
  for (size_t i = 0; i < n; i++) pat[i] = (uint16_t)i;
  fill_const(dt, one, n, 1);
  char name[64];
  for (int k = 0; k < 4; k++) {
    fill_const(dt, c, n, values[k]);
    snprintf(name, sizeof name, "all gates, v=%Lg", values[k]);
    sweep(name, dt, act, n, c, pat, one);
  }
  for (int k = 0; k < 4; k++) {
    fill_const(dt, c, n, gates[k]);
    snprintf(name, sizeof name, "all values, g=%Lg", gates[k]);
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

int main(int argc, char **argv) {
  uint64_t stride = 65521;
  size_t samples = 20000;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) g_check = 1;
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc) stride = strtoull(argv[++i], 0, 10);
    else if (!strcmp(argv[i], "--full")) stride = 1;
    else if (!strcmp(argv[i], "--samples") && i + 1 < argc) samples = strtoull(argv[++i], 0, 10);
    else {
      fprintf(stderr, "usage: glukit_accuracy [--check] [--stride N | --full] [--samples N]\n");
      return 2;
    }
  }
  mpfr_inits2(PREC, tmp1, tmp2, tmp3, sq2pi, c1702, (mpfr_ptr)0);
  mpfr_const_pi(sq2pi, MPFR_RNDN);
  mpfr_mul_2ui(sq2pi, sq2pi, 1, MPFR_RNDN);
  mpfr_sqrt(sq2pi, sq2pi, MPFR_RNDN);
  mpfr_set_str(c1702, "1.702", 10, MPFR_RNDN); /* geglu_quick: decimal 1.702 (swiglu_oai: the double alpha) */
  printf("| variant | dtype | ISA | inputs | y ULP | dv ULP | dg ULP | dg ULP, no cancellation |"
         " dg err / (T 2^-p) | bound | |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int act = 0; act < GLK_ACT_COUNT; act++) {
    half_sweeps(GLK_DTYPE_F16, (glk_act)act);
    half_sweeps(GLK_DTYPE_BF16, (glk_act)act);
    f32_stride((glk_act)act, stride);
    sampled(GLK_DTYPE_F32, (glk_act)act, samples);
    sampled(GLK_DTYPE_F64, (glk_act)act, samples);
  }
  mpfr_clears(tmp1, tmp2, tmp3, sq2pi, c1702, (mpfr_ptr)0);
  mpfr_free_cache();
  return g_check && g_failed ? 1 : 0;
}
