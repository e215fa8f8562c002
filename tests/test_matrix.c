/*
 * The operator over its whole matrix: every dtype x variant, and inside each
 * every form (halves, interleaved, split) x gate order x split axis x
 * contiguous/strided, forward and backward (plain, in place, accumulate).
 * Expectations come from the long-double oracle; outputs start as poison so
 * an unwritten element fails; a strided run must equal the contiguous run.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "glukit.h"
#include "support/isa_guard.h"
#include "support/bounds.h"
#include "support/oracle.h"
#include "support/views.h"

typedef enum { FORM_HALVES, FORM_INTERLEAVED, FORM_SPLIT } form;
typedef enum { MODE_FORWARD, MODE_PLAIN, MODE_IN_PLACE, MODE_ACCUMULATE } mode;
static const char *const kFormName[] = {"halves", "interleaved", "split"};
static const char *const kModeName[] = {"forward", "backward", "in-place",
                                        "accumulate"};

typedef struct problem {
  glk_dtype dt;
  glk_act act;
  form f;
  glk_gate gate;
  int32_t rank, axis;
  int64_t yshape[GLK_MAX_RANK];
  int64_t ny;
  /* Per Y element in C order: the inputs and the accumulator's start. */
  long double *v, *g, *dy, *old_dv, *old_dg;
} problem;

/* Outputs of one run, decoded, per Y element. */
typedef struct result {
  long double *y, *dv, *dg;
} result;


static void problem_init(problem *p, glk_dtype dt, glk_act act, form f,
                         glk_gate gate, int32_t rank, const int64_t *yshape,
                         int32_t axis, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->dt = dt, p->act = act, p->f = f, p->gate = gate;
  p->rank = rank, p->axis = axis;
  p->ny = 1;
  for (int i = 0; i < rank; i++) p->ny *= (p->yshape[i] = yshape[i]);
  long double **arrays[] = {&p->v, &p->g, &p->dy, &p->old_dv, &p->old_dg};
  for (int a = 0; a < 5; a++) *arrays[a] = calloc((size_t)p->ny + 1, sizeof(long double));
  rng r = {seed};
  for (int64_t i = 0; i < p->ny; i++) {
    const int wide = rng_next(&r) % 8 == 0; /* deep tails and clamp range */
    p->v[i] = dtype_truncate(dt, rng_uniform(&r, wide ? -12 : -3, wide ? 12 : 3));
    p->g[i] = dtype_truncate(dt, rng_uniform(&r, wide ? -60 : -10, wide ? 60 : 10));
    p->dy[i] = dtype_truncate(dt, rng_uniform(&r, -2, 2));
    p->old_dv[i] = dtype_truncate(dt, rng_uniform(&r, -1, 1));
    p->old_dg[i] = dtype_truncate(dt, rng_uniform(&r, -1, 1));
  }
}

static void problem_free(problem *p) {
  free(p->v), free(p->g), free(p->dy), free(p->old_dv), free(p->old_dg);
}

/* C-order unravel of Y element i. */
static void y_index(const problem *p, int64_t i, int64_t *yidx) {
  for (int d = p->rank - 1; d >= 0; d--) yidx[d] = i % p->yshape[d], i /= p->yshape[d];
}

/* Positions of Y element yidx's value and gate inside the fused X. */
static void member_index(const problem *p, const int64_t *yidx, int64_t *vidx,
                         int64_t *gidx) {
  memcpy(vidx, yidx, sizeof(int64_t) * (size_t)p->rank);
  memcpy(gidx, yidx, sizeof(int64_t) * (size_t)p->rank);
  const int64_t i = yidx[p->axis], half = p->yshape[p->axis];
  const int64_t first = p->f == FORM_HALVES ? i : 2 * i;
  const int64_t second = p->f == FORM_HALVES ? i + half : 2 * i + 1;
  vidx[p->axis] = p->gate == GLK_GATE_SECOND ? first : second;
  gidx[p->axis] = p->gate == GLK_GATE_SECOND ? second : first;
}

