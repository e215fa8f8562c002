/*
 * The API contract: version, names, shape inference, options, every status
 * code with a message that names the numbers, no write on any failure,
 * empty tensors, per-thread error messages.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "glukit.h"
#include "support/isa_guard.h"
#include "support/oracle.h"
#include "support/views.h"

#define assert_error_mentions(text) \
  assert_non_null(strstr(glk_last_error(), (text)))

static void test_version(void **state) {
  (void)state;
  assert_int_equal(glk_version(), GLK_VERSION_NUMBER);
  assert_string_equal(glk_version_string(), GLK_VERSION_STRING);
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", GLK_VERSION_MAJOR,
           GLK_VERSION_MINOR, GLK_VERSION_PATCH);
  assert_string_equal(glk_version_string(), expect);
}

static void test_status_strings(void **state) {
  (void)state;
  const char *seen[GLK_ERR_OVERLAP + 1];
  for (int s = GLK_OK; s <= GLK_ERR_OVERLAP; s++) {
    seen[s] = glk_status_string((glk_status)s);
    assert_string_not_equal(seen[s], "unknown status");
    for (int t = 0; t < s; t++) assert_string_not_equal(seen[s], seen[t]);
  }
  assert_string_equal(glk_status_string((glk_status)99), "unknown status");
}

static void test_names(void **state) {
  (void)state;
  for (int a = 0; a < GLK_ACT_COUNT; a++) {
    glk_act back;
    assert_int_equal(glk_act_from_name(glk_act_name((glk_act)a), &back), GLK_OK);
    assert_int_equal(back, a);
  }
  for (int d = 0; d < GLK_DTYPE_COUNT; d++) {
    glk_dtype back;
    assert_int_equal(glk_dtype_from_name(glk_dtype_name((glk_dtype)d), &back), GLK_OK);
    assert_int_equal(back, d);
  }
  glk_act act;
  glk_dtype dt;
  assert_int_equal(glk_act_from_name("swish", &act), GLK_ERR_INVALID_ARGUMENT);
  assert_error_mentions("'swish'");
  assert_int_equal(glk_dtype_from_name("f8", &dt), GLK_ERR_INVALID_ARGUMENT);
  assert_int_equal(glk_act_from_name(NULL, &act), GLK_ERR_NULL_POINTER);
  assert_null(glk_act_name((glk_act)GLK_ACT_COUNT));
  assert_null(glk_dtype_name((glk_dtype)-1));
  assert_int_equal(glk_dtype_size(GLK_DTYPE_F32), 4);
  assert_int_equal(glk_dtype_size(GLK_DTYPE_F64), 8);
  assert_int_equal(glk_dtype_size(GLK_DTYPE_F16), 2);
  assert_int_equal(glk_dtype_size(GLK_DTYPE_BF16), 2);
  assert_int_equal(glk_dtype_size((glk_dtype)9), 0);
}

static void test_options_defaults(void **state) {
  (void)state;
  glk_options o;
  memset(&o, 0x5a, sizeof o);
  glk_options_init(&o);
  assert_int_equal(o.struct_size, sizeof o);
  assert_int_equal(o.act, GLK_ACT_GLU);
  assert_int_equal(o.layout, GLK_LAYOUT_HALVES);
  assert_int_equal(o.gate, GLK_GATE_SECOND);
  assert_int_equal(o.dim, -1);
  assert_int_equal(o.accumulate, 0);
  assert_true(o.alpha == 1.702 && o.limit == 7.0);
}

static void test_tensor_init(void **state) {
  (void)state;
  glk_tensor t;
  float buf[24];
  const int64_t shape[3] = {2, 3, 4};
  assert_int_equal(glk_tensor_init(&t, buf, GLK_DTYPE_F32, 3, shape, NULL), GLK_OK);
  assert_true(t.strides[0] == 12 && t.strides[1] == 4 && t.strides[2] == 1);
  const int64_t strides[3] = {1, 2, 6};
  assert_int_equal(glk_tensor_init(&t, buf, GLK_DTYPE_F32, 3, shape, strides), GLK_OK);
  assert_true(t.strides[0] == 1 && t.strides[2] == 6);
  assert_int_equal(glk_tensor_init(&t, buf, GLK_DTYPE_F32, GLK_MAX_RANK + 1, shape, NULL),
                   GLK_ERR_RANK);
  assert_int_equal(glk_tensor_init(NULL, buf, GLK_DTYPE_F32, 1, shape, NULL),
                   GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_tensor_init(&t, buf, GLK_DTYPE_F32, 2, NULL, NULL),
                   GLK_ERR_NULL_POINTER);
}

static void test_output_shape(void **state) {
  (void)state;
  int64_t y[GLK_MAX_RANK];
  const int64_t x[3] = {4, 6, 10};
  assert_int_equal(glk_output_shape(3, x, -1, y), GLK_OK);
  assert_true(y[0] == 4 && y[1] == 6 && y[2] == 5);
  assert_string_equal(glk_last_error(), "");
  assert_int_equal(glk_output_shape(3, x, 0, y), GLK_OK);
  assert_true(y[0] == 2 && y[1] == 6 && y[2] == 10);
  assert_int_equal(glk_output_shape(3, x, -2, y), GLK_OK);
  assert_true(y[0] == 4 && y[1] == 3 && y[2] == 10);
  const int64_t zero[2] = {0, 4};
  assert_int_equal(glk_output_shape(2, zero, 0, y), GLK_OK);
  assert_true(y[0] == 0 && y[1] == 4);

  assert_int_equal(glk_output_shape(0, x, -1, y), GLK_ERR_RANK);
  assert_error_mentions("0-d");
  assert_int_equal(glk_output_shape(GLK_MAX_RANK + 1, x, -1, y), GLK_ERR_RANK);
  assert_error_mentions("rank 9");
  assert_int_equal(glk_output_shape(3, x, 3, y), GLK_ERR_AXIS);
  assert_error_mentions("dim = 3");
  assert_error_mentions("-3 <= dim < 3");
  assert_int_equal(glk_output_shape(3, x, -4, y), GLK_ERR_AXIS);
  const int64_t odd[2] = {4, 7};
  assert_int_equal(glk_output_shape(2, odd, 1, y), GLK_ERR_ODD_SPLIT);
  assert_error_mentions("odd size 7");
  const int64_t negative[2] = {-2, 4};
  assert_int_equal(glk_output_shape(2, negative, 1, y), GLK_ERR_INVALID_ARGUMENT);
  assert_error_mentions("-2");
  assert_int_equal(glk_output_shape(2, NULL, 1, y), GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_output_shape(2, x, 1, NULL), GLK_ERR_NULL_POINTER);
}

/* ---- failing calls: status, message, and nothing written ------------------ */

