/*
 * f64 kernels of every variant over a vecd_<isa>.h layer: the sigmoid
 * family (glu, swiglu, geglu_tanh, geglu_quick, swiglu_oai) here, geglu in
 * glu_simd_gelu_f64.h, reglu and bilinear in glu_simd_plain_f64.h.
 *
 * Why: the reference computes f64 in long double, about 60 ns an element
 * for glu (483 for geglu, 7 for reglu), far below the memory system. These
 * kernels do what the f32 fast path (glu_simd_fast.h) does, in double:
 * the sigmoid's argument s as hi + lo (1.702 g; tanh GELU's 2u = g (2k +
 * 2kc g^2) with constants in two parts; swiglu_oai's alpha g exactly),
 * e^-|s| as hi + lo from a degree-13 Taylor polynomial (truncation
 * 2^-57 relative on the reduced range) and an exact 2^n, 1 + e carried
 * exactly, one division corrected by its residual, the products by v, g
 * and dy rounded once at the end. The error is the f32 path's: the rounding
 * of the polynomial's sum (2^-54 relative in e) and the last rounding,
 * within 1.5 ULP of the exact value (docs/ACCURACY.md, "f64").
 *
 * A lane takes that path when its inputs lie where nothing can overflow,
 * underflow or meet a special value: |s| < 30, the factor x of x
 * sigmoid(s) above 2^-300, 2^-400 < |v|, |dy| < 2^400 or v, dy = +-0 (a
 * signed zero, formed directly), and swiglu_oai's v and g strictly inside
 * the clamps. Any other lane (zero gates, NaN, infinities, deep tails,
 * huge values, the clamps) gets the reference kernel's value, so a lane's
 * result depends on that lane alone and every SIMD ISA gives the same bits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/ukernel.h"

#define GLK_PASTE_(a, b) a##b
#define GLK_PASTE(a, b) GLK_PASTE_(a, b)
#define GLK_ISA_NAME(name) GLK_PASTE(name, GLK_ISA_SUFFIX)

typedef struct vd2 {
  vd hi, lo; /* the value hi + lo, |lo| far below ulp(hi) */
} vd2;

GLK_VINLINE vd2 vd2_make(vd hi, vd lo) {
  vd2 r;
  r.hi = hi;
  r.lo = lo;
  return r;
}
/* (x.hi + x.lo) (y.hi + y.lo) */
GLK_VINLINE vd2 vd2_mul22(vd2 x, vd2 y) {
  const vd h = vd_mul(x.hi, y.hi);
  return vd2_make(h, vd_fma(x.hi, y.lo, vd_fma(x.lo, y.hi, vd_fms(x.hi, y.hi, h))));
}
/* a (x.hi + x.lo) */
GLK_VINLINE vd2 vd2_mul12(vd a, vd2 x) {
  const vd h = vd_mul(a, x.hi);
  return vd2_make(h, vd_fma(a, x.lo, vd_fms(a, x.hi, h)));
}
/* a (x.hi + x.lo), rounded once */
GLK_VINLINE vd vd2_apply(vd a, vd2 x) { return vd_fma(a, x.hi, vd_mul(a, x.lo)); }
/* a + x for any magnitudes (two-sum of a and x.hi) */
GLK_VINLINE vd2 vd2_add12(vd a, vd2 x) {
  const vd s = vd_add(a, x.hi), bb = vd_sub(s, a);
  const vd err = vd_add(vd_sub(a, vd_sub(s, bb)), vd_sub(x.hi, bb));
  return vd2_make(s, vd_add(err, x.lo));
}
GLK_VINLINE vd2 vd2_select(vdm m, vd2 a, vd2 b) {
  return vd2_make(vd_select(m, a.hi, b.hi), vd_select(m, a.lo, b.lo));
}
/* lo < |x| < hi, false for NaN */
GLK_VINLINE vdm vd_in(vd x, double lo, double hi) {
  const vd a = vd_abs(x);
  return vdm_and(vd_lt(vd_set1(lo), a), vd_lt(a, vd_set1(hi)));
}

