/*
 * `glukit demo`: each variant, forward and backward through the public API
 * on a small built-in f32 tensor, compared with the formula evaluated here
 * in long double. The reference is written independently of the library's
 * kernels, in the numerically stable forms: 1 + erf(x) as erfc(-x) and
 * 1 + tanh(u) as 2 sigmoid(2u), so neither cancels in the negative tail.
 */
#include "cli_demo.h"

#include <float.h>
#include <math.h>

#include "glukit.h"

enum { ROWS = 4, COLS = 16, HALF = COLS / 2 };

/* The README's documented f32 bound, in ULP, of the kernels in use: the
 * reference kernels round once from double; the SIMD kernels compute in f32. */
static double documented_bound(glk_isa isa, glk_act act) {
  if (isa == GLK_ISA_SCALAR || act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR)
    return 1.0;
  return 2.0;
}

/* Where dg's terms cancel (near a zero of act'), its error is bounded by the
 * working precision times the terms' size: 2^-50 (double) or 2^-22 (f32). */
static long double working_precision(glk_isa isa) {
  return isa == GLK_ISA_SCALAR ? 0x1p-50L : 0x1p-22L;
}

typedef struct demo_variant {
  glk_act act;
  glk_layout layout;
  glk_gate gate;
  const char *formula;
  const char *split;
} demo_variant;

/* A few rows use the other conventions to show them: vLLM's silu_and_mul
   (gate first) and GPT-OSS's interleaved gate/up pairs. */
static const demo_variant variants[] = {
    {GLK_ACT_GLU, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, "v*sigmoid(g)", "halves"},
    {GLK_ACT_SWIGLU, GLK_LAYOUT_HALVES, GLK_GATE_FIRST, "v*g*sigmoid(g)",
     "halves, gate 1st"},
    {GLK_ACT_GEGLU, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, "v*g/2*(1+erf(g/sqrt2))",
     "halves"},
    {GLK_ACT_GEGLU_TANH, GLK_LAYOUT_HALVES, GLK_GATE_SECOND,
     "v*g/2*(1+tanh(k(g+c*g^3)))", "halves"},
    {GLK_ACT_GEGLU_QUICK, GLK_LAYOUT_HALVES, GLK_GATE_SECOND,
     "v*g*sigmoid(1.702g)", "halves"},
    {GLK_ACT_REGLU, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, "v*max(g,0)", "halves"},
    {GLK_ACT_BILINEAR, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, "v*g", "halves"},
    {GLK_ACT_SWIGLU_OAI, GLK_LAYOUT_INTERLEAVED, GLK_GATE_FIRST,
     "(v'+1)*g'*sigmoid(1.702g')", "pairs, gate 1st"},
};

static long double sigmoid_ld(long double x) {
  if (x >= 0) return 1 / (1 + expl(-x));
  long double e = expl(x);
  return e / (1 + e);
}