typedef struct fixture {
  float x[4][6], dx[4][6], dy[4][3], y[4][3], spare[64];
  glk_tensor tx, tdx, tdy, ty;
  glk_options opt;
} fixture;

static void fixture_init(fixture *f) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++) f->x[i][j] = (float)(i - j) * 0.25f;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) f->dy[i][j] = 1.0f;
  const int64_t xs[2] = {4, 6}, ys[2] = {4, 3};
  glk_tensor_init(&f->tx, f->x, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&f->tdx, f->dx, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&f->tdy, f->dy, GLK_DTYPE_F32, 2, ys, NULL);
  glk_tensor_init(&f->ty, f->y, GLK_DTYPE_F32, 2, ys, NULL);
  glk_options_init(&f->opt);
  for (int i = 0; i < 12; i++) dtype_poison(GLK_DTYPE_F32, &f->y[0][0] + i);
  for (int i = 0; i < 24; i++) dtype_poison(GLK_DTYPE_F32, &f->dx[0][0] + i);
}

static void assert_outputs_untouched(const fixture *f) {
  for (int i = 0; i < 12; i++) assert_true(dtype_is_poison(GLK_DTYPE_F32, &f->y[0][0] + i));
  for (int i = 0; i < 24; i++) assert_true(dtype_is_poison(GLK_DTYPE_F32, &f->dx[0][0] + i));
}

static void expect_forward(fixture *f, glk_status want, const char *mention) {
  assert_int_equal(glk_forward(&f->tx, &f->ty, &f->opt), want);
  assert_string_not_equal(glk_last_error(), "");
  if (mention) assert_error_mentions(mention);
  assert_outputs_untouched(f);
}

static void expect_backward(fixture *f, glk_status want, const char *mention) {
  assert_int_equal(glk_backward(&f->tx, &f->tdy, &f->tdx, &f->opt), want);
  if (mention) assert_error_mentions(mention);
  assert_outputs_untouched(f);
}

