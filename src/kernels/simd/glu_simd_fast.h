/*
 * The fast path of the sigmoid family (glu, swiglu, quick GELU, tanh GELU,
 * swiglu_oai; geglu's is in glu_simd_gelu.h), included by glu_simd_tmpl.h
 * after the vector layer.
 *
 * A vector takes it when every lane lies in the ordinary range (finite,
 * nonzero, no deep tail; see each *_ok mask); other lanes get the general
 * code of glu_simd_tmpl.h. glu and swiglu have a plainer form still (one
 * division; v_glu_core_w, v_glu_bwd_core), which the lanes in its own range
 * take in every vector. Each lane's result depends only on that lane, so
 * a value gives the same bits whatever its neighbours and whatever the ISA.
 *
 * Accuracy: the activation factor is carried as an unevaluated sum hi + lo
 * (about 2^-40 relative) and the multiplications by v, dy are rounded once at
 * the end; what remains is the exponential's 2^-28 and the last rounding, so
 * results stay within 1.5 ULP of the exact value (docs/ACCURACY.md).
 */

typedef struct vf2 {
  vf hi, lo; /* the value hi + lo, |lo| far below ulp(hi) */
} vf2;

GLK_VINLINE vf2 vf2_make(vf hi, vf lo) {
  vf2 r;
  r.hi = hi;
  r.lo = lo;
  return r;
}
/* a b with its rounding error */
GLK_VINLINE vf2 vf2_mul11(vf a, vf b) {
  const vf h = vf_mul(a, b);
  return vf2_make(h, vf_fms(a, b, h));
}
/* a (x.hi + x.lo) */
GLK_VINLINE vf2 vf2_mul12(vf a, vf2 x) {
  const vf h = vf_mul(a, x.hi);
  return vf2_make(h, vf_fma(a, x.lo, vf_fms(a, x.hi, h)));
}
/* (x.hi + x.lo) (y.hi + y.lo) */
GLK_VINLINE vf2 vf2_mul22(vf2 x, vf2 y) {
  const vf h = vf_mul(x.hi, y.hi);
  return vf2_make(h, vf_fma(x.hi, y.lo, vf_fma(x.lo, y.hi, vf_fms(x.hi, y.hi, h))));
}
/* a (x.hi + x.lo), rounded once */
GLK_VINLINE vf vf2_apply(vf a, vf2 x) { return vf_fma(a, x.hi, vf_mul(a, x.lo)); }
GLK_VINLINE vf2 vf2_select(vm m, vf2 a, vf2 b) {
  return vf2_make(vf_select(m, a.hi, b.hi), vf_select(m, a.lo, b.lo));
}
/* a + x for any magnitudes (two-sum of a and x.hi) */
GLK_VINLINE vf2 vf2_add12(vf a, vf2 x) {
  const vf s = vf_add(a, x.hi), bb = vf_sub(s, a);
  const vf err = vf_add(vf_sub(a, vf_sub(s, bb)), vf_sub(x.hi, bb));
  return vf2_make(s, vf_add(err, x.lo));
}
/* x (c.hi + c.lo) for a constant split in two floats */
GLK_VINLINE vf2 vf2_scale(vf x, vf ch, vf cl) {
  const vf h = vf_mul(ch, x);
  return vf2_make(h, vf_fma(cl, x, vf_fms(ch, x, h)));
}

/* lo < |x| < hi, false for NaN */
GLK_VINLINE vm v_in(vf x, float lo, float hi) {
  const vf a = vf_abs(x);
  return vm_and(vf_lt(vf_set1(lo), a), vf_lt(a, vf_set1(hi)));
}

/*
 * e^(na + nlo) = 2^n e^x (1 + xl) for -400 <= na <= 87 and |nlo| tiny against
 * 1. n = round(na / ln 2) comes from the magic-number addition (its bits give
 * 2^n directly where n >= -126), x = na - n ln 2 in [-0.35, 0.35] with its
 * rounding error xl, and e^x = 1 + u, u = x + x^2 q(x) with q of degree 4
 * (relative error 2^-28).
 */
