/*
 * The GLU family in f32 vectors, written once against the thin vector layer
 * (vec_<isa>.h, included first), and the microkernels built from it for
 * f32, f16 and bf16 storage. Included by one translation unit per (ISA,
 * dtype), compiled with that ISA's flags; it defines
 * glk_simd_fill_<dtype>_<isa>(), which puts its kernels into a kernel table.
 *
 * Accuracy rules (the scalar reference, in double, is the oracle):
 * - every exp has an argument <= 0 (e^-|x|), so nothing overflows and
 *   deep tails come out as the subnormals they are;
 * - where an argument is a product (b*g, g^2, the tanh-GELU cubic), its
 *   rounding error is carried as a low part and applied as e^-lo ~ 1 - lo,
 *   because e^x's relative error grows like |x| times the argument's;
 * - x * sigmoid(bx), GELU and their derivatives take their limits at
 *   infinite x (see the README's numerics), with the same selects as the
 *   reference so special values match bit for bit.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/gate_table.h"
#include "kernels/ukernel.h"

#define GLK_PASTE_(a, b) a##b
#define GLK_PASTE(a, b) GLK_PASTE_(a, b)
#define GLK_ISA_NAME(name) GLK_PASTE(name, GLK_ISA_SUFFIX)

/* ---- per-call constants ------------------------------------------------- */

typedef struct simd_consts {
  vf alpha_hi, alpha_lo; /* swiglu_oai's alpha as a float pair */
  vf limit, neg_limit;
  const float *table, *dtable; /* glk_ukernel_params.act_table, dact_table */
} simd_consts;

GLK_VINLINE simd_consts simd_consts_of(const glk_ukernel_params *p) {
  simd_consts k;
  const float hi = (float)p->alpha;
  k.alpha_hi = vf_set1(hi);
  k.alpha_lo = vf_set1((float)(p->alpha - (double)hi));
  /* The clamp limit rounded to f32 (it is compared with f32 values). */
  k.limit = vf_set1((float)p->limit);
  k.neg_limit = vf_set1(-(float)p->limit);
  k.table = p->act_table;
  k.dtable = p->dact_table;
  return k;
}

GLK_VINLINE vf v0(void) { return vf_set1(0.0f); }
GLK_VINLINE vf v1(void) { return vf_set1(1.0f); }

#ifndef GLK_VEC_HAS_CLASS /* the layer has no class test: compares */
/* Finite, normal and nonzero, lane by lane (FLT_MIN itself counts out). */
GLK_VINLINE vm vf_normal(vf x) {
  const vf a = vf_abs(x);
  return vm_and(vf_lt(vf_set1(0x1p-126f), a), vf_lt(a, vf_set1(INFINITY)));
}
/* Finite and nonzero (subnormals in) */
GLK_VINLINE vm vf_finite_nonzero(vf x) {
  const vf a = vf_abs(x);
  return vm_and(vf_lt(vf_set1(0.0f), a), vf_lt(a, vf_set1(INFINITY)));
}
#endif


/* ---- e^-|x| with its deep tail kept ----------------------------------------
 *
 * A product such as v * x * e^x must reach the subnormals (or 0) with one
 * rounding, whatever the size of v and x. So where e^-|x| < 2^-100 ("deep"
 * lanes) it is also returned as m * 2^n with m ~ 1: the caller forms its
 * product with m and applies 2^n last (v_finish), through the product's own
 * exponent, so nothing underflows or overflows on the way.
 */
typedef struct vexp {
  vf e;    /* e^-|x|, rounded once (0 when below half the least subnormal) */
  vf es;   /* deep lanes: m, with e^-|x| = m 2^en; others: e */
  vf en;   /* deep lanes: n (integral, <= -100); others: 0 */
  vm deep; /* e^-|x| < 2^-100 */
} vexp;

/* Beyond e^-400 = 2^-577 every product of up to three f32 factors is 0. */
#define GLK_EXP_ARG_LIMIT 400.0f

/* e^-|hi + lo| for lo tiny against hi (lo = 0: an exact argument). About
 * 1 ULP. NaN passes. */
GLK_VINLINE vexp v_exp_neg_abs(vf hi, vf lo, int has_lo) {
  const vf x0 = vf_neg(vf_abs(hi));
  const vf x = vf_max_c(x0, vf_set1(-GLK_EXP_ARG_LIMIT));
  const vf n = vf_round(vf_mul(x, vf_set1(0x1.715476p+0f)));
  vf r = vf_fnma(n, vf_set1(0x1.62e4p-1f), x); /* x - n ln2, in two parts */
  r = vf_fnma(n, vf_set1(0x1.7f7d1cp-20f), r);
  if (has_lo) {
    /* e^(x - sign lo): the low part joins r (where x was clamped, lo may be
     * as huge as x and the result is 0 anyway) */
    const vm beyond = vf_lt(x0, vf_set1(-GLK_EXP_ARG_LIMIT));
    lo = vf_select(beyond, v0(), vf_select(vf_lt(hi, v0()), vf_neg(lo), lo));
    r = vf_sub(r, lo);
  }
  vf p = vf_set1(0x1.687bf6p-10f);
  p = vf_fma(p, r, vf_set1(0x1.123b9ep-7f));
  p = vf_fma(p, r, vf_set1(0x1.555b58p-5f));
  p = vf_fma(p, r, vf_set1(0x1.55548ep-3f));
  p = vf_fma(p, r, vf_set1(0x1.fffff8p-2f));
  const vf m = vf_add(v1(), vf_fma(vf_mul(r, r), p, r));
  vexp out;
  /* The value is only ever used where it is above 2^-100 or where a tiny
   * value and 0 act alike (1 + e, 1 - e Q, k e / (1 + e) beside 1): below
   * 2^-126 it is 0; deep lanes use m and n. */
  const vf lowest = vf_set1(-126.0f);
  out.e = vf_select(vf_lt(n, lowest), v0(), vf_mul(m, vf_pow2i(vf_max_c(n, lowest))));
  out.deep = vf_lt(n, vf_set1(-100.0f));
  out.es = vf_select(out.deep, m, out.e);
  out.en = vf_select(out.deep, n, v0());
  return out;
}

/*
 * f * w * w2, and in the lanes of `mask` times 2^en as well. Deep lanes form
 * the product in f64 (no intermediate can overflow or underflow there) and
 * round it to f32 once. Gradients (w2 = v, w = dy) do that in every lane,
 * since dy and v may lie at opposite ends of f32's range; forwards have
 * w2 = 1 and need it only in the deep lanes.
 */
GLK_VINLINE vf v_finish(vf f, vf w, vf w2, const vexp *ex, vm mask) {
  const vf r = vf_mul(vf_mul(f, w), w2);
  if (!vm_any(mask)) return r; /* the usual case: no deep lane */
  return vf_select(mask, vf_mul3_pow2(f, w, w2, ex->en), r);
}

/* The gradient's f * dy * v: in f32 where that is exact up to its
 * roundings, in f64 in the lanes where the first product underflowed (or is
 * 0) or either product overflowed, no factor being NaN: f64 then gives the
 * exact product's 0, infinity or sign (an f32 dy f that overflows meets a
 * v = 0, or one that underflows meets an infinite v, as in the reference). */