/* act(g) and its derivative, for every variant but swiglu_oai. */
static void act_ld(glk_act act, long double g, long double *a, long double *da,
                   long double *da_scale) {
  const long double k = 0.797884560802865355879892119868763737L; /* sqrt(2/pi) */
  const long double c = 0.044715L, quick = 1.702L;
  const long double inv_sqrt2 = 0.707106781186547524400844362104849039L;
  const long double inv_sqrt2pi = 0.398942280401432677939946059934381868L;
  long double s;
  switch (act) {
    case GLK_ACT_GLU:
      s = sigmoid_ld(g);
      *a = s;
      *da = *da_scale = s * (1 - s);
      break;
    case GLK_ACT_SWIGLU:
      s = sigmoid_ld(g);
      *a = g * s;
      *da = s + g * s * (1 - s);
      *da_scale = s + fabsl(g * s * (1 - s));
      break;
    case GLK_ACT_GEGLU: {
      long double phi = 0.5L * erfcl(-g * inv_sqrt2); /* normal CDF */
      *a = g * phi;
      *da = phi + g * inv_sqrt2pi * expl(-0.5L * g * g);
      *da_scale = phi + fabsl(g * inv_sqrt2pi * expl(-0.5L * g * g));
      break;
    }
    case GLK_ACT_GEGLU_TANH: {
      long double u = k * (g + c * g * g * g);
      s = sigmoid_ld(2 * u); /* (1 + tanh u) / 2 */
      *a = g * s;
      *da = s + g * 2 * s * (1 - s) * k * (1 + 3 * c * g * g);
      *da_scale = s + fabsl(g * 2 * s * (1 - s) * k * (1 + 3 * c * g * g));
      break;
    }
    case GLK_ACT_GEGLU_QUICK:
      s = sigmoid_ld(quick * g);
      *a = g * s;
      *da = s + quick * g * s * (1 - s);
      *da_scale = s + fabsl(quick * g * s * (1 - s));
      break;
    case GLK_ACT_REGLU:
      *a = g > 0 ? g : 0;
      *da = *da_scale = g > 0;
      break;
    default: /* bilinear */
      *a = g;
      *da = *da_scale = 1;
      break;
  }
}

/* Exact y, dL/dv and dL/dg for one (v, g) pair and upstream gradient dy. */
static void reference(glk_act act, long double v, long double g, long double dy,
                      long double *y, long double *dv, long double *dg,
                      long double *dg_scale) {
  if (act == GLK_ACT_SWIGLU_OAI) {
    const long double alpha = GLK_DEFAULT_ALPHA, limit = GLK_DEFAULT_LIMIT;
    long double gc = g < limit ? g : limit;
    long double vc = v < -limit ? -limit : v > limit ? limit : v;
    long double s = sigmoid_ld(alpha * gc);
    *y = gc * s * (vc + 1);
    *dv = (v >= -limit && v <= limit) ? dy * gc * s : 0;
    *dg = g <= limit ? dy * (vc + 1) * (s + alpha * gc * s * (1 - s)) : 0;
    *dg_scale = fabsl(dy * (vc + 1)) * (s + fabsl(alpha * gc * s * (1 - s)));
    return;
  }
  long double a, da, da_scale;
  act_ld(act, g, &a, &da, &da_scale);
  *y = v * a;
  *dv = dy * a;
  *dg = dy * v * da;
  *dg_scale = fabsl(dy * v) * da_scale;
}

/* The f32 spacing at x. */
static long double f32_spacing(long double x) {
  if (fabsl(x) < FLT_MIN) return ldexpl(1, -149); /* smallest subnormal */
  int e;
  frexpl(x, &e);
  return ldexpl(1, e - 24);
}

/* |got - exact| in units of the f32 spacing at exact. */
static double ulp_error(float got, long double exact) {
  if (isnan(got) || isnan(exact)) return INFINITY;
  return (double)(fabsl((long double)got - exact) / f32_spacing(exact));
}

/* Column j of a row holding members (first, second) in the given layout. */
static int member_index(glk_layout layout, int j, int second) {
  return layout == GLK_LAYOUT_INTERLEAVED ? 2 * j + second : j + second * HALF;
}