static void result_init(result *r, const problem *p) {
  r->y = calloc((size_t)p->ny + 1, sizeof(long double));
  r->dv = calloc((size_t)p->ny + 1, sizeof(long double));
  r->dg = calloc((size_t)p->ny + 1, sizeof(long double));
}

static void result_free(result *r) { free(r->y), free(r->dv), free(r->dg); }

/* Runs one configuration through the public API and decodes its outputs. */
static void run(const problem *p, mode m, int strided, uint64_t seed, result *out) {
  const int split = p->f == FORM_SPLIT;
  int64_t xshape[GLK_MAX_RANK];
  memcpy(xshape, p->yshape, sizeof xshape);
  xshape[p->axis] *= 2;
  view x, val, gat, dy, y, dx, dval, dgat;
  if (split) {
    view_make(&val, p->dt, p->rank, p->yshape, strided, seed + 1);
    view_make(&gat, p->dt, p->rank, p->yshape, strided, seed + 2);
  } else {
    view_make(&x, p->dt, p->rank, xshape, strided, seed + 3);
  }
  int64_t yidx[GLK_MAX_RANK], vidx[GLK_MAX_RANK], gidx[GLK_MAX_RANK];
  for (int64_t i = 0; i < p->ny; i++) {
    y_index(p, i, yidx);
    if (split) {
      view_set(&val, yidx, p->v[i]);
      view_set(&gat, yidx, p->g[i]);
    } else {
      member_index(p, yidx, vidx, gidx);
      view_set(&x, vidx, p->v[i]);
      view_set(&x, gidx, p->g[i]);
    }
  }
  glk_options opt;
  glk_options_init(&opt);
  opt.act = p->act;
  opt.gate = p->gate;
  opt.layout = p->f == FORM_INTERLEAVED ? GLK_LAYOUT_INTERLEAVED : GLK_LAYOUT_HALVES;
  /* Alternate the positive and the negative spelling of the axis. */
  opt.dim = (seed & 1) ? p->axis - p->rank : p->axis;
  opt.accumulate = m == MODE_ACCUMULATE;

  glk_status st;
  if (m == MODE_FORWARD) {
    view_make(&y, p->dt, p->rank, p->yshape, strided, seed + 4);
    st = split ? glk_forward_split(&val.t, &gat.t, &y.t, &opt)
               : glk_forward(&x.t, &y.t, &opt);
    assert_int_equal(st, GLK_OK);
    assert_int_equal(view_count_poison(&y), 0);
    assert_true(view_outside_untouched(&y));
    for (int64_t i = 0; i < p->ny; i++) {
      view_unravel(&y, i, yidx);
      out->y[i] = view_get(&y, yidx);
    }
    view_free(&y);
  } else {
    view_make(&dy, p->dt, p->rank, p->yshape, strided, seed + 5);
    for (int64_t i = 0; i < p->ny; i++) {
      view_unravel(&dy, i, yidx);
      view_set(&dy, yidx, p->dy[i]);
    }
    view *out_v, *out_g; /* where dv and dg land */
    if (m == MODE_IN_PLACE) {
      if (split) dval = val, dgat = gat; else dx = x;
    } else if (split) {
      view_make(&dval, p->dt, p->rank, p->yshape, strided, seed + 6);
      view_make(&dgat, p->dt, p->rank, p->yshape, strided, seed + 7);
    } else {
      view_make(&dx, p->dt, p->rank, xshape, strided, seed + 8);
    }
    out_v = split ? &dval : &dx;
    out_g = split ? &dgat : &dx;
    if (m == MODE_ACCUMULATE)
      for (int64_t i = 0; i < p->ny; i++) {
        y_index(p, i, yidx);
        if (split) memcpy(vidx, yidx, sizeof vidx), memcpy(gidx, yidx, sizeof gidx);
        else member_index(p, yidx, vidx, gidx);
        view_set(out_v, vidx, p->old_dv[i]);
        view_set(out_g, gidx, p->old_dg[i]);
      }
    st = split ? glk_backward_split(&val.t, &gat.t, &dy.t, &dval.t, &dgat.t, &opt)
               : glk_backward(&x.t, &dy.t, &dx.t, &opt);
    assert_int_equal(st, GLK_OK);
    assert_int_equal(view_count_poison(out_v), 0);
    assert_int_equal(view_count_poison(out_g), 0);
    assert_true(view_outside_untouched(out_v));
    assert_true(view_outside_untouched(out_g));
    for (int64_t i = 0; i < p->ny; i++) {
      view_unravel(&dy, i, yidx);
      if (split) memcpy(vidx, yidx, sizeof vidx), memcpy(gidx, yidx, sizeof gidx);
      else member_index(p, yidx, vidx, gidx);
      out->dv[i] = view_get(out_v, vidx);
      out->dg[i] = view_get(out_g, gidx);
    }
    view_free(&dy);
    if (m != MODE_IN_PLACE) {
      if (split) view_free(&dval), view_free(&dgat); else view_free(&dx);
    }
  }
  if (split) view_free(&val), view_free(&gat); else view_free(&x);
}