GLK_VINLINE vf v_finish_grad(vf f, vf w, vf w2, const vexp *ex, vm mask) {
  const vf p = vf_mul(f, w), r = vf_mul(p, w2);
  const vf inf = vf_set1(INFINITY);
  const vm under = vm_and(vf_lt(vf_abs(p), vf_set1(FLT_MIN)),
                          vm_and(vf_lt(v0(), vf_abs(f)), vf_lt(v0(), vf_abs(w))));
  const vm lost = vm_or(under, vm_or(vf_eq(vf_abs(p), inf), vf_eq(vf_abs(r), inf)));
  const vm fix = vm_or(mask, vm_and(lost, vm_and(vm_and(vf_eq(f, f), vf_eq(w, w)), vf_eq(w2, w2))));
  if (!vm_any(fix)) return r;
  const vf en = ex ? vf_select(mask, ex->en, v0()) : v0();
  return vf_select(fix, vf_mul3_pow2(f, w, w2, en), r);
}

/* The deep tails' numerators: x clamped to +-2^100 (beyond, e^bx is 0). */
GLK_VINLINE vf v_clamp_deep(vf x) {
  return vf_max_c(vf_min_c(x, vf_set1(0x1p100f)), vf_set1(-0x1p100f));
}

/* x with infinities clamped to +-FLT_MAX, for products that meet a 0. */
GLK_VINLINE vf v_finite(vf x) {
  return vf_max_c(vf_min_c(x, vf_set1(FLT_MAX)), vf_set1(-FLT_MAX));
}

/* Turns -0 into +0 and leaves everything else as it is. */
GLK_VINLINE vf v_plus_zero(vf x) { return vf_add(x, v0()); }

/* ---- sigmoid(s), s = b x: shared by glu, swiglu, quick GELU, tanh GELU ----- */

typedef struct sig_parts {
  vexp ex; /* e^-|s| */
  vf den;  /* 1 + e */
  vf s;    /* s (high part) */
  vm neg;  /* s < 0 */
  vm fin;  /* s < 0 and deep: where a product with e^-|s| must be finished */
  vm inf;  /* the gate is infinite: e^-|s| is exactly 0 (elsewhere it stays
            * nonzero, its argument clamped at -400, as the reference keeps
            * its underflowed factors, so inf times it is inf) */
} sig_parts;

GLK_VINLINE sig_parts v_sig_parts2(vf s_hi, vf s_lo, int has_lo, vm inf) {
  sig_parts q;
  q.inf = inf;
  q.s = s_hi;
  q.ex = v_exp_neg_abs(s_hi, s_lo, has_lo);
  q.den = vf_add(v1(), q.ex.e);
  q.neg = vf_lt(s_hi, v0());
  q.fin = vm_and(q.neg, q.ex.deep);
  return q;
}

/* s = b x with b = b_hi + b_lo (b_is_one: b = 1 exactly). */
GLK_VINLINE sig_parts v_sig_parts(vf x, vf b_hi, vf b_lo, int b_is_one) {
  const vm inf = vf_eq(vf_abs(x), vf_set1(INFINITY));
  if (b_is_one) return v_sig_parts2(x, v0(), 0, inf);
  const vf s = vf_mul(b_hi, x);
  return v_sig_parts2(s, vf_fma(b_lo, x, vf_fma(b_hi, x, vf_neg(s))), 1, inf);
}

/* num / (1 + e) */
GLK_VINLINE vf v_over_den(vf num, const sig_parts *q) {
  return vf_div(num, q->den);
}

/*
 * The v_mul_* helpers compute f(...) * w * w2: f first (it is O(1) or O(x)),
 * then the multipliers, then the deep-tail scaling. Gradients pass dy as w
 * and v as w2, so no intermediate such as dy * v or x * v is formed that can
 * overflow where the result does not.
 */

/* w sigmoid(s) w2 = (s < 0 ? w e : w) / (1 + e) w2 */
GLK_VINLINE vf v_mul_sig(vf w, vf w2, const sig_parts *q) {
  const vf f = vf_select(vm_and(q->neg, q->inf), v0(),
                         v_over_den(vf_select(q->neg, q->ex.es, v1()), q));
  return v_finish(f, w, w2, &q->ex, q->fin);
}

/* w x sigmoid(s) w2 = (s < 0 ? x e w : x w) / (1 + e) w2; x e never meets
 * inf * 0. Deep lanes keep e^-|s| nonzero (its argument clamped at -400),
 * as the reference keeps its factor: an infinite w gives the exact inf. */
GLK_VINLINE vf v_mul_xsig(vf w, vf w2, vf x, const sig_parts *q) {
  vf f = v_over_den(vf_select(q->neg, vf_mul(v_clamp_deep(x), q->ex.es), x), q);
  f = vf_select(vm_and(q->neg, q->inf), vf_mul(v_finite(x), v0()), f); /* signed 0 */
  return v_finish(f, w, w2, &q->ex, q->fin);
}

/* w sigmoid'(s) w2 = w e / (1 + e)^2 w2 */
GLK_VINLINE vf v_mul_dsig(vf w, vf w2, const sig_parts *q) {
  const vf f = vf_select(q->inf, v0(), v_over_den(v_over_den(q->ex.es, q), q));
  return v_finish_grad(f, w, w2, &q->ex, q->ex.deep);
}

/*
 * w d/dx[x sigmoid(s)] with ds/dx = b: sigmoid(s) + k sigmoid(s) sigmoid(-s),
 * k = x ds/dx (= s for x sigmoid(bx)). Over the common 1/(1+e):
 *   s < 0: e (1 + k/(1+e)),  s >= 0: 1 + k e/(1+e);
 * a factor that is exactly 0 gives +0, like the reference's 0 derivative.
 */
GLK_VINLINE vf v_mul_dxsig(vf w, vf w2, vf k, const sig_parts *q) {
  const vf kf = v_finite(k);
  const vf neg = vf_mul(q->ex.es, vf_add(v1(), v_over_den(kf, q)));
  const vf pos = vf_add(v1(), v_over_den(vf_mul(kf, q->ex.e), q));
  vf num = v_plus_zero(vf_select(q->neg, neg, pos));
  num = vf_select(vm_and(q->neg, q->inf), v0(), num);
  return v_finish_grad(v_over_den(num, q), w, w2, &q->ex, q->fin);
}

/* ---- GELU (erf) ------------------------------------------------------------ */

/*
 * Phi(-a) = e^(-a^2/2) Q(a), a = |g|, with Q(a) = t P(t), t = 3/(3 + a), P of
 * degree 10 fitted to Mills' ratio on [0, 14.5] (fit error 1e-9 relative).
 * a^2 is carried as hi + lo into the exponential.
 */
typedef struct gelu_parts {
  vexp ex; /* e^(-g^2/2) */
  vf q;    /* Q(|g|) */
  vm neg;  /* g < 0 */
  vm inf;  /* g is infinite: e^(-g^2/2) is exactly 0 (elsewhere nonzero) */
} gelu_parts;

