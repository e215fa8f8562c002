/*
 * libFuzzer target over the public API: the input bytes choose the call
 * (forward, backward, their split forms), every option (valid or not),
 * shapes and strides (tiny, huge, negative, overflowing), which arguments
 * share memory, and the data. Each call must either
 *   - fail, leaving every byte of every buffer as it was, or
 *   - succeed, write exactly its outputs, and agree with the same call run
 *     on the scalar reference kernels (a copy of the memory), bit for bit
 *     where the reference kernels ran, else within the README's bounds.
 * Views whose memory would not fit a small arena get a data pointer whose
 * range leaves the address space: the library must refuse those.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"
#include "support/bounds.h"
#include "support/oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                        \
  do {                                                   \
    fprintf(stderr, "fuzz_api: " __VA_ARGS__);           \
    fputc('\n', stderr);                                 \
    abort();                                             \
  } while (0)

/* ---- the input as a stream of choices (zeros once exhausted) ------------ */
typedef struct src { const uint8_t *p; size_t n; } src;
static uint8_t u8(src *s) { if (!s->n) return 0; s->n--; return *s->p++; }
static uint64_t u64(src *s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | u8(s);
  return v;
}

static int64_t pick_extent(src *s) {
  static const int64_t special[] = {-1, INT64_MIN, INT64_MAX, 1ll << 31,
                                    1ll << 32, 1ll << 62, 3ll << 40, INT64_MAX / 3};
  const uint8_t b = u8(s);
  if (b < 224) return b % 5; /* mostly tiny, 0 included */
  if (b < 252) return special[b % 8];
  return (int64_t)u64(s);
}

static int64_t pick_stride(src *s, int64_t contiguous) {
  static const int64_t mul[] = {1, 1, 1, 1, 2, -1, -2, 0, 3, -3, 1, 1};
  static const int64_t special[] = {INT64_MIN, INT64_MAX, 1ll << 40, -(1ll << 40),
                                    1ll << 61, (1ll << 62) + 1, -1, 7};
  const uint8_t b = u8(s);
  if (b < 240) return (int64_t)((uint64_t)contiguous * (uint64_t)mul[b % 12]); /* wraps */
  if (b < 254) return special[b % 8];
  return (int64_t)u64(s);
}