typedef struct fexp {
  vf t, n, u, xl;
  int precise; /* xl kept (backwards), or 0 */
} fexp;

GLK_VINLINE fexp v_fexp_parts(vf na, vf nlo, int has_lo, int precise) {
  fexp r;
  r.precise = precise;
  const vf magic = vf_set1(0x1.8p23f + 127.0f);
  r.t = vf_fma(na, vf_set1(0x1.715476p+0f), magic);
  r.n = vf_sub(r.t, magic);
  const vf ln2_lo = vf_set1(0x1.7f7d1cp-20f);
  const vf x1 = vf_fnma(r.n, vf_set1(0x1.62e4p-1f), na); /* exact */
  vf x = vf_fnma(r.n, ln2_lo, x1);
  if (precise) {
    r.xl = vf_fnma(r.n, ln2_lo, vf_sub(x1, x));
    if (has_lo) r.xl = vf_add(r.xl, nlo);
  } else {
    /* forwards: x's rounding (2^-27 relative) is affordable */
    if (has_lo) x = vf_add(x, nlo);
    r.xl = v0();
  }
  vf q = vf_set1(0x1.688838p-10f);
  q = vf_fma(q, x, vf_set1(0x1.123d46p-7f));
  q = vf_fma(q, x, vf_set1(0x1.555b52p-5f));
  q = vf_fma(q, x, vf_set1(0x1.55548cp-3f));
  q = vf_fma(q, x, vf_set1(0x1.fffff8p-2f));
  r.u = vf_fma(vf_mul(x, x), q, x);
  return r;
}

/* The value, hi + lo, where n >= -126 */
GLK_VINLINE vf2 v_fexp_value(const fexp *p) {
  const vf s = vf_shl23(p->t); /* 2^n */
  const vf e = vf_fma(s, p->u, s);
  /* s - e is exact (e within a factor 1.5 of s) */
  const vf lo = vf_fma(s, p->u, vf_sub(s, e));
  return vf2_make(e, p->precise ? vf_fma(e, p->xl, lo) : lo);
}

/* The mantissa m = e^x (1 + xl), hi + lo, for any n: e^(na + nlo) = m 2^n */
GLK_VINLINE vf2 v_fexp_mant(const fexp *p) {
  const vf one = v1(), mh = vf_add(one, p->u);
  return vf2_make(mh, vf_fma(p->xl, mh, vf_add(vf_sub(one, mh), p->u)));
}

typedef struct fsig {
  vf2 sig;   /* sigmoid(s) */
  vf2 cosig; /* 1 - sigmoid(s) = sigmoid(-s) */
} fsig;

/* -|s| and its low part */
GLK_VINLINE vf v_neg_abs_lo(vf s_hi, vf s_lo) {
  return vf_select(vf_lt(s_hi, v0()), s_lo, vf_neg(s_lo));
}

/*
 * sigmoid(s_hi + s_lo): 1/(1+e) and e/(1+e), e = e^-|s|, with 1 + e carried
 * exactly and one division corrected by its residual. Right for s >= -87
 * (beyond +87 e = e^-87 stands in: sigmoid is 1 - e either way, which
 * only decides ties); below -80 see v_deep.
 */