GLK_VINLINE gelu_parts v_gelu_parts(vf g) {
  gelu_parts r;
  const vf a = vf_min_c(vf_abs(g), vf_set1(28.0f)); /* e^-392: 0 in any product */
  const vf h = vf_mul(a, a);
  r.ex = v_exp_neg_abs(vf_mul(h, vf_set1(0.5f)),
                       vf_mul(vf_fma(a, a, vf_neg(h)), vf_set1(0.5f)), 1);
  const vf t = vf_div(vf_set1(3.0f), vf_add(vf_set1(3.0f), a));
  vf p = vf_set1(0x1.34f6f4p-6f);
  p = vf_fma(p, t, vf_set1(-0x1.def414p-4f));
  p = vf_fma(p, t, vf_set1(0x1.2c2de6p-2f));
  p = vf_fma(p, t, vf_set1(-0x1.6f8e22p-2f));
  p = vf_fma(p, t, vf_set1(0x1.a6bfb8p-3f));
  p = vf_fma(p, t, vf_set1(-0x1.6be20ep-4f));
  p = vf_fma(p, t, vf_set1(0x1.420bbep-4f));
  p = vf_fma(p, t, vf_set1(0x1.532c1ep-4f));
  p = vf_fma(p, t, vf_set1(0x1.e738ecp-4f));
  p = vf_fma(p, t, vf_set1(0x1.103b68p-3f));
  p = vf_fma(p, t, vf_set1(0x1.105926p-3f));
  r.q = vf_mul(t, p);
  r.neg = vf_lt(g, v0());
  r.inf = vf_eq(vf_abs(g), vf_set1(INFINITY));
  return r;
}

/* w g Phi(g) w2: g < 0: g e Q w w2 (scaled); g >= 0: g w (1 - e Q) w2. */
GLK_VINLINE vf v_mul_gelu(vf w, vf w2, vf g, const gelu_parts *r) {
  const vf neg = vf_select(r->inf, vf_mul(v_finite(g), v0()),
                           vf_mul(vf_mul(v_clamp_deep(g), r->ex.es), r->q));
  const vf pos = vf_mul(vf_mul(vf_mul(vf_fnma(r->ex.e, r->q, v1()), g), w), w2);
  return vf_select(r->neg, v_finish(neg, w, w2, &r->ex, r->ex.deep), pos);
}

/* w (Phi(g) + g phi(g)), phi = e/sqrt(2 pi): g < 0: e (Q + g/sqrt(2pi)). */
GLK_VINLINE vf v_mul_dgelu(vf w, vf w2, vf g, const gelu_parts *r) {
  const vf c = vf_set1(0x1.988454p-2f); /* 1/sqrt(2 pi) */
  const vf gf = v_finite(g);
  const vf neg = vf_select(r->inf, v0(),
                           v_plus_zero(vf_mul(r->ex.es, vf_fma(v_clamp_deep(g), c, r->q))));
  const vf pos = vf_add(vf_fnma(r->ex.e, r->q, v1()), vf_mul(vf_mul(gf, c), r->ex.e));
  return v_finish_grad(vf_select(r->neg, neg, pos), w, w2, &r->ex,
                       vm_and(r->neg, r->ex.deep));
}

/* ---- GELU (tanh) ------------------------------------------------------------ */

/* 2u = g (2k + 2kc g^2), k = sqrt(2/pi), c = 0.044715, carried as hi + lo
 * (the constants too), so e^-|2u| keeps its accuracy in the tail. */
GLK_VINLINE sig_parts v_gelu_tanh_parts(vf g) {
  const vf c0h = vf_set1(0x1.988454p+0f), c0l = vf_set1(-0x1.857936p-25f);
  const vf c1h = vf_set1(0x1.2444f2p-4f), c1l = vf_set1(0x1.49b16ap-29f);
  const vf gc = vf_min_c(vf_max_c(g, vf_set1(-1e12f)), vf_set1(1e12f)); /* no inf - inf */
  const vf h = vf_mul(gc, gc), hl = vf_fma(gc, gc, vf_neg(h));
  const vf ph = vf_mul(c1h, h);
  const vf pl = vf_fma(c1h, hl, vf_fma(c1l, h, vf_fma(c1h, h, vf_neg(ph))));
  const vf ih = vf_add(c0h, ph); /* two-sum c0h + ph */
  const vf bb = vf_sub(ih, c0h);
  const vf il = vf_add(vf_add(vf_sub(c0h, vf_sub(ih, bb)), vf_sub(ph, bb)), vf_add(pl, c0l));
  const vf uh = vf_mul(gc, ih);
  const vf ul = vf_fma(gc, il, vf_fma(gc, ih, vf_neg(uh)));
  return v_sig_parts2(uh, ul, 1, vf_eq(vf_abs(g), vf_set1(INFINITY)));
}

/* k = g d(2u)/dg = g (2k + 6kc g^2) */
GLK_VINLINE vf v_gelu_tanh_k(vf g) {
  const vf gf = v_finite(g);
  return vf_mul(gf, vf_fma(vf_set1(0x1.b6676cp-3f), vf_mul(gf, gf), vf_set1(0x1.988454p+0f)));
}

/* ---- the variants ---------------------------------------------------------- */

GLK_VINLINE vf v_relu(vf g) { return vf_select(vf_lt(g, v0()), v0(), g); }
/* 1 for g > 0, +0 otherwise, NaN for NaN: |0 * g| is +0 or NaN. */
GLK_VINLINE vf v_drelu(vf g) {
  return vf_select(vf_gt(g, v0()), v1(), vf_abs(vf_mul(v_finite(g), v0())));
}
/* 1, or NaN for NaN. */
GLK_VINLINE vf v_one_or_nan(vf g) { return vf_add(v1(), vf_abs(vf_mul(v_finite(g), v0()))); }

#define GLK_SIMD_ACTS(X)                                 \
  X(glu, GLK_ACT_GLU) X(swiglu, GLK_ACT_SWIGLU)          \
  X(geglu, GLK_ACT_GEGLU) X(geglu_tanh, GLK_ACT_GEGLU_TANH) \
  X(geglu_quick, GLK_ACT_GEGLU_QUICK) X(reglu, GLK_ACT_REGLU) \
  X(bilinear, GLK_ACT_BILINEAR) X(swiglu_oai, GLK_ACT_SWIGLU_OAI)

GLK_VINLINE sig_parts v_quick_parts(vf g) {
  return v_sig_parts(g, vf_set1(0x1.b3b646p+0f), vf_set1(-0x1.78d4fep-26f), 0);
}

#include "kernels/simd/glu_simd_fast.h"

/* y = v act(g); swiglu_oai: y = (v' + 1) act(g'). The general code, for
 * every lane; v_forward takes the fast path where it can. */
GLK_VINLINE vf v_forward_exact(glk_act act, vf v, vf g, const simd_consts *k) {
  switch (act) {
    case GLK_ACT_GLU: {
      const sig_parts q = v_sig_parts(g, v1(), v0(), 1);
      return v_mul_sig(v, v1(), &q);
    }
    case GLK_ACT_SWIGLU: {
      const sig_parts q = v_sig_parts(g, v1(), v0(), 1);
      return v_mul_xsig(v, v1(), g, &q);
    }
    case GLK_ACT_GEGLU: {
      const gelu_parts r = v_gelu_parts(g);
      return v_mul_gelu(v, v1(), g, &r);
    }
    case GLK_ACT_GEGLU_TANH: {
      const sig_parts q = v_gelu_tanh_parts(g);
      return v_mul_xsig(v, v1(), g, &q);
    }
    case GLK_ACT_GEGLU_QUICK: {
      const sig_parts q = v_quick_parts(g);
      return v_mul_xsig(v, v1(), g, &q);
    }
    case GLK_ACT_REGLU: return vf_mul(v, v_relu(g));
    case GLK_ACT_BILINEAR: return vf_mul(v, g);
    case GLK_ACT_SWIGLU_OAI: {
      const vf gc = vf_min_c(g, k->limit);
      const vf vc = vf_min_c(vf_max_c(v, k->neg_limit), k->limit);
      const sig_parts q = v_sig_parts(gc, k->alpha_hi, k->alpha_lo, 0);
      return v_mul_xsig(vf_add(vc, v1()), v1(), gc, &q);
    }
  }
  return v;
}