typedef struct dsig {
  vd2 sig, cosig; /* sigmoid(s) and 1 - sigmoid(s) */
} dsig;

/*
 * e^(na + xl) as hi + lo, for -700 < na <= 0 and |xl| tiny beside ulp(na)
 * (xl only where has_lo): e = 2^n e^x, n = round(na / ln 2) (magic-number
 * addition; its bits give 2^n), x = na - n ln 2 with ln 2 in two parts
 * (n ln2_hi exact) and x's rounding error and xl in xl', e^x = 1 + u,
 * u = x + x^2 q(x), q the Taylor polynomial to x^11/13!.
 */
GLK_VINLINE vd2 vd_exp_hl(vd na, vd xl_in, int has_lo) {
  const vd magic = vd_set1(0x1.8p52 + 1023.0);
  const vd t = vd_fma(na, vd_set1(0x1.71547652b82fep+0), magic);
  const vd n = vd_sub(t, magic);
  const vd ln2_lo = vd_set1(0x1.a39ef35793c76p-33);
  const vd x1 = vd_fnma(n, vd_set1(0x1.62e42fee00000p-1), na); /* exact */
  const vd x = vd_fnma(n, ln2_lo, x1);
  vd xl = vd_fnma(n, ln2_lo, vd_sub(x1, x));
  if (has_lo) xl = vd_add(xl, xl_in);
  vd q = vd_set1(0x1.6124613a86d09p-33);
  q = vd_fma(q, x, vd_set1(0x1.1eed8eff8d898p-29));
  q = vd_fma(q, x, vd_set1(0x1.ae64567f544e4p-26));
  q = vd_fma(q, x, vd_set1(0x1.27e4fb7789f5cp-22));
  q = vd_fma(q, x, vd_set1(0x1.71de3a556c734p-19));
  q = vd_fma(q, x, vd_set1(0x1.a01a01a01a01ap-16));
  q = vd_fma(q, x, vd_set1(0x1.a01a01a01a01ap-13));
  q = vd_fma(q, x, vd_set1(0x1.6c16c16c16c17p-10));
  q = vd_fma(q, x, vd_set1(0x1.1111111111111p-7));
  q = vd_fma(q, x, vd_set1(0x1.5555555555555p-5));
  q = vd_fma(q, x, vd_set1(0x1.5555555555555p-3));
  q = vd_fma(q, x, vd_set1(0x1.0p-1));
  const vd u = vd_fma(vd_mul(x, x), q, x);
  const vd sc = vd_shl52(t); /* 2^n */
  const vd eh = vd_fma(sc, u, sc);
  /* sc - eh is exact (eh within a factor 1.5 of sc); xl adds e xl */
  return vd2_make(eh, vd_fma(eh, xl, vd_fma(sc, u, vd_sub(sc, eh))));
}

/* sigmoid(s_hi + s_lo) for |s| < 30, from e = e^-|s| (vd_exp_hl). */
GLK_VINLINE dsig vd_sigmoid(vd2 sarg, int has_lo) {
  const vd zero = vd_set1(0.0);
  const vdm neg = vd_lt(sarg.hi, zero);
  const vd na = vd_sub(zero, vd_abs(sarg.hi));
  /* -|s|'s low part */
  const vd nlo = has_lo ? vd_select(neg, sarg.lo, vd_sub(zero, sarg.lo)) : zero;
  const vd2 e = vd_exp_hl(na, nlo, has_lo);
  const vd eh = e.hi, el = e.lo;
  const vd one = vd_set1(1.0);
  const vd dh = vd_add(one, eh);
  /* (1 - dh) + eh is exact (1 >= e); el's addition rounds, far below dl */
  const vd dl = vd_add(vd_add(vd_sub(one, dh), eh), el);
  const vd r = vd_div(one, dh);
  const vd rem = vd_fnma(r, dl, vd_fnma(r, dh, one)); /* 1 - r (dh + dl) */
  const vd2 inv = vd2_make(r, vd_mul(r, rem));        /* 1 / (1 + e) */
  const vd2 eov = vd2_mul22(vd2_make(eh, el), inv);   /* e / (1 + e) */
  dsig f;
  f.sig = vd2_select(neg, eov, inv);
  f.cosig = vd2_select(neg, inv, eov);
  return f;
}