static int same_value(long double a, long double b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return a == b && signbit(a) == signbit(b);
}

static void check_value(const problem *p, mode m, const char *what, int64_t i,
                        long double got, long double exact, long double scale) {
  const glk_isa isa = glk_default_isa();
  const double slack = (double)(scale * ldexpl(1.0L, -working_bits_of(isa, p->dt)) /
                                dtype_ulp(p->dt, exact));
  const double err = ulp_error(p->dt, got, exact);
  if (err <= bound_ulp(isa, p->dt, p->act) + slack) return;
  fail_msg("%s %s %s %s gate=%s axis=%d: %s[%lld] = %.21Lg, expected %.21Lg "
           "(%.3g ULP; v=%.17Lg g=%.17Lg dy=%.17Lg)",
           glk_dtype_name(p->dt), glk_act_name(p->act), kFormName[p->f],
           kModeName[m], p->gate == GLK_GATE_FIRST ? "first" : "second",
           p->axis, what, (long long)i, got, exact, err, p->v[i], p->g[i], p->dy[i]);
}

static void check_against_oracle(const problem *p, mode m, const result *r) {
  for (int64_t i = 0; i < p->ny; i++) {
    if (m == MODE_FORWARD) {
      check_value(p, m, "y", i, r->y[i],
                  oracle_forward(p->act, p->v[i], p->g[i], &oracle_default_params), 0);
      continue;
    }
    long double dv, dg, dg_scale;
    oracle_backward(p->act, p->v[i], p->g[i], p->dy[i], &oracle_default_params,
                    &dv, &dg, &dg_scale);
    /* Accumulating, the sum may cancel: the gradient's own error and the
     * old value's size then count against the working precision. */
    long double dv_scale = 0;
    if (m == MODE_ACCUMULATE) {
      dv_scale = fabsl(dv) * bound_ulp(glk_default_isa(), p->dt, p->act) +
                 fabsl(p->old_dv[i]);
      dg_scale += fabsl(dg) * bound_ulp(glk_default_isa(), p->dt, p->act) +
                  fabsl(p->old_dg[i]);
      dv += p->old_dv[i], dg += p->old_dg[i];
    }
    check_value(p, m, "dv", i, r->dv[i], dv, dv_scale);
    check_value(p, m, "dg", i, r->dg[i], dg, dg_scale);
  }
}