/* dv = dy act(g), dg = dy v act'(g) (swiglu_oai: with its clamps). */
GLK_VINLINE void v_backward_exact(glk_act act, vf v, vf g, vf dy, const simd_consts *k,
                              vf *dv, vf *dg) {
  switch (act) {
    case GLK_ACT_GLU: {
      const sig_parts q = v_sig_parts(g, v1(), v0(), 1);
      *dv = v_mul_sig(dy, v1(), &q);
      *dg = v_mul_dsig(dy, v, &q);
      return;
    }
    case GLK_ACT_SWIGLU: {
      const sig_parts q = v_sig_parts(g, v1(), v0(), 1);
      *dv = v_mul_xsig(dy, v1(), g, &q);
      *dg = v_mul_dxsig(dy, v, g, &q);
      return;
    }
    case GLK_ACT_GEGLU: {
      const gelu_parts r = v_gelu_parts(g);
      *dv = v_mul_gelu(dy, v1(), g, &r);
      *dg = v_mul_dgelu(dy, v, g, &r);
      return;
    }
    case GLK_ACT_GEGLU_TANH: {
      const sig_parts q = v_gelu_tanh_parts(g);
      *dv = v_mul_xsig(dy, v1(), g, &q);
      *dg = v_mul_dxsig(dy, v, v_gelu_tanh_k(g), &q);
      return;
    }
    case GLK_ACT_GEGLU_QUICK: {
      const sig_parts q = v_quick_parts(g);
      *dv = v_mul_xsig(dy, v1(), g, &q);
      *dg = v_mul_dxsig(dy, v, q.s, &q);
      return;
    }
    case GLK_ACT_REGLU:
      *dv = vf_mul(dy, v_relu(g));
      *dg = v_finish_grad(v_drelu(g), dy, v, NULL, vf_lt(v0(), v0()));
      return;
    case GLK_ACT_BILINEAR:
      *dv = vf_mul(dy, g);
      *dg = v_finish_grad(v_one_or_nan(g), dy, v, NULL, vf_lt(v0(), v0()));
      return;
    case GLK_ACT_SWIGLU_OAI: {
      const vf gc = vf_min_c(g, k->limit);
      const vf vc = vf_min_c(vf_max_c(v, k->neg_limit), k->limit);
      const sig_parts q = v_sig_parts(gc, k->alpha_hi, k->alpha_lo, 0);
      const vm v_out = vm_or(vf_gt(v, k->limit), vf_lt(v, k->neg_limit));
      /* the clamp's derivative is NaN at a NaN v */
      /* NaN v: its quiet NaN (v + 0 quiets a signalling one) */
      *dv = vf_select(v_out, v0(),
                      vf_select(vf_eq(v, v), v_mul_xsig(dy, v1(), gc, &q), vf_add(v, v0())));
      *dg = vf_select(vf_gt(g, k->limit), v0(),
                      v_mul_dxsig(dy, vf_add(vc, v1()), q.s, &q));
      return;
    }
  }
  *dv = dy, *dg = dy;
}

/* The fast path where every lane is in its range, else the general code in
 * the lanes outside it (glu_simd_fast.h). */
GLK_VINLINE vf v_forward_general(glk_act act, vf v, vf g, const simd_consts *k) {
  vf y;
  vm ok;
  const int fast = v_forward_fast(act, v, g, k, &y, &ok);
  if (fast == 2) return y;
  if (!fast) return v_forward_exact(act, v, g, k);
  if (vm_all(ok)) return y;
  return vf_select(ok, y, v_forward_exact(act, v, g, k));
}

GLK_VINLINE vf v_forward(glk_act act, vf v, vf g, const simd_consts *k) {
  if (act == GLK_ACT_GLU || act == GLK_ACT_SWIGLU) {
    /* their plain lanes take v_glu_core_w's one division in every vector
     * (swiglu's numerator v g as hi + lo): its bits differ from the
     * general code's in rare lanes, and a lane's bits may not depend on
     * its neighbours (nor on the ISA's width) */
    const int swiglu = act == GLK_ACT_SWIGLU;
    const vf2 w = swiglu ? vf2_mul11(v, g) : vf2_make(v, v0());
    const vm plain = v_glu_plain_lanes(w.hi, g);
    const vf y = v_glu_core_w(w, swiglu, g, 1);
    if (vm_all(plain)) return y;
    return vf_select(plain, y, v_forward_general(act, v, g, k));
  }
  if (act == GLK_ACT_GEGLU) {
    /* likewise: |g| < 2.99 takes Phi from its own pieces (no E, no Q) */
    const vf2 x = vf2_mul11(v, g);
    const vm plain = v_gelu_phi_lanes(x.hi, g);
    const vf y = v_gelu_phi_forward(x, g);
    if (vm_all(plain)) return y;
    return vf_select(plain, y, v_forward_general(act, v, g, k));
  }
  return v_forward_general(act, v, g, k);
}

GLK_VINLINE void v_backward_general(glk_act act, vf v, vf g, vf dy, const simd_consts *k,
                                    vf *dv, vf *dg) {
  vf a, b, sa, sb;
  vm ok_a, ok_b;
  const int fast = v_backward_fast(act, v, g, dy, k, &a, &b, &ok_a, &ok_b);
  if (!fast) {
    v_backward_exact(act, v, g, dy, k, dv, dg);
    return;
  }
  if (fast == 1 && !vm_all(vm_and(ok_a, ok_b))) {
    v_backward_exact(act, v, g, dy, k, &sa, &sb);
    a = vf_select(ok_a, a, sa);
    b = vf_select(ok_b, b, sb);
  }
  *dv = a;
  *dg = b;
}

GLK_VINLINE void v_backward(glk_act act, vf v, vf g, vf dy, const simd_consts *k, vf *dv,
                            vf *dg) {
  if (act == GLK_ACT_GLU || act == GLK_ACT_SWIGLU) {
    /* as v_forward: the plain lanes take v_glu_bwd_core in every vector */
    const int swiglu = act == GLK_ACT_SWIGLU;
    const vm plain = v_glu_bwd_plain_lanes(swiglu, v, g, dy);
    vf pv, pg;
    v_glu_bwd_core(swiglu, v, g, dy, &pv, &pg);
    if (vm_all(plain)) {
      *dv = pv, *dg = pg;
      return;
    }
    v_backward_general(act, v, g, dy, k, dv, dg);
    *dv = vf_select(plain, pv, *dv), *dg = vf_select(plain, pg, *dg);
    return;
  }
  v_backward_general(act, v, g, dy, k, dv, dg);
}

#include "kernels/simd/glu_simd_screen.h"
/* The forward and backward per storage type: the 16-bit types' first
 * passes are in glu_simd_screen.h */
GLK_VINLINE vf v_forward_f32(glk_act act, vf v, vf g, const simd_consts *k) {
  return v_forward(act, v, g, k);
}
/* The same, telling whether every lane is known normal (the screens of
 * glu_simd_screen.h); nt: a streaming loop's call (f16 then skips its
 * screen) */