static void test_errors_null(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  assert_int_equal(glk_forward(NULL, &f.ty, NULL), GLK_ERR_NULL_POINTER);
  assert_error_mentions("x is NULL");
  assert_int_equal(glk_forward(&f.tx, NULL, NULL), GLK_ERR_NULL_POINTER);
  assert_error_mentions("y is NULL");
  assert_int_equal(glk_backward(&f.tx, NULL, &f.tdx, NULL), GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_backward(&f.tx, &f.tdy, NULL, NULL), GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_forward_split(&f.ty, NULL, &f.ty, NULL), GLK_ERR_NULL_POINTER);
  f.ty.data = NULL;
  assert_int_equal(glk_forward(&f.tx, &f.ty, NULL), GLK_ERR_NULL_POINTER);
  assert_error_mentions("12 elements");
  fixture_init(&f);
  f.tx.data = NULL;
  expect_forward(&f, GLK_ERR_NULL_POINTER, "x->data is NULL");
}

static void test_errors_rank_axis_odd(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.tx.rank = 0;
  expect_forward(&f, GLK_ERR_RANK, "0-d");
  f.tx.rank = GLK_MAX_RANK + 1;
  expect_forward(&f, GLK_ERR_RANK, "rank 9");
  fixture_init(&f);
  f.opt.dim = 2;
  expect_forward(&f, GLK_ERR_AXIS, "dim = 2");
  f.opt.dim = -3;
  expect_backward(&f, GLK_ERR_AXIS, "dim = -3");
  fixture_init(&f);
  f.tx.shape[1] = 5;
  expect_forward(&f, GLK_ERR_ODD_SPLIT, "odd size 5");
  f.opt.dim = 0; /* 4 along axis 0 is even: then y's shape is wrong */
  f.tx.shape[1] = 6;
  expect_forward(&f, GLK_ERR_SHAPE_MISMATCH, "expected [2, 6]");
  fixture_init(&f);
  f.tx.shape[0] = 3;
  f.opt.dim = 0;
  expect_backward(&f, GLK_ERR_ODD_SPLIT, "odd size 3 along split axis 0");
}

static void test_errors_mismatch(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.ty.shape[1] = 2;
  expect_forward(&f, GLK_ERR_SHAPE_MISMATCH, "y has shape [4, 2], expected [4, 3]");
  fixture_init(&f);
  f.ty.rank = 1;
  expect_forward(&f, GLK_ERR_SHAPE_MISMATCH, "expected [4, 3]");
  fixture_init(&f);
  f.ty.dtype = GLK_DTYPE_F64;
  expect_forward(&f, GLK_ERR_DTYPE_MISMATCH, "y has dtype f64 but x has f32");
  fixture_init(&f);
  f.tdy.dtype = GLK_DTYPE_BF16;
  expect_backward(&f, GLK_ERR_DTYPE_MISMATCH, "dy has dtype bf16");
  fixture_init(&f);
  f.tdy.shape[0] = 5;
  expect_backward(&f, GLK_ERR_SHAPE_MISMATCH, "dy has shape [5, 3]");
  fixture_init(&f);
  f.tdx.shape[1] = 3;
  expect_backward(&f, GLK_ERR_SHAPE_MISMATCH, "dx has shape [4, 3], expected [4, 6]");
  fixture_init(&f);
  /* split form: value and gate must agree */
  glk_tensor gate = f.ty;
  gate.shape[0] = 2;
  gate.data = f.spare;
  assert_int_equal(glk_forward_split(&f.tdy, &gate, &f.ty, NULL), GLK_ERR_SHAPE_MISMATCH);
  assert_error_mentions("gate has shape [2, 3]");
  gate.shape[0] = 4;
  gate.dtype = GLK_DTYPE_F16;
  assert_int_equal(glk_forward_split(&f.tdy, &gate, &f.ty, NULL), GLK_ERR_DTYPE_MISMATCH);
  assert_outputs_untouched(&f);
}

static void test_errors_invalid_arguments(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.tx.dtype = (glk_dtype)7;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "x->dtype = 7");
  fixture_init(&f);
  f.tx.shape[0] = -4;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "x->shape[0] = -4 is negative");
  fixture_init(&f);
  f.opt.act = (glk_act)GLK_ACT_COUNT;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "options->act = 8");
  fixture_init(&f);
  f.opt.layout = (glk_layout)2;
  expect_backward(&f, GLK_ERR_INVALID_ARGUMENT, "options->layout = 2");
  fixture_init(&f);
  f.opt.gate = (glk_gate)5;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "options->gate = 5");
  fixture_init(&f);
  f.opt.alpha = NAN;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "alpha");
  fixture_init(&f);
  f.opt.limit = -1.0;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "limit = -1");
  f.opt.limit = NAN;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "limit");
  fixture_init(&f);
  f.opt.struct_size = 8;
  expect_forward(&f, GLK_ERR_INVALID_ARGUMENT, "struct_size = 8");
}