GLK_VINLINE fsig v_fsig(vf s_hi, vf s_lo, int has_lo, int precise) {
  const vm neg = vf_lt(s_hi, v0());
  const vf na = vf_max_c(vf_neg(vf_abs(s_hi)), vf_set1(-87.0f));
  const fexp p = v_fexp_parts(na, has_lo ? v_neg_abs_lo(s_hi, s_lo) : v0(), has_lo, precise);
  const vf2 e = v_fexp_value(&p);
  const vf one = v1();
  const vf dh = vf_add(one, e.hi);
  const vf dl = vf_add(vf_add(vf_sub(one, dh), e.hi), e.lo); /* exact: 1 >= e */
  const vf r = vf_div(one, dh);
  const vf rem = vf_fnma(r, dl, vf_fnma(r, dh, one)); /* 1 - r (dh + dl) */
  const vf2 inv = vf2_make(r, vf_mul(r, rem));        /* 1 / (1 + e) */
  const vf2 eov = vf2_mul22(e, inv);                  /* e / (1 + e) */
  fsig f;
  f.sig = vf2_select(neg, eov, inv);
  f.cosig = vf2_select(neg, inv, eov);
  return f;
}

/*
 * The deep tails |s| > 80: e = e^-|s| = m 2^n, and sigmoid(s) = e (1 - e + ...)
 * for s < 0 to within 2^-115, so a * b * e * c is formed in f64 from m and n
 * and rounded once, whatever the size of a and b (vf_mul3x_pow2). |s| >= 400
 * gives e^-400 (every such product is 0 in f32).
 */
GLK_VINLINE vf v_deep(vf a, vf b, vf2 c, vf s_hi, vf s_lo, int has_lo) {
  const vf na = vf_max_c(vf_neg(vf_abs(s_hi)), vf_set1(-400.0f));
  const fexp p = v_fexp_parts(na, has_lo ? v_neg_abs_lo(s_hi, s_lo) : v0(), has_lo, 1);
  const vf2 m = v_fexp_mant(&p);
  const vf2 mc = vf2_mul22(m, c);
  return vf_mul3x_pow2(a, b, mc.hi, mc.lo, p.n);
}

/* g (c0 + c1 g^2) with both constants split in two floats, as hi + lo */
GLK_VINLINE vf2 v_odd_cubic(vf g, vf c0h, vf c0l, vf c1h, vf c1l) {
  const vf2 h = vf2_mul11(g, g);
  const vf ph = vf_mul(c1h, h.hi);
  const vf pl = vf_fma(c1h, h.lo, vf_fma(c1l, h.hi, vf_fms(c1h, h.hi, ph)));
  vf2 in = vf2_add12(c0h, vf2_make(ph, pl));
  in.lo = vf_add(in.lo, c0l);
  return vf2_mul12(g, in);
}

/* The argument s of the sigmoid, per variant, and the lanes it covers. */
typedef struct fargs {
  vf2 s;  /* s = b x */
  vf x;   /* the gate as it enters (clamped for swiglu_oai) */
  vm ok;  /* lanes in the fast path's range (before v and dy) */
} fargs;

#define GLK_FAST_SMAX 400.0f /* beyond, every product with e^-|s| is 0 or exact */
#define GLK_FAST_DEEP (-80.0f) /* below, v_deep (e^-80 > 2^-116 keeps lo parts) */
#define GLK_FAST_SMAX_BWD 40.0f /* act' >= 2^-58: w act' normal for mid-range w */
#define GLK_FAST_XMIN 0.0f /* x sigmoid(s): a zero x goes the general way (signed zeros) */

