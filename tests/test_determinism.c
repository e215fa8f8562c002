/*
 * Cross-ISA determinism. For every variant x dtype (f32, f16, bf16, f64) x
 * direction (forward, backward) x layout (halves, pairs), the outputs over a
 * fixed input set are hashed (FNV-1a 64 of the output bits, every NaN
 * replaced by one canonical quiet NaN: a NaN's sign and payload are not
 * specified). tests/data/determinism.txt holds the hashes the AVX-512
 * kernels give. This test, run once per ISA (GLUKIT_ISA; exit 77 where the
 * ISA is absent), requires
 *   - on every SIMD ISA (AVX2, AVX-512, NEON): every hash, bit for bit;
 *   - on the reference kernels: the hashes of the cases declared
 *     deterministic across all ISAs, scalar included (declared() below);
 *   - f64 on x86-64 only (see declared()).
 * The input set: 64 rows of pseudo-random (v, g, dy) from a fixed seed,
 * log-uniform over 2^-40..2^40 and uniform over [-20, 20], then every
 * special value (zeros, subnormals, infinities, NaNs, the largest finite,
 * deep tails, the clamp limit and its neighbours) placed in turn at every
 * column of a 35-wide row, as value, as gate and as dy, its neighbours
 * pseudo-random and different in every row.
 *
 *   test_determinism FILE           check the ISA in use against FILE
 *   test_determinism --fresh FILE   recompute with AVX-512 (77 without it)
 *                                   and require FILE to be exactly that
 *   test_determinism --write FILE   write FILE from the AVX-512 kernels
 *   test_determinism --list FILE    per case: does scalar give AVX-512's
 *                                   hash? (to decide declared())
 *   test_determinism --diff ISA     the first elements where ISA and
 *                                   AVX-512 differ, with their inputs
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"
#include "support/bounds.h"
#include "support/isa_guard.h"
#include "support/oracle.h"

#define COLS 35
#define RANDOM_ROWS 64
#define INPUT_VERSION 2

static const char *kRefresh =
    "build/tests/test_determinism --write tests/data/determinism.txt  (on an AVX-512 machine, "
    "from the repository root, after cmake --build build)";

/* Cases deterministic across every ISA, the reference kernels included:
 * reglu and bilinear in f32, f16 and bf16 (one rounding of an exact
 * product, or a select). Every f64 variant has SIMD kernels
 * (glu_simd_f64.h): AVX2 and AVX-512 agree, the reference differs (its
 * reglu and bilinear round the long double product again). The
 * reference computes f64 in long double, whose format is the architecture's (x87 80-bit
 * on x86-64, binary128 on aarch64): its digests hold on x86-64 only, and
 * aarch64 checks no f64 case (measured: all 32 differ, bilinear's v g
 * included, x87 rounding twice where binary128 rounds once; the f64 SIMD
 * kernels' special lanes are the reference's). */
static int declared(glk_act act, glk_dtype dt) {
  if (dt == GLK_DTYPE_F64) return 0;
  return act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR;
}

static int comparable(glk_isa isa, glk_act act, glk_dtype dt) {
  if (dt == GLK_DTYPE_F64 && LDBL_MANT_DIG != 64) return 0; /* not x87 */
  return isa != GLK_ISA_SCALAR || declared(act, dt);
}

/* f64 results depend on the machine's x87: the f64 SIMD kernels take the
 * long-double reference's value in their special lanes (deep tails among
 * them), and its expl and erfcl (x87 F2XM1) differ in their last bits
 * between Intel and AMD; moving each by one long-double ULP changes 20
 * (down) or 22 (up) of the 32 f64 digests. So f64 is not in the committed
 * file: each ISA's f64 bits are compared with AVX-512's computed in the
 * same run, where the machine has AVX-512. */
static int vendor_bound(glk_dtype dt) { return dt == GLK_DTYPE_F64; }

static const glk_dtype kDtypes[4] = {GLK_DTYPE_F32, GLK_DTYPE_F16, GLK_DTYPE_BF16, GLK_DTYPE_F64};

/* ---- the input set ---------------------------------------------------- */
/* Exact operations only: the inputs must be the same bits on every CPU.
 * (Version 1 took 2^u from exp2l, whose x87 F2XM1 differs in its last bits
 * between Intel and AMD: a few f64 inputs rounded the other way, and the f64
 * digests failed on AMD.) A random mantissa in [1, 2) times 2^e, e in
 * -40..39, instead. */