/* Returns 1 when the variant passes; reports its errors in ULP. */
static int run_variant(const demo_variant *var, glk_isa isa, const float *x,
                       const float *dy, double *fwd_ulps, double *bwd_ulps) {
  float y[ROWS * HALF], dx[ROWS * COLS];
  int64_t x_shape[2] = {ROWS, COLS}, y_shape[2] = {ROWS, HALF};
  glk_tensor xt, yt, dyt, dxt;
  glk_options options;
  glk_options_init(&options);
  options.act = var->act;
  options.layout = var->layout;
  options.gate = var->gate;
  if (glk_tensor_init(&xt, (void *)x, GLK_DTYPE_F32, 2, x_shape, NULL) ||
      glk_tensor_init(&yt, y, GLK_DTYPE_F32, 2, y_shape, NULL) ||
      glk_tensor_init(&dyt, (void *)dy, GLK_DTYPE_F32, 2, y_shape, NULL) ||
      glk_tensor_init(&dxt, dx, GLK_DTYPE_F32, 2, x_shape, NULL) ||
      glk_forward(&xt, &yt, &options) || glk_backward(&xt, &dyt, &dxt, &options)) {
    *fwd_ulps = *bwd_ulps = INFINITY;
    return 0;
  }
  *fwd_ulps = *bwd_ulps = 0;
  int gate_second = var->gate == GLK_GATE_SECOND;
  for (int r = 0; r < ROWS; r++) {
    for (int j = 0; j < HALF; j++) {
      int iv = r * COLS + member_index(var->layout, j, gate_second ? 0 : 1);
      int ig = r * COLS + member_index(var->layout, j, gate_second ? 1 : 0);
      long double ey, edv, edg, edg_scale;
      reference(var->act, x[iv], x[ig], dy[r * HALF + j], &ey, &edv, &edg, &edg_scale);
      *fwd_ulps = fmax(*fwd_ulps, ulp_error(y[r * HALF + j], ey));
      *bwd_ulps = fmax(*bwd_ulps, ulp_error(dx[iv], edv));
      /* dg is reported net of the cancellation allowance */
      const double allowance =
          (double)(edg_scale * working_precision(isa) / f32_spacing(edg));
      *bwd_ulps = fmax(*bwd_ulps, ulp_error(dx[ig], edg) - allowance);
    }
  }
  const double bound = documented_bound(isa, var->act);
  return *fwd_ulps <= bound && *bwd_ulps <= bound;
}

int cli_demo(FILE *out) {
  /* Deterministic data spanning [-9, 9], beyond swiglu_oai's clamp at 7. */
  float x[ROWS * COLS], dy[ROWS * HALF];
  for (int i = 0; i < ROWS * COLS; i++) x[i] = (float)(9 * sin(1.3 * i + 0.5));
  for (int i = 0; i < ROWS * HALF; i++) dy[i] = (float)(1.5 * cos(0.7 * i));

  size_t count = sizeof variants / sizeof variants[0];
  char shape[16];
  snprintf(shape, sizeof shape, "%dx%d", ROWS, COLS);
  int failures = 0;
  const glk_isa isa = glk_default_isa();
  fprintf(out,
          "glukit %s demo on %s kernels: X %dx%d f32 in [-9, 9] -> Y %dx%d, "
          "checked against long double\n",
          glk_version_string(), glk_isa_name(isa), ROWS, COLS, ROWS, HALF);
  fprintf(out, "%-12s %-27s %-16s %-5s %8s %8s  %s\n", "variant",
          "formula (g gate, v value)", "split", "shape", "fwd ULP", "bwd ULP",
          "result");
  for (size_t i = 0; i < count; i++) {
    double fwd, bwd;
    int pass = run_variant(&variants[i], isa, x, dy, &fwd, &bwd);
    failures += !pass;
    fprintf(out, "%-12s %-27s %-16s %-5s %8.2f %8.2f  %s\n",
            glk_act_name(variants[i].act), variants[i].formula,
            variants[i].split, shape, fwd, bwd, pass ? "pass" : "FAIL");
  }
  fprintf(out,
          "swiglu_oai: g' = min(g, 7), v' = clamp(v, -7, 7). Pass: within the "
          "README's bound for %s (%s).\n",
          glk_isa_name(isa),
          isa == GLK_ISA_SCALAR ? "1 ULP"
                                : "2 ULP, reglu/bilinear 1 ULP");
  if (failures)
    fprintf(out, "%d of %zu variants FAILED\n", failures, count);
  else
    fprintf(out, "all %zu variants pass\n", count);
  return failures ? 1 : 0;
}