GLK_VINLINE int v_fast_args(glk_act act, vf g, const simd_consts *k, float smax, fargs *a) {
  switch (act) {
    case GLK_ACT_GLU:
      a->x = g, a->s = vf2_make(g, v0());
      a->ok = vf_lt(vf_abs(g), vf_set1(smax));
      return 1;
    case GLK_ACT_SWIGLU:
      a->x = g, a->s = vf2_make(g, v0());
      a->ok = v_in(g, GLK_FAST_XMIN, smax);
      return 1;
    case GLK_ACT_GEGLU_QUICK:
      a->x = g, a->s = vf2_scale(g, vf_set1(0x1.b3b646p+0f), vf_set1(-0x1.78d4fep-26f));
      a->ok = vm_and(v_in(g, GLK_FAST_XMIN, smax), vf_lt(vf_abs(a->s.hi), vf_set1(smax)));
      return 1;
    case GLK_ACT_GEGLU_TANH:
      /* 2u = g (2k + 2kc g^2), k = sqrt(2/pi), c = 0.044715 */
      a->x = g;
      a->s = v_odd_cubic(vf_min_c(vf_max_c(g, vf_set1(-64.0f)), vf_set1(64.0f)),
                         vf_set1(0x1.988454p+0f), vf_set1(-0x1.857936p-25f),
                         vf_set1(0x1.2444f2p-4f), vf_set1(0x1.49b16ap-29f));
      a->ok = vm_and(v_in(g, GLK_FAST_XMIN, 64.0f), vf_lt(vf_abs(a->s.hi), vf_set1(smax)));
      return 1;
    case GLK_ACT_SWIGLU_OAI:
      a->x = vf_min_c(g, k->limit);
      a->s = vf2_scale(a->x, k->alpha_hi, k->alpha_lo);
      a->ok = vm_and(v_in(a->x, GLK_FAST_XMIN, 0x1p100f), vf_lt(vf_abs(a->s.hi), vf_set1(smax)));
      return 1;
    default:
      return 0;
  }
}

/* (v + 1) of swiglu_oai with v clamped to +-limit, exactly; ok: not 0 */
GLK_VINLINE vf2 v_oai_value(vf v, const simd_consts *k, vm *ok) {
  const vf vc = vf_min_c(vf_max_c(v, k->neg_limit), k->limit);
  const vf2 w = vf2_add12(v1(), vf2_make(vc, v0()));
  *ok = vm_and(vf_lt(v0(), vf_abs(w.hi)), vf_eq(v, v));
  return w;
}

/*
 * w x sigmoid(s), rounded once: (b sigmoid) first, b the larger in magnitude
 * of w and x, so that product stays normal wherever the result is (sigmoid
 * is tiny only where |x| is large); then times a, the smaller one.
 */
GLK_VINLINE vf v_fast_xsig(vf w, vf x, const fsig *f) {
  const vm x_small = vf_lt(vf_abs(x), vf_abs(w));
  const vf a = vf_select(x_small, x, w), b = vf_select(x_small, w, x);
  return vf2_apply(a, vf2_mul12(b, f->sig));
}

/* w act(x), rounded once */
GLK_VINLINE vf v_fast_mul_act(glk_act act, vf w, const fargs *a, const fsig *f) {
  return act == GLK_ACT_GLU ? vf2_apply(w, f->sig) : v_fast_xsig(w, a->x, f);
}

#include "kernels/simd/glu_simd_gelu.h"

/*
 * glu's forward: y = v / (1 + E), E = e^-g, one division by the sum 1 + E
 * carried exactly as dh + dl, corrected by its residual and rounded once.
 * No sigmoid in hi + lo and no select on the sign of g: the sum holds both
 * sides (E below 1 for g > 0, up to e^80 down to the deep tail, which
 * v_deep forms). E keeps its reduced argument's rounding error (precise
 * parts): all 2^32 f32 gates within 0.81 ULP. g is clamped to +-87 so that
 * 2^n stays normal; beyond +87, 1 + e^-87 rounds y as 1 + e^-g does.
 *
 * The residual v - q dh is exact only while it needs no bits below 2^-149,
 * which |v| >= 2^-101 ensures (q normal, or q subnormal with dh >= 2^23).
 * A smaller v (rare: a branch) is scaled by 2^64 first and y by 2^-64
 * last, exact unless y is subnormal, where that is the one rounding at y's
 * precision.
 *
 * one_div: y = v (inv + lo) rounded once instead, inv = 1/dh rounded and lo
 * = inv (1 - inv (dh + dl)) its correction, so one division where the
 * quotient took two: a division holds the divider about ten times as long
 * as an FMA its port, and on the Intel Xeon of bench/RESULTS-cpu.md the two
 * made f32 glu forward divider-bound (in cache 0.56 -> 0.50 ns an element).
 * Right only while v lo (about y 2^-24) keeps its bits: v_forward takes
 * it in the lanes of v_glu_plain_lanes, where |y| > 2^-100, in every
 * vector (its bits differ from the quotient's in rare lanes: 2 in 16M
 * random ones, one closer to the exact value each way).
 *
 * v_glu_core_w takes the numerator as w.hi + w.lo (has_lo: swiglu's exact
 * v g, below); w.lo inv joins the correction, which the same |y| > 2^-100
 * keeps clear of the subnormals (a term that does go subnormal there is
 * under 2^-48 of y).
 */
