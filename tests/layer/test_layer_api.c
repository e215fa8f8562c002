/*
 * The GLU layer's API contract: every argument error with its status and
 * nothing written, the workspace as the only extra memory (a few blocks,
 * not tokens x 2*hidden), and no allocation inside a call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#ifdef GLUKIT_HAVE_OPENBLAS_THREADS
#include <cblas.h>
#endif

#include "layer_case.h"

/* Counts the allocations made through malloc & co. while `counting`;
 * AddressSanitizer owns malloc, so under it the count is skipped. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCATIONS 0
#else
#define COUNT_ALLOCATIONS 1
#endif
static volatile int counting, allocations;
#if COUNT_ALLOCATIONS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n) {
  if (counting) allocations++;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
  if (counting) allocations++;
  return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
  if (counting) allocations++;
  return __libc_realloc(p, n);
}
#endif

static void test_workspace_is_a_few_blocks(void **state) {
  (void)state;
  const int64_t d = 1024, h = 2816, t = 512;
  glk_tensor w_up, w_down;
  const int64_t su[2] = {d, 2 * h}, sd[2] = {h, d};
  layer_case c;
  case_make(&c, GLK_DTYPE_F32, PACK_HALVES_GATE2, 1, 1, 4, 3, 5, 2,
            GLK_ACT_SWIGLU, 1);
  c.layer.token_block = 100000; /* one block of all t tokens */
  size_t fwd, bwd;
  assert_int_equal(glk_glu_workspace_size(&c.layer, t, 0, &c.opt, &fwd), GLK_OK);
  assert_int_equal(glk_glu_workspace_size(&c.layer, t, 1, &c.opt, &bwd), GLK_OK);
  /* hidden 5 fits one block: Z (t x 10), H (t x 5), dH (t x 5) */
  assert_int_equal(fwd, (size_t)(t * 5 * 3) * 4 + 64);
  assert_int_equal(bwd, (size_t)(t * 5 * 4) * 4 + 64);
  case_free(&c);

  /* At the benchmark shape the workspace is a few hundred KiB, against
   * tokens x 2*hidden floats (11 MiB) for the unfused intermediate. */
  float *wu = calloc((size_t)(d * 2 * h), sizeof *wu);
  float *wd = calloc((size_t)(h * d), sizeof *wd);
  glk_tensor_init(&w_up, wu, GLK_DTYPE_F32, 2, su, NULL);
  glk_tensor_init(&w_down, wd, GLK_DTYPE_F32, 2, sd, NULL);
  glk_glu_layer l;
  glk_glu_layer_init(&l);
  l.w_up = &w_up;
  l.w_down = &w_down;
  assert_int_equal(glk_glu_workspace_size(&l, t, 0, NULL, &fwd), GLK_OK);
  assert_int_equal(glk_glu_workspace_size(&l, t, 1, NULL, &bwd), GLK_OK);
  const size_t unfused = (size_t)(t * 2 * h) * sizeof(float);
  assert_true(fwd * 4 < unfused);
  assert_true(bwd * 4 < unfused);
  assert_true(bwd <= 2 * 1024 * 1024 + 64);
  free(wu);
  free(wd);
}

/*
 * Forward and backward allocate nothing: the workspace is all they use.
 * (OpenBLAS's own threading allocates per call, so BLAS runs on one thread
 * here; the count then covers glukit and single-threaded OpenBLAS.)
 */