/* w x sigmoid, rounded once: the larger of |w|, |x| times sigmoid first */
GLK_VINLINE vd vd_xsig(vd w, vd x, vd2 sig) {
  const vdm x_small = vd_lt(vd_abs(x), vd_abs(w));
  return vd2_apply(vd_select(x_small, x, w), vd2_mul12(vd_select(x_small, w, x), sig));
}

/* x (c0 + c1 x^2), both constants in two parts, as hi + lo */
GLK_VINLINE vd2 vd_odd_cubic(vd x, double c0h, double c0l, double c1h, double c1l) {
  const vd xx = vd_mul(x, x), xxl = vd_fms(x, x, xx);
  const vd ph = vd_mul(vd_set1(c1h), xx);
  const vd pl = vd_fma(vd_set1(c1h), xxl,
                       vd_fma(vd_set1(c1l), xx, vd_fms(vd_set1(c1h), xx, ph)));
  vd2 in = vd2_add12(vd_set1(c0h), vd2_make(ph, pl));
  in.lo = vd_add(in.lo, vd_set1(c0l));
  return vd2_mul12(x, in);
}

#define GLK_F64_WIDE 0x1p400 /* |v|, |dy| within 2^-+400: no product overflows */
#define GLK_F64_TINY 0x1p-300 /* |x|, |s| above: no product underflows */
#define GLK_F64_SMAX 30.0     /* |s| below: e^-|s| > 2^-44 */

#include "kernels/simd/glu_simd_gelu_f64.h"
#include "kernels/simd/glu_simd_plain_f64.h"

/*
 * Per variant: act = x sigmoid(s) (glu: sigmoid(s)), times w (v, or
 * swiglu_oai's v + 1); act' = sigmoid(s) (1 + k (1 - sigmoid(s))) with
 * k = x ds/dx (glu: sigmoid (1 - sigmoid)). ok: the lanes whose x, s and v
 * the fast path takes (v or w away from 0 and from the clamps).
 */
typedef struct dargs {
  vd x;
  vd2 s, w, k;
  vdm ok;
} dargs;

GLK_VINLINE dargs vd_args(glk_act act, vd v, vd g, const glk_ukernel_params *p, int backward) {
  dargs a;
  const vd zero = vd_set1(0.0);
  a.x = g;
  a.w = vd2_make(v, zero);
  vdm x_ok = vd_in(g, GLK_F64_TINY, 64.0);
  switch (act) {
    case GLK_ACT_GLU:
      a.s = vd2_make(g, zero);
      x_ok = vd_lt(vd_abs(g), vd_set1(GLK_F64_SMAX));
      break;
    case GLK_ACT_GEGLU_QUICK: /* s = 1.702 g, 1.702 in two parts */
      a.s = vd2_mul12(g, vd2_make(vd_set1(0x1.b3b645a1cac08p+0), vd_set1(0x1.89374bc6a7efap-55)));
      break;
    case GLK_ACT_GEGLU_TANH: /* s = 2u = g (2k + 2kc g^2), k = sqrt(2/pi), c = 0.044715 */
      a.s = vd_odd_cubic(g, 0x1.9884533d43651p+0, -0x1.cbc0d30ebfd15p-54, 0x1.2444f2a4d8b4bp-4,
                         -0x1.6c843a29d1c70p-61);
      break;
    case GLK_ACT_SWIGLU_OAI: { /* the clamps are left to the reference */
      const vd lim = vd_set1(p->limit), alpha = vd_set1(p->alpha);
      const vd sh = vd_mul(alpha, g);
      a.s = vd2_make(sh, vd_fms(alpha, g, sh));
      a.w = vd2_add12(vd_set1(1.0), vd2_make(v, zero));
      x_ok = vdm_and(x_ok, vdm_and(vd_lt(g, lim), vd_lt(vd_abs(v), lim)));
      x_ok = vdm_and(x_ok, vd_in(a.w.hi, GLK_F64_TINY, 0x1p1000));
      break;
    }
    default: /* swiglu */
      a.s = vd2_make(g, zero);
      break;
  }
  a.ok = vdm_and(x_ok, vd_in(a.s.hi, act == GLK_ACT_GLU ? -1.0 : GLK_F64_TINY, GLK_F64_SMAX));
  /* v = +-0 stays fast: its products are signed zeros (see vd_zero_*) */
  a.ok = vdm_and(a.ok, vdm_or(vd_in(v, 1.0 / GLK_F64_WIDE, GLK_F64_WIDE), vd_eq(v, zero)));
  if (backward)
    a.k = act == GLK_ACT_GEGLU_TANH
              ? vd_odd_cubic(g, 0x1.9884533d43651p+0, -0x1.cbc0d30ebfd15p-54,
                             0x1.b6676bf7450f0p-3, 0x1.bba7351828aabp-57) /* g d(2u)/dg */
          : act == GLK_ACT_SWIGLU ? vd2_make(g, zero)
                                  : a.s; /* quick, oai: s = b x */
  return a;
}

