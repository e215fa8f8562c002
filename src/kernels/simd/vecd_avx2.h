/* The f64 vector layer for AVX2 + FMA: 4 double lanes (see vecd_avx512.h). */
#ifndef GLK_VECD_AVX2_H
#define GLK_VECD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_WD 4
#define GLK_ISA_SUFFIX avx2

typedef __m256d vd;
typedef __m256d vdm; /* all-ones / all-zeros lanes */

GLK_VINLINE vd vd_set1(double x) { return _mm256_set1_pd(x); }
GLK_VINLINE vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
GLK_VINLINE void vd_store(double *p, vd x) { _mm256_storeu_pd(p, x); }
/* a non-temporal store (p aligned to the vector) and the fence that orders
 * such stores before the call returns */
GLK_VINLINE void vd_stream(double *p, vd x) { _mm256_stream_pd(p, x); }
GLK_VINLINE void vd_stream_fence(void) { _mm_sfence(); }
GLK_VINLINE vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
GLK_VINLINE vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
GLK_VINLINE vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
GLK_VINLINE vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
GLK_VINLINE vd vd_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
GLK_VINLINE vd vd_fnma(vd a, vd b, vd c) { return _mm256_fnmadd_pd(a, b, c); }
GLK_VINLINE vd vd_fms(vd a, vd b, vd c) { return _mm256_fmsub_pd(a, b, c); }
GLK_VINLINE vd vd_abs(vd a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
GLK_VINLINE vd vd_shl52(vd t) {
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(t), 52));
}
GLK_VINLINE vdm vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
GLK_VINLINE vdm vd_eq(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
GLK_VINLINE vdm vdm_and(vdm a, vdm b) { return _mm256_and_pd(a, b); }
GLK_VINLINE vdm vdm_or(vdm a, vdm b) { return _mm256_or_pd(a, b); }
GLK_VINLINE int vdm_all(vdm m) { return _mm256_movemask_pd(m) == 0xf; }
GLK_VINLINE vd vd_select(vdm m, vd a, vd b) { return _mm256_blendv_pd(b, a, m); }

GLK_VINLINE void vd_deinterleave(vd a, vd b, vd *first, vd *second) {
  /* unpack gives (x0 x4 x2 x6) and (x1 x5 x3 x7); the permute orders them */
  *first = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xd8);
  *second = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xd8);
}
GLK_VINLINE void vd_interleave(vd first, vd second, vd *lo, vd *hi) {
  const vd t0 = _mm256_unpacklo_pd(first, second), t1 = _mm256_unpackhi_pd(first, second);
  *lo = _mm256_permute2f128_pd(t0, t1, 0x20);
  *hi = _mm256_permute2f128_pd(t0, t1, 0x31);
}

#endif
