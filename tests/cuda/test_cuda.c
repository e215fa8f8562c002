/*
 * The CUDA backend against glukit's CPU reference kernels (isa = SCALAR).
 *
 * Every activation x dtype x direction (forward; backward plain, in place
 * and accumulating) over a list of layouts (halves and interleaved, gate
 * second and first, last and inner axes, split form, padded, strided,
 * reversed and misaligned views, widths 1, 3, 4, 256 and 1710/3420, and a
 * cross product of special values). Outputs start poisoned (accumulation
 * targets random); after each call every output element is held to the
 * CUDA bounds below and every byte outside the output views must be
 * unchanged.
 *
 * Bounds, in ULP of the output type, measured against the CPU reference
 * (itself within 1 ULP of exact, 2 for f64 geglu_tanh, which is added):
 *   f16, bf16                            1 ULP (one rounding of f32 work)
 *   f32, f64: reglu, bilinear            1 ULP
 *   f32, f64: the other activations      8 ULP (CUDA's expf/erfcf are
 *                                        within 2 and 4 ULP; a few
 *                                        roundings on top)
 * plus, for dg, 2^-22 (f64: 2^-50) of the sum of its terms' magnitudes
 * where they cancel (near zeros of act'), and, when accumulating, the
 * bound in ULP of the gradient itself (the GPU rounds the gradient, then
 * the sum). Known limit, not held to the bound: f64 swiglu-type results
 * whose e^g lies below f64's normal range (|g| > 700) carry that
 * subnormal's rounding (only the sign class and tininess are checked).
 *
 * Exit status: 0 pass, 1 failure, 77 no usable CUDA device (skipped).
 * Environment: GLUKIT_CUDA_TEST_QUICK=1 runs a reduced list (for
 * compute-sanitizer); GLUKIT_CUDA_TEST_BIG=1 adds the bf16 65537 x 32768
 * case (more than 2^31 elements, about 13 GB of device memory).
 */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"
#include "support/oracle.h"