static void test_errors_overflow(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
    f.tx.shape[0] = INT64_C(1) << 60; /* 6 * 2^60 elements, 4 bytes each */
  f.tx.strides[0] = 0;
  expect_forward(&f, GLK_ERR_OVERFLOW, "bytes");
  fixture_init(&f);
  f.tx.shape[0] = INT64_C(1) << 62;
  f.tx.shape[1] = 8;
  expect_forward(&f, GLK_ERR_OVERFLOW, "2^63 elements");
  fixture_init(&f);
  f.tx.strides[0] = INT64_C(1) << 62; /* 3 * 2^62 overflows an offset */
  expect_forward(&f, GLK_ERR_OVERFLOW, "stride");
  fixture_init(&f);
  f.tx.strides[0] = INT64_C(1) << 61; /* offset fits, bytes do not */
  expect_forward(&f, GLK_ERR_OVERFLOW, "byte offset");
  fixture_init(&f);
  f.tx.strides[0] = -(INT64_C(1) << 58); /* reaches below address 0 */
  expect_forward(&f, GLK_ERR_OVERFLOW, "address space");
}

static void test_errors_overlap(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  /* y inside x */
  f.ty.data = &f.x[1][0];
  f.ty.strides[0] = 6;
  assert_int_equal(glk_forward(&f.tx, &f.ty, NULL), GLK_ERR_OVERLAP);
  assert_error_mentions("y (bytes");
  fixture_init(&f);
  /* an output whose rows land on each other */
  f.ty.strides[0] = 1;
  expect_forward(&f, GLK_ERR_OVERLAP, "two elements share memory");
  fixture_init(&f);
  f.ty.strides[0] = 0;
  expect_forward(&f, GLK_ERR_OVERLAP, "output y");
  fixture_init(&f);
  /* dx shifted by one element against x: not the same view */
  f.tdx.data = &f.x[0][1];
  f.tdx.shape[0] = 3;
  f.tx.shape[0] = 3;
  f.tdy.shape[0] = 3;
  assert_int_equal(glk_backward(&f.tx, &f.tdy, &f.tdx, NULL), GLK_ERR_OVERLAP);
  assert_error_mentions("only the very same view");
  fixture_init(&f);
  /* dx over dy */
  glk_tensor dx_on_dy = f.tdx;
  dx_on_dy.data = f.dy;
  dx_on_dy.shape[1] = 2;
  dx_on_dy.shape[0] = 4;
  dx_on_dy.strides[0] = 3;
  glk_tensor x2 = f.tx;
  x2.shape[1] = 2;
  glk_tensor dy2 = f.tdy;
  dy2.shape[1] = 1; /* dy's first column, under dx's first column */
  assert_int_equal(glk_backward(&x2, &dy2, &dx_on_dy, NULL), GLK_ERR_OVERLAP);
  assert_error_mentions("dx (bytes");
  fixture_init(&f);
  /* in place cannot accumulate */
  f.opt.accumulate = 1;
  assert_int_equal(glk_backward(&f.tx, &f.tdy, &f.tx, &f.opt), GLK_ERR_OVERLAP);
  assert_error_mentions("in-place backward cannot accumulate");
  /* split: dgate over dvalue */
  fixture_init(&f);
  glk_tensor v = f.ty, g = f.ty, dy = f.tdy, dv = f.ty, dg = f.ty;
  v.data = f.x, g.data = f.spare, dv.data = f.dx, dg.data = &f.dx[1][0];
  assert_int_equal(glk_backward_split(&v, &g, &dy, &dv, &dg, NULL), GLK_ERR_OVERLAP);
  assert_error_mentions("dgate");
  assert_outputs_untouched(&f);
}

/* Zero-size axes anywhere succeed and write nothing; NULL data is fine then. */
static void test_empty(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.tx.shape[0] = 0, f.ty.shape[0] = 0, f.tdy.shape[0] = 0, f.tdx.shape[0] = 0;
  assert_int_equal(glk_forward(&f.tx, &f.ty, NULL), GLK_OK);
  assert_int_equal(glk_backward(&f.tx, &f.tdy, &f.tdx, NULL), GLK_OK);
  assert_outputs_untouched(&f);
  fixture_init(&f);
  f.tx.shape[1] = 0, f.ty.shape[1] = 0;
  f.tx.data = NULL, f.ty.data = NULL;
  assert_int_equal(glk_forward(&f.tx, &f.ty, NULL), GLK_OK);
  f.opt.dim = 0; /* split axis 4 -> 2 with an empty other axis */
  f.ty.shape[0] = 2;
  assert_int_equal(glk_forward(&f.tx, &f.ty, &f.opt), GLK_OK);
  assert_string_equal(glk_last_error(), "");
}

