/*
 * The GLU layer against the unfused reference (f64 BLAS over all tokens +
 * the core operator) in every weight layout, with and without biases and
 * the down projection, odd sizes and blockings; gradients also against
 * float64 finite differences of the layer itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layer_case.h"

#define GUARD 256 /* bytes after the workspace that must stay untouched */

/* Forward through the layer; returns Y as logical doubles. */
static double *layer_forward(layer_case *c, int col_major_y) {
  const int64_t out = case_out_cols(c);
  double *poison = malloc((size_t)(c->T * out + 1) * sizeof *poison);
  for (int64_t i = 0; i < c->T * out; i++) poison[i] = NAN; /* all written? */
  tbuf y = tbuf_mat(c->dt, c->T, out, poison, col_major_y, 1);
  free(poison);
  size_t ws = 0;
  assert_int_equal(glk_glu_workspace_size(&c->layer, c->T, 0, &c->opt, &ws),
                   GLK_OK);
  unsigned char *mem = malloc(ws + GUARD);
  assert_non_null(mem);
  memset(mem, 0xA5, ws + GUARD);
  glk_status st = glk_glu_forward(&c->layer, &c->tx.t, &y.t, mem, ws, &c->opt);
  if (st) fail_msg("%s: %s", glk_status_string(st), glk_last_error());
  for (size_t i = ws; i < ws + GUARD; i++) assert_int_equal(mem[i], 0xA5);
  double *v = malloc((size_t)(c->T * out + 1) * sizeof *v);
  for (int64_t i = 0; i < c->T; i++)
    for (int64_t j = 0; j < out; j++) v[i * out + j] = tbuf_get(&y, i, j);
  free(mem);
  tbuf_free(&y);
  return v;
}

static double tol(const layer_case *c, int64_t k) {
  return (c->dt == GLK_DTYPE_F64 ? 1e-13 : 2e-6) * (double)(k > 8 ? k : 8);
}

/* All logical gradients of a case. */
typedef struct grad_set {
  double *dx, *dw, *dv, *db, *dc, *dw2, *db2;
} grad_set;

static grad_set grad_alloc(const layer_case *c) {
  grad_set g;
  const int64_t T = c->T, D = c->D, H = c->H, O = c->O;
  g.dx = calloc((size_t)(T * D + 1), sizeof(double));
  g.dw = calloc((size_t)(D * H + 1), sizeof(double));
  g.dv = calloc((size_t)(D * H + 1), sizeof(double));
  g.db = calloc((size_t)(H + 1), sizeof(double));
  g.dc = calloc((size_t)(H + 1), sizeof(double));
  g.dw2 = calloc((size_t)(H * O + 1), sizeof(double));
  g.db2 = calloc((size_t)(O + 1), sizeof(double));
  return g;
}

static void grad_free(grad_set *g) {
  free(g->dx), free(g->dw), free(g->dv), free(g->db), free(g->dc),
      free(g->dw2), free(g->db2);
}

/* Backward through the layer into g; accumulate: onto random grads. */
static void layer_backward(layer_case *c, const double *dy, int accumulate,
                           grad_set *g) {
  const int64_t out = case_out_cols(c);
  tbuf tdy = tbuf_mat(c->dt, c->T, out, dy, 0, 0);
  case_grads cg;
  grads_make(&cg, c, accumulate ? 99 : 0);
  cg.g.accumulate = accumulate;
  grad_set before = grad_alloc(c);
  grads_read(&cg, c, before.dw, before.dv, before.db, before.dc, before.dw2,
             before.db2);
  uint64_t s = 7;
  for (int64_t i = 0; i < c->T * c->D; i++)
    before.dx[i] = accumulate ? (float)rng_uniform(&s) : NAN; /* poison */
  tbuf tdx = tbuf_mat(c->dt, c->T, c->D, before.dx, 1, 2);
  glk_options o = c->opt;
  o.accumulate = accumulate;
  size_t ws = 0;
  assert_int_equal(glk_glu_workspace_size(&c->layer, c->T, 1, &o, &ws), GLK_OK);
  unsigned char *mem = malloc(ws + GUARD);
  memset(mem, 0xA5, ws + GUARD);
  glk_status st =
      glk_glu_backward(&c->layer, &c->tx.t, &tdy.t, &tdx.t, &cg.g, mem, ws, &o);
  if (st) fail_msg("%s: %s", glk_status_string(st), glk_last_error());
  for (size_t i = ws; i < ws + GUARD; i++) assert_int_equal(mem[i], 0xA5);
  grads_read(&cg, c, g->dw, g->dv, g->db, g->dc, g->dw2, g->db2);
  for (int64_t i = 0; i < c->T; i++)
    for (int64_t j = 0; j < c->D; j++) g->dx[i * c->D + j] = tbuf_get(&tdx, i, j);
  if (accumulate) { /* subtract what was there */
    for (int64_t i = 0; i < c->T * c->D; i++) g->dx[i] -= before.dx[i];
    for (int64_t i = 0; i < c->D * c->H; i++)
      g->dw[i] -= before.dw[i], g->dv[i] -= before.dv[i];
    for (int64_t i = 0; c->bias && i < c->H; i++)
      g->db[i] -= before.db[i], g->dc[i] -= before.dc[i];
    for (int64_t i = 0; c->down && i < c->H * c->O; i++) g->dw2[i] -= before.dw2[i];
    for (int64_t i = 0; c->down && c->bias && i < c->O; i++)
      g->db2[i] -= before.db2[i];
  }
  free(mem);
  grad_free(&before);
  grads_free(&cg);
  tbuf_free(&tdy);
  tbuf_free(&tdx);
}