static void test_no_allocation(void **state) {
  (void)state;
  if (!COUNT_ALLOCATIONS) skip();
#ifdef GLUKIT_HAVE_OPENBLAS_THREADS
  openblas_set_num_threads(1);
#endif
  layer_case c;
  case_make(&c, GLK_DTYPE_F32, PACK_INTER_GATE2, 1, 1, 300, 64, 200, 48,
            GLK_ACT_GEGLU_TANH, 2);
  c.layer.token_block = 128;
  c.layer.hidden_block = 64;
  tbuf y = tbuf_mat(GLK_DTYPE_F32, c.T, c.O, NULL, 0, 0);
  tbuf dx = tbuf_mat(GLK_DTYPE_F32, c.T, c.D, NULL, 0, 0);
  case_grads g;
  grads_make(&g, &c, 0);
  size_t ws;
  assert_int_equal(glk_glu_workspace_size(&c.layer, c.T, 1, &c.opt, &ws), GLK_OK);
  void *mem = malloc(ws);
  for (int round = 0; round < 2; round++) { /* the first warms BLAS up */
    counting = round;
    allocations = 0;
    assert_int_equal(glk_glu_forward(&c.layer, &c.tx.t, &y.t, mem, ws, &c.opt),
                     GLK_OK);
    assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &dx.t, &g.g, mem,
                                      ws, &c.opt),
                     GLK_OK);
    counting = 0;
  }
  assert_int_equal(allocations, 0);
  free(mem);
  grads_free(&g);
  tbuf_free(&y);
  tbuf_free(&dx);
  case_free(&c);
}

/* Calls the forward of c into a poisoned y and checks the status and that
 * y was not written. */
static void expect_forward(layer_case *c, const glk_tensor *x, tbuf *y,
                           void *ws, size_t size, glk_status want) {
  const size_t bytes = (size_t)(y->t.shape[0] * y->t.strides[0]) * 4;
  memset(y->mem, 0x7f, bytes);
  glk_status st = glk_glu_forward(&c->layer, x, &y->t, ws, size, &c->opt);
  if (st != want)
    fail_msg("status %s, expected %s (%s)", glk_status_string(st),
             glk_status_string(want), glk_last_error());
  if (want != GLK_OK) {
    assert_true(strlen(glk_last_error()) > 0);
    for (size_t i = 0; i < bytes; i++)
      assert_int_equal(((unsigned char *)y->mem)[i], 0x7f);
  }
}

