/*
 * The f64 vector layer for AVX-512F: 8 double lanes, the names that
 * glu_simd_f64.h needs (vd_*); the same names exist for AVX2 and NEON.
 */
#ifndef GLK_VECD_AVX512_H
#define GLK_VECD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_WD 8
#define GLK_ISA_SUFFIX avx512

typedef __m512d vd;
typedef __mmask8 vdm;

GLK_VINLINE vd vd_set1(double x) { return _mm512_set1_pd(x); }
GLK_VINLINE vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
GLK_VINLINE void vd_store(double *p, vd x) { _mm512_storeu_pd(p, x); }
/* a non-temporal store (p aligned to the vector) and the fence that orders
 * such stores before the call returns */
GLK_VINLINE void vd_stream(double *p, vd x) { _mm512_stream_pd(p, x); }
GLK_VINLINE void vd_stream_fence(void) { _mm_sfence(); }
GLK_VINLINE vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
GLK_VINLINE vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
GLK_VINLINE vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
GLK_VINLINE vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
/* a * b + c, c - a * b and a * b - c, each rounded once */
GLK_VINLINE vd vd_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
GLK_VINLINE vd vd_fnma(vd a, vd b, vd c) { return _mm512_fnmadd_pd(a, b, c); }
GLK_VINLINE vd vd_fms(vd a, vd b, vd c) { return _mm512_fmsub_pd(a, b, c); }
GLK_VINLINE vd vd_abs(vd a) { return _mm512_abs_pd(a); }
/* The double whose bits are t's shifted left by 52: 2^n for t = 0x1.8p52 + 1023 + n. */
GLK_VINLINE vd vd_shl52(vd t) {
  return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_castpd_si512(t), 52));
}
GLK_VINLINE vdm vd_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
GLK_VINLINE vdm vd_eq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
GLK_VINLINE vdm vdm_and(vdm a, vdm b) { return (vdm)(a & b); }
GLK_VINLINE vdm vdm_or(vdm a, vdm b) { return (vdm)(a | b); }
GLK_VINLINE int vdm_all(vdm m) { return m == 0xff; }
/* m ? a : b, lane by lane */
GLK_VINLINE vd vd_select(vdm m, vd a, vd b) { return _mm512_mask_blend_pd(m, b, a); }

/* x[0..2W) as pairs: the first and the second members */
GLK_VINLINE void vd_deinterleave(vd a, vd b, vd *first, vd *second) {
  *first = _mm512_permutex2var_pd(a, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), b);
  *second = _mm512_permutex2var_pd(a, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), b);
}
/* the inverse: pairs (first[i], second[i]) into lo (pairs 0..W/2) and hi */
GLK_VINLINE void vd_interleave(vd first, vd second, vd *lo, vd *hi) {
  *lo = _mm512_permutex2var_pd(first, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), second);
  *hi = _mm512_permutex2var_pd(first, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), second);
}

#endif