GLK_VINLINE int v_forward_f32_n(glk_act act, vf v, vf g, const simd_consts *k, int nt, vf *y) {
  (void)nt;
  *y = v_forward(act, v, g, k);
  return 0;
}
/* The backward likewise (acc: the outputs are added to; bf16 then skips
 * its first pass) */
GLK_VINLINE int v_backward_f32(glk_act act, vf v, vf g, vf dy, const simd_consts *k, int acc,
                               vf *dv, vf *dg) {
  (void)acc;
  v_backward(act, v, g, dy, k, dv, dg);
  return 0;
}
GLK_VINLINE int v_backward_f16(glk_act act, vf v, vf g, vf dy, const simd_consts *k, int acc,
                               vf *dv, vf *dg) {
  (void)acc;
  v_backward(act, v, g, dy, k, dv, dg);
  return 0;
}

/* ---- storage: W elements of each dtype in and out of f32 vectors ---------- */

GLK_VINLINE void stnt_f32(float *p, vf x) { vf_stream_f32(p, x); }
GLK_VINLINE void stnt_f16(uint16_t *p, vf x) { vf_stream_f16(p, x); }
GLK_VINLINE void stnt_bf16(uint16_t *p, vf x) { vf_stream_bf16(p, x); }

/* Elements before `y` reaches the alignment of a W-element store, or
 * SIZE_MAX when it never can (y not even element-aligned). */
GLK_VINLINE size_t v_head(const void *y, size_t esize) {
  const size_t vbytes = GLK_W * esize, off = (uintptr_t)y % vbytes;
  if (off % esize) return SIZE_MAX;
  return off ? (vbytes - off) / esize : 0;
}

GLK_VINLINE vf ld_f32(const float *p) { return vf_load(p); }
GLK_VINLINE void st_f32(float *p, vf x) { vf_store(p, x); }
GLK_VINLINE vf ld_f16(const uint16_t *p) { return vf_load_f16(p); }
GLK_VINLINE void st_f16(uint16_t *p, vf x) { vf_store_f16(p, x); }
GLK_VINLINE vf ld_bf16(const uint16_t *p) { return vf_load_bf16(p); }
GLK_VINLINE void st_bf16(uint16_t *p, vf x) { vf_store_bf16(p, x); }
/* W pairs (2W elements) at p: the first and the second element of each */
GLK_VINLINE void ldpairs_f32(const float *p, vf *first, vf *second) {
  vf_deinterleave(ld_f32(p), ld_f32(p + GLK_W), first, second);
}
GLK_VINLINE void ldpairs_f16(const uint16_t *p, vf *first, vf *second) {
  vf_deinterleave(ld_f16(p), ld_f16(p + GLK_W), first, second);
}
GLK_VINLINE void ldpairs_bf16(const uint16_t *p, vf *first, vf *second) {
  vf_load_bf16_pairs(p, first, second);
}
/* The full vectors of the halves kernels, whose loads and stores all pair
 * up within one loop step: there the layer may order the lanes its own way
 * (bf16 with AVX512_BF16: even and odd elements, vec_x2.h), the math being
 * lane by lane. normal: every lane of x known to be a normal number
 * (v_forward_bf16_n), so a store may skip its subnormal test. */
#ifdef GLK_VEC_HAS_BF16_EO
GLK_VINLINE vf ldh_bf16(const uint16_t *p) { return vf_load_bf16_eo(p); }
GLK_VINLINE void sth_bf16(uint16_t *p, vf x, int normal) { vf_put_bf16_eo(p, x, normal, 0); }
GLK_VINLINE void stnth_bf16(uint16_t *p, vf x, int normal) { vf_put_bf16_eo(p, x, normal, 1); }
#else
GLK_VINLINE vf ldh_bf16(const uint16_t *p) { return ld_bf16(p); }
GLK_VINLINE void sth_bf16(uint16_t *p, vf x, int normal) { (void)normal, st_bf16(p, x); }
GLK_VINLINE void stnth_bf16(uint16_t *p, vf x, int normal) { (void)normal, stnt_bf16(p, x); }
#endif
/* W pairs (first, second) stored at p, with nt through non-temporal stores
 * and with acc added to the pairs there: interleaved in registers, or
 * (GLK_VEC_HAS_BF16_EO) rounded and interleaved at once by the layer */
#define GLK_PAIRS_STORE(DT, T)                                                         \
  GLK_VINLINE void stpairs_##DT(T *p, vf first, vf second, int acc, int nt) {         \
    vf lo, hi;                                                                        \
    vf_interleave(first, second, &lo, &hi);                                           \
    if (acc) lo = vf_add(ld_##DT(p), lo), hi = vf_add(ld_##DT(p + GLK_W), hi);        \
    if (nt)                                                                           \
      stnt_##DT(p, lo), stnt_##DT(p + GLK_W, hi);                                     \
    else                                                                              \
      st_##DT(p, lo), st_##DT(p + GLK_W, hi);                                         \
  }
GLK_PAIRS_STORE(f32, float)
GLK_PAIRS_STORE(f16, uint16_t)
#ifdef GLK_VEC_HAS_BF16_EO
GLK_VINLINE void stpairs_bf16(uint16_t *p, vf first, vf second, int acc, int nt) {
  if (acc) {
    vf a, b;
    vf_load_bf16_pairs(p, &a, &b);
    first = vf_add(a, first), second = vf_add(b, second);
  }
  /* nt a constant in each call (the code of one store per branch, as the
   * compiler laid it out before the two were one function) */
  if (nt)
    vf_put_bf16_pairs(p, first, second, 0, 1);
  else
    vf_put_bf16_pairs(p, first, second, 0, 0);
}
#else
GLK_PAIRS_STORE(bf16, uint16_t)
#endif
GLK_VINLINE vf ldh_f32(const float *p) { return ld_f32(p); }
GLK_VINLINE void sth_f32(float *p, vf x, int normal) { (void)normal, st_f32(p, x); }
GLK_VINLINE void stnth_f32(float *p, vf x, int normal) { (void)normal, stnt_f32(p, x); }
GLK_VINLINE vf ldh_f16(const uint16_t *p) { return ld_f16(p); }
GLK_VINLINE void sth_f16(uint16_t *p, vf x, int normal) { (void)normal, st_f16(p, x); }
GLK_VINLINE void stnth_f16(uint16_t *p, vf x, int normal) { (void)normal, stnt_f16(p, x); }

/* The first m <= W elements, the lanes past m 1.0 (which every fast path
 * takes; a 0 would send the vector to the general code): masked where the
 * layer can (GLK_VEC_HAS_PART), else through a W-element buffer. */
#ifdef GLK_VEC_HAS_PART
#define GLK_PART_IO(DT, T, LOAD_PART, STORE_PART)                                      \
  GLK_VINLINE vf ldp_##DT(const T *p, size_t m) { return LOAD_PART(p, m); }           \
  GLK_VINLINE void stp_##DT(T *p, vf x, size_t m) { STORE_PART(p, x, m); }
#else
#define GLK_PART_IO(DT, T, LOAD_PART, STORE_PART)                                      \
  GLK_VINLINE vf ldp_##DT(const T *p, size_t m) {                                     \
    T b[GLK_W];                                                                       \
    st_##DT(b, vf_set1(1.0f));                                                        \
    if (m) memcpy(b, p, m * sizeof(T));                                               \
    return ld_##DT(b);                                                                \
  }                                                                                   \
  GLK_VINLINE void stp_##DT(T *p, vf x, size_t m) {                                   \
    T b[GLK_W];                                                                       \
    st_##DT(b, x);                                                                    \
    if (m) memcpy(p, b, m * sizeof(T));                                               \
  }