#define CUDA_CHECK(call)                                                      \
  do {                                                                        \
    cudaError_t e_ = (call);                                                  \
    if (e_ != cudaSuccess) {                                                  \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,           \
              cudaGetErrorString(e_));                                        \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

static int g_failures = 0;     /* failed cases */
static long long g_checked = 0; /* output elements checked */
static int g_quick = 0;

/* Largest error seen, in ULP of the output, per dtype x act x quantity. */
enum { Q_Y = 0, Q_DV = 1, Q_DG = 2, Q_COUNT = 3 };
static double g_max_ulp[GLK_DTYPE_COUNT][GLK_ACT_COUNT][Q_COUNT];

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "out of host memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

/* ---- views --------------------------------------------------------------- */

/* A view's strides and where its element 0 sits in its buffer. */
typedef struct view {
  int rank;
  int64_t shape[GLK_MAX_RANK], strides[GLK_MAX_RANK];
  int64_t offset, span; /* elements */
} view;

/* C order with the innermost stride `step`, `pad` extra elements in the
 * outermost stride, the outermost dim reversed when `neg`, element 0 moved
 * `shift` elements into the buffer (1: breaks 16-byte alignment). */
static view make_view(int rank, const int64_t *shape, int64_t step, int64_t pad,
                      int neg, int64_t shift) {
  view v;
  memset(&v, 0, sizeof v);
  v.rank = rank;
  int64_t s = step;
  for (int i = rank - 1; i >= 0; i--) {
    v.shape[i] = shape[i];
    v.strides[i] = s;
    s *= shape[i] > 0 ? shape[i] : 1;
  }
  if (rank > 1) v.strides[0] += pad;
  int64_t reach = 0;
  for (int i = 0; i < rank; i++) reach += v.strides[i] * (shape[i] > 0 ? shape[i] - 1 : 0);
  v.offset = shift;
  if (neg && rank > 1) {
    v.offset += v.strides[0] * (shape[0] - 1);
    v.strides[0] = -v.strides[0];
  }
  v.span = shift + reach + 1 + 8; /* a few spare elements after the view */
  return v;
}

static int64_t view_at(const view *v, const int64_t *idx) {
  int64_t o = v->offset;
  for (int i = 0; i < v->rank; i++) o += idx[i] * v->strides[i];
  return o;
}

/* A host buffer, its pristine copy and a device copy. */
typedef struct buffer {
  glk_dtype dt;
  size_t es;
  int64_t n;
  unsigned char *init; /* content before the call */
  unsigned char *ref;  /* the CPU reference's buffer */
  unsigned char *got;  /* the device's, copied back */
  void *dev;
} buffer;

static void buffer_alloc(buffer *b, glk_dtype dt, int64_t n) {
  b->dt = dt;
  b->es = glk_dtype_size(dt);
  b->n = n;
  b->init = xmalloc((size_t)n * b->es);
  b->ref = xmalloc((size_t)n * b->es);
  b->got = xmalloc((size_t)n * b->es);
  CUDA_CHECK(cudaMalloc(&b->dev, (size_t)n * b->es));
}

static void buffer_free(buffer *b) {
  free(b->init);
  free(b->ref);
  free(b->got);
  CUDA_CHECK(cudaFree(b->dev));
  memset(b, 0, sizeof *b);
}

static void buffer_upload(buffer *b) {
  memcpy(b->ref, b->init, (size_t)b->n * b->es);
  CUDA_CHECK(cudaMemcpy(b->dev, b->init, (size_t)b->n * b->es, cudaMemcpyHostToDevice));
}

static long double elem(const buffer *b, const unsigned char *base, int64_t i) {
  return dtype_decode(b->dt, base + (size_t)i * b->es);
}

/* Random values, never zero: a normal body with some wide tails. */
static double random_value(rng *r, int wide) {
  double u1 = rng_uniform(r, 1e-12, 1.0), u2 = rng_uniform(r, 0.0, 1.0);
  double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  double x = (wide ? 6.0 : 2.0) * z;
  if (rng_next(r) % 16 == 0) x = rng_uniform(r, -20.0, 20.0);
  if (x == 0) x = 0.5;
  return x;
}

static void fill_random(buffer *b, rng *r, int wide) {
  for (int64_t i = 0; i < b->n; i++)
    dtype_encode_nearest(b->dt, random_value(r, wide), b->init + (size_t)i * b->es);
}

static void fill_poison(buffer *b) {
  for (int64_t i = 0; i < b->n; i++) dtype_poison(b->dt, b->init + (size_t)i * b->es);
}

static glk_tensor tensor_of(void *base, glk_dtype dt, const view *v) {
  glk_tensor t;
  glk_tensor_init(&t, (char *)base + v->offset * (int64_t)glk_dtype_size(dt), dt,
                  v->rank, v->shape, v->strides);
  return t;
}

/* ---- cases --------------------------------------------------------------- */

enum { DIR_FWD = 0, DIR_BWD = 1, DIR_BWD_ACC = 2, DIR_BWD_INPLACE = 3, DIR_COUNT = 4 };
static const char *const dir_names[DIR_COUNT] = {"forward", "backward",
                                                 "backward+=", "backward in place"};

typedef struct gcase {
  const char *name;
  int split;                     /* value and gate as two tensors */
  int rank;
  int64_t shape[4];              /* x's shape (fused) or value's (split) */
  int dim;
  glk_layout layout;
  glk_gate gate;
  int64_t in_step, in_pad;       /* input views */
  int in_neg;
  int64_t out_step, out_pad;     /* output views (y, dy, dx / dvalue, dgate) */
  int out_neg;
  int64_t shift;                 /* element offset of every view */
  int specials;                  /* the special-value cross product */
} gcase;

/* Special values: v (the value) and g (the gate) cross product. */
static const double kSpecialV[] = {1, -1, 0.0, -0.0, INFINITY, -INFINITY, NAN, 7,
                                   7.0000005, 100, -100, 1e-40, 3e38};
static const double kSpecialG[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -100, -95,
                                   -88, -80.5, -47.5, -12.5, -10, -9.6, -745, 1e30,
                                   -1e30, 100, 7, 1e-40, 1e-30, -1.2784645, 0.5,
                                   -0.75, -16};
static const double kSpecialDy[] = {1, -2.5, 1e30, 1e-30, 0.0, 3e38};
#define NV (sizeof kSpecialV / sizeof kSpecialV[0])
#define NG (sizeof kSpecialG / sizeof kSpecialG[0])
#define NDY (sizeof kSpecialDy / sizeof kSpecialDy[0])

/* The value/gate element offsets (in their buffers) of output index idx. */
typedef struct placed {
  const view *xv, *gv; /* views of the value and gate (the same fused view) */
  int axis;            /* fused: split axis; -1 for split */
  int64_t second;      /* fused: index of the second member's start */
  int interleaved, gate_first;
} placed;

static void member_offsets(const placed *p, const int64_t *idx, int64_t *ov,
                           int64_t *og) {
  if (p->axis < 0) {
    *ov = view_at(p->xv, idx);
    *og = view_at(p->gv, idx);
    return;
  }
  int64_t a[GLK_MAX_RANK], b[GLK_MAX_RANK];
  for (int i = 0; i < p->xv->rank; i++) a[i] = b[i] = idx[i];
  if (p->interleaved) {
    a[p->axis] = 2 * idx[p->axis];
    b[p->axis] = 2 * idx[p->axis] + 1;
  } else {
    b[p->axis] = idx[p->axis] + p->second;
  }
  const int64_t o0 = view_at(p->xv, a), o1 = view_at(p->xv, b);
  *ov = p->gate_first ? o1 : o0;
  *og = p->gate_first ? o0 : o1;
}

static double bound_of(glk_dtype dt, glk_act act) {
  if (dt == GLK_DTYPE_F16 || dt == GLK_DTYPE_BF16) return 1.0;
  if (act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR) return 1.0;
  return 8.0;
}

/* The reference's own distance from exact, in ULP. */
static double ref_bound_of(glk_dtype dt, glk_act act) {
  return dt == GLK_DTYPE_F64 && act == GLK_ACT_GEGLU_TANH ? 2.0 : 1.0;
}

typedef struct checker {
  glk_dtype dt;
  glk_act act;
  int dir;
  const char *case_name;
  int reported;
  int failed;
} checker;

/* got against ref: same NaN-ness, same infinity, same signed zero, else
 * within bound ULP (of ref) plus `extra`. Returns the error in ULP. */
static int check_value(checker *c, int quantity, long double got, long double ref,
                       double bound, long double extra, long double v, long double g,
                       long double dy, int loose) {
  int ok;
  double ulps = 0;
  if (isnan(ref) || isnan(got)) {
    ok = isnan(ref) && isnan(got);
  } else if (isinf(ref) || isinf(got)) {
    ok = got == ref;
  } else if (ref == 0 && got == 0) {
    ok = signbit(ref) == signbit(got);
  } else if (loose) {
    const long double tiny = ldexpl(1.0L, -1000) * (fabsl(v) + 1) * (fabsl(dy) + 1);
    ok = fabsl(got) <= tiny && fabsl(ref) <= tiny &&
         (got == 0 || ref == 0 || signbit(got) == signbit(ref));
  } else {
    const long double u = dtype_ulp(c->dt, ref);
    ulps = (double)(fabsl(got - ref) / u);
    ok = fabsl(got - ref) <= bound * u + extra;
    /* the error beyond the allowance, in ULP: what the bound holds */
    const double beyond = (double)((fabsl(got - ref) - extra) / u);
    if (beyond > g_max_ulp[c->dt][c->act][quantity])
      g_max_ulp[c->dt][c->act][quantity] = beyond;
  }
  if (!ok) {
    c->failed = 1;
    if (c->reported++ < 5) {
      static const char *const qn[] = {"y", "dv", "dg"};
      fprintf(stderr,
              "  FAIL %s %s %s [%s]: %s = %.21Lg, reference %.21Lg (%.3g ULP, "
              "bound %.3g + %.3Lg) at v = %.17Lg, g = %.17Lg, dy = %.17Lg\n",
              glk_act_name(c->act), glk_dtype_name(c->dt), dir_names[c->dir],
              c->case_name, qn[quantity], got, ref, ulps, bound, extra, v, g, dy);
    }
  }
  return ok;
}

/* Runs one case for one act, dtype and direction on both devices and
 * compares. */
static void run_case(const gcase *cs, glk_act act, glk_dtype dt, int dir,
                     cudaStream_t stream, uint64_t seed) {
  const int fused = !cs->split;
  const int backward = dir != DIR_FWD;
  const int inplace = dir == DIR_BWD_INPLACE;
  rng r = {seed};
  int axis = cs->dim < 0 ? cs->dim + cs->rank : cs->dim;
  int64_t yshape[GLK_MAX_RANK];
  for (int i = 0; i < cs->rank; i++) yshape[i] = cs->shape[i];
  if (fused) yshape[axis] /= 2;

  /* views and buffers: inputs x (or value, gate), dy; outputs y or dx (or
   * dvalue, dgate) */
  view vx = make_view(cs->rank, cs->shape, cs->in_step, cs->in_pad, cs->in_neg, cs->shift);
  view vg = vx; /* split: the gate's own view, same recipe */
  view vdy = make_view(cs->rank, yshape, cs->in_step, cs->in_pad, cs->in_neg, cs->shift);
  view vy = make_view(cs->rank, fused ? yshape : cs->shape, cs->out_step, cs->out_pad,
                      cs->out_neg, cs->shift);
  view vdx = make_view(cs->rank, cs->shape, cs->out_step, cs->out_pad, cs->out_neg, cs->shift);
  if (inplace) vdx = vx;

  buffer bx, bg, bdy, bo, bo2;
  memset(&bg, 0, sizeof bg);
  memset(&bdy, 0, sizeof bdy);
  memset(&bo2, 0, sizeof bo2);
  buffer_alloc(&bx, dt, vx.span);
  if (!fused) buffer_alloc(&bg, dt, vg.span);
  if (backward) buffer_alloc(&bdy, dt, vdy.span);
  /* outputs: forward y; fused backward dx (or x itself); split dvalue, dgate */
  if (!backward) buffer_alloc(&bo, dt, vy.span);
  else if (fused && !inplace) buffer_alloc(&bo, dt, vdx.span);
  else if (!fused && !inplace) {
    buffer_alloc(&bo, dt, vdx.span);
    buffer_alloc(&bo2, dt, vdx.span);
  }

  fill_random(&bx, &r, cs->specials);
  if (!fused) fill_random(&bg, &r, cs->specials);
  if (backward) fill_random(&bdy, &r, 0);
  if (cs->specials) { /* the cross product over Y's index space, row-major */
    int64_t idx[GLK_MAX_RANK] = {0}, total = 1;
    for (int i = 0; i < cs->rank; i++) total *= yshape[i];
    placed pl = {&vx, fused ? &vx : &vg, fused ? axis : -1,
                 fused ? cs->shape[axis] / 2 : 0,
                 cs->layout == GLK_LAYOUT_INTERLEAVED, cs->gate == GLK_GATE_FIRST};
    for (int64_t k = 0; k < total; k++) {
      int64_t rem = k;
      for (int i = cs->rank - 1; i >= 0; i--) {
        idx[i] = rem % yshape[i];
        rem /= yshape[i];
      }
      int64_t ov, og;
      member_offsets(&pl, idx, &ov, &og);
      dtype_encode_nearest(dt, kSpecialV[(k / NG) % NV], bx.init + (size_t)ov * bx.es);
      buffer *gb = fused ? &bx : &bg;
      dtype_encode_nearest(dt, kSpecialG[k % NG], gb->init + (size_t)og * gb->es);
      if (backward)
        dtype_encode_nearest(dt, kSpecialDy[k % NDY],
                             bdy.init + (size_t)view_at(&vdy, idx) * bdy.es);
    }
  }
  if (!backward || (!inplace)) {
    if (dir == DIR_BWD_ACC) {
      fill_random(&bo, &r, 0);
      if (!fused) fill_random(&bo2, &r, 0);
    } else {
      fill_poison(&bo);
      if (!fused && backward) fill_poison(&bo2);
    }
  }
  buffer_upload(&bx);
  if (!fused) buffer_upload(&bg);
  if (backward) buffer_upload(&bdy);
  if (!backward || !inplace) buffer_upload(&bo);
  if (!fused && backward && !inplace) buffer_upload(&bo2);

  glk_options opt;
  glk_options_init(&opt);
  opt.act = act;
  opt.dim = cs->dim;
  opt.layout = cs->layout;
  opt.gate = cs->gate;
  opt.accumulate = dir == DIR_BWD_ACC;
  if (act == GLK_ACT_SWIGLU_OAI && (seed & 1)) { /* a non-default alpha, limit */
    opt.alpha = 1.3;
    opt.limit = 5.5;
  }

  /* the same call twice: CPU reference on the host copies, CUDA on the
   * device copies */
  glk_status st_ref = GLK_OK, st_dev = GLK_OK;
  for (int side = 0; side < 2; side++) {
    const int dev = side == 1;
    glk_options o = opt;
    if (dev) {
      o.device = GLK_DEVICE_CUDA;
      o.cuda_stream = (void *)stream;
    } else {
      o.isa = GLK_ISA_SCALAR;
    }
#define B(buf) (dev ? (buf).dev : (void *)(buf).ref)
    glk_tensor tx = tensor_of(B(bx), dt, &vx);
    glk_status st;
    if (fused) {
      if (!backward) {
        glk_tensor ty = tensor_of(B(bo), dt, &vy);
        st = glk_forward(&tx, &ty, &o);
      } else {
        glk_tensor tdy = tensor_of(B(bdy), dt, &vdy);
        glk_tensor tdx = inplace ? tx : tensor_of(B(bo), dt, &vdx);
        st = glk_backward(&tx, &tdy, &tdx, &o);
      }
    } else {
      glk_tensor tg = tensor_of(B(bg), dt, &vg);
      if (!backward) {
        glk_tensor ty = tensor_of(B(bo), dt, &vy);
        st = glk_forward_split(&tx, &tg, &ty, &o);
      } else {
        glk_tensor tdy = tensor_of(B(bdy), dt, &vdy);
        glk_tensor tdv = inplace ? tx : tensor_of(B(bo), dt, &vdx);
        glk_tensor tdg = inplace ? tg : tensor_of(B(bo2), dt, &vdx);
        st = glk_backward_split(&tx, &tg, &tdy, &tdv, &tdg, &o);
      }
    }
#undef B
    if (st != GLK_OK)
      fprintf(stderr, "  %s call failed: %s: %s\n", dev ? "CUDA" : "CPU",
              glk_status_string(st), glk_last_error());
    if (dev) st_dev = st;
    else st_ref = st;
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));
  CUDA_CHECK(cudaGetLastError());

  checker c = {dt, act, dir, cs->name, 0, st_ref != GLK_OK || st_dev != GLK_OK};
  /* the outputs' buffers, copied back */
  buffer *outs[2];
  int nouts = 0;
  if (!backward) outs[nouts++] = &bo;
  else if (inplace) {
    outs[nouts++] = &bx;
    if (!fused) outs[nouts++] = &bg;
  } else {
    outs[nouts++] = &bo;
    if (!fused) outs[nouts++] = &bo2;
  }
  for (int i = 0; i < nouts; i++)
    CUDA_CHECK(cudaMemcpy(outs[i]->got, outs[i]->dev, (size_t)outs[i]->n * outs[i]->es,
                          cudaMemcpyDeviceToHost));

  /* element by element over Y's index space */
  unsigned char *touched[2] = {xmalloc((size_t)outs[0]->n),
                               nouts > 1 ? xmalloc((size_t)outs[1]->n) : NULL};
  for (int i = 0; i < nouts; i++) memset(touched[i], 0, (size_t)outs[i]->n);
  const oracle_params op = {opt.alpha, opt.limit};
  const double bound = bound_of(dt, act) + ref_bound_of(dt, act);
  const int wbits = dt == GLK_DTYPE_F64 ? 50 : 22;
  placed in_pl = {&vx, fused ? &vx : &vg, fused ? axis : -1,
                  fused ? cs->shape[axis] / 2 : 0,
                  cs->layout == GLK_LAYOUT_INTERLEAVED, cs->gate == GLK_GATE_FIRST};
  placed out_pl = in_pl;
  out_pl.xv = out_pl.gv = &vdx;
  int64_t total = 1, idx[GLK_MAX_RANK] = {0};
  for (int i = 0; i < cs->rank; i++) total *= yshape[i];
  const buffer *gbuf = fused ? &bx : &bg;
  for (int64_t k = 0; k < total && !c.failed; k++) {
    int64_t rem = k;
    for (int i = cs->rank - 1; i >= 0; i--) {
      idx[i] = rem % yshape[i];
      rem /= yshape[i];
    }
    int64_t ov, og;
    member_offsets(&in_pl, idx, &ov, &og);
    const long double v = elem(&bx, bx.init, ov), g = elem(gbuf, gbuf->init, og);
    const int loose = dt == GLK_DTYPE_F64 && fabsl(g) > 700 &&
                      act != GLK_ACT_GLU && act != GLK_ACT_REGLU &&
                      act != GLK_ACT_BILINEAR;
    if (!backward) {
      const int64_t oy = view_at(&vy, idx);
      touched[0][oy] = 1;
      check_value(&c, Q_Y, elem(&bo, bo.got, oy), elem(&bo, bo.ref, oy), bound, 0, v, g,
                  1, loose);
      g_checked++;
      continue;
    }
    const long double dy = elem(&bdy, bdy.init, view_at(&vdy, idx));
    long double edv, edg, dg_scale;
    oracle_backward(act, v, g, dy, &op, &edv, &edg, &dg_scale);
    int64_t odv, odg;
    buffer *bdv, *bdg;
    if (fused) {
      member_offsets(&out_pl, idx, &odv, &odg);
      bdv = bdg = outs[0];
    } else {
      odv = odg = view_at(&vdx, idx);
      bdv = outs[0];
      bdg = outs[1];
    }
    touched[0][odv] = 1;
    touched[fused ? 0 : 1][odg] = 1;
    long double xdv = 0, xdg = ldexpl(isfinite(dg_scale) ? dg_scale : 0, -wbits);
    if (dir == DIR_BWD_ACC) {
      const double b = bound_of(dt, act);
      if (isfinite(edv)) xdv += b * dtype_ulp(dt, edv);
      if (isfinite(edg)) xdg += b * dtype_ulp(dt, edg);
    }
    check_value(&c, Q_DV, elem(bdv, bdv->got, odv), elem(bdv, bdv->ref, odv), bound, xdv,
                v, g, dy, loose);
    check_value(&c, Q_DG, elem(bdg, bdg->got, odg), elem(bdg, bdg->ref, odg), bound, xdg,
                v, g, dy, loose);
    g_checked++;
  }
  /* nothing outside the output views changed */
  for (int i = 0; i < nouts && !c.failed; i++) {
    const buffer *b = outs[i];
    for (int64_t e = 0; e < b->n; e++) {
      if (touched[i][e]) continue;
      if (memcmp(b->got + (size_t)e * b->es, b->init + (size_t)e * b->es, b->es) != 0) {
        fprintf(stderr, "  FAIL %s %s %s [%s]: element %lld outside the output view "
                "was written\n", glk_act_name(act), glk_dtype_name(dt),
                dir_names[dir], cs->name, (long long)e);
        c.failed = 1;
        break;
      }
    }
  }
  if (c.failed) {
    g_failures++;
    fprintf(stderr, "FAILED: %s %s %s [%s]\n", glk_act_name(act), glk_dtype_name(dt),
            dir_names[dir], cs->name);
  }
  free(touched[0]);
  free(touched[1]);
  buffer_free(&bx);
  if (!fused) buffer_free(&bg);
  if (backward) buffer_free(&bdy);
  if (!backward || !inplace) buffer_free(&bo);
  if (!fused && backward && !inplace) buffer_free(&bo2);
}