/* A caller built against a later glukit passes a longer options struct. */
static void test_options_from_a_later_version(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  struct {
    glk_options base;
    int64_t future_field;
  } longer;
  glk_options_init(&longer.base);
  longer.base.struct_size = sizeof longer;
  longer.base.act = GLK_ACT_BILINEAR;
  longer.future_field = 12345;
  assert_int_equal(glk_forward(&f.tx, &f.ty, &longer.base), GLK_OK);
  assert_true(f.y[1][2] == f.x[1][2] * f.x[1][5]);
  assert_int_equal(glk_forward(&f.tx, &f.ty, NULL), GLK_OK); /* defaults: glu */
  assert_true(f.y[0][0] == (float)(f.x[0][0] / (1.0 + exp(-(double)f.x[0][3]))));
}

/* Two threads fail at once with different messages; each reads its own. */
static void *fail_repeatedly(void *arg) {
  const int dim = *(const int *)arg;
  int64_t x[2] = {4, 6}, y[2];
  for (int i = 0; i < 2000; i++) {
    if (glk_output_shape(2, x, dim, y) != GLK_ERR_AXIS) return (void *)1;
    char want[32];
    snprintf(want, sizeof want, "dim = %d ", dim);
    if (!strstr(glk_last_error(), want)) return (void *)1;
  }
  return NULL;
}

static void test_thread_local_errors(void **state) {
  (void)state;
  pthread_t a, b;
  int dim_a = 5, dim_b = -7;
  void *ra, *rb;
  assert_int_equal(pthread_create(&a, NULL, fail_repeatedly, &dim_a), 0);
  assert_int_equal(pthread_create(&b, NULL, fail_repeatedly, &dim_b), 0);
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  assert_null(ra);
  assert_null(rb);
}

/* With several faults, a call reports the first in the order of its
 * arguments, each tensor checked whole (data included) before the next:
 * the same statuses whichever steps the library takes inside. */
static void test_error_precedence(void **state) {
  (void)state;
  float buf[64];
  const int64_t xs[2] = {4, 8}, ys[2] = {4, 4}, bad_ys[2] = {4, 5}, odd[2] = {4, 15};
  const int64_t huge[2] = {INT64_MAX / 2, 1}, dup[2] = {1, 1};
  glk_tensor x, y;
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&y, buf, GLK_DTYPE_F32, 2, bad_ys, NULL);
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_NULL_POINTER); /* before y's shape */
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, odd, NULL);
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_NULL_POINTER); /* before the odd split */
  glk_options o;
  glk_options_init(&o);
  o.dim = 5;
  assert_int_equal(glk_forward(&x, &y, &o), GLK_ERR_NULL_POINTER); /* before the axis */
  glk_tensor_init(&x, NULL, GLK_DTYPE_F32, 2, xs, huge);
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_NULL_POINTER); /* before the offsets */
  /* an output: NULL data, then its address range, before shared elements */
  glk_tensor_init(&x, buf, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&y, NULL, GLK_DTYPE_F32, 2, ys, dup);
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_NULL_POINTER);
  y.data = (void *)(uintptr_t)-16;
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_OVERFLOW);
  y.data = buf + 32;
  assert_int_equal(glk_forward(&x, &y, NULL), GLK_ERR_OVERLAP);
  /* backward: dy's NULL data before dx's dtype */
  glk_tensor dy, dx;
  glk_tensor_init(&dy, NULL, GLK_DTYPE_F32, 2, ys, NULL);
  glk_tensor_init(&dx, buf, GLK_DTYPE_F64, 2, xs, NULL);
  assert_int_equal(glk_backward(&x, &dy, &dx, NULL), GLK_ERR_NULL_POINTER);
}

int main(void) {
  if (isa_unavailable()) return GLK_SKIP_EXIT;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_status_strings),
      cmocka_unit_test(test_error_precedence),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_options_defaults),
      cmocka_unit_test(test_tensor_init),
      cmocka_unit_test(test_output_shape),
      cmocka_unit_test(test_errors_null),
      cmocka_unit_test(test_errors_rank_axis_odd),
      cmocka_unit_test(test_errors_mismatch),
      cmocka_unit_test(test_errors_invalid_arguments),
      cmocka_unit_test(test_errors_overflow),
      cmocka_unit_test(test_errors_overlap),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_options_from_a_later_version),
      cmocka_unit_test(test_thread_local_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