static long double random_value(rng *r) {
  const uint64_t k = rng_next(r);
  const long double sign = (k & 1) ? -1 : 1;
  if ((k >> 1) % 3 == 0) return rng_uniform(r, -20, 20);
  const long double m = 1 + (long double)(rng_next(r) >> 11) * 0x1p-53L;
  return sign * ldexpl(m, (int)((k >> 8) % 80) - 40);
}

/* Special values of dtype dt as bit patterns (little-endian). */
static int specials(glk_dtype dt, uint64_t *out) {
  uint64_t sign, inf, qnan, snan, max, sub_max;
  switch (dt) {
    case GLK_DTYPE_F32: sign = 0x80000000u, inf = 0x7f800000u, qnan = 0x7fc00000u,
                        snan = 0x7fa00000u, max = 0x7f7fffffu, sub_max = 0x7fffffu; break;
    case GLK_DTYPE_F64: sign = 1ull << 63, inf = 0x7ffull << 52, qnan = 0x7ff8ull << 48,
                        snan = 0x7ff4ull << 48, max = 0x7fefffffffffffffull,
                        sub_max = (1ull << 52) - 1; break;
    case GLK_DTYPE_F16: sign = 0x8000, inf = 0x7c00, qnan = 0x7e00, snan = 0x7d00,
                        max = 0x7bff, sub_max = 0x3ff; break;
    default: sign = 0x8000, inf = 0x7f80, qnan = 0x7fc0, snan = 0x7fa0, max = 0x7f7f,
             sub_max = 0x7f;
  }
  const size_t es = glk_dtype_size(dt);
  unsigned char b[8] = {0};
  uint64_t x;
  int n = 0;
  const uint64_t mags[] = {0, 1, sub_max, inf, max};
  for (int i = 0; i < 5; i++) out[n++] = mags[i], out[n++] = mags[i] | sign;
  out[n++] = qnan, out[n++] = snan, out[n++] = qnan | sign;
  /* the clamp limit and its neighbours, deep tails, 1 */
  static const long double vals[] = {7, -7, -95, -100, -88.5L, 1, 60000};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    dtype_encode_nearest(dt, vals[i], b);
    x = 0;
    memcpy(&x, b, es);
    out[n++] = x;
    if (i < 2) out[n++] = x + 1, out[n++] = x - 1;
  }
  return n;
}

typedef struct inputs {
  int64_t rows;
  unsigned char *v, *g, *dy; /* rows x COLS each */
} inputs;

static void make_inputs(glk_dtype dt, inputs *in) {
  uint64_t sp[32];
  const int ns = specials(dt, sp);
  const size_t es = glk_dtype_size(dt);
  in->rows = RANDOM_ROWS + (int64_t)ns * COLS * 3;
  const size_t bytes = (size_t)in->rows * COLS * es;
  in->v = malloc(bytes), in->g = malloc(bytes), in->dy = malloc(bytes);
  if (!in->v || !in->g || !in->dy) abort();
  rng r = {0x5eed0000u + INPUT_VERSION};
  for (int64_t i = 0; i < in->rows * COLS; i++) {
    dtype_encode_nearest(dt, random_value(&r), in->v + i * es);
    dtype_encode_nearest(dt, random_value(&r), in->g + i * es);
    dtype_encode_nearest(dt, random_value(&r), in->dy + i * es);
  }
  int64_t row = RANDOM_ROWS;
  for (int which = 0; which < 3; which++)
    for (int s = 0; s < ns; s++)
      for (int col = 0; col < COLS; col++, row++) {
        unsigned char *a = which == 0 ? in->v : which == 1 ? in->g : in->dy;
        memcpy(a + ((size_t)row * COLS + col) * es, &sp[s], es); /* little endian */
      }
}

/* ---- hashing ---------------------------------------------------------- */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t hash_out(glk_dtype dt, const unsigned char *a, size_t n) {
  const size_t es = glk_dtype_size(dt);
  unsigned char canon[8];
  dtype_encode_exact(dt, NAN, canon);
  canon[es - 1] &= 0x7f; /* positive */
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *e = a + i * es;
    if (dtype_is_poison(dt, e)) {
      fprintf(stderr, "test_determinism: an output element was not written\n");
      exit(1);
    }
    h = fnv(h, isnan(dtype_decode(dt, e)) ? canon : e, es);
  }
  return h;
}