/*
 * A zero factor z (v, or dy) times act: a zero whose sign is z's times act's,
 * as the reference gives it. act = x sigmoid with sigmoid > 0, so z x (glu:
 * z) has that sign exactly; the hi + lo products would not (z lo may carry
 * the other sign and win the zero sum).
 */
GLK_VINLINE vd vd_zero_times_act(glk_act act, vd z, vd x) {
  return act == GLK_ACT_GLU ? z : vd_mul(z, x);
}

/* y = w act(g) in the lanes of *ok (set here); the others are left to the
 * reference. */
GLK_VINLINE vd vd_forward(glk_act act, vd v, vd g, const glk_ukernel_params *p, vdm *ok) {
  const dargs a = vd_args(act, v, g, p, 0);
  const dsig f = vd_sigmoid(a.s, act != GLK_ACT_GLU && act != GLK_ACT_SWIGLU);
  *ok = a.ok;
  /* swiglu_oai's w = v + 1 is never 0 in its fast lanes */
  if (act == GLK_ACT_SWIGLU_OAI) return vd2_apply(a.x, vd2_mul22(a.w, f.sig));
  const vd y = act == GLK_ACT_GLU ? vd2_apply(v, f.sig) : vd_xsig(v, a.x, f.sig);
  return vd_select(vd_eq(v, vd_set1(0.0)), vd_zero_times_act(act, v, a.x), y);
}

/* dv = dy act(g), dg = dy w act'(g) (swiglu_oai: inside its clamps) */
GLK_VINLINE void vd_backward(glk_act act, vd v, vd g, vd dy, const glk_ukernel_params *p,
                             vd *dv, vd *dg, vdm *ok) {
  const dargs a = vd_args(act, v, g, p, 1);
  const dsig f = vd_sigmoid(a.s, act != GLK_ACT_GLU && act != GLK_ACT_SWIGLU);
  const vd2 dfac = act == GLK_ACT_GLU
                       ? vd2_mul22(f.sig, f.cosig)
                       : vd2_mul22(f.sig, vd2_add12(vd_set1(1.0), vd2_mul22(a.k, f.cosig)));
  const vd zero = vd_set1(0.0);
  const vdm dy0 = vd_eq(dy, zero);
  *dv = act == GLK_ACT_GLU ? vd2_apply(dy, f.sig) : vd_xsig(dy, a.x, f.sig);
  *dv = vd_select(dy0, vd_zero_times_act(act, dy, a.x), *dv);
  /* a zero dy or v: dy w act' is a zero of their signs' product */
  *dg = vd2_apply(dy, vd2_mul22(a.w, dfac));
  *dg = vd_select(vdm_or(dy0, vd_eq(a.w.hi, zero)), vd_mul(vd_mul(dy, a.w.hi), dfac.hi), *dg);
  *ok = vdm_and(a.ok, vdm_or(vd_in(dy, 1.0 / GLK_F64_WIDE, GLK_F64_WIDE), dy0));
}