/* E = e^-gc (its reduction error kept) and 1 + E = dh + dl exactly, on
 * either side of 1 */
GLK_VINLINE vf2 v_one_plus_exp_neg(vf gc, vf2 *e) {
  const fexp p = v_fexp_parts(vf_neg(gc), v0(), 0, 1);
  *e = v_fexp_value(&p);
  const vf one = v1();
  const vf big = vf_max_c(e->hi, one), small = vf_min_c(e->hi, one);
  const vf dh = vf_add(big, small);
  return vf2_make(dh, vf_add(vf_sub(small, vf_sub(dh, big)), e->lo));
}
GLK_VINLINE vf v_glu_core_w(vf2 w, int has_lo, vf gc, int one_div) {
  const vf v = w.hi;
  vf2 e;
  const vf2 d = v_one_plus_exp_neg(gc, &e);
  const vf one = v1(), dh = d.hi, dl = d.lo;
  const vf inv = vf_div(one, dh);
  if (one_div) {
    const vf rem = vf_fnma(inv, dl, vf_fnma(inv, dh, one)); /* 1 - inv (dh + dl) */
    vf c = vf_mul(v, vf_mul(inv, rem));
    if (has_lo) c = vf_fma(w.lo, inv, c);
    return vf_fma(v, inv, c);
  }
  const vf q = vf_div(v, dh);
  const vf r = vf_fnma(q, dl, vf_fnma(q, dh, v)); /* v - q (dh + dl) */
  return vf_fma(r, inv, q);
}
GLK_VINLINE vf v_glu_core(vf v, vf gc, int one_div) {
  return v_glu_core_w(vf2_make(v, v0()), 0, gc, one_div);
}
GLK_VINLINE vf v_glu_fast_core(vf v, vf g) {
  return v_glu_core(v, vf_min_c(vf_max_c(g, vf_set1(-87.0f)), vf_set1(87.0f)), 0);
}
/* The lanes where v_glu_core_w(w, .., g, 1) alone is y: -55 < g < 80 (no
 * clamp, no deep tail, not NaN) and 2^-20 < |w| < inf (finite, no tiny-v
 * scaling), which keep |y| > 2^-20 / (1 + e^55) > 2^-100 as one_div needs.
 * w is glu's v, or swiglu's x = v g carried exactly as hi + lo (exact
 * there: |x| > 2^-20 keeps its low part clear of the subnormals), whose
 * forward is then glu's with x for v: no sigmoid in hi + lo, no select on
 * g's sign, no ordering of the product (v_fast_xsig). Ordinary data has
 * every lane there: one test instead of v_forward_fast's three (its range,
 * the tiny v, the deep tail), each a mask moved to a general register and
 * a branch, and no clamp. */
