/*
 * Decided numerics. (1) The README's numerics table is read and every row
 * is checked bit for bit against the library, so the documentation and the
 * code cannot drift apart. (2) Hand-computed values. (3) Float64 finite
 * differences of the library's own forward agree with its backward, and of
 * the oracle's forward with the oracle's derivative.
 */
#include <ctype.h>
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

static const char *g_readme_path;

/* y, dv or dg of one (v, g) pair with dy = 1 through the split API. */
static void compute(glk_dtype dt, glk_act act, const char *quantity,
                    long double v, long double g, unsigned char out[8]) {
  unsigned char vb[8], gb[8], dyb[8], dvb[8], dgb[8];
  /* Inputs are taken as the dtype's nearest values (1e30 as an f32). */
  dtype_encode_nearest(dt, v, vb);
  dtype_encode_nearest(dt, g, gb);
  dtype_encode_exact(dt, 1.0L, dyb);
  const int64_t one = 1;
  glk_tensor tv, tg, tdy, tout, tdv, tdg;
  glk_tensor_init(&tv, vb, dt, 1, &one, NULL);
  glk_tensor_init(&tg, gb, dt, 1, &one, NULL);
  glk_tensor_init(&tdy, dyb, dt, 1, &one, NULL);
  glk_tensor_init(&tout, out, dt, 1, &one, NULL);
  glk_tensor_init(&tdv, dvb, dt, 1, &one, NULL);
  glk_tensor_init(&tdg, dgb, dt, 1, &one, NULL);
  glk_options opt;
  glk_options_init(&opt);
  opt.act = act;
  if (strcmp(quantity, "y") == 0) {
    assert_int_equal(glk_forward_split(&tv, &tg, &tout, &opt), GLK_OK);
    return;
  }
  assert_int_equal(glk_backward_split(&tv, &tg, &tdy, &tdv, &tdg, &opt), GLK_OK);
  memcpy(out, strcmp(quantity, "dv") == 0 ? dvb : dgb, glk_dtype_size(dt));
}

/* Trims a markdown cell in place; strips `backticks`. */
static char *trim(char *s) {
  while (isspace((unsigned char)*s) || *s == '`') s++;
  char *e = s + strlen(s);
  while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '`')) *--e = 0;
  return s;
}

/* Parses a table number: C syntax, with "−" accepted for the minus sign. */
static long double parse_number(const char *cell) {
  char buf[128];
  size_t j = 0;
  for (size_t i = 0; cell[i] && j + 1 < sizeof buf; i++) {
    if ((unsigned char)cell[i] == 0xe2 && (unsigned char)cell[i + 1] == 0x88 &&
        (unsigned char)cell[i + 2] == 0x92) { /* U+2212 MINUS SIGN */
      buf[j++] = '-';
      i += 2;
    } else {
      buf[j++] = cell[i];
    }
  }
  buf[j] = 0;
  char *end;
  long double v = strtold(buf, &end);
  if (end == buf) fail_msg("README numerics table: cannot parse number '%s'", cell);
  return v;
}

static void test_readme_table(void **state) {
  (void)state;
  FILE *f = fopen(g_readme_path, "r");
  if (!f) fail_msg("cannot open %s", g_readme_path);
  char line[1024];
  int inside = 0, rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "<!-- numerics:begin -->")) { inside = 1; continue; }
    if (strstr(line, "<!-- numerics:end -->")) break;
    if (!inside || line[0] != '|' || strstr(line, "---") || strstr(line, "variant"))
      continue;
    /* | variant | dtype | quantity | v | g | glukit | PyTorch | note | */
    char *cells[10];
    int n = 0;
    for (char *tok = strtok(line + 1, "|"); tok && n < 10; tok = strtok(NULL, "|"))
      cells[n++] = trim(tok);
    assert_true(n >= 6);
    glk_act act;
    glk_dtype dt;
    if (glk_act_from_name(cells[0], &act) != GLK_OK) fail_msg("row: bad variant %s", cells[0]);
    if (glk_dtype_from_name(cells[1], &dt) != GLK_OK) fail_msg("row: bad dtype %s", cells[1]);
    const long double v = parse_number(cells[3]), g = parse_number(cells[4]);
    const long double want = parse_number(cells[5]);
    unsigned char got[8], expect[8];
    compute(dt, act, cells[2], v, g, got);
    dtype_encode_nearest(dt, want, expect);
    /* A NaN's sign and payload are unspecified: NaN-ness is compared. The
     * reference must match every other row bit for bit; a SIMD ISA must match
     * zeros (with their sign) and infinities exactly and other values within
     * its documented bound. */
    const long double g_val = dtype_decode(dt, got), e_val = dtype_decode(dt, expect);
    const int both_nan = isnan(want) && isnan(g_val);
    const glk_isa isa = glk_default_isa();
    const int finite_nonzero = isfinite(e_val) && e_val != 0 && isfinite(g_val) && g_val != 0;
    const int within = isa != GLK_ISA_SCALAR && finite_nonzero &&
                       ulp_error(dt, g_val, want) <= bound_ulp(isa, dt, act);
    if (!both_nan && !within && !dtype_bits_equal(dt, got, expect))
      fail_msg("README row %s %s %s(v=%s, g=%s): library gives %.17Lg, table says %s",
               cells[0], cells[1], cells[2], cells[3], cells[4],
               dtype_decode(dt, got), cells[5]);
    rows++;
  }
  fclose(f);
  assert_true(rows >= 20); /* the table was found and read */
}

