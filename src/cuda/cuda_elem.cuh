/*
 * Internal: one element of the forward and the backward, per dtype.
 *
 * f16, bf16 and f32 are computed in f32 (cuda_math.cuh) where that keeps
 * every intermediate a normal f32: the gate inside the range where the
 * exponentials and act(g) stay normal (fast_gate), and for dg the product
 * dy*v neither overflowing nor underflowing. Elsewhere (deep tails,
 * infinities, NaN, tiny gates, huge products) the element is redone in
 * double like the reference, in a separate non-inlined function that costs
 * the common path nothing but a compare, and rounded once from double to
 * the dtype. f64 is computed in double throughout. A NaN result always
 * comes out of an arithmetic operation, so it is quiet.
 */
#ifndef GLK_CUDA_ELEM_CUH
#define GLK_CUDA_ELEM_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <float.h>

#include "cuda/cuda_math.cuh"
#include "cuda/cuda_plan.cuh"

namespace glkc {

/* Storage type, vector width (elements per 16 bytes), exact load into
 * the working type, rounding stores from the working type and from
 * double. */
template <int DT> struct Dt;
template <> struct Dt<GLK_DTYPE_F32> {
  typedef float T;
  typedef float W;
  static constexpr int VEC = 4;
  static __device__ __forceinline__ float ld(T x) { return x; }
  static __device__ __forceinline__ T st(float r) { return r; }
  static __device__ __forceinline__ T st_d(double r) { return __double2float_rn(r); }
};
template <> struct Dt<GLK_DTYPE_F64> {
  typedef double T;
  typedef double W;
  static constexpr int VEC = 2;
  static __device__ __forceinline__ double ld(T x) { return x; }
  static __device__ __forceinline__ T st(double r) { return r; }
  static __device__ __forceinline__ T st_d(double r) { return r; }
};
template <> struct Dt<GLK_DTYPE_F16> {
  typedef unsigned short T;
  typedef float W;
  static constexpr int VEC = 8;
  static __device__ __forceinline__ float ld(T x) { return __half2float(__ushort_as_half(x)); }
  static __device__ __forceinline__ T st(float r) { return __half_as_ushort(__float2half_rn(r)); }
  static __device__ __forceinline__ T st_d(double r) { return __half_as_ushort(__double2half(r)); }
};
template <> struct Dt<GLK_DTYPE_BF16> {
  typedef unsigned short T;
  typedef float W;
  static constexpr int VEC = 8;
  static __device__ __forceinline__ float ld(T x) { return __uint_as_float((unsigned)x << 16); }
  static __device__ __forceinline__ T st(float r) {
    return __bfloat16_as_ushort(__float2bfloat16_rn(r));
  }
  static __device__ __forceinline__ T st_d(double r) {
    return __bfloat16_as_ushort(__double2bfloat16(r));
  }
};

/* swiglu_oai's parameters in the working type: alpha as hi + lo, the
 * clamp value and the comparison bound. */
template <class R> struct Oai { R a_hi, a_lo, lim, lim_cmp; };
__device__ __forceinline__ Oai<float> oai_f(const ActParams &ap) {
  return Oai<float>{ap.alpha_hi, ap.alpha_lo, ap.lim_f, ap.lim_cmp_f};
}
__device__ __forceinline__ Oai<double> oai_d(const ActParams &ap) {
  return Oai<double>{ap.alpha, 0.0, ap.limit, ap.limit};
}

/* y = v act(g), or swiglu_oai's formula (NaN passes the clamps). */
template <int ACT, class R>
__device__ __forceinline__ R fwd_r(R v, R g, const Oai<R> &o) {
  R a, d;
  bool ta, td;
  if (ACT == GLK_ACT_SWIGLU_OAI) {
    const R gc = g > o.lim_cmp ? o.lim : g;
    const R vc = v > o.lim_cmp ? o.lim : (v < -o.lim_cmp ? -o.lim : v);
    xsig2(gc, o.a_hi, o.a_lo, a, d, ta, td);
    return a * (vc + R(1)); /* vc + 1 is finite: a kept zero stays 0 */
  }
  act2<ACT>(g, a, d, ta, td);
  return mul_kept(v, a, ta);
}

/* |p| is a normal number of R, or the product x*y is exactly what the
 * reference would form (a zero factor). */
template <class R> __device__ __forceinline__ bool product_ok(R p, R x, R y) {
  const R ap = m_abs(p);
  const R lo = sizeof(R) == 4 ? R(FLT_MIN) : R(DBL_MIN);
  const R hi = sizeof(R) == 4 ? R(FLT_MAX) : R(DBL_MAX);
  return (ap >= lo && ap <= hi) || x == R(0) || y == R(0);
}

/* dv = dy dy/dv, dg = dy dy/dg, in the reference's order of products.
 * Returns false when the partial product of dg left R's normal range
 * where the reference's would not (the f32 caller then redoes it). */
template <int ACT, class R>
__device__ __forceinline__ bool bwd_r(R v, R g, R dy, const Oai<R> &o, R &dv, R &dg) {
  R a, d;
  bool ta, td;
  if (ACT == GLK_ACT_SWIGLU_OAI) {
    const R gc = g > o.lim_cmp ? o.lim : g;
    const R vc = v > o.lim_cmp ? o.lim : (v < -o.lim_cmp ? -o.lim : v);
    xsig2(gc, o.a_hi, o.a_lo, a, d, ta, td);
    /* the clamps' derivatives: 0 beyond the limits, NaN at a NaN v */
    dv = (v > o.lim_cmp || v < -o.lim_cmp) ? R(0)
         : m_isnan(v)                       ? v + v
                                            : mul_kept(dy, a, ta);
    const R m = vc + R(1);
    const R p = dy * m;
    const bool beyond = g > o.lim_cmp;
    dg = beyond ? R(0) : mul_kept(p, d, td);
    return beyond || product_ok(p, dy, m);
  }
  act2<ACT>(g, a, d, ta, td);
  dv = mul_kept(dy, a, ta);
  const R p = dy * v;
  dg = mul_kept(p, d, td);
  return product_ok(p, dy, v);
}

/* The f32 gates whose act(g), act'(g) and exponentials stay normal f32:
 * the fast path's domain. NaN and infinities fall outside. */
template <int ACT>
__device__ __forceinline__ bool fast_gate(float g, const ActParams &ap) {
  const float ag = fabsf(g);
  const bool not_tiny = ag >= 0x1p-100f || g == 0.0f;
  if (ACT == GLK_ACT_GLU) return ag <= 80.0f;
  if (ACT == GLK_ACT_SWIGLU) return ag <= 80.0f && not_tiny;
  if (ACT == GLK_ACT_GEGLU) return g >= -12.0f && ag <= FLT_MAX && not_tiny;
  /* 2u >= -76 for g >= -9.5 */
  if (ACT == GLK_ACT_GEGLU_TANH) return g >= -9.5f && ag <= FLT_MAX && not_tiny;
  if (ACT == GLK_ACT_GEGLU_QUICK) return ag <= 47.0f && not_tiny;
  if (ACT == GLK_ACT_SWIGLU_OAI) {
    const float gc = g > ap.lim_cmp_f ? ap.lim_f : g;
    const float agc = fabsf(gc);
    return fabsf(ap.alpha_hi * gc) <= 80.0f && (agc >= 0x1p-100f || gc == 0.0f);
  }
  return true; /* reglu, bilinear: exact act, no exponential */
}

/* The double redo of one f32-computed element, kept out of line. */
template <int ACT>
__device__ __noinline__ double fwd_tail(float v, float g, const ActParams ap) {
  return fwd_r<ACT, double>((double)v, (double)g, oai_d(ap));
}

template <int ACT>
__device__ __noinline__ double2 bwd_tail(float v, float g, float dy,
                                         const ActParams ap) {
  double dv, dg;
  bwd_r<ACT, double>((double)v, (double)g, (double)dy, oai_d(ap), dv, dg);
  return make_double2(dv, dg);
}

/* One element of dtype DT: forward, and backward (dv, dg hold the old
 * gradients when accumulating). */
template <int DT, int ACT, bool WORK_F32 = (DT != GLK_DTYPE_F64)> struct Elem;

template <int DT, int ACT> struct Elem<DT, ACT, true> {
  typedef Dt<DT> D;
  typedef typename D::T T;
  static __device__ __forceinline__ T fwd(T v, T g, const ActParams &ap) {
    const float vf = D::ld(v), gf = D::ld(g);
    if (fast_gate<ACT>(gf, ap)) return D::st(fwd_r<ACT, float>(vf, gf, oai_f(ap)));
    return D::st_d(fwd_tail<ACT>(vf, gf, ap));
  }
  static __device__ __forceinline__ void bwd(T v, T g, T dy, T &dv, T &dg,
                                             bool acc, const ActParams &ap) {
    const float vf = D::ld(v), gf = D::ld(g), dyf = D::ld(dy);
    if (fast_gate<ACT>(gf, ap)) {
      float a, b;
      if (bwd_r<ACT, float>(vf, gf, dyf, oai_f(ap), a, b)) {
        if (acc) {
          a += D::ld(dv);
          b += D::ld(dg);
        }
        dv = D::st(a);
        dg = D::st(b);
        return;
      }
    }
    double2 r = bwd_tail<ACT>(vf, gf, dyf, ap);
    if (acc) {
      r.x += (double)D::ld(dv);
      r.y += (double)D::ld(dg);
    }
    dv = D::st_d(r.x);
    dg = D::st_d(r.y);
  }
};

template <int DT, int ACT> struct Elem<DT, ACT, false> {
  typedef double T;
  static __device__ __forceinline__ T fwd(T v, T g, const ActParams &ap) {
    return fwd_r<ACT, double>(v, g, oai_d(ap));
  }
  static __device__ __forceinline__ void bwd(T v, T g, T dy, T &dv, T &dg,
                                             bool acc, const ActParams &ap) {
    double a, b;
    bwd_r<ACT, double>(v, g, dy, oai_d(ap), a, b);
    if (acc) {
      a += dv;
      b += dg;
    }
    dv = a;
    dg = b;
  }
};

}  // namespace glkc

#endif