/* The reference's values for one vector's lanes (plain stores, no
 * accumulation: the caller adds). */
GLK_NOINLINE void vd_reference_fwd(glk_act act, const double *v, const double *g, double *y,
                                   const glk_ukernel_params *p) {
  glk_ukernel_params q = *p;
  q.accumulate = 0, q.stream_stores = 0;
  glk_scalar_kernels.set[GLK_DTYPE_F64][act].fwd(GLK_WD, v, g, y, &q);
}
GLK_NOINLINE void vd_reference_bwd(glk_act act, const double *v, const double *g,
                                   const double *dy, double *dv, double *dg,
                                   const glk_ukernel_params *p) {
  glk_ukernel_params q = *p;
  q.accumulate = 0, q.stream_stores = 0;
  glk_scalar_kernels.set[GLK_DTYPE_F64][act].bwd(GLK_WD, v, g, dy, dv, dg, &q);
}

/* One vector, forward: fast lanes, the reference in the others. */
GLK_VINLINE vd vd_forward_step(glk_act act, vd v, vd g, const glk_ukernel_params *p) {
  vdm ok;
  const vd y = act == GLK_ACT_GEGLU ? vd_forward_gelu(v, g, &ok)
               : act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR
                   ? vd_forward_plain(act, v, g, &ok)
                   : vd_forward(act, v, g, p, &ok);
  if (vdm_all(ok)) return y;
  double bv[GLK_WD], bg[GLK_WD], by[GLK_WD];
  vd_store(bv, v), vd_store(bg, g);
  vd_reference_fwd(act, bv, bg, by, p);
  return vd_select(ok, y, vd_load(by));
}

GLK_VINLINE void vd_backward_step(glk_act act, vd v, vd g, vd dy, const glk_ukernel_params *p,
                                  vd *dv, vd *dg) {
  vdm ok;
  if (act == GLK_ACT_GEGLU)
    vd_backward_gelu(v, g, dy, dv, dg, &ok);
  else if (act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR)
    vd_backward_plain(act, v, g, dy, dv, dg, &ok);
  else
    vd_backward(act, v, g, dy, p, dv, dg, &ok);
  if (vdm_all(ok)) return;
  double bv[GLK_WD], bg[GLK_WD], bdy[GLK_WD], bdv[GLK_WD], bdg[GLK_WD];
  vd_store(bv, v), vd_store(bg, g), vd_store(bdy, dy);
  vd_reference_bwd(act, bv, bg, bdy, bdv, bdg, p);
  *dv = vd_select(ok, *dv, vd_load(bdv));
  *dg = vd_select(ok, *dg, vd_load(bdg));
}

/* Elements before y reaches a vector's alignment, or SIZE_MAX when it
 * never can (not 8-byte aligned). */
GLK_VINLINE size_t vd_head(const void *y) {
  const size_t vbytes = GLK_WD * sizeof(double), off = (uintptr_t)y % vbytes;
  if (off % sizeof(double)) return SIZE_MAX;
  return off ? (vbytes - off) / sizeof(double) : 0;
}
GLK_VINLINE size_t vd_head2(const void *a, const void *b) {
  const size_t h = vd_head(a);
  return h == vd_head(b) ? h : SIZE_MAX;
}
GLK_VINLINE void vd_put(double *p, vd x, int nt) {
  if (nt)
    vd_stream(p, x);
  else
    vd_store(p, x);
}
/* Streaming walks (p->stream_stores) read this far ahead, as the f32
 * kernels do (glu_simd_tmpl.h, GLK_PREFETCH_BYTES). */
