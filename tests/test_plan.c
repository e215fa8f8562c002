/*
 * Prepared calls (glk_plan_*): a plan run gives the one-shot call's bits on
 * every operation, layout and dtype, with data pointers chosen per run; it
 * checks those pointers as the one-shot call does (NULL, overlap, in
 * place), writing nothing on failure; planning reports the one-shot call's
 * errors and leaves *plan NULL; several threads may run one plan at once.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "glukit.h"
#include "support/oracle.h"
#include "support/views.h"

enum { FWD, BWD, FWD_SPLIT, BWD_SPLIT };

/* The tensors of one call: inputs random, outputs poisoned (dx, dvalue and
 * dgate random when accumulating). */
typedef struct call_views {
  view v[5];
  int n;
} call_views;

static void fill_random(view *v, rng *r) {
  for (int64_t i = 0; i < view_numel(v); i++) {
    int64_t idx[GLK_MAX_RANK];
    view_unravel(v, i, idx);
    view_set(v, idx, dtype_truncate(v->t.dtype, rng_uniform(r, -6, 6)));
  }
}

/* Shapes: X (fused) or V/G (split) of x_shape; the outputs follow. */
static void make_call(call_views *c, int op, glk_dtype dt, int32_t rank, const int64_t *x_shape,
                      int32_t axis, int strided, int accumulate, uint64_t seed) {
  int64_t half[GLK_MAX_RANK];
  memcpy(half, x_shape, sizeof half[0] * (size_t)rank);
  half[axis] /= 2;
  rng r = {seed};
  switch (op) {
    case FWD:
      c->n = 2;
      view_make(&c->v[0], dt, rank, x_shape, strided, seed);
      view_make(&c->v[1], dt, rank, half, strided, seed + 1);
      fill_random(&c->v[0], &r);
      break;
    case BWD:
      c->n = 3;
      view_make(&c->v[0], dt, rank, x_shape, strided, seed);
      view_make(&c->v[1], dt, rank, half, strided, seed + 1);
      view_make(&c->v[2], dt, rank, x_shape, strided, seed + 2);
      fill_random(&c->v[0], &r);
      fill_random(&c->v[1], &r);
      if (accumulate) fill_random(&c->v[2], &r);
      break;
    case FWD_SPLIT:
      c->n = 3;
      for (int i = 0; i < 3; i++) view_make(&c->v[i], dt, rank, half, strided, seed + (uint64_t)i);
      fill_random(&c->v[0], &r);
      fill_random(&c->v[1], &r);
      break;
    default:
      c->n = 5;
      for (int i = 0; i < 5; i++) view_make(&c->v[i], dt, rank, half, strided, seed + (uint64_t)i);
      for (int i = 0; i < 3; i++) fill_random(&c->v[i], &r);
      if (accumulate) fill_random(&c->v[3], &r), fill_random(&c->v[4], &r);
  }
}

static void free_call(call_views *c) {
  for (int i = 0; i < c->n; i++) view_free(&c->v[i]);
}

static glk_status one_shot(int op, const call_views *c, const glk_options *o) {
  const glk_tensor *t[5];
  for (int i = 0; i < c->n; i++) t[i] = &c->v[i].t;
  switch (op) {
    case FWD: return glk_forward(t[0], t[1], o);
    case BWD: return glk_backward(t[0], t[1], t[2], o);
    case FWD_SPLIT: return glk_forward_split(t[0], t[1], t[2], o);
    default: return glk_backward_split(t[0], t[1], t[2], t[3], t[4], o);
  }
}

/* Plans from copies of c's descriptors with their data pointers NULL. */
static glk_status plan_for(int op, const call_views *c, const glk_options *o, glk_plan **p) {
  glk_tensor d[5];
  for (int i = 0; i < c->n; i++) d[i] = c->v[i].t, d[i].data = NULL;
  switch (op) {
    case FWD: return glk_plan_forward(&d[0], &d[1], o, p);
    case BWD: return glk_plan_backward(&d[0], &d[1], &d[2], o, p);
    case FWD_SPLIT: return glk_plan_forward_split(&d[0], &d[1], &d[2], o, p);
    default: return glk_plan_backward_split(&d[0], &d[1], &d[2], &d[3], &d[4], o, p);
  }
}

static glk_status plan_run(const glk_plan *p, const call_views *c) {
  void *data[5];
  for (int i = 0; i < c->n; i++) data[i] = c->v[i].t.data;
  return glk_plan_run(p, data);
}

static int first_output(int op) { return op == FWD ? 1 : op == BWD ? 2 : op == FWD_SPLIT ? 2 : 3; }

static int same_bits(long double a, long double b) {
  return (isnan(a) && isnan(b)) || (a == b && !signbit(a) == !signbit(b));
}