/* Values worked out by hand (and with a 200-bit calculator). */
static void test_hand_computed(void **state) {
  (void)state;
  static const struct {
    glk_act act;
    double v, g, y;
  } cases[] = {
      {GLK_ACT_GLU, 2.0, 0.0, 1.0},                              /* 2 * 1/2 */
      {GLK_ACT_GLU, 1.0, 1.0, 0.7310585786300049},               /* 1/(1+1/e) */
      {GLK_ACT_SWIGLU, 1.0, 1.0, 0.7310585786300049},
      {GLK_ACT_SWIGLU, 3.0, -2.0, -0.71521753213270534},          /* 3*-2/(1+e^2) */
      {GLK_ACT_GEGLU, 1.0, 1.0, 0.8413447460685429},             /* Phi(1) */
      {GLK_ACT_GEGLU, 2.0, -1.0, -0.3173105078629141},          /* 2*-Phi(-1) */
      {GLK_ACT_GEGLU_TANH, 1.0, 1.0, 0.8411919906082767},
      {GLK_ACT_GEGLU_QUICK, 1.0, 1.0, 0.8457957659328213},       /* 1/(1+e^-1.702) */
      {GLK_ACT_REGLU, 3.0, -2.0, 0.0},
      {GLK_ACT_REGLU, 3.0, 2.5, 7.5},
      {GLK_ACT_BILINEAR, 3.0, -2.5, -7.5},
      {GLK_ACT_SWIGLU_OAI, 2.0, 1.0, 2.5373872977984639},         /* 1*s(1.702)*3 */
      {GLK_ACT_SWIGLU_OAI, -9.0, 9.0, -41.999718769819903},          /* 7*s(11.914)*-6 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char out[8];
    compute(GLK_DTYPE_F64, cases[i].act, "y", cases[i].v, cases[i].g, out);
    const long double got = dtype_decode(GLK_DTYPE_F64, out);
    if (fabsl(got - cases[i].y) > 1e-12L * (1 + fabsl(cases[i].y)))
      fail_msg("%s(v=%g, g=%g) = %.17Lg, by hand %.17g", glk_act_name(cases[i].act),
               cases[i].v, cases[i].g, got, cases[i].y);
  }
}

/* Central differences in f64 of a forward, step h. */
static long double fd(glk_act act, int wrt_gate, long double v, long double g,
                      long double h, int use_library) {
  long double plus, minus;
  if (use_library) {
    unsigned char a[8], b[8];
    compute(GLK_DTYPE_F64, act, "y", v + (wrt_gate ? 0 : h), g + (wrt_gate ? h : 0), a);
    compute(GLK_DTYPE_F64, act, "y", v - (wrt_gate ? 0 : h), g - (wrt_gate ? h : 0), b);
    plus = dtype_decode(GLK_DTYPE_F64, a), minus = dtype_decode(GLK_DTYPE_F64, b);
  } else {
    plus = oracle_forward(act, v + (wrt_gate ? 0 : h), g + (wrt_gate ? h : 0), &oracle_default_params);
    minus = oracle_forward(act, v - (wrt_gate ? 0 : h), g - (wrt_gate ? h : 0), &oracle_default_params);
  }
  return (plus - minus) / (2 * h);
}

static void test_finite_differences(void **state) {
  (void)state;
  rng r = {4242};
  for (int act = 0; act < GLK_ACT_COUNT; act++)
    for (int k = 0; k < 200; k++) {
      /* exact binary fractions, away from the kinks of relu and the clamps */
      const long double v = ldexpl(rint(rng_uniform(&r, -9, 9) * 1024), -10);
      const long double g = ldexpl(rint(rng_uniform(&r, -9, 9) * 1024), -10);
      if (fabsl(g) < 1e-2L || fabsl(fabsl(v) - 7) < 1e-2L || fabsl(g - 7) < 1e-2L) continue;
      const long double h = 0x1p-20L;
      unsigned char dvb[8], dgb[8];
      compute(GLK_DTYPE_F64, (glk_act)act, "dv", v, g, dvb);
      compute(GLK_DTYPE_F64, (glk_act)act, "dg", v, g, dgb);
      const long double dv = dtype_decode(GLK_DTYPE_F64, dvb);
      const long double dg = dtype_decode(GLK_DTYPE_F64, dgb);
      long double odv, odg, scale;
      oracle_backward((glk_act)act, v, g, 1.0L, &oracle_default_params, &odv, &odg, &scale);
      const long double fdv = fd((glk_act)act, 0, v, g, h, 1);
      const long double fdg = fd((glk_act)act, 1, v, g, h, 1);
      const long double ofdg = fd((glk_act)act, 1, v, g, h, 0);
      /* f64 central differences with h = 2^-20: error ~ h^2 + eps/h */
      const long double tol = 1e-8L * (1 + fabsl(v) + fabsl(g) * fabsl(v));
      if (fabsl(fdv - dv) > tol || fabsl(fdg - dg) > tol || fabsl(ofdg - odg) > tol)
        fail_msg("%s v=%Lg g=%Lg: dv %.12Lg (fd %.12Lg), dg %.12Lg (fd %.12Lg), "
                 "oracle dg %.12Lg (fd %.12Lg)",
                 glk_act_name((glk_act)act), v, g, dv, fdv, dg, fdg, odg, ofdg);
    }
}

int main(int argc, char **argv) {
  if (isa_unavailable()) return GLK_SKIP_EXIT;
  g_readme_path = argc > 1 ? argv[1] : "README.md";
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_readme_table),
      cmocka_unit_test(test_hand_computed),
      cmocka_unit_test(test_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
