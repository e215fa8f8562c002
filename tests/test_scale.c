/*
 * Scale, opt-in (GLUKIT_SCALE=1; otherwise exit 77, skipped): a bf16 X of
 * 65537 x 32768 = 2^31 + 32768 elements (4.3 GB), swiglu, halves along the
 * last axis. Forward into Y (2.1 GB), then, Y freed, backward into a
 * separate dX (4.3 GB) from a dY (2.1 GB). Every output element must be
 * written (outputs are poisoned first), and the first row and the last
 * three rows (the last one lying wholly past element 2^31 of X and dX) must
 * equal, bit for bit, a small call on copies of the same rows. Needs about
 * 11 GB of free memory (skipped with a message otherwise); threads as
 * GLUKIT_NUM_THREADS says (every core by default). GLUKIT_SKIP_LARGE (set by
 * scripts/test.sh for the sanitizer and qemu stages) skips it too, so
 * GLUKIT_SCALE=1 scripts/test.sh runs it in the release stage only.
 *
 *   GLUKIT_SCALE=1 build/tests/test_scale
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "glukit.h"

#define ROWS INT64_C(65537)
#define WIDTH INT64_C(32768) /* X's last axis: 16384 (value, gate) pairs */
#define HALF (WIDTH / 2)
#define POISON 0x7fa5 /* a signalling NaN no kernel writes */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint16_t *alloc16(int64_t n) {
  uint16_t *p = malloc((size_t)n * 2);
  if (!p) {
    fprintf(stderr, "test_scale: cannot allocate %.1f GB\n", n * 2e-9);
    exit(1);
  }
  return p;
}

/* bf16 values in [-8, 8) from a fixed xorshift stream, a few specials. */
static void fill(uint16_t *a, int64_t n, uint64_t seed) {
  uint64_t s = seed;
  for (int64_t i = 0; i < n; i += 4) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    for (int k = 0; k < 4 && i + k < n; k++) {
      const uint32_t r = (uint32_t)(s >> (16 * k)) & 0xffff;
      float f = ((int)r - 32768) / 4096.0f;
      uint32_t bits;
      memcpy(&bits, &f, 4);
      a[i + k] = (uint16_t)(bits >> 16);
    }
  }
  a[n - 1] = 0x7f80, a[n - 2] = 0xff80, a[n / 2] = 0x7fc0, a[n - 3] = 0x8000; /* inf, -inf, NaN, -0 */
}

static int64_t count_poison(const uint16_t *a, int64_t n) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += a[i] == POISON;
  return c;
}

static void call(int backward, const uint16_t *x, const uint16_t *dy, uint16_t *out, int64_t rows) {
  const int64_t xs[2] = {rows, WIDTH}, ys[2] = {rows, HALF};
  glk_tensor tx, tdy, tout;
  glk_tensor_init(&tx, (void *)x, GLK_DTYPE_BF16, 2, xs, NULL);
  glk_tensor_init(&tdy, (void *)dy, GLK_DTYPE_BF16, 2, ys, NULL);
  glk_tensor_init(&tout, out, GLK_DTYPE_BF16, 2, backward ? xs : ys, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = GLK_ACT_SWIGLU;
  const glk_status st = backward ? glk_backward(&tx, &tdy, &tout, &o) : glk_forward(&tx, &tout, &o);
  if (st != GLK_OK) {
    fprintf(stderr, "test_scale: %s: %s\n", glk_status_string(st), glk_last_error());
    exit(1);
  }
}

/* Rows 0 and ROWS-3..ROWS-1 of `big` (width w) against a small call. */
static int compare_rows(int backward, const uint16_t *x, const uint16_t *dy, const uint16_t *big) {
  static const int64_t rows[4] = {0, ROWS - 3, ROWS - 2, ROWS - 1};
  const int64_t w = backward ? WIDTH : HALF;
  uint16_t *sx = alloc16(4 * WIDTH), *sdy = alloc16(4 * HALF), *so = alloc16(4 * w);
  for (int r = 0; r < 4; r++) {
    memcpy(sx + r * WIDTH, x + rows[r] * WIDTH, WIDTH * 2);
    if (dy) memcpy(sdy + r * HALF, dy + rows[r] * HALF, HALF * 2);
  }
  for (int64_t i = 0; i < 4 * w; i++) so[i] = POISON;
  call(backward, sx, sdy, so, 4);
  int bad = 0;
  for (int r = 0; r < 4; r++)
    for (int64_t j = 0; j < w; j++)
      if (so[r * w + j] != big[rows[r] * w + j] && bad++ < 5)
        printf("%s row %lld col %lld: big call %04x, small call %04x\n",
               backward ? "dX" : "Y", (long long)rows[r], (long long)j, big[rows[r] * w + j],
               so[r * w + j]);
  free(sx), free(sdy), free(so);
  return bad;
}

int main(void) {
  const char *on = getenv("GLUKIT_SCALE");
  if (getenv("GLUKIT_SKIP_LARGE")) { /* the sanitizer and qemu stages */
    printf("skipped: GLUKIT_SKIP_LARGE is set\n");
    return 77;
  }
  if (!on || strcmp(on, "1") != 0) {
    printf("skipped: set GLUKIT_SCALE=1 to run the 2^31-element test (about 11 GB)\n");
    return 77;
  }
  const double avail = (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  if (avail < 11.5e9) {
    printf("skipped: %.1f GB of memory free, 11.5 GB needed\n", avail * 1e-9);
    return 77;
  }
  const int64_t nx = ROWS * WIDTH, ny = ROWS * HALF;
  printf("X: bf16 %lld x %lld = %lld elements (2^31 + %lld), %.2f GB; %d threads\n",
         (long long)ROWS, (long long)WIDTH, (long long)nx, (long long)(nx - (INT64_C(1) << 31)),
         nx * 2e-9, glk_default_num_threads());
  int failed = 0;
  double t = now();
  uint16_t *x = alloc16(nx);
  fill(x, nx, 0x9e3779b97f4a7c15ull);
  printf("fill X: %.1f s\n", now() - t);

  /* forward */
  uint16_t *y = alloc16(ny);
  for (int64_t i = 0; i < ny; i++) y[i] = POISON;
  t = now();
  call(0, x, NULL, y, ROWS);
  printf("forward: %.1f s\n", now() - t);
  int64_t unwritten = count_poison(y, ny);
  int bad = compare_rows(0, x, NULL, y);
  printf("forward: %lld elements unwritten, %d differ from the small call on rows 0, %lld..%lld\n",
         (long long)unwritten, bad, (long long)(ROWS - 3), (long long)(ROWS - 1));
  failed |= unwritten || bad;
  free(y);

  /* backward, into a separate dX */
  uint16_t *dy = alloc16(ny), *dx = alloc16(nx);
  fill(dy, ny, 0x2545f4914f6cdd1dull);
  for (int64_t i = 0; i < nx; i++) dx[i] = POISON;
  t = now();
  call(1, x, dy, dx, ROWS);
  printf("backward: %.1f s\n", now() - t);
  unwritten = count_poison(dx, nx);
  bad = compare_rows(1, x, dy, dx);
  printf("backward: %lld elements unwritten, %d differ from the small call on rows 0, %lld..%lld\n",
         (long long)unwritten, bad, (long long)(ROWS - 3), (long long)(ROWS - 1));
  failed |= unwritten || bad;
  free(dy), free(dx), free(x);
  printf("%s\n", failed ? "FAILED" : "passed");
  return failed;
}