/* One case: forward or backward, halves or pairs, on `isa`. */
static uint64_t run_case(glk_isa isa, glk_act act, glk_dtype dt, int backward, int pairs,
                         const inputs *in, unsigned char **keep) {
  const size_t es = glk_dtype_size(dt);
  const int64_t R = in->rows;
  const size_t n = (size_t)R * COLS;
  unsigned char *x = malloc(2 * n * es), *out = malloc(2 * n * es);
  if (!x || !out) abort();
  for (int64_t r = 0; r < R; r++)
    for (int c = 0; c < COLS; c++) {
      const size_t k = (size_t)r * COLS + c;
      const size_t vi = pairs ? (size_t)r * 2 * COLS + 2 * c : (size_t)r * 2 * COLS + c;
      const size_t gi = pairs ? vi + 1 : vi + COLS;
      memcpy(x + vi * es, in->v + k * es, es);
      memcpy(x + gi * es, in->g + k * es, es);
    }
  const size_t nout = backward ? 2 * n : n;
  for (size_t i = 0; i < nout; i++) dtype_poison(dt, out + i * es);
  const int64_t xs[2] = {R, 2 * COLS}, ys[2] = {R, COLS};
  glk_tensor tx, tdy, tout;
  glk_tensor_init(&tx, x, dt, 2, xs, NULL);
  glk_tensor_init(&tdy, in->dy, dt, 2, ys, NULL);
  glk_tensor_init(&tout, out, dt, 2, backward ? xs : ys, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = act, o.isa = isa, o.num_threads = 1;
  o.layout = pairs ? GLK_LAYOUT_INTERLEAVED : GLK_LAYOUT_HALVES;
  const glk_status st = backward ? glk_backward(&tx, &tdy, &tout, &o) : glk_forward(&tx, &tout, &o);
  if (st != GLK_OK) {
    fprintf(stderr, "test_determinism: %s\n", glk_last_error());
    exit(1);
  }
  const uint64_t h = hash_out(dt, out, nout);
  free(x);
  if (keep) *keep = out;
  else free(out);
  return h;
}

/* --diff: the first elements where AVX-512 and `isa` differ, per case. */
static int diff_isas(glk_isa isa) {
  int cases = 0;
  for (int d = 0; d < 4; d++) {
    const glk_dtype dt = kDtypes[d];
    const size_t es = glk_dtype_size(dt);
    inputs in;
    make_inputs(dt, &in);
    for (int act = 0; act < GLK_ACT_COUNT; act++)
      for (int dir = 0; dir < 2; dir++)
        for (int pairs = 0; pairs < 2; pairs++) {
          unsigned char *a, *b;
          const uint64_t ha = run_case(GLK_ISA_AVX512, (glk_act)act, dt, dir, pairs, &in, &a);
          const uint64_t hb = run_case(isa, (glk_act)act, dt, dir, pairs, &in, &b);
          if (ha != hb) {
            cases++;
            int shown = 0;
            const size_t n = (size_t)in.rows * COLS * (dir ? 2 : 1);
            for (size_t i = 0; i < n && shown < 3; i++) {
              const long double x = dtype_decode(dt, a + i * es), y = dtype_decode(dt, b + i * es);
              if ((isnan(x) && isnan(y)) || !memcmp(a + i * es, b + i * es, es)) continue;
              /* element i: row, and its pair index j (halves: second half = dg) */
              const size_t w = dir ? 2 * COLS : COLS, r = i / w, c = i % w;
              const size_t j = dir ? (pairs ? c / 2 : c % COLS) : c, k = r * COLS + j;
              printf("%s %s %s %s: %s[%zu,%zu] AVX-512 %.9Lg, %s %.9Lg (v=%.9Lg g=%.9Lg dy=%.9Lg)\n",
                     glk_act_name((glk_act)act), glk_dtype_name(dt), dir ? "backward" : "forward",
                     pairs ? "pairs" : "halves",
                     !dir ? "y" : (pairs ? c % 2 : c >= COLS) ? "dg" : "dv", r, j, x,
                     glk_isa_name(isa), y, dtype_decode(dt, in.v + k * es),
                     dtype_decode(dt, in.g + k * es), dtype_decode(dt, in.dy + k * es));
              shown++;
            }
          }
          free(a), free(b);
        }
    free(in.v), free(in.g), free(in.dy);
  }
  printf("%d cases differ\n", cases);
  return cases != 0;
}

/* ---- the cases -------------------------------------------------------- */
#define NCASES (GLK_ACT_COUNT * 4 * 2 * 2)
#define NFILE (GLK_ACT_COUNT * 3 * 2 * 2) /* without f64 */
typedef struct row { char name[160]; uint64_t hash; int act, dt; } row;


/* only: 1, compute only the cases comparable on this ISA; 2, only the
 * vendor-bound ones (hash 0 for the others) */
static void compute_all(glk_isa isa, row *rows, int only) {
  int k = 0;
  for (int d = 0; d < 4; d++) {
    inputs in;
    make_inputs(kDtypes[d], &in);
    for (int act = 0; act < GLK_ACT_COUNT; act++)
      for (int dir = 0; dir < 2; dir++)
        for (int pairs = 0; pairs < 2; pairs++, k++) {
          snprintf(rows[k].name, sizeof rows[k].name, "%s %s %s %s", glk_act_name((glk_act)act),
                   glk_dtype_name(kDtypes[d]), dir ? "backward" : "forward",
                   pairs ? "pairs" : "halves");
          const int want = !only || (only == 1 && comparable(isa, (glk_act)act, kDtypes[d])) ||
                           (only == 2 && vendor_bound(kDtypes[d]));
          rows[k].hash = want ? run_case(isa, (glk_act)act, kDtypes[d], dir, pairs, &in, NULL) : 0;
          rows[k].act = act, rows[k].dt = kDtypes[d];
        }
    free(in.v), free(in.g), free(in.dy);
  }
}

static const char *header(void) {
  static char h[256];
  snprintf(h, sizeof h, "# inputs v%d: %d random rows + specials x %d columns x (v, g, dy)",
           INPUT_VERSION, RANDOM_ROWS, COLS);
  return h;
}

static int write_file(const char *path, const row *rows) {
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); return 1; }
  fprintf(f, "# glukit cross-ISA determinism digests (tests/test_determinism.c): FNV-1a 64\n"
             "# of each case's output bits, NaNs canonical, from the AVX-512 kernels.\n"
             "# Refresh after a deliberate kernel change:\n#   %s\n%s\n", kRefresh, header());
  for (int k = 0; k < NCASES; k++)
    if (!vendor_bound((glk_dtype)rows[k].dt))
      fprintf(f, "%s %016llx\n", rows[k].name, (unsigned long long)rows[k].hash);
  return fclose(f) != 0;
}