static double pick_real(src *s, double dflt) {
  static const double table[] = {0.0, -1.0, 1.0, 0.5, 1e-300, 1e300, 100.0, 7.0};
  const uint8_t b = u8(s);
  if (b < 160) return dflt;
  if (b < 200) return table[b % 8];
  if (b < 210) return NAN;
  if (b < 220) return b & 1 ? INFINITY : -INFINITY;
  uint64_t bits = u64(s);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* ---- the tensors of one call --------------------------------------------- */
enum { X, DY, DX, VAL, GATE, DVAL, DGATE, Y, NT };
enum op { OP_FWD, OP_BWD, OP_FWD_SPLIT, OP_BWD_SPLIT };

typedef struct slot {
  int used, output;
  glk_tensor t;
  /* reachable element offsets [lo, hi]; fits: in the arena; empty: no element */
  int fits, empty;
  int64_t lo, hi;
  size_t esize;
  int64_t at;   /* byte offset of the view's first reachable element */
} slot;

#define ARENA_LIMIT (1 << 18) /* bytes of reachable memory per view */

/* Offsets a view reaches, in __int128 so that nothing wraps here. */
static void measure(slot *sl) {
  const glk_tensor *t = &sl->t;
  sl->esize = glk_dtype_size(t->dtype);
  sl->fits = sl->empty = 0;
  if (t->rank < 0 || t->rank > GLK_MAX_RANK || !sl->esize) return;
  __int128 lo = 0, hi = 0;
  for (int i = 0; i < t->rank; i++) {
    if (t->shape[i] < 0) return;
    if (t->shape[i] == 0) { sl->empty = 1; return; }
  }
  for (int i = 0; i < t->rank; i++) {
    __int128 r = (__int128)t->strides[i] * (t->shape[i] - 1);
    if (r < 0) lo += r; else hi += r;
    if (lo < -((__int128)1 << 100) || hi > ((__int128)1 << 100)) return;
  }
  if ((hi - lo + 1) * (__int128)sl->esize > ARENA_LIMIT) {
    sl->lo = lo < INT64_MIN ? INT64_MIN : (int64_t)lo;
    sl->hi = hi > INT64_MAX ? INT64_MAX : (int64_t)hi;
    return;
  }
  sl->lo = (int64_t)lo, sl->hi = (int64_t)hi, sl->fits = 1;
}

/* A data pointer for a view too big for the arena: its reachable range
 * leaves the address space, which the library must detect and refuse. */
static void *escaping_pointer(const slot *sl) {
  const unsigned __int128 hib = (unsigned __int128)(sl->hi > 0 ? sl->hi : 0) * sl->esize;
  const unsigned __int128 lob = (unsigned __int128)(sl->lo < 0 ? -(__int128)sl->lo : 0) * sl->esize;
  const unsigned __int128 top = (unsigned __int128)1 << 64;
  /* The span exceeds ARENA_LIMIT, so one side is large: halfway from the
   * top of the address space upwards, or from 0 downwards, wraps. */
  if (hib >= lob && hib < top)
    return (void *)(((uintptr_t)0 - (uintptr_t)(hib / 2)) & ~(uintptr_t)63);
  if (lob > hib && lob < top) return (void *)((uintptr_t)(lob / 2) & ~(uintptr_t)63);
  return (void *)(uintptr_t)4096; /* counts overflow 64 bits anyway */
}

static void make_view(src *s, slot *sl, glk_dtype dt, int32_t rank,
                      const int64_t *shape, int output) {
  sl->used = 1, sl->output = output;
  sl->t.dtype = dt, sl->t.rank = rank;
  const uint8_t mutate = u8(s);
  if (mutate >= 248) sl->t.dtype = (glk_dtype)(mutate % 2 ? 4 + mutate % 7 : -1);
  else if (mutate >= 240) sl->t.dtype = (glk_dtype)(mutate % 4);
  if (mutate >= 236 && mutate < 240) sl->t.rank = (int32_t)(mutate % 2 ? 9 : -1);
  int64_t contiguous = 1;
  for (int i = GLK_MAX_RANK - 1; i >= 0; i--) {
    sl->t.shape[i] = i < rank ? shape[i] : 0;
    if (mutate >= 232 && mutate < 236 && i == mutate % 4) sl->t.shape[i] = pick_extent(s);
    sl->t.strides[i] = pick_stride(s, contiguous);
    if (i < rank && sl->t.shape[i] > 0 &&
        __builtin_mul_overflow(contiguous, sl->t.shape[i], &contiguous))
      contiguous = 1;
  }
  measure(sl);
}

/* ---- one call ------------------------------------------------------------- */
typedef struct call {
  enum op op;
  glk_options *opt; /* NULL: defaults */
  size_t opt_bytes;
  slot s[NT];
} call;

static glk_status run(const call *c, slot *s, const glk_options *opt) {
  const glk_tensor *t[NT];
  for (int i = 0; i < NT; i++) t[i] = s[i].used ? &s[i].t : NULL;
  switch (c->op) {
    case OP_FWD: return glk_forward(t[X], t[Y], opt);
    case OP_BWD: return glk_backward(t[X], t[DY], t[DX], opt);
    case OP_FWD_SPLIT: return glk_forward_split(t[VAL], t[GATE], t[Y], opt);
    default: return glk_backward_split(t[VAL], t[GATE], t[DY], t[DVAL], t[DGATE], opt);
  }
}

/* The options the library reads: defaults beyond struct_size. */
static glk_options effective(const call *c) {
  glk_options o;
  glk_options_init(&o);
  if (c->opt) {
    size_t n = c->opt->struct_size < sizeof o ? c->opt->struct_size : sizeof o;
    memcpy(&o, c->opt, n);
    if (n < offsetof(glk_options, isa) + sizeof o.isa) o.isa = GLK_ISA_AUTO;
    if (n < sizeof o) o.num_threads = 0;
    o.struct_size = sizeof o;
  }
  return o;
}

/* Byte offset of element idx of a view into `arena` (which holds it). */
static size_t offset_of(const slot *sl, const int64_t *idx, const unsigned char *arena) {
  int64_t off = 0;
  for (int i = 0; i < sl->t.rank; i++) off += idx[i] * sl->t.strides[i];
  return (size_t)((const unsigned char *)sl->t.data - arena + off * (int64_t)sl->esize);
}

/* ---- comparing a successful call with the reference ----------------------- */
typedef struct cmp {
  const call *c;
  glk_options o;
  int exact;            /* the same kernels as the reference ran: bit for bit */
  unsigned char *a, *a0, *b, *mask;
  size_t n;
} cmp;

static long double get(const cmp *k, const unsigned char *arena, const slot *sl,
                       const int64_t *idx) {
  return dtype_decode(sl->t.dtype, arena + offset_of(sl, idx, k->a));
}

/* One output element: `role` 0 y, 1 dv, 2 dg. */
static void check_elem(cmp *k, const slot *out, const int64_t *oidx, int role,
                       long double v, long double g, long double dy) {
  const glk_dtype dt = out->t.dtype;
  const size_t off = offset_of(out, oidx, k->a);
  memset(k->mask + off, 1, out->esize);
  if (k->exact) {
    if (memcmp(k->a + off, k->b + off, out->esize) != 0)
      FAIL("reference kernels differ from the reference run at byte %zu", off);
    return;
  }
  const long double got = dtype_decode(dt, k->a + off), ref = dtype_decode(dt, k->b + off);
  const oracle_params p = {k->o.alpha, k->o.limit};
  long double dv = 0, dgr = 0, scale = 0, grad;
  if (role == 0) grad = oracle_forward(k->o.act, v, g, &p);
  else {
    oracle_backward(k->o.act, v, g, dy, &p, &dv, &dgr, &scale);
    if (role == 1) scale = 0;
    grad = role == 1 ? dv : dgr;
  }
  const glk_isa isa = k->o.isa == GLK_ISA_AUTO ? glk_default_isa() : k->o.isa;
  const double bound = bound_ulp(isa, dt, k->o.act);
  if (k->o.accumulate && role) /* one more rounding, and cancellation */
    scale += fabsl(grad) * bound + fabsl(dtype_decode(dt, k->a0 + off));
  if (!(scale == scale) || isinf(scale)) scale = 0;
  /* Below e^-148 the SIMD tail is 0 (README): allow what it drops. */
  long double tail = ldexpl(fabsl(v) * (fabsl(dy) + (role == 0)) *
                                      (1 + fabsl(g)) * (1 + fabsl(k->o.alpha)), -210);
  /* GLUKIT_FUZZ_WAIVE=product: README's two known SIMD limits, exactly.
   * (1) act(g) is itself below f32's normal range outside the deep tails
   * (x of x f(x) tiny: f(x) = act / x above the deep lanes' 2^-115) and
   * multiplies an infinite factor F (v for y, dy for dv): an act rounded
   * to 0 may give NaN. (The fast paths carry act as hi + lo and form the
   * deep tails in f64, keeping them nonzero, so a finite F costs nothing
   * and an infinite one gives the reference's infinity.)
   * (2) accumulate, and the gradient alone overflows f32: it is summed as
   * +-inf where the reference sums in double. */
  if (!k->exact && dt != GLK_DTYPE_F64 && getenv("GLUKIT_FUZZ_WAIVE") &&
      strstr(getenv("GLUKIT_FUZZ_WAIVE"), "product")) {
    long double udv, udg, uscale;
    oracle_backward(k->o.act, 1, g, 1, &p, &udv, &udg, &uscale);
    const long double f = role == 2 ? uscale : fabsl(udv);
    const long double factor = role == 0 ? fabsl(v) : role == 1 ? fabsl(dy) : fabsl(v * dy);
    const long double x =
        k->o.act == GLK_ACT_SWIGLU_OAI && g > k->o.limit ? (long double)k->o.limit : g;
    if (role != 2 && k->o.act != GLK_ACT_GLU && isinf(factor) && f != 0 &&
        f < 0x1p-126L && f / fabsl(x) >= 0x1p-116L)
      return; /* (1) */
    if (k->o.accumulate && role && fabsl(grad) >= 0x1.ffffffp127L) return;
  }
  if (!(tail == tail) || isinf(tail)) tail = 0;
  /* The same limit where the other, finite factors reach 2^63: the tail's
   * 0 then gives 0 or a finite sum instead. Documented. (Infinite ones
   * meet a nonzero tail and give the reference's infinity.) */
  if (!k->exact && isfinite(v) && isfinite(dy) &&
      !(fabsl(v) * fabsl(dy ? dy : 1) * (1 + fabsl(g)) < 0x1p63L)) {
    long double unit_dv, unit_dg, unit_scale;
    oracle_backward(k->o.act, 1, g, 1, &p, &unit_dv, &unit_dg, &unit_scale);
    const long double factor = role == 2 ? unit_scale : fabsl(unit_dv);
    if (factor < 0x1p-213L) return;
  }
  int ok;
  if (isnan(ref) || isnan(got)) ok = isnan(ref) && isnan(got);
  else if (isinf(ref) || isinf(got))
    ok = got == ref || ulp_error(dt, got, ref) <= bound + 1;
  else
    ok = got == ref || fabsl(got - ref) <= (bound + 1) * dtype_ulp(dt, ref) +
                                 ldexpl(scale, -working_bits_of(isa, dt)) + tail +
                                 (got == 0 || ref == 0) *
                                 2 * bound * dtype_ulp(dt, 0);
  if (!ok)
    FAIL("%s %s %s %s%s: got %.17Lg, reference %.17Lg (v=%.17Lg g=%.17Lg dy=%.17Lg "
         "alpha=%.17g limit=%.17g)",
         glk_isa_name(isa), glk_dtype_name(dt), glk_act_name(k->o.act),
         role == 0 ? "y" : role == 1 ? "dv" : "dg", k->o.accumulate ? " accumulate" : "",
         got, ref, v, g, dy, k->o.alpha, k->o.limit);
}

/* Visits every index of `sl`'s shape. */
static int next_index(const glk_tensor *t, int64_t *idx) {
  for (int i = t->rank - 1; i >= 0; i--) {
    if (++idx[i] < t->shape[i]) return 1;
    idx[i] = 0;
  }
  return 0;
}

static void member_pos(const glk_options *o, int64_t n, int64_t j, int64_t *vpos,
                       int64_t *gpos) {
  const int64_t first = o->layout == GLK_LAYOUT_INTERLEAVED ? 2 * j : j;
  const int64_t second = o->layout == GLK_LAYOUT_INTERLEAVED ? 2 * j + 1 : j + n / 2;
  *vpos = o->gate == GLK_GATE_FIRST ? second : first;
  *gpos = o->gate == GLK_GATE_FIRST ? first : second;
}

static void check_outputs(cmp *k, const slot *s) {
  const call *c = k->c;
  const glk_options *o = &k->o;
  int64_t idx[GLK_MAX_RANK] = {0}, xi[GLK_MAX_RANK], vp, gp;
  if (c->op == OP_FWD_SPLIT || c->op == OP_BWD_SPLIT) {
    const slot *ref = c->op == OP_FWD_SPLIT ? &s[Y] : &s[DY];
    if (ref->empty) return;
    do {
      const long double v = get(k, k->a0, &s[VAL], idx), g = get(k, k->a0, &s[GATE], idx);
      if (c->op == OP_FWD_SPLIT) { check_elem(k, &s[Y], idx, 0, v, g, 0); continue; }
      const long double dy = get(k, k->a0, &s[DY], idx);
      check_elem(k, &s[DVAL], idx, 1, v, g, dy);
      check_elem(k, &s[DGATE], idx, 2, v, g, dy);
    } while (next_index(&ref->t, idx));
    return;
  }
  const slot *x = &s[X], *out = c->op == OP_FWD ? &s[Y] : &s[DX];
  if (out->empty) return;
  const int32_t axis = o->dim < 0 ? o->dim + x->t.rank : o->dim;
  const int64_t n = x->t.shape[axis];
  do {
    int64_t j = idx[axis];
    int role = 0;
    if (c->op == OP_BWD) { /* which member of which pair this dx element is */
      const int inter = o->layout == GLK_LAYOUT_INTERLEAVED;
      const int first = inter ? j % 2 == 0 : j < n / 2;
      j = inter ? j / 2 : (first ? j : j - n / 2);
      role = first == (o->gate == GLK_GATE_SECOND) ? 1 : 2;
    }
    member_pos(o, n, j, &vp, &gp);
    memcpy(xi, idx, sizeof xi);
    xi[axis] = vp;
    const long double v = get(k, k->a0, x, xi);
    xi[axis] = gp;
    const long double g = get(k, k->a0, x, xi);
    long double dy = 0;
    if (role) {
      memcpy(xi, idx, sizeof xi);
      xi[axis] = j;
      dy = get(k, k->a0, &s[DY], xi);
    }
    check_elem(k, out, idx, role, v, g, dy);
  } while (next_index(&out->t, idx));
}

/* ---- decoding a call and its memory --------------------------------------- */
static void fill(src *s, unsigned char *a, size_t n, glk_dtype dt) {
  static const long double special[] = {0.0L, -0.0L, INFINITY, -INFINITY, NAN, 1e-40L,
                                        7.0L, 7.0000005L, -7.0L, 65504.0L, 3.4e38L,
                                        -100.0L, -95.0L, 1e30L, -0.75L, 1e-7L};
  const size_t es = glk_dtype_size(dt) ? glk_dtype_size(dt) : 4;
  const uint8_t mode = u8(s);
  rng r = {u64(s)};
  for (size_t i = 0; i + es <= n; i += es) {
    if (mode < 64) { /* raw bit patterns from the input, cycled */
      for (size_t b = 0; b < es; b++) a[i + b] = s->n ? s->p[(i + b) % s->n] : 0;
      continue;
    }
    const uint64_t z = rng_next(&r);
    const long double x = z % 8 == 0 ? special[(z >> 3) % 16] : rng_uniform(&r, -12, 12);
    dtype_encode_nearest(glk_dtype_size(dt) ? dt : GLK_DTYPE_F32, x, a + i);
  }
}

static void decode(src *s, call *c) {
  memset(c, 0, sizeof *c);
  const uint8_t head = u8(s);
  c->op = (enum op)(head % 4);
  const glk_dtype dt = (glk_dtype)(u8(s) % GLK_DTYPE_COUNT);
  /* options */
  glk_options o;
  glk_options_init(&o);
  const uint8_t ob = u8(s);
  o.act = (glk_act)(ob < 240 ? ob % GLK_ACT_COUNT : (ob % 2 ? 8 + ob % 5 : -1));
  const uint8_t lb = u8(s);
  o.layout = (glk_layout)(lb < 250 ? lb % 2 : lb);
  o.gate = (glk_gate)(lb < 250 ? (lb >> 1) % 2 : -(int)lb);
  o.dim = (int8_t)u8(s) % 11;
  o.accumulate = u8(s) % 3 == 0;
  o.alpha = pick_real(s, GLK_DEFAULT_ALPHA);
  o.limit = pick_real(s, GLK_DEFAULT_LIMIT);
  const uint8_t ib = u8(s);
  o.isa = (glk_isa)(ib < 240 ? ib % GLK_ISA_COUNT : (ib % 2 ? 5 + ib % 3 : -1));
  static const int32_t threads[] = {1, 1, 2, 0, 3, -1, 64, INT32_MAX};
  o.num_threads = threads[u8(s) % 8];
  const uint8_t sb = u8(s);
  c->opt_bytes = sizeof o;
  if (sb >= 200) o.struct_size = offsetof(glk_options, isa);
  if (sb >= 230) o.struct_size = sb % 2 ? 0 : sizeof o + 16, c->opt_bytes = sizeof o + 16;
  if (sb < 8) c->opt_bytes = 0; /* NULL options: all defaults */
  if (c->opt_bytes) {
    c->opt = calloc(1, c->opt_bytes); /* exactly sized: ASan sees overreads */
    memcpy(c->opt, &o, sizeof o);
  }
  /* shapes: the inputs' from the input, the others derived from them (so
   * that calls can succeed) and then sometimes mutated by make_view */
  const uint8_t rb = u8(s);
  int32_t rank = rb < 250 ? rb % (GLK_MAX_RANK + 2) : (int32_t)(int8_t)rb;
  int64_t xs[GLK_MAX_RANK] = {0}, ys[GLK_MAX_RANK] = {0};
  for (int i = 0; i < GLK_MAX_RANK; i++) xs[i] = ys[i] = pick_extent(s);
  const int32_t r = rank < 0 ? 0 : rank > GLK_MAX_RANK ? GLK_MAX_RANK : rank;
  const int32_t axis = o.dim < 0 ? o.dim + r : o.dim;
  if (axis >= 0 && axis < r) {
    xs[axis] = (int64_t)((uint64_t)xs[axis] * 2); /* may wrap: negative */
    ys[axis] = xs[axis] / 2;
  }
  if (c->op == OP_FWD || c->op == OP_BWD) {
    make_view(s, &c->s[X], dt, rank, xs, 0);
    make_view(s, &c->s[c->op == OP_FWD ? Y : DY], dt, rank, ys, c->op == OP_FWD);
    if (c->op == OP_BWD) make_view(s, &c->s[DX], dt, rank, xs, 1);
  } else {
    make_view(s, &c->s[VAL], dt, rank, ys, 0);
    make_view(s, &c->s[GATE], dt, rank, ys, 0);
    if (c->op == OP_FWD_SPLIT) make_view(s, &c->s[Y], dt, rank, ys, 1);
    else {
      make_view(s, &c->s[DY], dt, rank, ys, 0);
      make_view(s, &c->s[DVAL], dt, rank, ys, 1);
      make_view(s, &c->s[DGATE], dt, rank, ys, 1);
    }
  }
  const uint8_t nb = u8(s); /* a missing tensor */
  if (nb >= 250) c->s[nb % NT].used = 0;
}

/* GLUKIT_FUZZ_VERBOSE=1: the call in words, to turn a crash into a report. */
static void describe(const call *c, const unsigned char *a, size_t n) {
  static const char *names[NT] = {"x", "dy", "dx", "value", "gate", "dvalue", "dgate", "y"};
  static const char *ops[] = {"glk_forward", "glk_backward", "glk_forward_split",
                              "glk_backward_split"};
  const glk_options o = effective(c);
  fprintf(stderr, "%s: arena %zu bytes, options %s: act %d layout %d gate %d dim %d "
          "accumulate %d alpha %.17g limit %.17g isa %d threads %d\n", ops[c->op], n,
          c->opt ? "given" : "NULL", (int)o.act, (int)o.layout, (int)o.gate, (int)o.dim,
          (int)o.accumulate, o.alpha, o.limit, (int)o.isa, (int)o.num_threads);
  for (int i = 0; i < NT; i++) {
    const glk_tensor *t = &c->s[i].t;
    if (!c->s[i].used) continue;
    const uintptr_t d = (uintptr_t)t->data, b = (uintptr_t)a;
    fprintf(stderr, "  %s: dtype %d rank %d data ", names[i], (int)t->dtype, (int)t->rank);
    if (d >= b && d < b + n) fprintf(stderr, "arena+%zu", (size_t)(d - b));
    else fprintf(stderr, "%p", t->data);
    fprintf(stderr, " shape/strides");
    for (int j = 0; j < GLK_MAX_RANK && j < t->rank; j++)
      fprintf(stderr, " %lld/%lld", (long long)t->shape[j], (long long)t->strides[j]);
    fprintf(stderr, "\n");
  }
}

static void place_and_check(src *s, call *c) {
  /* Aliasing: in place (dx = x), or an output overlapping an input by a
   * shift of whole elements, or everything apart. */
  const uint8_t alias = u8(s);
  const int shift = (int8_t)u8(s);
  if (alias % 4 == 1 && c->op == OP_BWD) c->s[DX].t = c->s[X].t, measure(&c->s[DX]);
  if (alias % 4 == 1 && c->op == OP_BWD_SPLIT) {
    c->s[DVAL].t = c->s[VAL].t, c->s[DGATE].t = c->s[GATE].t;
    measure(&c->s[DVAL]), measure(&c->s[DGATE]);
  }
  int64_t at = 0, origin[NT] = {0};
  for (int i = 0; i < NT; i++) {
    slot *sl = &c->s[i];
    if (!sl->used) continue;
    const int same = alias % 4 == 1 && ((i == DX && c->op == OP_BWD) ||
                                        ((i == DVAL || i == DGATE) && c->op == OP_BWD_SPLIT));
    const int64_t es = sl->esize ? (int64_t)sl->esize : 8;
    const int64_t bytes = sl->fits ? (sl->hi - sl->lo + 1) * es : 64;
    if (same) { origin[i] = origin[i == DX ? X : i == DVAL ? VAL : GATE]; continue; }
    if (alias % 4 >= 2 && sl->output && sl->fits) {
      /* over the first input, shifted: the library must see the overlap */
      const int in = c->op <= OP_BWD ? X : VAL;
      origin[i] = origin[in] + shift * es;
      if (origin[i] < 0) origin[i] = 0;
      if (origin[i] + bytes > at) at = origin[i] + bytes;
      continue;
    }
    origin[i] = at;
    at += (bytes + 63) / 64 * 64 + 64;
  }
  const size_t n = (size_t)at + 64;
  unsigned char *a = malloc(n), *a0 = malloc(n), *b = malloc(n), *mask = calloc(1, n);
  const glk_dtype fill_dt = c->s[c->op <= OP_BWD ? X : VAL].t.dtype;
  fill(s, a, n, fill_dt);
  for (int i = 0; i < NT; i++) {
    slot *sl = &c->s[i];
    if (!sl->used) continue;
    const int64_t es = sl->esize ? (int64_t)sl->esize : 8;
    if (sl->fits) sl->t.data = a + origin[i] - sl->lo * es;
    else if (sl->empty || !sl->esize) sl->t.data = a + origin[i];
    else sl->t.data = escaping_pointer(sl);
    if (u8(s) == 255) sl->t.data = NULL;
  }
  if (c->op == OP_BWD && alias % 4 == 1) c->s[DX].t.data = c->s[X].t.data;
  if (c->op == OP_BWD_SPLIT && alias % 4 == 1)
    c->s[DVAL].t.data = c->s[VAL].t.data, c->s[DGATE].t.data = c->s[GATE].t.data;
  memcpy(a0, a, n);
  if (getenv("GLUKIT_FUZZ_VERBOSE")) describe(c, a, n);

  const glk_status st = run(c, c->s, c->opt);
  if (st != GLK_OK) {
    if (st > GLK_ERR_UNSUPPORTED) FAIL("unknown status %d", (int)st);
    if (memcmp(a, a0, n) != 0) FAIL("failed call (%s) wrote memory", glk_status_string(st));
    goto done;
  }
  /* Success: every view it touched must lie in the arena. */
  for (int i = 0; i < NT; i++)
    if (c->s[i].used && !c->s[i].empty && !c->s[i].fits)
      FAIL("accepted tensor %d whose range leaves the address space", i);
  /* The reference: the same call on a copy, scalar kernels, one thread. */
  cmp k = {.c = c, .o = effective(c), .a = a, .a0 = a0, .b = b, .mask = mask, .n = n};
  memcpy(b, a0, n);
  slot sb[NT];
  memcpy(sb, c->s, sizeof sb);
  for (int i = 0; i < NT; i++)
    if (sb[i].used && sb[i].t.data)
      sb[i].t.data = b + ((unsigned char *)sb[i].t.data - a);
  glk_options ro = k.o;
  ro.isa = GLK_ISA_SCALAR, ro.num_threads = 1;
  if (run(c, sb, &ro) != GLK_OK) FAIL("reference run refused: %s", glk_last_error());
  k.exact = k.o.isa == GLK_ISA_SCALAR ||
            (k.o.isa == GLK_ISA_AUTO && glk_default_isa() == GLK_ISA_SCALAR);
  check_outputs(&k, c->s);
  for (size_t i = 0; i < n; i++)
    if (!mask[i] && (a[i] != a0[i] || b[i] != a0[i]))
      FAIL("byte %zu outside the outputs changed", i);
done:
  free(a), free(a0), free(b), free(mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  src s = {data, size};
  call c;
  decode(&s, &c);
  place_and_check(&s, &c);
  free(c.opt);
  return 0;
}
