/*
 * The once-rounding writes of f16 and bf16 (src/kernels/convert.h), checked
 * exhaustively: for every pair of neighbouring 16-bit values, the exact
 * midpoint (a tie: to even), points just inside either side of it, and the
 * values themselves; plus overflow, underflow to zero, NaN and reads of
 * every pattern against the tests' own decoder.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/convert.h"
#include "support/oracle.h"

static uint16_t write_bits(glk_dtype dt, double x) {
  return dt == GLK_DTYPE_F16 ? glk_double_to_f16(x) : glk_double_to_bf16(x);
}

static double read_bits(glk_dtype dt, uint16_t b) {
  return dt == GLK_DTYPE_F16 ? glk_f16_to_double(b) : glk_bf16_to_double(b);
}

static void expect_round(glk_dtype dt, double x) {
  uint16_t want, got = write_bits(dt, x);
  dtype_encode_nearest(dt, x, &want);
  if (got != want)
    fail_msg("%s: %.17g rounds to 0x%04x, expected 0x%04x", glk_dtype_name(dt),
             x, got, want);
}

static void sweep(glk_dtype dt) {
  for (uint32_t b = 0; b < 0x10000; b++) {
    const uint16_t h = (uint16_t)b;
    uint16_t same;
    const long double exact = dtype_decode(dt, &h);
    /* reads are exact */
    const double read = read_bits(dt, h);
    if (isnan(exact)) {
      assert_true(isnan(read));
      assert_true(isnan(read_bits(dt, write_bits(dt, read))));
      continue;
    }
    if (!(read == exact && !signbit(read) == !signbit(exact)))
      fail_msg("0x%04x reads as %.17g, decoder says %.17Lg", b, read, exact);
    /* values map to themselves, bit for bit (signed zeros too) */
    same = write_bits(dt, read);
    assert_int_equal(same, h);
    if (isinf(exact)) continue;
    /* towards the next value up in magnitude: midpoint and both sides */
    const uint16_t up_bits = (uint16_t)(h + 1);
    const long double up = dtype_decode(dt, &up_bits);
    if (isnan(up)) continue;
    const double lo = fabs(read), hi = isinf(up) ? ldexp(lo, 0) + (double)dtype_ulp(dt, lo) : fabs((double)up);
    const double mid = lo + (hi - lo) / 2; /* exact in double */
    const double sign = signbit(read) ? -1.0 : 1.0;
    expect_round(dt, sign * mid);
    expect_round(dt, sign * nextafter(mid, 0));
    expect_round(dt, sign * nextafter(mid, INFINITY));
    expect_round(dt, sign * (lo + (hi - lo) / 4));
  }
}

static void test_f16_exhaustive(void **state) {
  (void)state;
  sweep(GLK_DTYPE_F16);
  assert_int_equal(glk_double_to_f16(65520.0), 0x7c00);          /* ties up to inf */
  assert_int_equal(glk_double_to_f16(65519.99), 0x7bff);         /* max finite */
  assert_int_equal(glk_double_to_f16(1e300), 0x7c00);
  assert_int_equal(glk_double_to_f16(-0x1p-25), 0x8000);         /* tie to -0 */
  assert_int_equal(glk_double_to_f16(0x1.0000000000001p-25), 1); /* above tie */
  assert_int_equal(glk_double_to_f16(1e-300), 0);
}

static void test_bf16_exhaustive(void **state) {
  (void)state;
  sweep(GLK_DTYPE_BF16);
  assert_int_equal(glk_double_to_bf16(0x1.ffp127), 0x7f80);       /* tie to inf */
  assert_int_equal(glk_double_to_bf16(-1e300), 0xff80);
  assert_int_equal(glk_double_to_bf16(0x1p-134), 0);              /* tie to even 0 */
  assert_int_equal(glk_double_to_bf16(0x1.8p-133), 2);            /* 1.5 q -> 2 q */
  assert_int_equal(glk_double_to_bf16(NAN) & 0x7fc0, 0x7fc0);     /* quiet NaN */
  /* single rounding: a double just above a bf16 midpoint must round up,
   * where going through float first would land on the tie and go down */
  assert_int_equal(glk_double_to_bf16(1.0 + 0x1p-8 + 0x1p-40), 0x3f81);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f16_exhaustive),
      cmocka_unit_test(test_bf16_exhaustive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