/* ---- API behaviour on the device ------------------------------------------ */

static void test_api(void) {
  /* a misaligned f32 pointer is refused and nothing is written */
  float *d = NULL;
  CUDA_CHECK(cudaMalloc((void **)&d, 64 * sizeof(float)));
  CUDA_CHECK(cudaMemset(d, 0, 64 * sizeof(float)));
  int64_t xs[2] = {2, 8}, ys[2] = {2, 4};
  glk_tensor tx, ty;
  glk_tensor_init(&tx, d, GLK_DTYPE_F32, 2, xs, NULL);
  glk_tensor_init(&ty, (char *)(d + 32) + 2, GLK_DTYPE_F32, 2, ys, NULL);
  glk_options o;
  glk_options_init(&o);
  o.device = GLK_DEVICE_CUDA;
  glk_status st = glk_forward(&tx, &ty, &o);
  unsigned char back[64 * sizeof(float)], zero[64 * sizeof(float)];
  memset(zero, 0, sizeof zero);
  CUDA_CHECK(cudaMemcpy(back, d, sizeof back, cudaMemcpyDeviceToHost));
  if (st != GLK_ERR_INVALID_ARGUMENT || memcmp(back, zero, sizeof back) != 0) {
    fprintf(stderr, "FAILED: misaligned output: status %s (%s), expected "
            "GLK_ERR_INVALID_ARGUMENT and nothing written\n",
            glk_status_string(st), glk_last_error());
    g_failures++;
  }
  /* shape errors are the host's validation, as on the CPU */
  glk_tensor_init(&ty, d + 32, GLK_DTYPE_F32, 2, xs, NULL);
  st = glk_forward(&tx, &ty, &o);
  if (st != GLK_ERR_SHAPE_MISMATCH) {
    fprintf(stderr, "FAILED: shape mismatch on CUDA gave %s\n", glk_status_string(st));
    g_failures++;
  }
  /* an empty tensor: success, no launch */
  int64_t es[2] = {0, 8}, eys[2] = {0, 4};
  glk_tensor_init(&tx, d, GLK_DTYPE_F32, 2, es, NULL);
  glk_tensor_init(&ty, d + 32, GLK_DTYPE_F32, 2, eys, NULL);
  st = glk_forward(&tx, &ty, &o);
  if (st != GLK_OK) {
    fprintf(stderr, "FAILED: empty tensor on CUDA gave %s\n", glk_status_string(st));
    g_failures++;
  }
  CUDA_CHECK(cudaFree(d));
}