/* Reads FILE: header line and one hash per case name; 0 if absent. */
static int read_file(const char *path, row *want, int *header_ok) {
  FILE *f = fopen(path, "r");
  if (!f) { perror(path); return -1; }
  char line[256];
  int n = 0;
  *header_ok = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (line[0] == '#') {
      if (!strcmp(line, header())) *header_ok = 1;
      continue;
    }
    char a[32], d[32], dir[32], lay[32];
    unsigned long long h;
    if (sscanf(line, "%31s %31s %31s %31s %llx", a, d, dir, lay, &h) != 5 || n >= NCASES) {
      fprintf(stderr, "%s: bad line '%s'\n", path, line);
      fclose(f);
      return -1;
    }
    snprintf(want[n].name, sizeof want[n].name, "%s %s %s %s", a, d, dir, lay);
    want[n++].hash = h;
  }
  fclose(f);
  return n;
}

static const row *find(const row *rows, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(rows[i].name, name)) return &rows[i];
  return NULL;
}

int main(int argc, char **argv) {
  static row got[NCASES], want[NCASES];
  const char *mode = argc > 2 ? argv[1] : "";
  const char *path = argc > 1 ? argv[argc - 1] : NULL;
  if (!strcmp(mode, "--write") || !strcmp(mode, "--fresh") || !strcmp(mode, "--list") ||
      !strcmp(mode, "--diff")) {
    if (!glk_isa_supported(GLK_ISA_AVX512)) {
      printf("skipped: the digests are the AVX-512 kernels' and this machine has no AVX-512\n");
      return GLK_SKIP_EXIT;
    }
    if (!strcmp(mode, "--diff")) {
      glk_isa isa = GLK_ISA_COUNT;
      for (int i = 0; i < GLK_ISA_COUNT; i++)
        if (glk_isa_name((glk_isa)i) && !strcmp(path, glk_isa_name((glk_isa)i))) isa = (glk_isa)i;
      if (isa == GLK_ISA_COUNT || !glk_isa_supported(isa)) {
        fprintf(stderr, "test_determinism --diff: ISA %s not available\n", path);
        return 2;
      }
      return diff_isas(isa);
    }
    compute_all(GLK_ISA_AVX512, got, 0);
    if (!strcmp(mode, "--write")) return write_file(path, got);
    if (!strcmp(mode, "--list")) {
      compute_all(GLK_ISA_SCALAR, want, 0);
      for (int k = 0; k < NCASES; k++)
        printf("%-36s scalar %s AVX-512%s\n", got[k].name,
               got[k].hash == want[k].hash ? "==" : "!=",
               declared((glk_act)got[k].act, (glk_dtype)got[k].dt) ? "  (declared)" : "");
      return 0;
    }
    int header_ok, n = read_file(path, want, &header_ok), stale = n != NFILE || !header_ok;
    for (int k = 0; k < NCASES && n >= 0; k++) {
      if (vendor_bound((glk_dtype)got[k].dt)) continue;
      const row *w = find(want, n, got[k].name);
      if (!w || w->hash != got[k].hash) {
        printf("stale: %s: AVX-512 gives %016llx, the file says %s\n", got[k].name,
               (unsigned long long)got[k].hash, w ? "another hash" : "nothing");
        stale = 1;
      }
    }
    if (stale) {
      printf("\n%s is stale (the AVX-512 kernels or the input set changed). If the change is\n"
             "deliberate, refresh it and commit it with the kernel change:\n  %s\n", path, kRefresh);
      return 1;
    }
    printf("%s: all %d digests current\n", path, NFILE);
    return 0;
  }
  if (!path || argc != 2) {
    fprintf(stderr, "usage: test_determinism [--fresh | --write | --list] FILE | --diff ISA\n");
    return 2;
  }
  if (isa_unavailable()) return GLK_SKIP_EXIT;
  const glk_isa isa = glk_default_isa();
  int header_ok, n = read_file(path, want, &header_ok);
  if (n < 0) return 1;
  if (!header_ok || n != NFILE) {
    printf("%s: written for another input set or incomplete; refresh: %s\n", path, kRefresh);
    return 1;
  }
  compute_all(isa, got, 1);
  /* f64 against AVX-512 in this run (not against itself, and not where
   * there is no AVX-512) */
  static row live[NCASES];
  const int have_live = isa != GLK_ISA_AVX512 && glk_isa_supported(GLK_ISA_AVX512);
  if (have_live) compute_all(GLK_ISA_AVX512, live, 2);
  int checked = 0, wrong = 0;
  for (int k = 0; k < NCASES; k++) {
    if (!comparable(isa, (glk_act)got[k].act, (glk_dtype)got[k].dt)) continue;
    uint64_t ref;
    if (vendor_bound((glk_dtype)got[k].dt)) {
      if (!have_live) continue;
      ref = live[k].hash;
    } else {
      const row *w = find(want, n, got[k].name);
      ref = w ? w->hash : 0;
    }
    checked++;
    if (ref != got[k].hash) {
      printf("%s: %s gives %016llx, AVX-512 %016llx\n", got[k].name, glk_isa_name(isa),
             (unsigned long long)got[k].hash, (unsigned long long)ref);
      wrong++;
    }
  }
  if (wrong) {
    printf("\n%d of %d cases differ from the AVX-512 digests (in %s; f64: this run's):\n"
           "a cross-ISA determinism bug, or stale digests (test_determinism_digest says\n"
           "which; refresh: %s)\n",
           wrong, checked, path, kRefresh);
    return 1;
  }
  printf("%s: %d cases bit-identical to AVX-512\n", glk_isa_name(isa), checked);
  return 0;
}