/* Every mode, contiguous and strided; strided must equal contiguous. */
static void check_problem(const problem *p, uint64_t seed) {
  for (mode m = MODE_FORWARD; m <= MODE_ACCUMULATE; m++) {
    result contiguous, strided;
    result_init(&contiguous, p);
    result_init(&strided, p);
    run(p, m, 0, seed, &contiguous);
    check_against_oracle(p, m, &contiguous);
    run(p, m, 1, seed + 100, &strided);
    for (int64_t i = 0; i < p->ny; i++) {
      const long double *a[] = {contiguous.y, contiguous.dv, contiguous.dg};
      const long double *b[] = {strided.y, strided.dv, strided.dg};
      for (int k = 0; k < 3; k++)
        if (!same_value(a[k][i], b[k][i]))
          fail_msg("%s %s %s %s: strided result %.21Lg differs from contiguous "
                   "%.21Lg at %lld",
                   glk_dtype_name(p->dt), glk_act_name(p->act), kFormName[p->f],
                   kModeName[m], b[k][i], a[k][i], (long long)i);
    }
    result_free(&contiguous);
    result_free(&strided);
  }
}

typedef struct matrix_case {
  glk_dtype dt;
  glk_act act;
} matrix_case;

static void test_matrix(void **state) {
  const matrix_case *mc = *state;
  const int64_t yshape[3] = {3, 4, 5};
  uint64_t seed = 1000u * (uint64_t)mc->dt + 10u * (uint64_t)mc->act;
  for (form f = FORM_HALVES; f <= FORM_SPLIT; f++)
    for (int gate = 0; gate < 2; gate++)
      for (int32_t axis = 0; axis < 3; axis++) {
        if (f == FORM_SPLIT && (gate || axis)) continue; /* no axis, no order */
        problem p;
        problem_init(&p, mc->dt, mc->act, f, (glk_gate)gate, 3, yshape, axis, ++seed);
        check_problem(&p, seed * 31);
        problem_free(&p);
      }
}

/* Odd ranks and extents: rank 1, unit dims, an axis of 2, runs longer than
 * one stack tile (256) with a tail. */
static void test_shapes(void **state) {
  (void)state;
  static const struct { int32_t rank; int64_t y[4]; int32_t axis; } shapes[] = {
      {1, {1}, 0}, {1, {7}, 0}, {2, {1, 1}, 1}, {4, {2, 1, 3, 1}, 3},
      {4, {1, 3, 1, 2}, 1}, {2, {2, 301}, 1}, {2, {300, 2}, 0}, {3, {5, 1, 9}, 0},
  };
  const glk_dtype dts[] = {GLK_DTYPE_F32, GLK_DTYPE_BF16, GLK_DTYPE_F16, GLK_DTYPE_F64};
  const glk_act acts[] = {GLK_ACT_SWIGLU, GLK_ACT_GEGLU, GLK_ACT_SWIGLU_OAI};
  uint64_t seed = 77;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (size_t d = 0; d < 4; d++)
      for (form f = FORM_HALVES; f <= FORM_SPLIT; f++) {
        problem p;
        problem_init(&p, dts[d], acts[(s + d) % 3], f, (glk_gate)(s & 1),
                     shapes[s].rank, shapes[s].y, shapes[s].axis, ++seed);
        check_problem(&p, seed * 13);
        problem_free(&p);
      }
}

int main(void) {
  if (isa_unavailable()) return GLK_SKIP_EXIT;
  static matrix_case cases[GLK_DTYPE_COUNT * GLK_ACT_COUNT];
  static char names[GLK_DTYPE_COUNT * GLK_ACT_COUNT][64];
  struct CMUnitTest tests[GLK_DTYPE_COUNT * GLK_ACT_COUNT + 1];
  int n = 0;
  for (int dt = 0; dt < GLK_DTYPE_COUNT; dt++)
    for (int act = 0; act < GLK_ACT_COUNT; act++, n++) {
      cases[n] = (matrix_case){(glk_dtype)dt, (glk_act)act};
      snprintf(names[n], sizeof names[n], "matrix_%s_%s",
               glk_dtype_name((glk_dtype)dt), glk_act_name((glk_act)act));
      tests[n] = (struct CMUnitTest){names[n], test_matrix, NULL, NULL, &cases[n]};
    }
  tests[n++] = (struct CMUnitTest){"shapes", test_shapes, NULL, NULL, NULL};
  return _cmocka_run_group_tests("matrix", tests, (size_t)n, NULL, NULL);
}