/* ---- more than 2^31 elements ----------------------------------------------- */

/* bf16 65537 x 32768 (2^31 + 2^15 elements): forward and backward on the
 * device; rows around the 2^31 boundary and random rows checked against
 * the CPU reference, and no output element left poisoned. The inputs
 * repeat with a period of 61 (x) and 59 (dy) rows, so an offset that
 * wrapped would read other values. */
static void test_big(void) {
  const int64_t rows = 65537, w = 32768, h = w / 2;
  const int64_t px = 61, pdy = 59;
  printf("big: bf16 %lld x %lld (%lld elements)\n", (long long)rows, (long long)w,
         (long long)(rows * w));
  fflush(stdout);
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const size_t need = (size_t)rows * (size_t)(w + h + h + w) * 2 + (64u << 20);
  if (free_b < need) {
    printf("big: SKIPPED, needs %zu MiB of device memory, %zu free\n", need >> 20,
           free_b >> 20);
    return;
  }
  uint16_t *hx = xmalloc((size_t)px * w * 2), *hdy = xmalloc((size_t)pdy * h * 2);
  rng r = {12345};
  for (int64_t i = 0; i < px * w; i++)
    dtype_encode_nearest(GLK_DTYPE_BF16, random_value(&r, 0), &hx[i]);
  for (int64_t i = 0; i < pdy * h; i++)
    dtype_encode_nearest(GLK_DTYPE_BF16, random_value(&r, 0), &hdy[i]);
  uint16_t *dx_in, *dy_, *dy_in, *ddx;
  CUDA_CHECK(cudaMalloc((void **)&dx_in, (size_t)rows * w * 2));
  CUDA_CHECK(cudaMalloc((void **)&dy_, (size_t)rows * h * 2));
  CUDA_CHECK(cudaMalloc((void **)&dy_in, (size_t)rows * h * 2));
  CUDA_CHECK(cudaMalloc((void **)&ddx, (size_t)rows * w * 2));
  for (int64_t r0 = 0; r0 < rows; r0 += px) {
    const int64_t n = rows - r0 < px ? rows - r0 : px;
    CUDA_CHECK(cudaMemcpy(dx_in + r0 * w, hx, (size_t)(n * w * 2), cudaMemcpyHostToDevice));
  }
  for (int64_t r0 = 0; r0 < rows; r0 += pdy) {
    const int64_t n = rows - r0 < pdy ? rows - r0 : pdy;
    CUDA_CHECK(cudaMemcpy(dy_in + r0 * h, hdy, (size_t)(n * h * 2), cudaMemcpyHostToDevice));
  }
  CUDA_CHECK(cudaMemset(dy_, 0xff, (size_t)rows * h * 2)); /* poison: NaN */
  CUDA_CHECK(cudaMemset(ddx, 0xff, (size_t)rows * w * 2));

  int64_t xshape[2] = {rows, w}, yshape[2] = {rows, h};
  glk_tensor tx, ty, tdy, tdx;
  glk_tensor_init(&tx, dx_in, GLK_DTYPE_BF16, 2, xshape, NULL);
  glk_tensor_init(&ty, dy_, GLK_DTYPE_BF16, 2, yshape, NULL);
  glk_tensor_init(&tdy, dy_in, GLK_DTYPE_BF16, 2, yshape, NULL);
  glk_tensor_init(&tdx, ddx, GLK_DTYPE_BF16, 2, xshape, NULL);
  glk_options o;
  glk_options_init(&o);
  o.act = GLK_ACT_SWIGLU;
  o.device = GLK_DEVICE_CUDA;
  glk_status st = glk_forward(&tx, &ty, &o);
  if (!st) st = glk_backward(&tx, &tdy, &tdx, &o);
  CUDA_CHECK(cudaDeviceSynchronize());
  if (st != GLK_OK) {
    fprintf(stderr, "FAILED: big: %s: %s\n", glk_status_string(st), glk_last_error());
    g_failures++;
    goto out;
  }
  /* no poison left anywhere (finite inputs give finite outputs) */
  {
    const size_t ny = (size_t)rows * h, ndx = (size_t)rows * w;
    uint16_t *all = xmalloc(ndx * 2);
    CUDA_CHECK(cudaMemcpy(all, dy_, ny * 2, cudaMemcpyDeviceToHost));
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < ny; i++)
      if (all[i] == 0xffff && !bad++) first = i;
    CUDA_CHECK(cudaMemcpy(all, ddx, ndx * 2, cudaMemcpyDeviceToHost));
    size_t bad_dx = 0, first_dx = 0;
    for (size_t i = 0; i < ndx; i++)
      if (all[i] == 0xffff && !bad_dx++) first_dx = i;
    free(all);
    if (bad || bad_dx) {
      fprintf(stderr, "FAILED: big: %zu y elements (first %zu) and %zu dx elements "
              "(first %zu) were not written\n", bad, first, bad_dx, first_dx);
      g_failures++;
      goto out;
    }
  }
  /* rows checked against the CPU reference */
  {
    int64_t check_rows[32] = {0, 1, 2, 60, 61, 32767, 32768, 65535, 65536, 40000};
    int nrows = 10;
    rng rr = {777};
    while (nrows < 32) check_rows[nrows++] = (int64_t)(rng_next(&rr) % (uint64_t)rows);
    uint16_t *gy = xmalloc(h * 2), *gdx = xmalloc(w * 2), *cy = xmalloc(h * 2),
             *cdx = xmalloc(w * 2);
    int bad = 0;
    for (int i = 0; i < nrows && !bad; i++) {
      const int64_t row = check_rows[i];
      uint16_t *xr = hx + (row % px) * w, *dyr = hdy + (row % pdy) * h;
      CUDA_CHECK(cudaMemcpy(gy, dy_ + row * h, h * 2, cudaMemcpyDeviceToHost));
      CUDA_CHECK(cudaMemcpy(gdx, ddx + row * w, w * 2, cudaMemcpyDeviceToHost));
      int64_t xs1[1] = {w}, ys1[1] = {h};
      glk_tensor a, b, c2, d2;
      glk_tensor_init(&a, xr, GLK_DTYPE_BF16, 1, xs1, NULL);
      glk_tensor_init(&b, cy, GLK_DTYPE_BF16, 1, ys1, NULL);
      glk_tensor_init(&c2, dyr, GLK_DTYPE_BF16, 1, ys1, NULL);
      glk_tensor_init(&d2, cdx, GLK_DTYPE_BF16, 1, xs1, NULL);
      glk_options oc;
      glk_options_init(&oc);
      oc.act = GLK_ACT_SWIGLU;
      oc.isa = GLK_ISA_SCALAR;
      if (glk_forward(&a, &b, &oc) || glk_backward(&a, &c2, &d2, &oc)) {
        fprintf(stderr, "FAILED: big: CPU reference: %s\n", glk_last_error());
        bad = 1;
        break;
      }
      checker c = {GLK_DTYPE_BF16, GLK_ACT_SWIGLU, DIR_FWD, "big", 0, 0};
      for (int64_t j = 0; j < h && !c.failed; j++) {
        const long double v = dtype_decode(GLK_DTYPE_BF16, &xr[j]);
        const long double g = dtype_decode(GLK_DTYPE_BF16, &xr[j + h]);
        const long double dyv = dtype_decode(GLK_DTYPE_BF16, &dyr[j]);
        long double edv, edg, sc;
        oracle_backward(GLK_ACT_SWIGLU, v, g, dyv, &oracle_default_params, &edv, &edg, &sc);
        c.dir = DIR_FWD;
        check_value(&c, Q_Y, dtype_decode(GLK_DTYPE_BF16, &gy[j]),
                    dtype_decode(GLK_DTYPE_BF16, &cy[j]), 2.0, 0, v, g, 1, 0);
        c.dir = DIR_BWD;
        check_value(&c, Q_DV, dtype_decode(GLK_DTYPE_BF16, &gdx[j]),
                    dtype_decode(GLK_DTYPE_BF16, &cdx[j]), 2.0, 0, v, g, dyv, 0);
        check_value(&c, Q_DG, dtype_decode(GLK_DTYPE_BF16, &gdx[j + h]),
                    dtype_decode(GLK_DTYPE_BF16, &cdx[j + h]), 2.0, ldexpl(sc, -22), v,
                    g, dyv, 0);
        g_checked++;
      }
      if (c.failed) {
        fprintf(stderr, "FAILED: big: row %lld\n", (long long)row);
        bad = 1;
      }
    }
    if (bad) g_failures++;
    else printf("big: %d rows (incl. 65536, past 2^31 elements) match; no element "
                "left unwritten\n", nrows);
    free(gy);
    free(gdx);
    free(cy);
    free(cdx);
  }