#endif
GLK_PART_IO(f32, float, vf_load_part, vf_store_part)
GLK_PART_IO(f16, uint16_t, vf_load_f16_part, vf_store_f16_part)
GLK_PART_IO(bf16, uint16_t, vf_load_bf16_part, vf_store_bf16_part)
/* 2m <= 2W consecutive elements as two vectors (pairs; no pointer past
 * the data is formed) */
#define GLK_PART2(DT, T)                                                               \
  GLK_VINLINE void ldp2_##DT(const T *p, size_t m2, vf *lo, vf *hi) {                  \
    *lo = ldp_##DT(p, m2 < GLK_W ? m2 : GLK_W);                                        \
    *hi = m2 > GLK_W ? ldp_##DT(p + GLK_W, m2 - GLK_W) : ldp_##DT(p, 0);               \
  }                                                                                    \
  GLK_VINLINE void stp2_##DT(T *p, size_t m2, vf lo, vf hi) {                          \
    stp_##DT(p, lo, m2 < GLK_W ? m2 : GLK_W);                                          \
    if (m2 > GLK_W) stp_##DT(p + GLK_W, hi, m2 - GLK_W);                               \
  }
GLK_PART2(f32, float)
GLK_PART2(f16, uint16_t)
GLK_PART2(bf16, uint16_t)

/*
 * Streaming walks (p->stream_stores: outputs far larger than the caches)
 * write through non-temporal stores, aligned by a short first piece, and
 * prefetch their inputs this far ahead. A core keeps only a few misses in
 * flight on its own, and the kernels' arithmetic fills the out-of-order
 * window, so without the prefetch the loads wait on DRAM one window at a
 * time (f32 glu forward at 8192x28672, one thread: 67% of the stream without, 85%
 * with; bench/RESULTS-cpu.md).
 */
/* Both can be set at build time (-DGLK_PREFETCH_BYTES=4096 -DGLK_PF_LOC=0)
 * for experiments. On AMD Zen 5 (bench/RESULTS-cpu.md, 2026-11-29 18:10
 * UTC) 1 KiB and the T1 and NTA hints changed nothing, 4 and 8 KiB made
 * f32 slower. */
#ifndef GLK_PF_LOC
#define GLK_PF_LOC 3 /* __builtin_prefetch's locality: 3 is PREFETCHT0 */
#endif
#ifndef GLK_PREFETCH_BYTES
#define GLK_PREFETCH_BYTES 2048
#endif

/* Prefetch the lines `bytes` (a multiple of 64, or less) starting
 * GLK_PREFETCH_BYTES after p. */
GLK_VINLINE void v_prefetch(const void *p, size_t bytes) {
  for (size_t b = 0; b < bytes; b += 64)
    __builtin_prefetch((const char *)p + GLK_PREFETCH_BYTES + b, 0, GLK_PF_LOC);
}

/*
 * Elements to handle before the outputs reach the alignment of a W-element
 * store, or SIZE_MAX when they cannot together (a pointer not element-
 * aligned, or two outputs at different offsets).
 */
GLK_VINLINE size_t v_head2(const void *a, const void *b, size_t esize) {
  const size_t h = v_head(a, esize);
  return h == v_head(b, esize) ? h : SIZE_MAX;
}

/*
 * The kernels of one (dtype, activation). Full vectors run straight from
 * memory; the tail, and a streaming walk's first piece, are partial vectors
 * (ldp_/stp_: the unused lanes compute values that are never stored).
 */