GLK_VINLINE void vd_prefetch(const double *p, size_t n) {
  for (size_t b = 0; b < n * sizeof(double); b += 64)
    __builtin_prefetch((const char *)p + 2048 + b, 0, 3);
}
/* The next piece: a full vector, the tail, or (streaming) the elements up
 * to the outputs' alignment. */
GLK_VINLINE size_t vd_piece(size_t i, size_t n, size_t head, int nt) {
  size_t m = n - i < GLK_WD ? n - i : GLK_WD;
  if (nt && i < head && head - i < m) m = head - i;
  return m;
}

/*
 * The four kernels of one activation. Each runs the same step on full
 * vectors and, through W-element buffers padded with ones (in range, so
 * the padding does not call the reference, but for swiglu_oai with a limit
 * of 1 or less or an alpha outside the fast range: only time), on the
 * tail and a streaming
 * walk's aligning first piece: one inlined copy of the math per kernel.
 * Streaming walks write full vectors with non-temporal stores.
 */
#define GLK_F64_KERNELS(ACT, ACT_ENUM)                                                     \
  static void GLK_ISA_NAME(glk_f64_##ACT##_fwd_ukernel__)(                                 \
      size_t n, const void *v_, const void *g_, void *y_, const glk_ukernel_params *p) {   \
    const double *v = v_, *g = g_;                                                         \
    double *y = y_, bv[GLK_WD], bg[GLK_WD], by[GLK_WD];                                    \
    const size_t head = p->stream_stores ? vd_head(y) : SIZE_MAX;                          \
    const int nt = head != SIZE_MAX;                                                       \
    for (size_t i = 0, m; i < n; i += m) {                                                 \
      m = vd_piece(i, n, head, nt);                                                        \
      const double *pv = v + i, *pg = g + i;                                               \
      double *py = y + i;                                                                  \
      if (m < GLK_WD) {                                                                    \
        for (size_t j = 0; j < GLK_WD; j++) bv[j] = bg[j] = 1.0;                           \
        memcpy(bv, pv, m * sizeof *v), memcpy(bg, pg, m * sizeof *g);                      \
        pv = bv, pg = bg, py = by;                                                         \
      } else if (nt) {                                                                     \
        vd_prefetch(pv, GLK_WD), vd_prefetch(pg, GLK_WD);                                  \
      }                                                                                    \
      vd_put(py, vd_forward_step(ACT_ENUM, vd_load(pv), vd_load(pg), p), nt && m == GLK_WD); \
      if (m < GLK_WD) memcpy(y + i, by, m * sizeof *y);                                    \
    }                                                                                      \
    if (nt) vd_stream_fence();                                                             \
  }                                                                                        \
  static void GLK_ISA_NAME(glk_f64_##ACT##_fwd_pairs_ukernel__)(                           \
      size_t n, const void *x_, void *y_, const glk_ukernel_params *p) {                   \
    const double *x = x_;                                                                  \
    double *y = y_, bx[2 * GLK_WD], by[GLK_WD];                                            \
    const int gf = p->gate_first;                                                          \
    const size_t head = p->stream_stores ? vd_head(y) : SIZE_MAX;                          \
    const int nt = head != SIZE_MAX;                                                       \
    for (size_t i = 0, m; i < n; i += m) {                                                 \
      m = vd_piece(i, n, head, nt);                                                        \
      const double *px = x + 2 * i;                                                        \
      double *py = y + i;                                                                  \
      if (m < GLK_WD) {                                                                    \
        for (size_t j = 0; j < 2 * GLK_WD; j++) bx[j] = 1.0;                               \
        memcpy(bx, px, 2 * m * sizeof *x);                                                 \
        px = bx, py = by;                                                                  \
      } else if (nt) {                                                                     \
        vd_prefetch(px, 2 * GLK_WD);                                                       \
      }                                                                                    \
      vd first, second;                                                                    \
      vd_deinterleave(vd_load(px), vd_load(px + GLK_WD), &first, &second);                 \
      vd_put(py, vd_forward_step(ACT_ENUM, gf ? second : first, gf ? first : second, p),   \
             nt && m == GLK_WD);                                                           \
      if (m < GLK_WD) memcpy(y + i, by, m * sizeof *y);                                    \
    }                                                                                      \
    if (nt) vd_stream_fence();                                                             \
  }                                                                                        \
  static void GLK_ISA_NAME(glk_f64_##ACT##_bwd_ukernel__)(                                 \
      size_t n, const void *v_, const void *g_, const void *dy_, void *dv_, void *dg_,     \
      const glk_ukernel_params *p) {                                                       \
    const double *v = v_, *g = g_, *dy = dy_;                                              \
    double *dv = dv_, *dg = dg_;                                                           \
    double bv[GLK_WD], bg[GLK_WD], bdy[GLK_WD], bdv[GLK_WD], bdg[GLK_WD];                  \
    const size_t head = p->stream_stores ? vd_head2(dv, dg) : SIZE_MAX;                    \
    const int nt = head != SIZE_MAX;                                                       \
    for (size_t i = 0, m; i < n; i += m) {                                                 \
      m = vd_piece(i, n, head, nt);                                                        \
      const double *pv = v + i, *pg = g + i, *pdy = dy + i;                                \
      double *pdv = dv + i, *pdg = dg + i;                                                 \
      if (m < GLK_WD) { /* dv, dg may be v, g: read all before writing */                 \
        for (size_t j = 0; j < GLK_WD; j++) bv[j] = bg[j] = bdy[j] = bdv[j] = bdg[j] = 1.0; \
        memcpy(bv, pv, m * sizeof *v), memcpy(bg, pg, m * sizeof *g);                      \
        memcpy(bdy, pdy, m * sizeof *dy);                                                  \
        memcpy(bdv, pdv, m * sizeof *dv), memcpy(bdg, pdg, m * sizeof *dg);                \
        pv = bv, pg = bg, pdy = bdy, pdv = bdv, pdg = bdg;                                 \
      } else if (nt) {                                                                     \
        vd_prefetch(pv, GLK_WD), vd_prefetch(pg, GLK_WD), vd_prefetch(pdy, GLK_WD);        \
        if (p->accumulate) vd_prefetch(pdv, GLK_WD), vd_prefetch(pdg, GLK_WD);             \
      }                                                                                    \
      vd a, b;                                                                             \
      vd_backward_step(ACT_ENUM, vd_load(pv), vd_load(pg), vd_load(pdy), p, &a, &b);       \
      if (p->accumulate) a = vd_add(vd_load(pdv), a), b = vd_add(vd_load(pdg), b);         \
      vd_put(pdv, a, nt && m == GLK_WD), vd_put(pdg, b, nt && m == GLK_WD);                \
      if (m < GLK_WD) memcpy(dv + i, bdv, m * sizeof *dv), memcpy(dg + i, bdg, m * sizeof *dg); \
    }                                                                                      \
    if (nt) vd_stream_fence();                                                             \
  }                                                                                        \
  static void GLK_ISA_NAME(glk_f64_##ACT##_bwd_pairs_ukernel__)(                           \
      size_t n, const void *x_, const void *dy_, void *dx_, const glk_ukernel_params *p) { \
    const double *x = x_, *dy = dy_;                                                       \
    double *dx = dx_, bx[2 * GLK_WD], bdy[GLK_WD], bdx[2 * GLK_WD];                        \
    const int gf = p->gate_first;                                                          \
    /* 2W-element stores: dx aligned to W elements after an even head */                  \
    size_t head = p->stream_stores ? vd_head(dx) : SIZE_MAX;                               \
    if (head != SIZE_MAX && head % 2) head = SIZE_MAX;                                     \
    const int nt = head != SIZE_MAX;                                                       \
    for (size_t i = 0, m; i < n; i += m) {                                                 \
      m = vd_piece(i, n, nt ? head / 2 : 0, nt);                                           \
      const double *px = x + 2 * i, *pdy = dy + i;                                         \
      double *pdx = dx + 2 * i;                                                            \
      if (m < GLK_WD) { /* dx may be x */                                                 \
        for (size_t j = 0; j < 2 * GLK_WD; j++) bx[j] = bdx[j] = 1.0;                      \
        for (size_t j = 0; j < GLK_WD; j++) bdy[j] = 1.0;                                  \
        memcpy(bx, px, 2 * m * sizeof *x), memcpy(bdy, pdy, m * sizeof *dy);               \
        memcpy(bdx, pdx, 2 * m * sizeof *dx);                                              \
        px = bx, pdy = bdy, pdx = bdx;                                                     \
      } else if (nt) {                                                                     \
        vd_prefetch(px, 2 * GLK_WD), vd_prefetch(pdy, GLK_WD);                             \
        if (p->accumulate) vd_prefetch(pdx, 2 * GLK_WD);                                   \
      }                                                                                    \
      vd first, second, a, b, lo, hi;                                                      \
      vd_deinterleave(vd_load(px), vd_load(px + GLK_WD), &first, &second);                 \
      vd_backward_step(ACT_ENUM, gf ? second : first, gf ? first : second, vd_load(pdy), p, \
                       &a, &b);                                                            \
      vd_interleave(gf ? b : a, gf ? a : b, &lo, &hi); /* a: d(value), b: d(gate) */       \
      if (p->accumulate) lo = vd_add(vd_load(pdx), lo), hi = vd_add(vd_load(pdx + GLK_WD), hi); \
      vd_put(pdx, lo, nt && m == GLK_WD), vd_put(pdx + GLK_WD, hi, nt && m == GLK_WD);     \
      if (m < GLK_WD) memcpy(dx + 2 * i, bdx, 2 * m * sizeof *dx);                         \
    }                                                                                      \
    if (nt) vd_stream_fence();                                                             \
  }

