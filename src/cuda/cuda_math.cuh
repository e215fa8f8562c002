/*
 * Internal: the GLU family's math on the device, written once over the
 * working type R: float for f32, f16 and bf16 (with the deep tails redone
 * in double, see cuda_elem.cuh), double for f64. It follows the reference
 * (src/kernels/scalar/ref_math_tmpl.h) formula for formula, limits and
 * special values included, and carries the rounding error of the products
 * that feed an exponential (b*x, -g/sqrt2, g^2, the tanh-GELU cubic) as a
 * low part, corrected to first order, so that a large argument does not
 * amplify it.
 */
#ifndef GLK_CUDA_MATH_CUH
#define GLK_CUDA_MATH_CUH

#include <math.h>

#include "glukit.h"

namespace glkc {

/* Constants as (hi, lo) pairs where their rounding matters. */
template <class R> struct Cst;
template <> struct Cst<float> {
  static constexpr float inv_sqrt2_hi = 0x1.6a09e6p-1f;
  static constexpr float inv_sqrt2_lo = 0x1.9fcef4p-27f;
  static constexpr float k2_hi = 0x1.988454p+0f;   /* 2 sqrt(2/pi) */
  static constexpr float k2_lo = -0x1.857936p-25f;
  static constexpr float c_hi = 0x1.6e4e26p-5f;    /* 0.044715 */
  static constexpr float c_lo = 0x1.a9003ep-30f;
  static constexpr float quick_hi = 0x1.b3b646p+0f; /* 1.702 */
  static constexpr float quick_lo = -0x1.78d4fep-26f;
  static constexpr float two_over_sqrtpi = 0x1.20dd76p+0f;
  static constexpr float inv_sqrt_2pi = 0x1.988454p-2f;
  static constexpr float k = 0x1.988454p-1f;        /* sqrt(2/pi) */
  static constexpr float three_c = 0x1.12ba9ep-3f;  /* 0.134145 */
};
template <> struct Cst<double> {
  static constexpr double inv_sqrt2_hi = 0x1.6a09e667f3bcdp-1;
  static constexpr double inv_sqrt2_lo = -0x1.bdd3413b26456p-55;
  static constexpr double k2_hi = 0x1.9884533d43651p+0;
  static constexpr double k2_lo = -0x1.cbc0d30ebfd15p-54;
  static constexpr double c_hi = 0x1.6e4e26d4801f7p-5;
  static constexpr double c_lo = 0x1.441355475a31ap-59;
  static constexpr double quick_hi = 0x1.b3b645a1cac08p+0;
  static constexpr double quick_lo = 0x1.89374bc6a7efap-55;
  static constexpr double two_over_sqrtpi = 0x1.20dd750429b6dp+0;
  static constexpr double inv_sqrt_2pi = 0x1.9884533d43651p-2;
  static constexpr double k = 0x1.9884533d43651p-1;
  static constexpr double three_c = 0x1.12ba9d1f60179p-3;
};

/* libm per working type (accurate versions; the build uses no fast math). */
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_erfc(float x) { return erfcf(x); }
__device__ __forceinline__ double m_erfc(double x) { return erfc(x); }
__device__ __forceinline__ float m_fma(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double m_fma(double a, double b, double c) { return fma(a, b, c); }
__device__ __forceinline__ float m_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double m_abs(double x) { return fabs(x); }
__device__ __forceinline__ float m_copysign(float a, float b) { return copysignf(a, b); }
__device__ __forceinline__ double m_copysign(double a, double b) { return copysign(a, b); }
template <class R> __device__ __forceinline__ bool m_isinf(R x) { return isinf(x); }
template <class R> __device__ __forceinline__ bool m_isnan(R x) { return isnan(x); }
template <class R> __device__ __forceinline__ bool m_isfinite(R x) { return isfinite(x); }

/* A factor that underflowed to 0 though its exact value is not 0 (a deep
 * tail) is flagged (t) and kept as the zero of the exact value's sign: a
 * finite multiplier then gives the exact product's signed zero and an
 * infinite one its infinity (mul_kept), as the reference's least-value
 * stand-in (F(kept)) does, without that value reaching an f64 output. */
template <class R> __device__ __forceinline__ R kept(R x, R sign, bool &t) {
  t = x == R(0);
  return t ? m_copysign(R(0), sign) : x;
}
template <class R> __device__ __forceinline__ R mul_kept(R w, R a, bool t) {
  return (t && m_isinf(w)) ? w * m_copysign(R(1), a) : w * a;
}

/* sigma(x + lo), sigma(-(x + lo)) and their product, lo a small correction
 * (|lo| << ulp-scale of x; 0 when x is not finite). e^-|x| never
 * overflows; NaN gives NaN. */
template <class R> struct Sig { R s, sn, t; };

template <class R> __device__ __forceinline__ Sig<R> sig3(R x, R lo) {
  const R e = m_exp(-m_abs(x));
  const R q = R(1) / (R(1) + e); /* sigma(|x|) */
  const R p = e * q;             /* sigma(-|x|) */
  const bool pos = x >= R(0);
  Sig<R> r;
  r.s = pos ? q : p;
  r.sn = pos ? p : q;
  r.t = p * q;
  /* first order in lo: s' = t, t' = t (sn - s) */
  const R d = lo * r.t;
  r.t = m_fma(d, r.sn - r.s, r.t);
  r.s += d;
  r.sn -= d;
  return r;
}

/* x sigma(b x) and its derivative, b = b_hi + b_lo; the reference's limits
 * at infinite x (+inf and -0 for b > 0, x/2 for b = 0). */
template <class R>
__device__ __forceinline__ void xsig2(R x, R b_hi, R b_lo, R &y, R &d, bool &ty, bool &td) {
  ty = td = false;
  if (m_isinf(x)) {
    if (b_hi == R(0) && b_lo == R(0)) {
      y = x * R(0.5);
      d = R(0.5);
    } else {
      const bool up = b_hi * x > R(0);
      y = up ? x : m_copysign(R(0), x);
      d = up ? R(1) : R(0);
    }
    return;
  }
  const R bx = b_hi * x;
  R lo = m_fma(b_hi, x, -bx) + b_lo * x;
  if (!m_isfinite(bx)) lo = R(0);
  const Sig<R> S = sig3(bx, lo);
  y = x == R(0) ? x * S.s : kept(x * S.s, x, ty);
  d = S.s + (S.t == R(0) ? R(0) : (bx + lo) * S.t);
  if (bx < R(0)) d = kept(d, R(-1), td); /* deep tail: negative */
}

/* GELU: g Phi(g), Phi(g) = erfc(-g/sqrt2)/2, with the rounding error of
 * -g/sqrt2 corrected to first order (it is amplified by 2x^2 in the tail):
 * erfc(x + dx) ~ erfc(x) - dx 2/sqrt(pi) e^(-x^2). */
template <class R>
__device__ __forceinline__ void gelu2(R g, R &y, R &d, bool &ty, bool &td) {
  typedef Cst<R> C;
  ty = td = false;
  if (m_isinf(g)) {
    y = g > R(0) ? g : R(-0.0);
    d = g > R(0) ? R(1) : R(0);
    return;
  }
  const R x = -g * C::inv_sqrt2_hi;
  const R dx = m_fma(-g, C::inv_sqrt2_hi, -x) - g * C::inv_sqrt2_lo;
  const R g2 = g * g;
  const R g2e = m_fma(g, g, -g2);
  R E = m_exp(R(-0.5) * g2); /* e^(-g^2/2) = e^(-x^2) */
  if (E > R(0)) E = m_fma(R(-0.5) * g2e, E, E);
  const R e = m_erfc(x) - dx * C::two_over_sqrtpi * E;
  const R cdf = R(0.5) * e;
  y = g == R(0) ? g * cdf : kept(g * cdf, g, ty);
  const R pdf = C::inv_sqrt_2pi * E;
  d = cdf + (pdf == R(0) ? R(0) : g * pdf);
  if (g < R(0)) d = kept(d, R(-1), td); /* deep tail: negative */
}

/* 2u = 2 sqrt(2/pi) (g + 0.044715 g^3) as hi + lo (error-free products
 * and sum, first-order terms kept). */
template <class R> __device__ __forceinline__ void gelu_tanh_u2(R g, R &u, R &ue) {
  typedef Cst<R> C;
  const R g2 = g * g;
  const R g2e = m_fma(g, g, -g2);
  const R g3 = g2 * g;
  const R g3e = m_fma(g2, g, -g3) + g2e * g;
  const R m = C::c_hi * g3;
  const R me = m_fma(C::c_hi, g3, -m) + (C::c_hi * g3e + C::c_lo * g3);
  const R s = g + m; /* two-sum */
  const R bp = s - g;
  const R se = ((g - (s - bp)) + (m - bp)) + me;
  u = C::k2_hi * s;
  ue = m_fma(C::k2_hi, s, -u) + (C::k2_hi * se + C::k2_lo * s);
  if (!m_isfinite(u)) ue = R(0);
}

/* tanh GELU: g/2 (1 + tanh u) = g sigma(2u); a saturated tail gives an
 * exact derivative s instead of 0 * inf. */
template <class R>
__device__ __forceinline__ void gelu_tanh2(R g, R &y, R &d, bool &ty, bool &td) {
  typedef Cst<R> C;
  ty = td = false;
  if (m_isinf(g)) {
    y = g > R(0) ? g : R(-0.0);
    d = g > R(0) ? R(1) : R(0);
    return;
  }
  R u, ue;
  gelu_tanh_u2(g, u, ue);
  const Sig<R> S = sig3(u, ue);
  y = g == R(0) ? g * S.s : kept(g * S.s, g, ty);
  d = S.t == R(0) ? S.s
                  : S.s + g * R(2) * S.t * C::k * (R(1) + C::three_c * g * g);
  if (g < R(0)) d = kept(d, R(-1), td); /* deep tail: negative */
}

/* act(g) and act'(g) for y = v act(g), with their underflow flags (see
 * kept); swiglu_oai is in cuda_elem.cuh. */
template <int ACT, class R>
__device__ __forceinline__ void act2(R g, R &a, R &d, bool &ta, bool &td) {
  typedef Cst<R> C;
  ta = td = false;
  if (ACT == GLK_ACT_GLU) {
    const Sig<R> S = sig3(g, R(0));
    a = m_isinf(g) ? S.s : kept(S.s, R(1), ta);
    d = m_isinf(g) ? S.t : kept(S.t, R(1), td);
  } else if (ACT == GLK_ACT_SWIGLU) {
    xsig2(g, R(1), R(0), a, d, ta, td);
  } else if (ACT == GLK_ACT_GEGLU) {
    gelu2(g, a, d, ta, td);
  } else if (ACT == GLK_ACT_GEGLU_TANH) {
    gelu_tanh2(g, a, d, ta, td);
  } else if (ACT == GLK_ACT_GEGLU_QUICK) {
    xsig2(g, C::quick_hi, C::quick_lo, a, d, ta, td);
  } else if (ACT == GLK_ACT_REGLU) {
    a = g < R(0) ? R(0) : g; /* keeps -0 and NaN */
    d = m_isnan(g) ? g : (g > R(0) ? R(1) : R(0));
  } else { /* bilinear */
    a = g;
    d = m_isnan(g) ? g : R(1);
  }
}

}  // namespace glkc

#endif