GLK_VINLINE vm v_glu_plain_lanes(vf w, vf g) {
  return vm_and(vm_and(vf_lt(vf_set1(-55.0f), g), vf_lt(g, vf_set1(80.0f))),
                v_in(w, 0x1p-20f, INFINITY));
}
/*
 * glu's and swiglu's backward in the lanes of v_glu_bwd_plain_lanes, in the
 * forward's one-division form: with E = e^-g, 1 + E = dh + dl exactly and
 * inv = 1/(1 + E) as hi + lo (one division corrected by its residual, as
 * one_div above), sigmoid(g) = inv and 1 - sigmoid(g) = E inv on either
 * side of 0: no exponential of -|g| and no select of the two sides, which
 * v_fsig needs (and its second product, e inv, for the side below 0).
 *   glu:    dv = dy inv,        dg = dy v (inv (E inv))
 *   swiglu: dv = dy (g inv),    dg = dy v (inv (1 + g (E inv)))
 * Every factor is carried as hi + lo (1 + g E inv by a two-sum: it cancels
 * near g = -1.28, swiglu's minimum, and its terms keep 2^-40 of their
 * size) and each result is rounded once, so the error is v_backward_fast's:
 * E's 2^-28 (precise parts) and the last rounding. |g| < 40 keeps inv
 * above 2^-58 and E below 2^58: for v and dy in (2^-40, 2^60) (and
 * swiglu's g above 2^-20) every factor, v act' and their low parts are
 * normal; dy times them underflows only where dg itself lies near or
 * below FLT_MIN, as in v_backward_fast (1.03 ULP there, measured).
 */
GLK_VINLINE void v_glu_bwd_core(int swiglu, vf v, vf g, vf dy, vf *dv, vf *dg) {
  vf2 e;
  const vf2 d = v_one_plus_exp_neg(g, &e);
  const vf one = v1();
  const vf ih = vf_div(one, d.hi);
  const vf rem = vf_fnma(ih, d.lo, vf_fnma(ih, d.hi, one)); /* 1 - ih (dh + dl) */
  const vf2 inv = vf2_make(ih, vf_mul(ih, rem));
  const vf2 cosig = vf2_mul22(e, inv); /* 1 - sigmoid(g) */
  vf2 dfac;
  if (swiglu) {
    vf2 k = vf2_add12(one, vf2_mul12(g, cosig));
    dfac = vf2_mul22(inv, k);
    *dv = vf2_apply(dy, vf2_mul12(g, inv));
  } else {
    dfac = vf2_mul22(inv, cosig);
    *dv = vf2_apply(dy, inv);
  }
  *dg = vf2_apply(dy, vf2_mul12(v, dfac));
}
/* Its lanes: |g| < 40 (not NaN; swiglu: |g| > 2^-20 too), v and dy in
 * (2^-40, 2^60) in magnitude (the general path's mid-range). Ordinary data has
 * every lane there: one test instead of v_backward_fast's. */
GLK_VINLINE vm v_glu_bwd_plain_lanes(int swiglu, vf v, vf g, vf dy) {
  const vm gok = swiglu ? v_in(g, 0x1p-20f, 40.0f) : vf_lt(vf_abs(g), vf_set1(40.0f));
  return vm_and(gok, vm_and(v_in(v, 0x1p-40f, 0x1p60f), v_in(dy, 0x1p-40f, 0x1p60f)));
}
GLK_VINLINE vf v_glu_fast_forward(vf v, vf g) {
  const vf y = v_glu_fast_core(v, g);
  const vm tiny = vf_lt(vf_abs(v), vf_set1(0x1p-64f));
  if (!vm_any(tiny)) return y;
  const vf ys = v_glu_fast_core(vf_mul(v, vf_set1(0x1p64f)), g);
  return vf_select(tiny, vf_mul(ys, vf_set1(0x1p-64f)), y);
}


/* Forward: returns 0 for variants without a fast path, 2 when *y is final
 * in every lane (the common case: one test), else 1 with *ok its lanes. */