#define GLK_SIMD_KERNELS(DT, T, ACT, ACT_ENUM)                                       \
  GLK_VINLINE void GLK_PASTE(put_##DT##_##ACT##__, GLK_ISA_SUFFIX)(T *p, vf x, int nt) { \
    if (nt)                                                                          \
      stnt_##DT(p, x);                                                               \
    else                                                                             \
      st_##DT(p, x);                                                                 \
  }                                                                                  \
  /* the same in the halves loops' lane order (ldh_) */                           \
  GLK_VINLINE void GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(T *p, vf x, int nt, \
                                                                    int normal) {    \
    if (nt)                                                                          \
      stnth_##DT(p, x, normal);                                                      \
    else                                                                             \
      sth_##DT(p, x, normal);                                                        \
  }                                                                                  \
  /* m <= W elements (the lanes past m compute values never stored) */             \
  GLK_NOINLINE void GLK_PASTE(glk_##DT##_##ACT##_fwd_part__, GLK_ISA_SUFFIX)(          \
      size_t m, const T *v, const T *g, T *y, const simd_consts *k) {                \
    stp_##DT(y, v_forward_##DT(ACT_ENUM, ldp_##DT(v, m), ldp_##DT(g, m), k), m);         \
  }                                                                                  \
  static void GLK_PASTE(glk_##DT##_##ACT##_fwd_ukernel__, GLK_ISA_SUFFIX)(           \
      size_t n, const void *v_, const void *g_, void *y_, const glk_ukernel_params *p) { \
    const T *v = v_, *g = g_;                                                        \
    T *y = y_;                                                                       \
    const simd_consts k = simd_consts_of(p);                                         \
    const size_t head = p->stream_stores ? v_head(y, sizeof(T)) : SIZE_MAX;          \
    const int nt = head != SIZE_MAX;                                                 \
    size_t i = nt ? (head < n ? head : n) : 0;                                       \
    if (i) GLK_PASTE(glk_##DT##_##ACT##_fwd_part__, GLK_ISA_SUFFIX)(i, v, g, y, &k);  \
    /* Two vectors per step: two independent dependency chains in flight. */         \
    for (; n - i >= 2 * GLK_W; i += 2 * GLK_W) {                                     \
      if (nt) v_prefetch(v + i, 2 * GLK_W * sizeof(T)), v_prefetch(g + i, 2 * GLK_W * sizeof(T)); \
      vf r0, r1;                                                                     \
      const int n0 =                                                                 \
          v_forward_##DT##_n(ACT_ENUM, ldh_##DT(v + i), ldh_##DT(g + i), &k, nt, &r0); \
      const int n1 = v_forward_##DT##_n(ACT_ENUM, ldh_##DT(v + i + GLK_W),           \
                                        ldh_##DT(g + i + GLK_W), &k, nt, &r1);       \
      GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(y + i, r0, nt, n0);           \
      GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(y + i + GLK_W, r1, nt, n1);   \
    }                                                                                \
    if (nt) vf_stream_fence();                                                       \
    for (; n - i >= GLK_W; i += GLK_W)                                               \
      st_##DT(y + i, v_forward_##DT(ACT_ENUM, ld_##DT(v + i), ld_##DT(g + i), &k));       \
    if (i < n)                                                                       \
      GLK_PASTE(glk_##DT##_##ACT##_fwd_part__, GLK_ISA_SUFFIX)(n - i, v + i, g + i, y + i, &k); \
  }                                                                                  \
  /* Rows of n elements at byte strides sv, sg, sy. Rows shorter than 2W run  \
   * two at a time, their vectors computed side by side: one row's vector is    \
   * one long dependency chain, and a row per call leaves the core idle on it. */ \
  static void GLK_PASTE(glk_##DT##_##ACT##_fwd_rows_ukernel__, GLK_ISA_SUFFIX)(      \
      size_t rows, size_t n, const void *v_, ptrdiff_t sv, const void *g_, ptrdiff_t sg, \
      void *y_, ptrdiff_t sy, const glk_ukernel_params *p) {                         \
    const char *v = v_, *g = g_;                                                     \
    char *y = y_;                                                                    \
    size_t r = 0;                                                                    \
    if (n < 2 * GLK_W && !p->stream_stores) {                                        \
      const simd_consts k = simd_consts_of(p);                                       \
      for (; r + 2 <= rows; r += 2) {                                                \
        const T *v0 = (const T *)(v + (ptrdiff_t)r * sv), *v1 = (const T *)(v + (ptrdiff_t)(r + 1) * sv); \
        const T *g0 = (const T *)(g + (ptrdiff_t)r * sg), *g1 = (const T *)(g + (ptrdiff_t)(r + 1) * sg); \
        T *y0 = (T *)(y + (ptrdiff_t)r * sy), *y1 = (T *)(y + (ptrdiff_t)(r + 1) * sy); \
        size_t i = 0;                                                                \
        if (n >= GLK_W) { /* a full vector: plain loads and stores, as the 1-D loop */ \
          vf a, b;                                                                   \
          const int na = v_forward_##DT##_n(ACT_ENUM, ldh_##DT(v0), ldh_##DT(g0), &k, 0, &a); \
          const int nb = v_forward_##DT##_n(ACT_ENUM, ldh_##DT(v1), ldh_##DT(g1), &k, 0, &b); \
          GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(y0, a, 0, na);            \
          GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(y1, b, 0, nb);            \
          i = GLK_W;                                                                 \
        }                                                                            \
        if (i < n) {                                                                 \
          const size_t m = n - i;                                                    \
          const vf a = v_forward_##DT(ACT_ENUM, ldp_##DT(v0 + i, m), ldp_##DT(g0 + i, m), &k); \
          const vf b = v_forward_##DT(ACT_ENUM, ldp_##DT(v1 + i, m), ldp_##DT(g1 + i, m), &k); \
          stp_##DT(y0 + i, a, m);                                                    \
          stp_##DT(y1 + i, b, m);                                                    \
        }                                                                            \
      }                                                                              \
    }                                                                                \
    for (; r < rows; r++)                                                            \
      GLK_PASTE(glk_##DT##_##ACT##_fwd_ukernel__, GLK_ISA_SUFFIX)(                   \
          n, v + (ptrdiff_t)r * sv, g + (ptrdiff_t)r * sg, y + (ptrdiff_t)r * sy, p); \
  }                                                                                  \
  /* m <= W pairs */                                                                 \
  GLK_NOINLINE void GLK_PASTE(glk_##DT##_##ACT##_fwd_pairs_part__, GLK_ISA_SUFFIX)(    \
      size_t m, const T *x, T *y, const simd_consts *k, int gf) {                    \
    vf lo, hi, first, second;                                                        \
    ldp2_##DT(x, 2 * m, &lo, &hi);                                                   \
    vf_deinterleave(lo, hi, &first, &second);                                        \
    stp_##DT(y, v_forward_##DT(ACT_ENUM, gf ? second : first, gf ? first : second, k), m); \
  }                                                                                  \
  static void GLK_PASTE(glk_##DT##_##ACT##_fwd_pairs_ukernel__, GLK_ISA_SUFFIX)(     \
      size_t n, const void *x_, void *y_, const glk_ukernel_params *p) {             \
    const T *x = x_;                                                                 \
    T *y = y_;                                                                       \
    const simd_consts k = simd_consts_of(p);                                         \
    const int gf = p->gate_first;                                                    \
    const size_t head = p->stream_stores ? v_head(y, sizeof(T)) : SIZE_MAX;          \
    const int nt = head != SIZE_MAX;                                                 \
    size_t i = nt ? (head < n ? head : n) : 0;                                       \
    if (i) GLK_PASTE(glk_##DT##_##ACT##_fwd_pairs_part__, GLK_ISA_SUFFIX)(i, x, y, &k, gf); \
    for (; n - i >= GLK_W; i += GLK_W) {                                             \
      const T *src = x + 2 * i;                                                      \
      if (nt) v_prefetch(src, 2 * GLK_W * sizeof(T));                                \
      vf first, second, r;                                                           \
      ldpairs_##DT(src, &first, &second);                                            \
      v_forward_##DT##_n(ACT_ENUM, gf ? second : first, gf ? first : second, &k, nt, &r); \
      GLK_PASTE(put_##DT##_##ACT##__, GLK_ISA_SUFFIX)(y + i, r, nt);                 \
    }                                                                                \
    if (nt) vf_stream_fence();                                                       \
    if (i < n)                                                                       \
      GLK_PASTE(glk_##DT##_##ACT##_fwd_pairs_part__, GLK_ISA_SUFFIX)(n - i, x + 2 * i, y + i, &k, gf); \
  }                                                                                  \
  /* m < W elements of the backward (the tail, or a streaming walk's aligning    \
   * first piece): out of line, so the loop over whole vectors keeps plain       \
   * loads and its registers. dv, dg may be v, g: every load comes first. */     \
  GLK_NOINLINE void GLK_PASTE(glk_##DT##_##ACT##_bwd_part__, GLK_ISA_SUFFIX)(          \
      size_t m, const T *v, const T *g, const T *dy, T *dv, T *dg, const simd_consts *k, \
      int acc) {                                                                     \
    vf a, b;                                                                         \
    v_backward_##DT(ACT_ENUM, ldp_##DT(v, m), ldp_##DT(g, m), ldp_##DT(dy, m), k, acc, &a, &b); \
    if (acc) a = vf_add(ldp_##DT(dv, m), a), b = vf_add(ldp_##DT(dg, m), b);         \
    stp_##DT(dv, a, m);                                                              \
    stp_##DT(dg, b, m);                                                              \
  }                                                                                  \
  static void GLK_PASTE(glk_##DT##_##ACT##_bwd_ukernel__, GLK_ISA_SUFFIX)(           \
      size_t n, const void *v_, const void *g_, const void *dy_, void *dv_,          \
      void *dg_, const glk_ukernel_params *p) {                                      \
    const T *v = v_, *g = g_, *dy = dy_;                                             \
    T *dv = dv_, *dg = dg_;                                                          \
    const simd_consts k = simd_consts_of(p);                                         \
    const int acc = p->accumulate;                                                   \
    const size_t head = p->stream_stores ? v_head2(dv, dg, sizeof(T)) : SIZE_MAX;    \
    const int nt = head != SIZE_MAX;                                                 \
    size_t i = nt ? (head < n ? head : n) : 0;                                       \
    if (i) GLK_PASTE(glk_##DT##_##ACT##_bwd_part__, GLK_ISA_SUFFIX)(i, v, g, dy, dv, dg, &k, acc); \
    for (; n - i >= GLK_W; i += GLK_W) {                                             \
      if (nt) {                                                                      \
        v_prefetch(v + i, GLK_W * sizeof(T)), v_prefetch(g + i, GLK_W * sizeof(T));  \
        v_prefetch(dy + i, GLK_W * sizeof(T));                                       \
        if (acc) v_prefetch(dv + i, GLK_W * sizeof(T)), v_prefetch(dg + i, GLK_W * sizeof(T)); \
      }                                                                              \
      /* dv, dg may be v, g: every load comes before the stores */                  \
      vf a, b;                                                                       \
      /* normal: every lane known normal (bf16's table pass; never with acc) */     \
      const int normal = v_backward_##DT(ACT_ENUM, ldh_##DT(v + i), ldh_##DT(g + i), \
                                         ldh_##DT(dy + i), &k, acc, &a, &b);         \
      if (acc) a = vf_add(ldh_##DT(dv + i), a), b = vf_add(ldh_##DT(dg + i), b);     \
      GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(dv + i, a, nt, normal);       \
      GLK_PASTE(puth_##DT##_##ACT##__, GLK_ISA_SUFFIX)(dg + i, b, nt, normal);       \
    }                                                                                \
    if (nt) vf_stream_fence();                                                       \
    if (i < n)                                                                       \
      GLK_PASTE(glk_##DT##_##ACT##_bwd_part__, GLK_ISA_SUFFIX)(n - i, v + i, g + i, dy + i, \
                                                              dv + i, dg + i, &k, acc); \
  }                                                                                  \
  /* m < W pairs of the backward, as bwd_part; dx may be x */                        \
  GLK_NOINLINE void GLK_PASTE(glk_##DT##_##ACT##_bwd_pairs_part__, GLK_ISA_SUFFIX)(    \
      size_t m, const T *x, const T *dy, T *dx, const simd_consts *k, int gf, int acc) { \
    vf first, second, a, b, lo, hi;                                                  \
    ldp2_##DT(x, 2 * m, &lo, &hi);                                                   \
    vf_deinterleave(lo, hi, &first, &second);                                        \
    v_backward_##DT(ACT_ENUM, gf ? second : first, gf ? first : second, ldp_##DT(dy, m), k, acc, \
                    &a, &b);                                                         \
    vf_interleave(gf ? b : a, gf ? a : b, &lo, &hi);                                 \
    if (acc) {                                                                       \
      vf old_lo, old_hi;                                                             \
      ldp2_##DT(dx, 2 * m, &old_lo, &old_hi);                                        \
      lo = vf_add(old_lo, lo), hi = vf_add(old_hi, hi);                              \
    }                                                                                \
    stp2_##DT(dx, 2 * m, lo, hi);                                                    \
  }                                                                                  \
  static void GLK_PASTE(glk_##DT##_##ACT##_bwd_pairs_ukernel__, GLK_ISA_SUFFIX)(     \
      size_t n, const void *x_, const void *dy_, void *dx_,                          \
      const glk_ukernel_params *p) {                                                 \
    const T *x = x_, *dy = dy_;                                                      \
    T *dx = dx_;                                                                     \
    const simd_consts k = simd_consts_of(p);                                         \
    const int gf = p->gate_first, acc = p->accumulate;                               \
    /* 2W-element stores: dx aligned to W elements after an even head */             \
    size_t head = p->stream_stores ? v_head(dx, sizeof(T)) : SIZE_MAX;              \
    if (head != SIZE_MAX && head % 2) head = SIZE_MAX;                               \
    const int nt = head != SIZE_MAX;                                                 \
    size_t i = nt ? (head / 2 < n ? head / 2 : n) : 0;                               \
    if (i) GLK_PASTE(glk_##DT##_##ACT##_bwd_pairs_part__, GLK_ISA_SUFFIX)(i, x, dy, dx, &k, gf, acc); \
    for (; n - i >= GLK_W; i += GLK_W) {                                             \
      const T *px = x + 2 * i, *pdy = dy + i;                                        \
      T *pdx = dx + 2 * i;                                                           \
      if (nt) {                                                                      \
        v_prefetch(px, 2 * GLK_W * sizeof(T)), v_prefetch(pdy, GLK_W * sizeof(T));   \
        if (acc) v_prefetch(pdx, 2 * GLK_W * sizeof(T));                             \
      }                                                                              \
      /* dx may be x: every load comes before the stores */                         \
      vf first, second, a, b;                                                        \
      ldpairs_##DT(px, &first, &second);                                             \
      v_backward_##DT(ACT_ENUM, gf ? second : first, gf ? first : second, ld_##DT(pdy), &k, acc, \
                      &a, &b);                                                       \
      /* a is d(value), b is d(gate): back into pair order */                        \
      stpairs_##DT(pdx, gf ? b : a, gf ? a : b, acc, nt);                            \
    }                                                                                \
    if (nt) vf_stream_fence();                                                       \
    if (i < n)                                                                       \
      GLK_PASTE(glk_##DT##_##ACT##_bwd_pairs_part__, GLK_ISA_SUFFIX)(n - i, x + 2 * i, dy + i, \
                                                                    dx + 2 * i, &k, gf, acc); \
  }

/* Each translation unit builds one storage type's kernels (GLK_SIMD_DTYPE:
 * f32, f16 or bf16), so that an ISA's kernels compile as several units in
 * parallel; glk_simd_fill_<dtype>_<isa>() puts them into a table. */
#ifndef GLK_SIMD_DTYPE
#error "define GLK_SIMD_DTYPE (f32, f16 or bf16) before including glu_simd_tmpl.h"
#endif
#define GLK_CTYPE_f32 float
#define GLK_CTYPE_f16 uint16_t
#define GLK_CTYPE_bf16 uint16_t
#define GLK_DTYPE_ENUM_f32 GLK_DTYPE_F32
#define GLK_DTYPE_ENUM_f16 GLK_DTYPE_F16
#define GLK_DTYPE_ENUM_bf16 GLK_DTYPE_BF16
/* one more expansion, so that GLK_SIMD_DTYPE reaches the ## as its value */
#define GLK_SIMD_KERNELS_OF(DT, ACT, E) GLK_SIMD_KERNELS(DT, GLK_PASTE(GLK_CTYPE_, DT), ACT, E)
#define GLK_SIMD_UNIT(ACT, E) GLK_SIMD_KERNELS_OF(GLK_SIMD_DTYPE, ACT, E)
GLK_SIMD_ACTS(GLK_SIMD_UNIT)

#define GLK_SIMD_SET_OF(DT, ACT)                                                \
  (glk_kernel_set) {                                                            \
    GLK_PASTE(glk_##DT##_##ACT##_fwd_ukernel__, GLK_ISA_SUFFIX),                \
        GLK_PASTE(glk_##DT##_##ACT##_fwd_pairs_ukernel__, GLK_ISA_SUFFIX),      \
        GLK_PASTE(glk_##DT##_##ACT##_bwd_ukernel__, GLK_ISA_SUFFIX),            \
        GLK_PASTE(glk_##DT##_##ACT##_bwd_pairs_ukernel__, GLK_ISA_SUFFIX),      \
        GLK_PASTE(glk_##DT##_##ACT##_fwd_rows_ukernel__, GLK_ISA_SUFFIX)        \
  }
#define GLK_SIMD_SET(DT, ACT) GLK_SIMD_SET_OF(DT, ACT)

/* Puts this unit's kernels into t (the other dtypes keep what t has). */
void GLK_PASTE(GLK_PASTE(glk_simd_fill_, GLK_SIMD_DTYPE), GLK_PASTE(_, GLK_ISA_SUFFIX))(
    glk_kernel_table *t) {
#define GLK_FILL(ACT, E)                                                        \
  t->set[GLK_PASTE(GLK_DTYPE_ENUM_, GLK_SIMD_DTYPE)][E] = GLK_SIMD_SET(GLK_SIMD_DTYPE, ACT);
  GLK_SIMD_ACTS(GLK_FILL)
#undef GLK_FILL
}
