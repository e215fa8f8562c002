/*
 * More than 2^31 elements: Y is bf16 [2^31 + 3] (4 GiB) computed from an X
 * whose rows repeat through a zero stride, once through the strided walk
 * and once as one contiguous run of 2^31 + 3 elements. Every element past
 * 2^31 must be written, and equal to a one-element call on the same values.
 * Skipped when the machine has less than 10 GiB available, or when
 * GLUKIT_SKIP_LARGE is set (the sanitizer build).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "glukit.h"
#include "support/oracle.h"

static const int64_t kRows = (INT64_C(1) << 31) + 3;

static int enough_memory(void) {
  if (getenv("GLUKIT_SKIP_LARGE")) return 0;
  const long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && (double)pages * (double)size > 10.0 * (1 << 30);
}

static uint16_t bf16(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return (uint16_t)(b >> 16); /* the test values are exact in bf16 */
}

static void check_rows(const uint16_t *y, uint16_t expect) {
  int64_t wrong = 0;
  for (int64_t i = 0; i < kRows; i++) wrong += y[i] != expect;
  assert_int_equal(wrong, 0);
}

static void test_more_than_2_31_elements(void **state) {
  (void)state;
  if (!enough_memory()) skip();
  const size_t bytes = (size_t)kRows * 2;
  uint16_t *y = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  assert_true(y != MAP_FAILED);

  /* The same (value, gate) in a one-element call: the expected bits. */
  uint16_t pair[2] = {bf16(-1.5f), bf16(2.25f)}, one;
  const int64_t two = 2, single = 1;
  glk_tensor tp, t1;
  glk_tensor_init(&tp, pair, GLK_DTYPE_BF16, 1, &two, NULL);
  glk_tensor_init(&t1, &one, GLK_DTYPE_BF16, 1, &single, NULL);
  glk_options opt;
  glk_options_init(&opt);
  opt.act = GLK_ACT_REGLU; /* cheap math: this test is about indexing */
  assert_int_equal(glk_forward(&tp, &t1, &opt), GLK_OK);

  /* X: kRows x 2 with row stride 0 -> every row is `pair`. */
  const int64_t xshape[2] = {kRows, 2}, xstrides[2] = {0, 1};
  const int64_t yshape[2] = {kRows, 1};
  glk_tensor tx, ty;
  glk_tensor_init(&tx, pair, GLK_DTYPE_BF16, 2, xshape, xstrides);
  glk_tensor_init(&ty, y, GLK_DTYPE_BF16, 2, yshape, NULL);
  memset(y, 0xff, bytes); /* NaN poison */
  assert_int_equal(glk_forward(&tx, &ty, &opt), GLK_OK);
  check_rows(y, one);

  /* Split form, value and gate broadcast: one contiguous run for Y. */
  const int64_t flat[1] = {kRows}, zero[1] = {0};
  glk_tensor tv, tg, tflat;
  glk_tensor_init(&tv, &pair[0], GLK_DTYPE_BF16, 1, flat, zero);
  glk_tensor_init(&tg, &pair[1], GLK_DTYPE_BF16, 1, flat, zero);
  glk_tensor_init(&tflat, y, GLK_DTYPE_BF16, 1, flat, NULL);
  memset(y, 0xff, bytes);
  assert_int_equal(glk_forward_split(&tv, &tg, &tflat, &opt), GLK_OK);
  check_rows(y, one);
  munmap(y, bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_more_than_2_31_elements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