out:
  CUDA_CHECK(cudaFree(dx_in));
  CUDA_CHECK(cudaFree(dy_));
  CUDA_CHECK(cudaFree(dy_in));
  CUDA_CHECK(cudaFree(ddx));
  free(hx);
  free(hdy);
}

/* ---- the list ---------------------------------------------------------------- */

static const gcase kCases[] = {
    /* name, split, rank, shape, dim, layout, gate, in step/pad/neg,
       out step/pad/neg, shift, specials */
    {"halves 64x512 (vector)", 0, 2, {64, 512}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"interleaved 64x512 (vector pairs)", 0, 2, {64, 512}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"halves gate first 16x256", 0, 2, {16, 256}, -1, GLK_LAYOUT_HALVES, GLK_GATE_FIRST, 1, 0, 0, 1, 0, 0, 0, 0},
    {"interleaved gate first 16x256", 0, 2, {16, 256}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_FIRST, 1, 0, 0, 1, 0, 0, 0, 0},
    {"halves width 1 (x 7x2)", 0, 2, {7, 2}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"halves width 3 (x 9x6)", 0, 2, {9, 6}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"interleaved width 3 (x 9x6)", 0, 2, {9, 6}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_FIRST, 1, 0, 0, 1, 0, 0, 0, 0},
    {"halves x width 8 (halves at byte 8 for f16)", 0, 2, {33, 8}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"halves x width 3420", 0, 2, {6, 3420}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"interleaved x width 3420", 0, 2, {6, 3420}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"inner axis 5x12x7, dim 1", 0, 3, {5, 12, 7}, 1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"interleaved outer axis 8x24, dim 0", 0, 2, {8, 24}, 0, GLK_LAYOUT_INTERLEAVED, GLK_GATE_FIRST, 1, 0, 0, 1, 0, 0, 0, 0},
    {"rank 4, dim 2, padded", 0, 4, {3, 2, 10, 16}, 2, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 24, 0, 1, 8, 0, 0, 0},
    {"padded rows 10x64 (vector, gapped)", 0, 2, {10, 64}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 8, 0, 1, 16, 0, 0, 0},
    {"strided inner (step 2) 12x40", 0, 2, {12, 40}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 2, 3, 0, 2, 1, 0, 0, 0},
    {"reversed rows 12x64", 0, 2, {12, 64}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_SECOND, 1, 0, 1, 1, 0, 1, 0, 0},
    {"misaligned by one element 16x256", 0, 2, {16, 256}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 1, 0},
    {"misaligned interleaved 16x256", 0, 2, {16, 256}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 1, 0},
    {"split 32x128 (vector)", 1, 2, {32, 128}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"split strided 9x13", 1, 2, {9, 13}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 2, 5, 1, 1, 3, 0, 0, 0},
    {"split 1-d 1", 1, 1, {1}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 0},
    {"specials, halves", 0, 2, {NV, 2 * NG}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 1, 0, 0, 1, 0, 0, 0, 1},
    {"specials, interleaved gate first", 0, 2, {NV, 2 * NG}, -1, GLK_LAYOUT_INTERLEAVED, GLK_GATE_FIRST, 1, 0, 0, 1, 0, 0, 0, 1},
    {"specials, split strided", 1, 2, {NV, NG}, -1, GLK_LAYOUT_HALVES, GLK_GATE_SECOND, 2, 0, 0, 1, 0, 0, 0, 1},
};