static double *random_dy(const layer_case *c, uint64_t seed) {
  const int64_t n = c->T * case_out_cols(c);
  double *dy = malloc((size_t)(n + 1) * sizeof *dy);
  for (int64_t i = 0; i < n; i++)
    dy[i] = c->dt == GLK_DTYPE_F32 ? (float)rng_uniform(&seed)
                                   : rng_uniform(&seed);
  return dy;
}

#define EXPECT_CLOSE(got, want, n, t, what)                                \
  do {                                                                     \
    double e_ = rel_err(got, want, n);                                     \
    if (!(e_ <= (t)))                                                      \
      fail_msg("%s: error %g > %g (pack %d bias %d down %d T%lld D%lld "   \
               "H%lld O%lld act %s)",                                      \
               what, e_, (double)(t), (int)c->pk, c->bias, c->down,        \
               (long long)c->T, (long long)c->D, (long long)c->H,          \
               (long long)c->O, glk_act_name(c->opt.act));                 \
  } while (0)

/* Forward and backward (plain and accumulating) against the reference. */
static void check_case(layer_case *c) {
  const int64_t out = case_out_cols(c);
  const int64_t T = c->T, D = c->D, H = c->H, O = c->O;
  double *want = calloc((size_t)(T * out + 1), sizeof *want);
  reference_forward(c, want);
  double *got = layer_forward(c, 0);
  EXPECT_CLOSE(got, want, T * out, tol(c, D + H), "forward y");
  free(got);
  got = layer_forward(c, 1); /* column-major y */
  EXPECT_CLOSE(got, want, T * out, tol(c, D + H), "forward y (col-major)");
  free(got);

  double *dy = random_dy(c, 12345);
  grad_set r = grad_alloc(c);
  reference_backward(c, dy, r.dx, r.dw, r.dv, r.db, r.dc, r.dw2, r.db2);
  for (int acc = 0; acc <= 1; acc++) {
    grad_set g = grad_alloc(c);
    layer_backward(c, dy, acc, &g);
    const double t = tol(c, T + D + H + O) * (acc ? 4 : 1);
    EXPECT_CLOSE(g.dx, r.dx, T * D, t, acc ? "dx (accumulate)" : "dx");
    EXPECT_CLOSE(g.dw, r.dw, D * H, t, "dW");
    EXPECT_CLOSE(g.dv, r.dv, D * H, t, "dV");
    if (c->bias) {
      EXPECT_CLOSE(g.db, r.db, H, t, "db");
      EXPECT_CLOSE(g.dc, r.dc, H, t, "dc");
    }
    if (c->down) {
      EXPECT_CLOSE(g.dw2, r.dw2, H * O, t, "dW2");
      if (c->bias) EXPECT_CLOSE(g.db2, r.db2, O, t, "db2");
    }
    grad_free(&g);
  }
  grad_free(&r);
  free(dy);
  free(want);
}

/* Every layout x bias x down, f32 and f64, small odd sizes, two blockings. */
static void test_layouts(void **state) {
  (void)state;
  uint64_t seed = 1;
  for (int dt = 0; dt < 2; dt++)
    for (int pk = 0; pk < PACK_COUNT; pk++)
      for (int bias = 0; bias <= 1; bias++)
        for (int down = 0; down <= 1; down++)
          for (int blocks = 0; blocks <= 1; blocks++) {
            layer_case cc, *c = &cc;
            case_make(c, dt ? GLK_DTYPE_F64 : GLK_DTYPE_F32, (pack)pk, bias,
                      down, 17, 5, 7, 3, GLK_ACT_SWIGLU, seed++);
            if (blocks) { /* remainders in both dimensions */
              c->layer.token_block = 4;
              c->layer.hidden_block = 3;
            }
            check_case(c);
            case_free(c);
          }
}

