/*
 * Out-of-bounds detection with guard pages: every tensor of a call lives
 * flush against an inaccessible page (first pass: its last byte touches
 * the trailing guard; second pass: its first byte follows the leading one),
 * so a SIMD tail that reads or writes one element too far faults. Every
 * dtype x act x form (halves, interleaved, split) x direction, at pair
 * counts 1..96 (every loop and tail of every vector width: 32 lanes in
 * AVX-512, 64 a step in its forward), on every ISA
 * this CPU runs; results against the reference kernels.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "glukit.h"
#include "support/bounds.h"
#include "support/guarded.h"
#include "support/oracle.h"

enum { MAX_PAIRS = 96 };
enum form { HALVES, INTERLEAVED, SPLIT };
enum { IN1, IN2, DY, OUT1, OUT2, NBUF }; /* x or value, gate, dy, y/dx/dvalue, dgate */

typedef struct bufs {
  guarded g[NBUF];
  unsigned char *p[NBUF]; /* where the tensor starts: head or tail */
} bufs;

static void bufs_make(bufs *b, glk_dtype dt, int64_t n, int at_head) {
  const size_t es = glk_dtype_size(dt);
  const size_t bytes[NBUF] = {2 * n * es, n * es, n * es, 2 * n * es, n * es};
  for (int i = 0; i < NBUF; i++) {
    guarded_alloc(&b->g[i], bytes[i]);
    b->p[i] = at_head ? b->g[i].head : b->g[i].tail;
  }
}

static void bufs_free(bufs *b) {
  for (int i = 0; i < NBUF; i++) guarded_free(&b->g[i]);
}

/* One call; with `ref` the reference kernels on plain copies of the data. */
static glk_status call(glk_dtype dt, glk_act act, enum form f, int backward,
                       glk_isa isa, int64_t n, unsigned char *const *p) {
  glk_options o;
  glk_options_init(&o);
  o.act = act, o.isa = isa, o.num_threads = 1;
  o.layout = f == INTERLEAVED ? GLK_LAYOUT_INTERLEAVED : GLK_LAYOUT_HALVES;
  int64_t two = 2 * n;
  glk_tensor x, v, g, dy, o1, o2;
  if (f == SPLIT) {
    glk_tensor_init(&v, p[IN1], dt, 1, &n, NULL);
    glk_tensor_init(&g, p[IN2], dt, 1, &n, NULL);
    glk_tensor_init(&dy, p[DY], dt, 1, &n, NULL);
    glk_tensor_init(&o1, p[OUT1], dt, 1, &n, NULL);
    glk_tensor_init(&o2, p[OUT2], dt, 1, &n, NULL);
    return backward ? glk_backward_split(&v, &g, &dy, &o1, &o2, &o)
                    : glk_forward_split(&v, &g, &o1, &o);
  }
  glk_tensor_init(&x, p[IN1], dt, 1, &two, NULL);
  glk_tensor_init(&dy, p[DY], dt, 1, &n, NULL);
  glk_tensor_init(&o1, p[OUT1], dt, 1, backward ? &two : &n, NULL);
  return backward ? glk_backward(&x, &dy, &o1, &o) : glk_forward(&x, &o1, &o);
}

/* Element i of `got` against the reference `ref` (both output buffers). */
static int close_enough(glk_dtype dt, glk_act act, glk_isa isa, const void *got,
                        const void *ref, long double scale) {
  const long double a = dtype_decode(dt, got), b = dtype_decode(dt, ref);
  if (isa == GLK_ISA_SCALAR)
    return dtype_bits_equal(dt, got, ref);
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  const double bound = bound_ulp(isa, dt, act);
  return a == b || fabsl(a - b) <= (bound + 1) * dtype_ulp(dt, b) +
                                      ldexpl(scale, -working_bits_of(isa, dt)) +
                                      2 * bound * dtype_ulp(dt, 0) * (a == 0 || b == 0);
}

static int check_case(glk_dtype dt, glk_act act, enum form f, int backward, glk_isa isa,
                      int64_t n, bufs *b, unsigned char *const *refp) {
  const size_t es = glk_dtype_size(dt);
  if (call(dt, act, f, backward, isa, n, b->p) != GLK_OK) return 1;
  const int outs = backward ? (f == SPLIT ? 2 : 1) : 1;
  const int64_t count = backward && f != SPLIT ? 2 * n : n;
  for (int o = 0; o < outs; o++)
    for (int64_t i = 0; i < count; i++) {
      /* |dy v| x act' terms <= 2 x 8 x 2: bounds dg's error where they cancel */
      const long double scale = backward ? 32 : 0;
      if (!close_enough(dt, act, isa, b->p[OUT1 + o] + i * es, refp[OUT1 + o] + i * es, scale)) {
        print_error("%s %s %s form %d %s n=%lld: out%d[%lld] %.12Lg vs %.12Lg\n",
                    glk_isa_name(isa), glk_dtype_name(dt), glk_act_name(act), (int)f,
                    backward ? "backward" : "forward", (long long)n, o, (long long)i,
                    dtype_decode(dt, b->p[OUT1 + o] + i * es),
                    dtype_decode(dt, refp[OUT1 + o] + i * es));
        return 1;
      }
    }
  return 0;
}

static void every_case_against_guards(void **state) {
  (void)state;
  int failures = 0;
  rng r = {42};
  for (int dti = 0; dti < GLK_DTYPE_COUNT; dti++) {
    const glk_dtype dt = (glk_dtype)dti;
    const size_t es = glk_dtype_size(dt);
    for (int64_t n = 1; n <= MAX_PAIRS; n++) {
      /* the reference's inputs and outputs in plain memory */
      static unsigned char plain[NBUF][2 * MAX_PAIRS * 8];
      unsigned char *refp[NBUF];
      for (int i = 0; i < NBUF; i++) refp[i] = plain[i];
      for (int i = 0; i < 2 * n; i++) {
        dtype_encode_nearest(dt, rng_uniform(&r, -8, 8), plain[IN1] + i * es);
        if (i < n) dtype_encode_nearest(dt, rng_uniform(&r, -8, 8), plain[IN2] + i * es);
        if (i < n) dtype_encode_nearest(dt, rng_uniform(&r, -2, 2), plain[DY] + i * es);
      }
      for (int at_head = 0; at_head < 2; at_head++) {
        bufs b;
        bufs_make(&b, dt, n, at_head);
        memcpy(b.p[IN1], plain[IN1], 2 * n * es);
        memcpy(b.p[IN2], plain[IN2], n * es);
        memcpy(b.p[DY], plain[DY], n * es);
        for (int act = 0; act < GLK_ACT_COUNT; act++)
          for (int f = HALVES; f <= SPLIT; f++)
            for (int backward = 0; backward < 2; backward++) {
              assert_int_equal(call(dt, (glk_act)act, (enum form)f, backward,
                                    GLK_ISA_SCALAR, n, refp), GLK_OK);
              for (int isa = GLK_ISA_SCALAR; isa < GLK_ISA_COUNT; isa++)
                if (glk_isa_supported((glk_isa)isa))
                  failures += check_case(dt, (glk_act)act, (enum form)f, backward,
                                         (glk_isa)isa, n, &b, refp);
            }
        bufs_free(&b);
      }
    }
  }
  assert_int_equal(failures, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(every_case_against_guards)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