static const int kQuickCases[] = {0, 1, 5, 7, 10, 14, 16, 18, 21};

int main(void) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0 || !glk_cuda_available()) {
    printf("test_cuda: SKIPPED: no usable CUDA device (%s; glk_cuda_available() = %d)\n",
           e == cudaSuccess ? "no device" : cudaGetErrorString(e), glk_cuda_available());
    return 77;
  }
  struct cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  printf("test_cuda: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor,
         prop.multiProcessorCount);
  const char *q = getenv("GLUKIT_CUDA_TEST_QUICK");
  const char *big = getenv("GLUKIT_CUDA_TEST_BIG");
  g_quick = q && *q && strcmp(q, "0") != 0;

  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  test_api();

  const int ncases = (int)(sizeof kCases / sizeof kCases[0]);
  const int nquick = (int)(sizeof kQuickCases / sizeof kQuickCases[0]);
  const int n = g_quick ? nquick : ncases;
  uint64_t seed = 1;
  for (int ci = 0; ci < n; ci++) {
    const gcase *cs = &kCases[g_quick ? kQuickCases[ci] : ci];
    const int before = g_failures;
    for (int act = 0; act < GLK_ACT_COUNT; act++) {
      if (g_quick && act != GLK_ACT_GLU && act != GLK_ACT_GEGLU && act != GLK_ACT_SWIGLU_OAI)
        continue;
      for (int dt = 0; dt < GLK_DTYPE_COUNT; dt++)
        for (int dir = 0; dir < DIR_COUNT; dir++)
          /* alternate the default stream and a created one */
        {
          const cudaStream_t s = (seed & 2) ? stream : 0;
          run_case(cs, (glk_act)act, (glk_dtype)dt, dir, s, seed);
          seed++;
        }
    }
    printf("%-4s %s\n", g_failures == before ? "ok" : "FAIL", cs->name);
    fflush(stdout);
  }
  if (big && *big && strcmp(big, "0") != 0) test_big();
  CUDA_CHECK(cudaStreamDestroy(stream));

  printf("\nlargest error against the CPU reference, in ULP beyond the "
         "cancellation and accumulation allowances (bound: 1 ULP + the "
         "reference's own 1 for f16/bf16, reglu, bilinear; 8 + 1 otherwise):\n");
  printf("| act | f32 y/dv/dg | f64 y/dv/dg | f16 y/dv/dg | bf16 y/dv/dg |\n|---|---|---|---|---|\n");
  for (int act = 0; act < GLK_ACT_COUNT; act++) {
    printf("| %s |", glk_act_name((glk_act)act));
    for (int dt = 0; dt < GLK_DTYPE_COUNT; dt++)
      printf(" %.2f/%.2f/%.2f |", g_max_ulp[dt][act][Q_Y], g_max_ulp[dt][act][Q_DV],
             g_max_ulp[dt][act][Q_DG]);
    printf("\n");
  }
  printf("\ntest_cuda: %lld elements checked, %d failed cases: %s\n", g_checked,
         g_failures, g_failures ? "FAIL" : "PASS");
  return g_failures ? 1 : 0;
}
