/*
 * The threaded paths, for ThreadSanitizer (scripts/test.sh builds build-tsan):
 * two caller threads at once, each running forward and backward with
 * num_threads = 2 on tensors large enough to be split over the pool, and
 * each result compared with the same call on the calling thread alone
 * (elementwise kernels: the split must not change a single bit); then many
 * short threaded jobs beside a spinning thread.
 */
#include <pthread.h>
#include <stdatomic.h>
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

/* A thread spinning beside the calls, as another library's idle OpenMP team
 * does: workers wake late, often after the caller has claimed every task
 * of its job, and must neither be waited for nor run a later job's tasks
 * with an earlier job's function. Many short jobs back to back. */
static atomic_int spinning;
static void *spinner(void *arg) {
  (void)arg;
  while (atomic_load_explicit(&spinning, memory_order_relaxed)) {
  }
  return NULL;
}

static void short_jobs_beside_a_spinning_thread(void **state) {
  (void)state;
  enum { R = 64, C = 1024, CALLS = 300 }; /* 384 KiB of traffic: 2 threads, 8 tasks */
  const size_t nx = (size_t)R * C, ny = nx / 2;
  float *x = malloc(nx * 4), *want = malloc(ny * 4), *y = malloc(ny * 4);
  assert_non_null(x), assert_non_null(want), assert_non_null(y);
  rng r = {7};
  for (size_t i = 0; i < nx; i++) x[i] = (float)rng_uniform(&r, -8, 8);
  int64_t xs[2] = {R, C}, ys[2] = {R, C / 2};
  glk_tensor tx, tw, ty;
  glk_tensor_init(&tx, x, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&tw, want, GLK_DTYPE_F32, 2, ys, NULL);
  glk_tensor_init(&ty, y, GLK_DTYPE_F32, 2, ys, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = GLK_ACT_SWIGLU;
  o.num_threads = 1;
  assert_int_equal(glk_forward(&tx, &tw, &o), GLK_OK);

  atomic_store(&spinning, 1);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, spinner, NULL), 0);
  o.num_threads = 2;
  int wrong = 0;
  for (int call = 0; call < CALLS; call++) {
    memset(y, 0xff, ny * 4); /* NaN: an element left unwritten fails */
    assert_int_equal(glk_forward(&tx, &ty, &o), GLK_OK);
    wrong += memcmp(y, want, ny * 4) != 0;
  }
  atomic_store(&spinning, 0);
  pthread_join(t, NULL);
  assert_int_equal(wrong, 0);
  free(x), free(want), free(y);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(two_callers_two_workers),
                                     cmocka_unit_test(short_jobs_beside_a_spinning_thread)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