/* Every output element of a and b alike, nothing outside a's views written. */
static void assert_same_outputs(int op, const call_views *a, const call_views *b,
                                const char *what) {
  for (int i = first_output(op); i < a->n; i++) {
    assert_true(view_outside_untouched(&a->v[i]));
    for (int64_t e = 0; e < view_numel(&a->v[i]); e++) {
      int64_t idx[GLK_MAX_RANK];
      view_unravel(&a->v[i], e, idx);
      if (!same_bits(view_get(&a->v[i], idx), view_get(&b->v[i], idx)))
        fail_msg("%s: output %d element %lld: plan %.10Lg, one-shot %.10Lg", what, i,
                 (long long)e, view_get(&a->v[i], idx), view_get(&b->v[i], idx));
    }
  }
}

static void test_plan_matches_one_shot(void **state) {
  (void)state;
  const glk_dtype dts[] = {GLK_DTYPE_F32, GLK_DTYPE_BF16, GLK_DTYPE_F64};
  const int64_t shapes[][3] = {{8, 64, 0}, {3, 6, 10}, {1, 2, 0}, {5, 38, 0}};
  const int32_t ranks[] = {2, 3, 2, 2};
  int runs = 0;
  for (int op = FWD; op <= BWD_SPLIT; op++)
    for (size_t d = 0; d < 3; d++)
      for (size_t s = 0; s < 4; s++)
        for (int variant = 0; variant < 8; variant++) {
          const int strided = variant & 1, accumulate = (variant >> 1) & 1 && (op & 1);
          const int32_t rank = ranks[s];
          const int32_t axis = s == 1 ? (variant >> 2) % rank : rank - 1;
          if (shapes[s][axis] % 2) continue;
          glk_options o;
          glk_options_init(&o);
          o.act = (glk_act)((variant + (int)s) % GLK_ACT_COUNT);
          o.dim = axis;
          o.layout = variant & 2 ? GLK_LAYOUT_INTERLEAVED : GLK_LAYOUT_HALVES;
          o.gate = variant & 4 ? GLK_GATE_FIRST : GLK_GATE_SECOND;
          o.accumulate = accumulate;
          o.num_threads = 1;
          const uint64_t seed = 1000u * (uint64_t)op + 100u * d + 10u * s + (uint64_t)variant;
          call_views a, b;
          make_call(&a, op, dts[d], rank, shapes[s], axis, strided, accumulate, seed);
          make_call(&b, op, dts[d], rank, shapes[s], axis, strided, accumulate, seed);
          glk_plan *p = (glk_plan *)&p;
          assert_int_equal(plan_for(op, &a, &o, &p), GLK_OK);
          assert_non_null(p);
          assert_int_equal(glk_plan_tensor_count(p), a.n);
          assert_int_equal(plan_run(p, &a), GLK_OK);
          assert_int_equal(one_shot(op, &b, &o), GLK_OK);
          assert_same_outputs(op, &a, &b, "plan against one-shot");
          glk_plan_destroy(p);
          free_call(&a);
          free_call(&b);
          runs++;
        }
  assert_true(runs > 300);
}

/* Run-time checks: the one-shot call's statuses, and no write on failure. */
static void test_plan_run_checks(void **state) {
  (void)state;
  const int64_t xs[2] = {4, 8};
  call_views c;
  make_call(&c, FWD, GLK_DTYPE_F32, 2, xs, 1, 0, 0, 5);
  glk_options o;
  glk_options_init(&o);
  glk_plan *p;
  assert_int_equal(plan_for(FWD, &c, &o, &p), GLK_OK);
  void *data[2] = {c.v[0].t.data, NULL};
  assert_int_equal(glk_plan_run(p, data), GLK_ERR_NULL_POINTER);
  assert_non_null(strstr(glk_last_error(), "y->data is NULL"));
  /* y inside x: refused, x unchanged */
  unsigned char before[4 * 8 * 4];
  memcpy(before, c.v[0].t.data, sizeof before);
  data[1] = (char *)c.v[0].t.data + 4;
  assert_int_equal(glk_plan_run(p, data), GLK_ERR_OVERLAP);
  assert_memory_equal(before, c.v[0].t.data, sizeof before);
  assert_int_equal(view_count_poison(&c.v[1]), view_numel(&c.v[1]));
  /* a pointer whose range leaves the address space */
  data[1] = (void *)(UINTPTR_MAX - 8);
  assert_int_equal(glk_plan_run(p, data), GLK_ERR_OVERFLOW);
  assert_int_equal(glk_plan_run(NULL, data), GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_plan_run(p, NULL), GLK_ERR_NULL_POINTER);
  data[1] = c.v[1].t.data;
  assert_int_equal(glk_plan_run(p, data), GLK_OK);
  assert_string_equal(glk_last_error(), "");
  assert_int_equal(view_count_poison(&c.v[1]), 0);
  glk_plan_destroy(p);
  glk_plan_destroy(NULL);
  assert_int_equal(glk_plan_tensor_count(NULL), 0);
  free_call(&c);

  /* backward in place: dx on x's own data is allowed, not when accumulating */
  call_views b;
  make_call(&b, BWD, GLK_DTYPE_F32, 2, xs, 1, 0, 0, 6);
  for (int acc = 0; acc < 2; acc++) {
    o.accumulate = acc;
    assert_int_equal(plan_for(BWD, &b, &o, &p), GLK_OK);
    void *in_place[3] = {b.v[0].t.data, b.v[1].t.data, b.v[0].t.data};
    assert_int_equal(glk_plan_run(p, in_place), acc ? GLK_ERR_OVERLAP : GLK_OK);
    if (acc) assert_non_null(strstr(glk_last_error(), "in-place"));
    /* dx overlapping dy: always refused */
    void *bad[3] = {b.v[0].t.data, b.v[1].t.data, b.v[1].t.data};
    assert_int_equal(glk_plan_run(p, bad), GLK_ERR_OVERLAP);
    glk_plan_destroy(p);
  }
  free_call(&b);

  /* empty tensors: nothing to read or write, NULL data allowed */
  const int64_t es[2] = {0, 8}, ys[2] = {0, 4};
  glk_tensor ex, ey;
  glk_tensor_init(&ex, NULL, GLK_DTYPE_F32, 2, es, NULL);
  glk_tensor_init(&ey, NULL, GLK_DTYPE_F32, 2, ys, NULL);
  o.accumulate = 0;
  assert_int_equal(glk_plan_forward(&ex, &ey, &o, &p), GLK_OK);
  void *none[2] = {NULL, NULL};
  assert_int_equal(glk_plan_run(p, none), GLK_OK);
  glk_plan_destroy(p);
}

