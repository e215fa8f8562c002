/*
 * The threaded paths, for ThreadSanitizer (scripts/test.sh builds build-tsan):
 * two caller threads at once, each running forward and backward with
 * num_threads = 2 on tensors large enough to be split over the pool, and
 * each result compared with the same call on the calling thread alone
 * (elementwise kernels: the split must not change a single bit).
 */
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

enum { ROWS = 128, COLS = 1024, ROUNDS = 3 }; /* X: 512 KiB of f32 */

typedef struct job {
  glk_act act;
  uint64_t seed;
  int failures;
} job;

static int run_pair(float *x, float *dy, float *out, float *dx, int threads,
                    glk_act act) {
  int64_t xs[2] = {ROWS, COLS}, ys[2] = {ROWS, COLS / 2};
  glk_tensor tx, ty, tdy, tdx;
  glk_tensor_init(&tx, x, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&ty, out, GLK_DTYPE_F32, 2, ys, NULL);
  glk_tensor_init(&tdy, dy, GLK_DTYPE_F32, 2, ys, NULL);
  glk_tensor_init(&tdx, dx, GLK_DTYPE_F32, 2, xs, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = act;
  o.num_threads = threads;
  return glk_forward(&tx, &ty, &o) != GLK_OK || glk_backward(&tx, &tdy, &tdx, &o) != GLK_OK;
}

static void *caller(void *arg) {
  job *j = arg;
  const size_t nx = (size_t)ROWS * COLS, ny = nx / 2;
  float *x = malloc(nx * 4), *dy = malloc(ny * 4), *y1 = malloc(ny * 4),
        *y2 = malloc(ny * 4), *dx1 = malloc(nx * 4), *dx2 = malloc(nx * 4);
  rng r = {j->seed};
  for (size_t i = 0; i < nx; i++) x[i] = (float)rng_uniform(&r, -8, 8);
  for (size_t i = 0; i < ny; i++) dy[i] = (float)rng_uniform(&r, -2, 2);
  for (int round = 0; round < ROUNDS; round++) {
    j->failures += run_pair(x, dy, y1, dx1, 2, j->act);
    j->failures += run_pair(x, dy, y2, dx2, 1, j->act);
    j->failures += memcmp(y1, y2, ny * 4) != 0;
    j->failures += memcmp(dx1, dx2, nx * 4) != 0;
  }
  free(x), free(dy), free(y1), free(y2), free(dx1), free(dx2);
  return NULL;
}

static void two_callers_two_workers(void **state) {
  (void)state;
  job jobs[2] = {{GLK_ACT_SWIGLU, 1, 0}, {GLK_ACT_GEGLU, 2, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, caller, &jobs[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  assert_int_equal(jobs[0].failures, 0);
  assert_int_equal(jobs[1].failures, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(two_callers_two_workers)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
