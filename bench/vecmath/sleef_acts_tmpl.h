/*
 * The GLU forwards y = v * act(g) built on SLEEF's vector functions, written
 * once over a few macros (defined by sleef_avx512.c / sleef_avx2.c, each
 * compiled with its ISA's flags). SLEEF is linked as a library (Debian's
 * libsleef-dev); only the composition around its calls is written here.
 *
 * What each composition takes care of (and what it does not, on purpose:
 * the bench reports it; docs/VECMATH.md says what is missing):
 * - sigmoid as e/(1+e) with e = exp(-|s|): exp never overflows, so large
 *   |s| is fine; no deep-tail scaling (subnormal results are rounded twice);
 * - geglu_erf, geglu_tanh via tanh: the textbook 1 + erf / 1 + tanh forms
 *   the issue names, which cancel for negative g;
 * - geglu_erfc: 1 + erf(x) = erfc(-x), the argument -g/sqrt 2 carried as
 *   hi + lo and the lo applied to first order (erfc' = -rat * erfc);
 * - geglu_tanh via exp: 1 + tanh(u) = 2 sigmoid(2u), 2u carried as hi + lo
 *   (the same argument handling as glukit's kernel) and e^-|2u| corrected
 *   by (1 -+ lo).
 * - "+deep" variants (swiglu, geglu_tanh via exp): where s < -80, e^s is
 *   near or below f32's normal range and g e^s / (1 + e^s) would round a
 *   subnormal e^s first; there e^(s/2) is taken instead and the product
 *   formed as ((g e^(s/2)) v) e^(s/2), so only the last multiply rounds
 *   into the subnormals (one more SLEEF call, only in vectors with such a
 *   lane); in that same branch g = -inf gives v * -0 (silu(-inf) = -0, as
 *   the README's numerics want; the plain forms give NaN).
 * No special-value selects: NaN, infinities and signed zeros come out as
 * the arithmetic gives them.
 *
 * Needs: VF, VW, vload, vstore, vset, vadd, vsub, vmul, vdiv, vfma (a*b+c),
 * vabs, vmin, vmax, vsqrt, vsel_lt(a,b,x,y) (a<b ? x : y),
 * vany_lt(a,b) (nonzero if a<b in some lane), SL_EXP, SL_ERF,
 * SL_ERFC, SL_TANH10, SL_TANH35, SFX(name).
 */
#include <float.h>
#include <stddef.h>
#include <string.h>

#include "vecmath_impls.h"

/* Constants as f32 pairs hi + lo, folded by the compiler from doubles. */
#define HI(x) ((float)(x))
#define LO(x) ((float)((x) - (double)(float)(x)))
#define INV_SQRT2 0.70710678118654752440
#define K_TANH 0.79788456080286535588 /* sqrt(2/pi) */
#define KC_TANH (K_TANH * 0.044715)

static inline VF vneg(VF x) { return vsub(vset(0.0f), x); }
static inline VF vfnma(VF a, VF b, VF c) { return vfma(vneg(a), b, c); } /* c - a b */

/* ---- the activations, times v --------------------------------------------- */

static inline VF f_floor(VF v, VF g) { return vmul(v, g); }

static inline VF f_glu(VF v, VF g) {
  const VF e = SL_EXP(vneg(vabs(g)));
  const VF num = vsel_lt(g, vset(0.0f), e, vset(1.0f));
  return vmul(v, vdiv(num, vadd(vset(1.0f), e)));
}

static inline VF f_swiglu(VF v, VF g) {
  const VF e = SL_EXP(vneg(vabs(g)));
  const VF num = vsel_lt(g, vset(0.0f), vmul(g, e), g);
  return vmul(v, vdiv(num, vadd(vset(1.0f), e)));
}

/* Deep lanes (s = sh + sl < -80, g < 0 there): y = ((g e^(s/2)) v) e^(s/2),
 * with 1 + e^s = 1, and v * -0 for g = -inf; other lanes keep y. */
static inline VF deep_tail(VF y, VF v, VF g, VF sh, VF sl) {
  const VF lim = vset(-80.0f);
  if (!vany_lt(sh, lim)) return y;
  VF eh = SL_EXP(vmul(sh, vset(0.5f)));
  eh = vfma(eh, vmul(sl, vset(0.5f)), eh); /* e^(sl/2) ~ 1 + sl/2 */
  VF yd = vmul(vmul(vmul(g, eh), v), eh);
  yd = vsel_lt(g, vset(-FLT_MAX), vmul(v, vset(-0.0f)), yd); /* g = -inf */
  return vsel_lt(sh, lim, yd, y);
}

static inline VF f_swiglu_deep(VF v, VF g) {
  return deep_tail(f_swiglu(v, g), v, g, g, vset(0.0f));
}

/* 0.5 g (1 + erf(g / sqrt 2)) */
static inline VF f_geglu_erf(VF v, VF g) {
  const VF er = SL_ERF(vmul(g, vset(HI(INV_SQRT2))));
  return vmul(v, vmul(vmul(vset(0.5f), g), vadd(vset(1.0f), er)));
}