GLK_VINLINE int v_forward_fast(glk_act act, vf v, vf g, const simd_consts *k, vf *y, vm *ok) {
  if (act == GLK_ACT_GEGLU) return v_forward_fast_gelu(v, g, y, ok);
  fargs a;
  if (!v_fast_args(act, g, k, GLK_FAST_SMAX, &a)) return 0;
  const int has_lo = act != GLK_ACT_GLU && act != GLK_ACT_SWIGLU;
  vf2 w = vf2_make(v, v0());
  if (act == GLK_ACT_GLU) {
    *y = v_glu_fast_forward(v, g);
    *ok = vm_and(a.ok, vf_finite_nonzero(v));
  } else if (act == GLK_ACT_SWIGLU_OAI) {
    const fsig f = v_fsig(a.s.hi, a.s.lo, has_lo, 0);
    vm vok;
    w = v_oai_value(v, k, &vok);
    /* x last: it may be tiny; (v + 1) sigmoid stays normal but in the
     * deepest tails with v next to -1 */
    *y = vf2_apply(a.x, vf2_mul22(w, f.sig));
    *ok = vm_and(a.ok, vok);
  } else {
    const fsig f = v_fsig(a.s.hi, a.s.lo, has_lo, 0);
    *y = v_fast_mul_act(act, v, &a, &f);
    *ok = vm_and(a.ok, vf_finite_nonzero(v));
  }
  const vm deep = vf_lt(a.s.hi, vf_set1(GLK_FAST_DEEP));
  if (vm_all(vm_and(*ok, vm_not(deep)))) return 2;
  if (vm_any(deep)) {
    const vf one = v1();
    const vf d = act == GLK_ACT_GLU ? v_deep(v, one, vf2_make(one, v0()), a.s.hi, a.s.lo, has_lo)
                 : act == GLK_ACT_SWIGLU_OAI ? v_deep(a.x, one, w, a.s.hi, a.s.lo, has_lo)
                                             : v_deep(v, a.x, vf2_make(one, v0()), a.s.hi, a.s.lo, has_lo);
    *y = vf_select(deep, d, *y);
  }
  return 1;
}

/* v_backward_fast's rarer lanes: dg in f64 where v, dy or s lie far out
 * (not mid-range), and the deep tails. */
GLK_VINLINE void v_backward_fast_tails(glk_act act, vf v, vf dy, const fargs *a, vf2 w,
                                       vf2 dfac, vf2 kk, int has_lo, vm not_mid, vm ok_dg,
                                       vf *ddv, vf *ddg) {
  const vm far = vm_and(ok_dg, not_mid);
  const vf one = v1();
  if (vm_any(far)) {
    /* swiglu_oai's w = v' + 1 is never far out: w dfac stays normal */
    const vf2 wd = vf2_mul22(w, dfac);
    *ddg = vf_select(far, act == GLK_ACT_SWIGLU_OAI ? vf_mul3x_pow2(dy, one, wd.hi, wd.lo, v0())
                                                     : vf_mul3x_pow2(dy, v, dfac.hi, dfac.lo, v0()),
                     *ddg);
  }
  /* the deep tails: act = x e, act' = (1 + k) e for s < -80; glu's
   * act' = e (1 - e) / (1 + e) for |s| > 80 */
  const vm deep = vf_lt(a->s.hi, vf_set1(GLK_FAST_DEEP));
  const vm deep_dg = act == GLK_ACT_GLU ? vf_gt(vf_abs(a->s.hi), vf_set1(-GLK_FAST_DEEP)) : deep;
  if (vm_any(deep_dg)) {
    const vf2 c = act == GLK_ACT_GLU ? vf2_make(one, v0()) : vf2_add12(one, kk);
    *ddv = vf_select(deep, v_deep(dy, act == GLK_ACT_GLU ? one : a->x, vf2_make(one, v0()),
                                  a->s.hi, a->s.lo, has_lo), *ddv);
    *ddg = vf_select(deep_dg, act == GLK_ACT_SWIGLU_OAI
                                  ? v_deep(dy, one, vf2_mul22(c, w), a->s.hi, a->s.lo, has_lo)
                                  : v_deep(dy, v, c, a->s.hi, a->s.lo, has_lo),
                     *ddg);
  }
}