/* Planning errors are the one-shot call's, and leave *plan NULL. */
static void test_plan_errors(void **state) {
  (void)state;
  const int64_t xs[2] = {4, 7}, ys[2] = {4, 3};
  glk_tensor x, y;
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&y, NULL, GLK_DTYPE_F32, 2, ys, NULL);
  glk_plan *p = (glk_plan *)&p;
  assert_int_equal(glk_plan_forward(&x, &y, NULL, &p), GLK_ERR_ODD_SPLIT);
  assert_null(p);
  assert_non_null(strstr(glk_last_error(), "odd size 7"));
  assert_int_equal(glk_plan_forward(&x, &y, NULL, NULL), GLK_ERR_NULL_POINTER);
  p = (glk_plan *)&p;
  assert_int_equal(glk_plan_backward(&x, NULL, &x, NULL, &p), GLK_ERR_ODD_SPLIT);
  assert_null(p);
  const int64_t xs2[2] = {4, 8};
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, xs2, NULL);
  p = (glk_plan *)&p;
  assert_int_equal(glk_plan_backward(&x, NULL, &x, NULL, &p), GLK_ERR_NULL_POINTER);
  assert_null(p);
  glk_options o;
  glk_options_init(&o);
  o.act = (glk_act)99;
  assert_int_equal(glk_plan_forward_split(&y, &y, &y, &o, &p), GLK_ERR_INVALID_ARGUMENT);
  assert_null(p);
  /* an output whose strides make two elements share memory */
  const int64_t bad_strides[2] = {0, 1};
  glk_tensor_init(&y, NULL, GLK_DTYPE_F32, 2, ys, bad_strides);
  y.shape[1] = 4;
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, xs2, NULL);
  assert_int_equal(glk_plan_forward(&x, &y, NULL, &p), GLK_ERR_OVERLAP);
  assert_null(p);
}

typedef struct worker {
  const glk_plan *plan;
  call_views c;
  int failures;
} worker;

static void *run_many(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 2000; i++) w->failures += plan_run(w->plan, &w->c) != GLK_OK;
  return NULL;
}

/* One plan, two threads, their own buffers: each gets its one-shot bits. */
static void test_plan_shared_by_threads(void **state) {
  (void)state;
  const int64_t xs[2] = {16, 96};
  glk_options o;
  glk_options_init(&o);
  o.act = GLK_ACT_SWIGLU;
  o.num_threads = 1;
  worker w[2];
  call_views ref[2];
  for (int i = 0; i < 2; i++) {
    make_call(&w[i].c, FWD, GLK_DTYPE_F32, 2, xs, 1, 0, 0, 40 + (uint64_t)i);
    make_call(&ref[i], FWD, GLK_DTYPE_F32, 2, xs, 1, 0, 0, 40 + (uint64_t)i);
    w[i].failures = 0;
  }
  glk_plan *p;
  assert_int_equal(plan_for(FWD, &w[0].c, &o, &p), GLK_OK);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) {
    w[i].plan = p;
    assert_int_equal(pthread_create(&th[i], NULL, run_many, &w[i]), 0);
  }
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(w[i].failures, 0);
    assert_int_equal(one_shot(FWD, &ref[i], &o), GLK_OK);
    assert_same_outputs(FWD, &w[i].c, &ref[i], "thread");
    free_call(&w[i].c);
    free_call(&ref[i]);
  }
  glk_plan_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plan_matches_one_shot),
      cmocka_unit_test(test_plan_run_checks),
      cmocka_unit_test(test_plan_errors),
      cmocka_unit_test(test_plan_shared_by_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