/* 0.5 g erfc(x), x = -g / sqrt 2 = xh + xl. For x > 0,
 * erfc(xh + xl) ~ erfc(xh) (1 - rat xl), rat = 2/sqrt(pi) e^-x^2 / erfc(x),
 * which lies between x + sqrt(x^2 + 4/pi) and x + sqrt(x^2 + 2) (the upper
 * form is used: exact as x grows); for x <= 0 the correction is below
 * 2^-24 relative and skipped. */
static inline VF f_geglu_erfc(VF v, VF g) {
  const VF ch = vset(-HI(INV_SQRT2)), cl = vset(-LO(INV_SQRT2));
  const VF xh = vmul(g, ch);
  const VF xl = vfma(g, cl, vfma(g, ch, vneg(xh)));
  const VF e = SL_ERFC(xh);
  const VF xc = vmin(xh, vset(16.0f)); /* beyond, erfc is 0 in f32 */
  const VF rat = vadd(xc, vsqrt(vfma(xc, xc, vset(2.0f))));
  const VF corr = vfnma(e, vmul(rat, xl), e);
  const VF ec = vsel_lt(vset(0.0f), xh, corr, e);
  return vmul(v, vmul(vmul(vset(0.5f), g), ec));
}

/* 0.5 g (1 + tanh(u)), u = sqrt(2/pi) (g + 0.044715 g^3) = g (k + k c g^2) */
static inline VF tanh_arg(VF g) {
  return vmul(g, vfma(vset(HI(KC_TANH)), vmul(g, g), vset(HI(K_TANH))));
}
static inline VF f_geglu_tanh_t10(VF v, VF g) {
  const VF t = SL_TANH10(tanh_arg(g));
  return vmul(v, vmul(vmul(vset(0.5f), g), vadd(vset(1.0f), t)));
}
static inline VF f_geglu_tanh_t35(VF v, VF g) {
  const VF t = SL_TANH35(tanh_arg(g));
  return vmul(v, vmul(vmul(vset(0.5f), g), vadd(vset(1.0f), t)));
}

/* g sigmoid(2u), 2u = g (c0 + c1 g^2), c0 = 2k, c1 = 2kc, as sh + sl. */
static inline VF tanh_arg2(VF g, VF *sl) {
  const VF c0h = vset(HI(2 * K_TANH)), c0l = vset(LO(2 * K_TANH));
  const VF c1h = vset(HI(2 * KC_TANH)), c1l = vset(LO(2 * KC_TANH));
  const VF gc = vmin(vmax(g, vset(-1e12f)), vset(1e12f)); /* no inf - inf */
  const VF h = vmul(gc, gc), hl = vfma(gc, gc, vneg(h));
  const VF p = vmul(c1h, h);
  const VF pl = vfma(c1h, hl, vfma(c1l, h, vfma(c1h, h, vneg(p))));
  const VF th = vadd(c0h, p); /* two-sum c0h + p */
  const VF bb = vsub(th, c0h);
  const VF tl = vadd(vadd(vsub(c0h, vsub(th, bb)), vsub(p, bb)), vadd(pl, c0l));
  const VF sh = vmul(gc, th);
  *sl = vfma(gc, tl, vfma(gc, th, vneg(sh)));
  return sh;
}

static inline VF geglu_tanh_exp(VF v, VF g, VF sh, VF sl) {
  /* e^-|sh + sl| ~ e^-|sh| (1 - sign(sh) sl) */
  const VF e0 = SL_EXP(vneg(vabs(sh)));
  const VF e = vfnma(e0, vsel_lt(sh, vset(0.0f), vneg(sl), sl), e0);
  const VF num = vsel_lt(g, vset(0.0f), vmul(g, e), g);
  return vmul(v, vdiv(num, vadd(vset(1.0f), e)));
}

static inline VF f_geglu_tanh_exp(VF v, VF g) {
  VF sl;
  const VF sh = tanh_arg2(g, &sl);
  return geglu_tanh_exp(v, g, sh, sl);
}

static inline VF f_geglu_tanh_exp_deep(VF v, VF g) {
  VF sl;
  const VF sh = tanh_arg2(g, &sl);
  return deep_tail(geglu_tanh_exp(v, g, sh, sl), v, g, sh, sl);
}

/* ---- loops: full vectors, then one padded vector for the tail -------------- */

#define DEF_LOOP(name)                                                        \
  void SFX(vm_##name)(const float *v, const float *g, float *y, size_t n) {    \
    size_t i = 0;                                                             \
    for (; i + VW <= n; i += VW) vstore(y + i, f_##name(vload(v + i), vload(g + i))); \
    if (i < n) {                                                              \
      float tv[VW] = {0}, tg[VW] = {0}, ty[VW];                               \
      memcpy(tv, v + i, (n - i) * sizeof(float));                             \
      memcpy(tg, g + i, (n - i) * sizeof(float));                             \
      vstore(ty, f_##name(vload(tv), vload(tg)));                             \
      memcpy(y + i, ty, (n - i) * sizeof(float));                             \
    }                                                                         \
  }

VM_KERNELS(DEF_LOOP)