static void test_errors(void **state) {
  (void)state;
  layer_case c;
  case_make(&c, GLK_DTYPE_F32, PACK_SEPARATE, 1, 1, 6, 5, 4, 3,
            GLK_ACT_SWIGLU, 3);
  tbuf y = tbuf_mat(GLK_DTYPE_F32, 6, 3, NULL, 0, 0);
  size_t ws;
  assert_int_equal(glk_glu_workspace_size(&c.layer, 6, 0, &c.opt, &ws), GLK_OK);
  char *mem = malloc(ws);
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_OK);

  expect_forward(&c, NULL, &y, mem, ws, GLK_ERR_NULL_POINTER);
  expect_forward(&c, &c.tx.t, &y, NULL, ws, GLK_ERR_NULL_POINTER);
  expect_forward(&c, &c.tx.t, &y, mem, ws - 1, GLK_ERR_INVALID_ARGUMENT);
  assert_int_equal(glk_glu_forward(NULL, &c.tx.t, &y.t, mem, ws, NULL),
                   GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_glu_workspace_size(&c.layer, 6, 0, NULL, NULL),
                   GLK_ERR_NULL_POINTER);
  assert_int_equal(glk_glu_workspace_size(&c.layer, -1, 0, NULL, &ws),
                   GLK_ERR_INVALID_ARGUMENT);

  glk_glu_layer keep = c.layer;
  c.layer.struct_size = 8;
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  c.layer = keep;
  c.layer.token_block = -1;
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  c.layer = keep;
  c.layer.w_up = &c.tval.t; /* both packed and separate */
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  c.layer = keep;
  c.layer.w_gate = NULL;
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_NULL_POINTER);
  c.layer = keep;
  c.layer.w_down = NULL; /* b_down without w_down */
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  c.layer = keep;

  /* w_up with an odd number of columns */
  tbuf odd = tbuf_mat(GLK_DTYPE_F32, 5, 7, NULL, 0, 0);
  c.layer.w_value = c.layer.w_gate = NULL;
  c.layer.b_value = c.layer.b_gate = NULL;
  c.layer.w_up = &odd.t;
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_ODD_SPLIT);
  c.layer = keep;
  tbuf_free(&odd);

  /* x: wrong width, wrong dtype, rank 3, strides BLAS cannot take */
  tbuf x4 = tbuf_mat(GLK_DTYPE_F32, 6, 4, NULL, 0, 0);
  expect_forward(&c, &x4.t, &y, mem, ws, GLK_ERR_SHAPE_MISMATCH);
  tbuf x64 = tbuf_mat(GLK_DTYPE_F64, 6, 5, NULL, 0, 0);
  expect_forward(&c, &x64.t, &y, mem, ws, GLK_ERR_DTYPE_MISMATCH);
  glk_tensor x3 = c.tx.t;
  x3.rank = 3;
  x3.shape[2] = 1;
  x3.strides[2] = 1;
  expect_forward(&c, &x3, &y, mem, ws, GLK_ERR_RANK);
  glk_tensor xs = c.tx.t;
  xs.strides[0] = 2; /* rows overlap: neither order works */
  xs.strides[1] = 1;
  expect_forward(&c, &xs, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  xs.strides[0] = 0; /* broadcast rows */
  expect_forward(&c, &xs, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  tbuf_free(&x4);
  tbuf_free(&x64);

  /* f16 weights: the layer computes in f32 and f64 only */
  glk_tensor w16 = *c.layer.w_value;
  w16.dtype = GLK_DTYPE_F16;
  c.layer.w_value = &w16;
  expect_forward(&c, &c.tx.t, &y, mem, ws, GLK_ERR_INVALID_ARGUMENT);
  c.layer = keep;

  /* y overlapping x: x's buffer seen as 6 x 3 */
  glk_tensor yx = y.t;
  yx.data = c.tx.mem;
  assert_int_equal(glk_glu_forward(&c.layer, &c.tx.t, &yx, mem, ws, &c.opt),
                   GLK_ERR_OVERLAP);
  /* y of the wrong shape */
  tbuf y4 = tbuf_mat(GLK_DTYPE_F32, 6, 4, NULL, 0, 0);
  expect_forward(&c, &c.tx.t, &y4, mem, ws, GLK_ERR_SHAPE_MISMATCH);
  tbuf_free(&y4);

  /* options are checked like the core's */
  glk_options bad = c.opt;
  bad.act = (glk_act)99;
  assert_int_equal(glk_glu_forward(&c.layer, &c.tx.t, &y.t, mem, ws, &bad),
                   GLK_ERR_INVALID_ARGUMENT);

  /* backward: gradients laid out like the weights, outputs apart */
  case_grads g;
  grads_make(&g, &c, 0);
  size_t bws;
  assert_int_equal(glk_glu_workspace_size(&c.layer, 6, 1, &c.opt, &bws), GLK_OK);
  char *bmem = malloc(bws);
  tbuf dx = tbuf_mat(GLK_DTYPE_F32, 6, 5, NULL, 0, 0);
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &dx.t, &g.g, bmem,
                                    bws, &c.opt), GLK_OK);
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, NULL, NULL, bmem,
                                    bws, &c.opt), GLK_OK);
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &dx.t, &g.g, bmem,
                                    ws, &c.opt), GLK_ERR_INVALID_ARGUMENT);
  glk_glu_layer gk = g.g;
  g.g.w_up = &g.val.t;
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &dx.t, &g.g, bmem,
                                    bws, &c.opt), GLK_ERR_INVALID_ARGUMENT);
  g.g = gk;
  g.g.w_gate = &g.val.t; /* two gradients in one buffer */
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &dx.t, &g.g, bmem,
                                    bws, &c.opt), GLK_ERR_OVERLAP);
  g.g = gk;
  assert_int_equal(glk_glu_backward(&c.layer, &c.tx.t, &y.t, &c.tx.t, &g.g,
                                    bmem, bws, &c.opt), GLK_ERR_OVERLAP);
  free(bmem);
  tbuf_free(&dx);
  grads_free(&g);
  free(mem);
  tbuf_free(&y);
  case_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_workspace_is_a_few_blocks),
      cmocka_unit_test(test_no_allocation),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
