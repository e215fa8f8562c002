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

/* Signalling NaN and quiet-NaN test, per dtype (quiet bit: the top
 * fraction bit). */
static void dtype_snan(glk_dtype dt, unsigned char out[8]) {
  static const uint32_t s32 = 0x7fa00000u;
  static const uint64_t s64 = 0x7ff4000000000000ull;
  static const uint16_t s16 = 0x7d00, sbf = 0x7fa0;
  switch (dt) {
    case GLK_DTYPE_F32: memcpy(out, &s32, 4); break;
    case GLK_DTYPE_F64: memcpy(out, &s64, 8); break;
    case GLK_DTYPE_F16: memcpy(out, &s16, 2); break;
    default: memcpy(out, &sbf, 2);
  }
}

static int is_quiet_nan(glk_dtype dt, const unsigned char *b) {
  uint64_t q;
  uint16_t h;
  uint32_t f;
  switch (dt) {
    case GLK_DTYPE_F32: memcpy(&f, b, 4); return (f & 0x7fc00000u) == 0x7fc00000u;
    case GLK_DTYPE_F64: memcpy(&q, b, 8); return (q & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    case GLK_DTYPE_F16: memcpy(&h, b, 2); return (h & 0x7e00) == 0x7e00;
    default: memcpy(&h, b, 2); return (h & 0x7fc0) == 0x7fc0;
  }
}

/* y, dv and dg of one (v, g) pair given as bits, dy = 1, through the split
 * API on the ISA under test (dy given as bits too); outputs are poisoned first and must be
 * written. */
static void compute_bits(glk_dtype dt, glk_act act, unsigned char *vb,
                         unsigned char *gb, unsigned char *dyb, unsigned char y[8],
                         unsigned char dv[8], unsigned char dg[8]) {
  dtype_poison(dt, y), dtype_poison(dt, dv), dtype_poison(dt, dg);
  const int64_t one = 1;
  glk_tensor tv, tg, tdy, tout, tdv, tdg;
  glk_tensor_init(&tv, (void *)vb, dt, 1, &one, NULL);
  glk_tensor_init(&tg, (void *)gb, dt, 1, &one, NULL);
  glk_tensor_init(&tdy, dyb, dt, 1, &one, NULL);
  glk_tensor_init(&tout, y, dt, 1, &one, NULL);
  glk_tensor_init(&tdv, dv, dt, 1, &one, NULL);
  glk_tensor_init(&tdg, dg, dt, 1, &one, NULL);
  glk_options opt;
  glk_options_init(&opt);
  opt.act = act;
  assert_int_equal(glk_forward_split(&tv, &tg, &tout, &opt), GLK_OK);
  assert_int_equal(glk_backward_split(&tv, &tg, &tdy, &tdv, &tdg, &opt), GLK_OK);
  assert_false(dtype_is_poison(dt, y) || dtype_is_poison(dt, dv) || dtype_is_poison(dt, dg));
}

/* y, dv or dg of one (v, g) pair with dy = 1 through the split API. */
static void compute(glk_dtype dt, glk_act act, const char *quantity,
                    long double v, long double g, unsigned char out[8]) {
  unsigned char vb[8], gb[8], dyb[8], y[8], dv[8], dg[8];
  /* Inputs are taken as the dtype's nearest values (1e30 as an f32). */
  dtype_encode_nearest(dt, v, vb);
  dtype_encode_nearest(dt, g, gb);
  dtype_encode_exact(dt, 1.0L, dyb);
  compute_bits(dt, act, vb, gb, dyb, y, dv, dg);
  memcpy(out, strcmp(quantity, "y") == 0 ? y : strcmp(quantity, "dv") == 0 ? dv : dg,
         glk_dtype_size(dt));
}

/* Trims a markdown cell in place; strips `backticks`. */
static char *trim(char *s) {
  while (isspace((unsigned char)*s) || *s == '`') s++;
  char *e = s + strlen(s);
  while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '`')) *--e = 0;
  return s;
}

/* The next row of README's table between <!-- NAME:begin --> and
 * <!-- NAME:end --> (header and rule skipped), split into trimmed cells in
 * `line`, its variant and dtype parsed; the number of cells, or -1 after
 * the table. */
