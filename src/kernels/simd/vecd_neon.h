/* The f64 vector layer for AArch64 NEON: 2 double lanes (see vecd_avx512.h). */
#ifndef GLK_VECD_NEON_H
#define GLK_VECD_NEON_H

#include <arm_neon.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_WD 2
#define GLK_ISA_SUFFIX neon

typedef float64x2_t vd;
typedef uint64x2_t vdm;

GLK_VINLINE vd vd_set1(double x) { return vdupq_n_f64(x); }
GLK_VINLINE vd vd_load(const double *p) { return vld1q_f64(p); }
GLK_VINLINE void vd_store(double *p, vd x) { vst1q_f64(p, x); }
/* no non-temporal store here: plain ones */
GLK_VINLINE void vd_stream(double *p, vd x) { vst1q_f64(p, x); }
GLK_VINLINE void vd_stream_fence(void) {}
GLK_VINLINE vd vd_add(vd a, vd b) { return vaddq_f64(a, b); }
GLK_VINLINE vd vd_sub(vd a, vd b) { return vsubq_f64(a, b); }
GLK_VINLINE vd vd_mul(vd a, vd b) { return vmulq_f64(a, b); }
GLK_VINLINE vd vd_div(vd a, vd b) { return vdivq_f64(a, b); }
GLK_VINLINE vd vd_fma(vd a, vd b, vd c) { return vfmaq_f64(c, a, b); }
GLK_VINLINE vd vd_fnma(vd a, vd b, vd c) { return vfmsq_f64(c, a, b); }
GLK_VINLINE vd vd_fms(vd a, vd b, vd c) { return vfmaq_f64(vnegq_f64(c), a, b); }
GLK_VINLINE vd vd_abs(vd a) { return vabsq_f64(a); }
GLK_VINLINE vd vd_shl52(vd t) {
  return vreinterpretq_f64_u64(vshlq_n_u64(vreinterpretq_u64_f64(t), 52));
}
GLK_VINLINE vdm vd_lt(vd a, vd b) { return vcltq_f64(a, b); }
GLK_VINLINE vdm vd_eq(vd a, vd b) { return vceqq_f64(a, b); }
GLK_VINLINE vdm vdm_and(vdm a, vdm b) { return vandq_u64(a, b); }
GLK_VINLINE vdm vdm_or(vdm a, vdm b) { return vorrq_u64(a, b); }
GLK_VINLINE int vdm_all(vdm m) {
  return (vgetq_lane_u64(m, 0) & vgetq_lane_u64(m, 1)) == UINT64_MAX;
}
GLK_VINLINE vd vd_select(vdm m, vd a, vd b) { return vbslq_f64(m, a, b); }

GLK_VINLINE void vd_deinterleave(vd a, vd b, vd *first, vd *second) {
  *first = vuzp1q_f64(a, b);
  *second = vuzp2q_f64(a, b);
}
GLK_VINLINE void vd_interleave(vd first, vd second, vd *lo, vd *hi) {
  *lo = vzip1q_f64(first, second);
  *hi = vzip2q_f64(first, second);
}

#endif