GLK_F64_KERNELS(glu, GLK_ACT_GLU)
GLK_F64_KERNELS(swiglu, GLK_ACT_SWIGLU)
GLK_F64_KERNELS(geglu, GLK_ACT_GEGLU)
GLK_F64_KERNELS(reglu, GLK_ACT_REGLU)
GLK_F64_KERNELS(bilinear, GLK_ACT_BILINEAR)
GLK_F64_KERNELS(geglu_tanh, GLK_ACT_GEGLU_TANH)
GLK_F64_KERNELS(geglu_quick, GLK_ACT_GEGLU_QUICK)
GLK_F64_KERNELS(swiglu_oai, GLK_ACT_SWIGLU_OAI)

/* Puts this ISA's f64 kernels into t (the other variants keep t's). */
void GLK_ISA_NAME(glk_simd_fill_f64_)(glk_kernel_table *t) {
#define GLK_FILL_F64(ACT, E)                                                \
  t->set[GLK_DTYPE_F64][E] = (glk_kernel_set){                              \
      GLK_ISA_NAME(glk_f64_##ACT##_fwd_ukernel__),                          \
      GLK_ISA_NAME(glk_f64_##ACT##_fwd_pairs_ukernel__),                    \
      GLK_ISA_NAME(glk_f64_##ACT##_bwd_ukernel__),                          \
      GLK_ISA_NAME(glk_f64_##ACT##_bwd_pairs_ukernel__), NULL};
  GLK_FILL_F64(glu, GLK_ACT_GLU)
  GLK_FILL_F64(swiglu, GLK_ACT_SWIGLU)
  GLK_FILL_F64(geglu, GLK_ACT_GEGLU)
  GLK_FILL_F64(reglu, GLK_ACT_REGLU)
  GLK_FILL_F64(bilinear, GLK_ACT_BILINEAR)
  GLK_FILL_F64(geglu_tanh, GLK_ACT_GEGLU_TANH)
  GLK_FILL_F64(geglu_quick, GLK_ACT_GEGLU_QUICK)
  GLK_FILL_F64(swiglu_oai, GLK_ACT_SWIGLU_OAI)
#undef GLK_FILL_F64
}