/*
 * Backward, returning as the forward does (0, 1, or 2 when every lane is
 * done): dv = dy F, dg = dy v F' with F' = sigmoid(s) (1 + k (1 - sigmoid(s)))
 * for x sigmoid(s) (k = x ds/dx: s for s = b x, g d(2u)/dg for tanh GELU) and
 * F' = sigmoid (1 - sigmoid) for glu. ok_dv and ok_dg: the lanes whose dv and
 * dg are done. Where v or dy lies far out (finite and nonzero) or |s| > 40,
 * dg is dy v F' in f64, rounded once; below s = -80 (v_deep) dv as well.
 * glu's and swiglu's ordinary lanes take v_glu_bwd_core instead (v_backward
 * in glu_simd_tmpl.h); this is their general code.
 */
GLK_VINLINE int v_backward_fast(glk_act act, vf v, vf g, vf dy, const simd_consts *k, vf *dv,
                                vf *dg, vm *ok_dv, vm *ok_dg) {
  if (act == GLK_ACT_GEGLU) return v_backward_fast_gelu(v, g, dy, dv, dg, ok_dv, ok_dg);
  fargs a;
  if (!v_fast_args(act, g, k, GLK_FAST_SMAX, &a)) return 0;
  const int has_lo = act != GLK_ACT_GLU && act != GLK_ACT_SWIGLU;
  const fsig f = v_fsig(a.s.hi, a.s.lo, has_lo, 1);
  vf2 dfac, kk = a.s;
  if (act == GLK_ACT_GLU) {
    dfac = vf2_mul22(f.sig, f.cosig);
  } else {
    if (act == GLK_ACT_GEGLU_TANH)
      kk = v_odd_cubic(vf_min_c(vf_max_c(g, vf_set1(-64.0f)), vf_set1(64.0f)),
                       vf_set1(0x1.988454p+0f), vf_set1(-0x1.857936p-25f),
                       vf_set1(0x1.b6676cp-3f), vf_set1(-0x1.175e1ep-32f));
    dfac = vf2_mul22(f.sig, vf2_add12(v1(), vf2_mul22(kk, f.cosig)));
  }
  vf2 w = vf2_make(v, v0());
  vm w_fin = vf_finite_nonzero(v); /* finite, nonzero */
  if (act == GLK_ACT_SWIGLU_OAI) w = v_oai_value(v, k, &w_fin);
  const vm dy_fin = vf_finite_nonzero(dy);
  vf ddv = v_fast_mul_act(act, dy, &a, &f);
  vf ddg = vf2_apply(dy, vf2_mul22(w, dfac));
  /* dy w dfac in f32 needs w and dy in the middle of the range (nothing
   * overflows, w dfac stays normal); elsewhere it is done in f64 */
  const vm mid = vm_and(vm_and(v_in(w.hi, 0x1p-40f, 0x1p60f), v_in(dy, 0x1p-40f, 0x1p60f)),
                        vf_lt(vf_abs(a.s.hi), vf_set1(GLK_FAST_SMAX_BWD)));
  *ok_dv = vm_and(a.ok, act == GLK_ACT_SWIGLU_OAI ? vm_and(dy_fin, vf_eq(v, v)) : dy_fin);
  *ok_dg = vm_and(a.ok, vm_and(w_fin, dy_fin));
  /* the common case, one test: every lane done and mid-range (|s| < 40:
   * no deep tail either) */
  const int plain = vm_all(vm_and(vm_and(*ok_dv, *ok_dg), mid));
  if (!plain)
    v_backward_fast_tails(act, v, dy, &a, w, dfac, kk, has_lo, vm_not(mid), *ok_dg, &ddv, &ddg);
  if (act == GLK_ACT_SWIGLU_OAI) {
    const vm v_out = vm_or(vf_gt(v, k->limit), vf_lt(v, k->neg_limit));
    ddv = vf_select(v_out, v0(), ddv);
    ddg = vf_select(vf_gt(g, k->limit), v0(), ddg);
  }
  *dv = ddv;
  *dg = ddg;
  return plain ? 2 : 1;
}