static int next_readme_row(FILE *f, const char *name, int *inside, char *line, int size,
                           char **cells, glk_act *act, glk_dtype *dt) {
  char begin[64], end[64];
  snprintf(begin, sizeof begin, "<!-- %s:begin -->", name);
  snprintf(end, sizeof end, "<!-- %s:end -->", name);
  while (fgets(line, size, f)) {
    if (strstr(line, begin)) { *inside = 1; continue; }
    if (strstr(line, end)) return -1;
    if (!*inside || line[0] != '|' || strstr(line, "---") || strstr(line, "variant"))
      continue;
    int n = 0;
    for (char *tok = strtok(line + 1, "|"); tok && n < 10; tok = strtok(NULL, "|"))
      cells[n++] = trim(tok);
    assert_true(n >= 2);
    if (glk_act_from_name(cells[0], act) != GLK_OK) fail_msg("row: bad variant %s", cells[0]);
    if (glk_dtype_from_name(cells[1], dt) != GLK_OK) fail_msg("row: bad dtype %s", cells[1]);
    return n;
  }
  return -1;
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
  int inside = 0, rows = 0, n;
  char *cells[10];
  glk_act act;
  glk_dtype dt;
  /* | variant | dtype | quantity | v | g | glukit | PyTorch | note | */
  while ((n = next_readme_row(f, "numerics", &inside, line, sizeof line, cells, &act, &dt)) >= 0) {
    assert_true(n >= 6);
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

/* ---- special values --------------------------------------------------------
 * The expectation of a result is the long-double oracle's value (support/
 * oracle.c, written from the formulas and README's rules). A NaN must come
 * out as a quiet NaN (any sign and payload). A result the dtype can hold
 * exactly (0 with its sign, infinities, 0.5, the input itself, ...) must be
 * those bits on every ISA; any other lies within the ISA's bound (the
 * reference kernels: within 1 ULP, i.e. correctly rounded or one double
 * rounding off). On a SIMD ISA an act(g) below f32's normal range carries
 * f32's subnormal rounding (README, "two known SIMD limits"): that
 * absolute error, times the other factor, is allowed on top. */
static long double oracle_of(glk_act act, int q, long double v, long double g, long double dy) {
  if (q == 0) return oracle_forward(act, v, g, &oracle_default_params);
  long double dv, dg, scale;
  oracle_backward(act, v, g, dy, &oracle_default_params, &dv, &dg, &scale);
  return q == 1 ? dv : dg;
}

static int representable(glk_dtype dt, long double x) {
  if (isnan(x)) return 0;
  unsigned char b[8];
  dtype_encode_nearest(dt, x, b);
  const long double back = dtype_decode(dt, b);
  return back == x && !signbit(back) == !signbit(x);
}

/* Results every ISA must give bit for bit: zeros, infinities and the
 * representable normal values (0.5, 1, the input itself). A subnormal the
 * long-double oracle finds representable may be a rounded tie (x sigma(x)
 * for the smallest x is 2^-150 (1 + 2^-150)), so it is held to the bound. */
static int exact_result(glk_dtype dt, long double x) {
  if (!representable(dt, x)) return 0;
  const int prec = dt == GLK_DTYPE_F32 ? 24 : dt == GLK_DTYPE_F64 ? 53 : dt == GLK_DTYPE_F16 ? 11 : 8;
  const long double min_normal = ldexpl(dtype_ulp(dt, 0), prec - 1);
  return x == 0 || isinf(x) || fabsl(x) >= min_normal;
}

/* README's first known SIMD limit: act(g) is itself below f32's normal
 * range because g is (|g| < 2^-126) and meets an infinite factor (v, dy or
 * v dy): an act rounded to 0 may give NaN. (A finite factor costs nothing:
 * the fast paths carry act as hi + lo. Deep tails are not in it: they keep
 * e^-|s| nonzero, so an infinite factor gives the oracle's infinity.) */
static int simd_limit_applies(glk_dtype dt, glk_act act, int q, long double v, long double g,
                              long double dy) {
  if (glk_default_isa() == GLK_ISA_SCALAR || dt == GLK_DTYPE_F64) return 0;
  long double a, da, sc;
  oracle_backward(act, 1, g, 1, &oracle_default_params, &a, &da, &sc);
  const long double f = q == 2 ? sc : fabsl(a);
  const long double other = q == 0 ? fabsl(v) : q == 1 ? fabsl(dy) : fabsl(v * dy);
  return isinf(other) && f != 0 && f < 0x1p-126L && fabsl(g) < 0x1p-126L;
}

/* NULL when `got` meets the expectation `want`, else why not. */
static const char *judge(glk_dtype dt, glk_act act, int q, const unsigned char *got,
                         long double want, long double v, long double g, long double dy) {
  const long double x = dtype_decode(dt, got);
  const int limit = simd_limit_applies(dt, act, q, v, g, dy);
  if (isnan(want) || isnan(x)) {
    if (isnan(x) && !isnan(want) && limit) return NULL;
    if (!isnan(want) || !isnan(x)) return "NaN where the oracle has none, or none where it has";
    return is_quiet_nan(dt, got) ? NULL : "a signalling NaN came out";
  }
  unsigned char wb[8];
  if (exact_result(dt, want) && !limit) {
    dtype_encode_exact(dt, want, wb);
    return dtype_bits_equal(dt, got, wb) ? NULL : "not the exact result";
  }
  if (limit && (isinf(x) || isinf(want))) return x == want ? NULL : "beyond the bound";
  return ulp_error(dt, x, want) <= bound_ulp(glk_default_isa(), dt, act) ? NULL
                                                                         : "beyond the bound";
}

/* The README's special-values table: every row, every ISA. */
static void test_readme_specials(void **state) {
  (void)state;
  FILE *f = fopen(g_readme_path, "r");
  if (!f) fail_msg("cannot open %s", g_readme_path);
  char line[1024];
  int inside = 0, rows = 0, exact_cells = 0, n;
  const glk_isa isa = glk_default_isa();
  char *cells[10];
  glk_act act;
  glk_dtype dt;
  /* | variant | dtype | v | g | y | dv | dg | PyTorch y, dv, dg | note | */
  while ((n = next_readme_row(f, "specials", &inside, line, sizeof line, cells, &act, &dt)) >= 0) {
    assert_true(n >= 7);
    unsigned char in[2][8], dyb[8], out[3][8];
    long double inv[2];
    for (int k = 0; k < 2; k++) {
      if (strcmp(cells[2 + k], "snan") == 0) {
        dtype_snan(dt, in[k]);
        inv[k] = NAN;
      } else {
        inv[k] = parse_number(cells[2 + k]);
        dtype_encode_nearest(dt, inv[k], in[k]);
        inv[k] = dtype_decode(dt, in[k]);
      }
    }
    dtype_encode_exact(dt, 1.0L, dyb);
    compute_bits(dt, act, in[0], in[1], dyb, out[0], out[1], out[2]);
    static const char *names[3] = {"y", "dv", "dg"};
    for (int q = 0; q < 3; q++) {
      const long double cell = parse_number(cells[4 + q]);
      const long double want = oracle_of(act, q, inv[0], inv[1], 1);
      unsigned char cb[8];
      dtype_encode_nearest(dt, cell, cb);
      /* the cell against the oracle (reference semantics: within 1 ULP) */
      const char *why = NULL;
      if (isnan(want) || isnan(cell)) why = isnan(want) && isnan(cell) ? NULL : "NaN-ness";
      else if (representable(dt, want)) {
        unsigned char wb[8];
        dtype_encode_exact(dt, want, wb);
        why = dtype_bits_equal(dt, cb, wb) ? NULL : "not the exact result";
        exact_cells++;
      } else if (ulp_error(dt, dtype_decode(dt, cb), want) > bound_ulp(GLK_ISA_SCALAR, dt, act))
        why = "more than 1 ULP from the oracle";
      if (why)
        fail_msg("README specials %s %s %s(v=%s, g=%s): the table's %s is wrong (%s; oracle "
                 "%.17Lg)", cells[0], cells[1], names[q], cells[2], cells[3], cells[4 + q], why,
                 want);
      /* the library against the cell: NaN quiet; bits on the reference, and
       * on every ISA where the result is exact; else within the bound */
      if (isnan(cell)) why = judge(dt, act, q, out[q], NAN, inv[0], inv[1], 1);
      else if (isa == GLK_ISA_SCALAR || exact_result(dt, want))
        why = dtype_bits_equal(dt, out[q], cb) ? NULL : "bits differ";
      else why = judge(dt, act, q, out[q], want, inv[0], inv[1], 1);
      if (why)
        fail_msg("README specials %s %s %s(v=%s, g=%s) on %s: library gives %.17Lg, table "
                 "says %s (%s)", cells[0], cells[1], names[q], cells[2], cells[3],
                 glk_isa_name(isa), dtype_decode(dt, out[q]), cells[4 + q], why);
    }
    rows++;
  }
  fclose(f);
  assert_true(rows >= 150); /* every variant's rows were found and read */
  printf("README specials: %d rows, %d cells exact\n", rows, exact_cells);
  assert_true(exact_cells >= 250);
}

/* Bit patterns of the special inputs of one dtype. */
typedef struct fmt_bits { int size; uint64_t sign, inf, qnan, snan, max, sub_max; } fmt_bits;

static fmt_bits bits_of(glk_dtype dt) {
  switch (dt) {
    case GLK_DTYPE_F32: return (fmt_bits){4, 0x80000000u, 0x7f800000u, 0x7fc00000u, 0x7fa00000u,
                                          0x7f7fffffu, 0x007fffffu};
    case GLK_DTYPE_F64: return (fmt_bits){8, 1ull << 63, 0x7ffull << 52, 0x7ff8ull << 48,
                                          0x7ff4ull << 48, 0x7fefffffffffffffull,
                                          (1ull << 52) - 1};
    case GLK_DTYPE_F16: return (fmt_bits){2, 0x8000, 0x7c00, 0x7e00, 0x7d00, 0x7bff, 0x3ff};
    default: return (fmt_bits){2, 0x8000, 0x7f80, 0x7fc0, 0x7fa0, 0x7f7f, 0x7f};
  }
}

static void put_bits(unsigned char *out, uint64_t bits, int size) {
  for (int i = 0; i < size; i++) out[i] = (unsigned char)(bits >> (8 * i)); /* little endian */
}

static uint64_t get_bits(const unsigned char *b, int size) {
  uint64_t x = 0;
  for (int i = 0; i < size; i++) x |= (uint64_t)b[i] << (8 * i);
  return x;
}

/* Every dtype and variant, forward and backward, at every pair (v, g) of
 * special values and every special dy: +-0, +-smallest and +-largest
 * subnormal, +-inf, quiet and signalling NaN, +-largest finite, +-1, and the
 * clamp limit +-L with its neighbours +-1 ULP, against the oracle. */
static void test_special_pairs_all_dtypes(void **state) {
  (void)state;
  static const glk_dtype dts[] = {GLK_DTYPE_F32, GLK_DTYPE_F16, GLK_DTYPE_BF16, GLK_DTYPE_F64};
  long checked = 0, failures = 0, per_act[GLK_ACT_COUNT] = {0};
  int seen[GLK_ACT_COUNT][4][3] = {{{0}}}; /* print the first failure of each kind */
  for (size_t d = 0; d < 4; d++) {
    const glk_dtype dt = dts[d];
    const fmt_bits fb = bits_of(dt);
    unsigned char one[8], lim[8];
    dtype_encode_exact(dt, 1.0L, one);
    dtype_encode_exact(dt, 7.0L, lim);
    const uint64_t o = get_bits(one, fb.size), l = get_bits(lim, fb.size);
    const uint64_t mag[] = {0, 1, fb.sub_max, fb.inf, fb.max, o, l, l - 1, l + 1};
    uint64_t set[2 * 9 + 2];
    int ns = 0;
    for (int i = 0; i < 9; i++) set[ns++] = mag[i], set[ns++] = mag[i] | fb.sign;
    set[ns++] = fb.qnan, set[ns++] = fb.snan;
    const uint64_t dys[] = {o, fb.sign, fb.inf, fb.qnan, fb.max, 1, o | fb.sign};
    for (int act = 0; act < GLK_ACT_COUNT; act++)
      for (int i = 0; i < ns; i++)
        for (int j = 0; j < ns; j++)
          for (size_t k = 0; k < sizeof dys / sizeof dys[0]; k++) {
            unsigned char vb[8], gb[8], dyb[8], out[3][8];
            put_bits(vb, set[i], fb.size), put_bits(gb, set[j], fb.size);
            put_bits(dyb, dys[k], fb.size);
            compute_bits(dt, (glk_act)act, vb, gb, dyb, out[0], out[1], out[2]);
            const long double v = dtype_decode(dt, vb), g = dtype_decode(dt, gb),
                              dy = dtype_decode(dt, dyb);
            for (int q = k ? 1 : 0; q < 3; q++) { /* y once, with the first dy */
              const long double want = oracle_of((glk_act)act, q, v, g, dy);
              const char *why = judge(dt, (glk_act)act, q, out[q], want, v, g, dy);
              checked++;
              if (why) failures++, per_act[act]++;
              if (why && !seen[act][d][q]++)
                print_error("%s %s %s on %s: v=%.9Lg g=%.9Lg dy=%.9Lg (bits %llx %llx %llx) gives "
                         "%.17Lg, oracle %.17Lg: %s\n", glk_act_name((glk_act)act),
                         glk_dtype_name(dt), q == 0 ? "y" : q == 1 ? "dv" : "dg",
                         glk_isa_name(glk_default_isa()), v, g, dy,
                         (unsigned long long)set[i], (unsigned long long)set[j],
                         (unsigned long long)dys[k], dtype_decode(dt, out[q]), want, why);
            }
          }
  }
  for (int act = 0; act < GLK_ACT_COUNT; act++)
    if (per_act[act]) print_error("%s: %ld special cases wrong\n", glk_act_name((glk_act)act), per_act[act]);
  if (failures) fail_msg("%ld of %ld special cases wrong", failures, checked);
  assert_true(checked > 100000);
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

/* swiglu_oai with alpha = 0: x sigma(0 x) = x/2, so at g = -inf (which
 * passes the clamp) y is -inf and act' is 1/2, not the limits of b > 0;
 * the library and the oracle agree on it. */
static void test_oai_alpha_zero_at_infinity(void **state) {
  (void)state;
  const oracle_params op = {0.0, 7.0L};
  const float gates[] = {-INFINITY, INFINITY, -3.0f};
  for (size_t i = 0; i < sizeof gates / sizeof gates[0]; i++) {
    float v = 1.0f, g = gates[i], dy = 1.0f, y = NAN, dv = NAN, dg = NAN;
    const int64_t one = 1;
    glk_tensor tv, tg, tdy, ty, tdv, tdg;
    glk_tensor_init(&tv, &v, GLK_DTYPE_F32, 1, &one, NULL);
    glk_tensor_init(&tg, &g, GLK_DTYPE_F32, 1, &one, NULL);
    glk_tensor_init(&tdy, &dy, GLK_DTYPE_F32, 1, &one, NULL);
    glk_tensor_init(&ty, &y, GLK_DTYPE_F32, 1, &one, NULL);
    glk_tensor_init(&tdv, &dv, GLK_DTYPE_F32, 1, &one, NULL);
    glk_tensor_init(&tdg, &dg, GLK_DTYPE_F32, 1, &one, NULL);
    glk_options opt;
    glk_options_init(&opt);
    opt.act = GLK_ACT_SWIGLU_OAI;
    opt.alpha = 0.0;
    assert_int_equal(glk_forward_split(&tv, &tg, &ty, &opt), GLK_OK);
    assert_int_equal(glk_backward_split(&tv, &tg, &tdy, &tdv, &tdg, &opt), GLK_OK);
    long double edv, edg, scale;
    const long double ey = oracle_forward(GLK_ACT_SWIGLU_OAI, v, g, &op);
    oracle_backward(GLK_ACT_SWIGLU_OAI, v, g, dy, &op, &edv, &edg, &scale);
    /* by hand: gc = min(g, 7), y = gc/2 * 2, dv = gc/2, dg = 2 * 1/2 (g <= 7) */
    const long double gc = g > 7 ? 7.0L : g;
    const long double hy = gc, hdv = gc / 2, hdg = g > 7 ? 0.0L : 1.0L;
    if (!(y == ey && ey == hy && dv == edv && edv == hdv && dg == edg && edg == hdg))
      fail_msg("alpha = 0, g = %g: library (%g, %g, %g), oracle (%Lg, %Lg, %Lg), "
               "by hand (%Lg, %Lg, %Lg)", g, y, dv, dg, ey, edv, edg, hy, hdv, hdg);
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
      cmocka_unit_test(test_readme_specials),
      cmocka_unit_test(test_special_pairs_all_dtypes),
      cmocka_unit_test(test_hand_computed),
      cmocka_unit_test(test_oai_alpha_zero_at_infinity),
      cmocka_unit_test(test_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