/* Every activation, packed interleaved, small blocks. */
static void test_activations(void **state) {
  (void)state;
  for (int act = 0; act < GLK_ACT_COUNT; act++) {
    layer_case cc, *c = &cc;
    case_make(c, GLK_DTYPE_F32, PACK_INTER_GATE1, 1, 1, 9, 6, 5, 4,
              (glk_act)act, 100 + act);
    c->layer.token_block = 2;
    c->layer.hidden_block = 2;
    check_case(c);
    case_free(c);
  }
}

/* Sizes 1, 3, 17 and 1000 in every position. */
static void test_odd_sizes(void **state) {
  (void)state;
  const int64_t s[][4] = {{1, 1, 1, 1},     {3, 17, 1, 3},   {1000, 3, 17, 1},
                          {17, 1000, 3, 17}, {3, 17, 1000, 3}, {17, 3, 17, 1000},
                          {1000, 17, 3, 1000}};
  for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
    layer_case cc, *c = &cc;
    case_make(c, GLK_DTYPE_F32, (pack)(i % PACK_COUNT), (int)(i % 2), 1,
              s[i][0], s[i][1], s[i][2], s[i][3], GLK_ACT_GEGLU, 200 + i);
    check_case(c);
    case_free(c);
    case_make(c, GLK_DTYPE_F32, (pack)((i + 2) % PACK_COUNT), 1, 0, s[i][0],
              s[i][1], s[i][2], 0, GLK_ACT_GLU, 300 + i);
    check_case(c);
    case_free(c);
  }
}

/* Zero tokens, hidden units or inputs: Y = b2, gradients 0 or sums. */
static void test_empty(void **state) {
  (void)state;
  const int64_t s[][3] = {{0, 4, 3}, {5, 0, 3}, {5, 4, 0}};
  for (size_t i = 0; i < 3; i++)
    for (int down = 0; down <= 1; down++) {
      layer_case cc, *c = &cc;
      case_make(c, GLK_DTYPE_F64, PACK_HALVES_GATE2, 1, down, s[i][0], s[i][1],
                s[i][2], 2, GLK_ACT_SWIGLU, 400 + i);
      check_case(c);
      case_free(c);
    }
}

/* L = sum(Y .* R): each gradient entry against a central difference of
 * the f64 layer. */
static double loss(layer_case *c, const double *r) {
  double *y = layer_forward(c, 0), l = 0;
  for (int64_t i = 0; i < c->T * case_out_cols(c); i++) l += y[i] * r[i];
  free(y);
  return l;
}

static void fd_check(layer_case *c, const double *r, tbuf *param, double *grad,
                     const char *what) {
  const double h = 1e-6;
  const int64_t rows = param->t.shape[0];
  const int64_t cols = param->t.rank == 2 ? param->t.shape[1] : 1;
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      int64_t off = i * param->t.strides[0] +
                    (param->t.rank == 2 ? j * param->t.strides[1] : 0);
      double *p = (double *)param->mem + off, keep = *p;
      *p = keep + h;
      double lp = loss(c, r);
      *p = keep - h;
      double lm = loss(c, r);
      *p = keep;
      double fd = (lp - lm) / (2 * h), an = grad[i * cols + j];
      if (!(fabs(fd - an) <= 1e-6 * (1 + fabs(fd))))
        fail_msg("%s[%lld,%lld]: backward %.12g, finite difference %.12g "
                 "(act %s)", what, (long long)i, (long long)j, an, fd,
                 glk_act_name(c->opt.act));
    }
}

static void test_finite_differences(void **state) {
  (void)state;
  for (int act = 0; act < GLK_ACT_COUNT; act++) {
    layer_case cc, *c = &cc;
    /* separate weights here, so each logical entry has one tensor entry */
    case_make(c, GLK_DTYPE_F64, PACK_SEPARATE, 1, 1, 5, 4, 6, 3, (glk_act)act,
              500 + act);
    c->layer.token_block = 2;
    c->layer.hidden_block = 4;
    double *r = random_dy(c, 77);
    grad_set g = grad_alloc(c);
    layer_backward(c, r, 0, &g);
    /* logical row-major gradients; the stored tensors map the same (i, j) */
    fd_check(c, r, &c->tval, g.dw, "dW");
    fd_check(c, r, &c->tgate, g.dv, "dV");
    fd_check(c, r, &c->tbval, g.db, "db");
    fd_check(c, r, &c->tbgate, g.dc, "dc");
    fd_check(c, r, &c->tw2, g.dw2, "dW2");
    fd_check(c, r, &c->tb2, g.db2, "db2");
    fd_check(c, r, &c->tx, g.dx, "dX");
    grad_free(&g);
    free(r);
    case_free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layouts),
      cmocka_unit_test(test_activations),
      cmocka_unit_test(test_odd_sizes),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
