/* SLEEF forwards on AVX-512F (compiled with -mavx512f -mfma). */
#include <immintrin.h>
#include <sleef.h>

#define VF __m512
#define VW 16
#define vload _mm512_loadu_ps
#define vstore _mm512_storeu_ps
#define vset _mm512_set1_ps
#define vadd _mm512_add_ps
#define vsub _mm512_sub_ps
#define vmul _mm512_mul_ps
#define vdiv _mm512_div_ps
#define vfma _mm512_fmadd_ps
#define vabs _mm512_abs_ps
#define vmin _mm512_min_ps
#define vmax _mm512_max_ps
#define vsqrt _mm512_sqrt_ps
#define vsel_lt(a, b, x, y) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ), (y), (x))
#define SL_EXP Sleef_expf16_u10avx512f
#define SL_ERF Sleef_erff16_u10avx512f
#define SL_ERFC Sleef_erfcf16_u15avx512f
#define SL_TANH10 Sleef_tanhf16_u10avx512f
#define SL_TANH35 Sleef_tanhf16_u35avx512f
#define vany_lt(a, b) (_mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ) != 0)
#define SFX(name) name##_avx512

#include "sleef_acts_tmpl.h"
