/* SLEEF forwards on AVX2 + FMA (compiled with -mavx2 -mfma). */
#include <immintrin.h>
#include <sleef.h>

#define VF __m256
#define VW 8
#define vload _mm256_loadu_ps
#define vstore _mm256_storeu_ps
#define vset _mm256_set1_ps
#define vadd _mm256_add_ps
#define vsub _mm256_sub_ps
#define vmul _mm256_mul_ps
#define vdiv _mm256_div_ps
#define vfma _mm256_fmadd_ps
#define vabs(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (x))
#define vmin _mm256_min_ps
#define vmax _mm256_max_ps
#define vsqrt _mm256_sqrt_ps
#define vsel_lt(a, b, x, y) _mm256_blendv_ps((y), (x), _mm256_cmp_ps((a), (b), _CMP_LT_OQ))
#define SL_EXP Sleef_expf8_u10avx2
#define SL_ERF Sleef_erff8_u10avx2
#define SL_ERFC Sleef_erfcf8_u15avx2
#define SL_TANH10 Sleef_tanhf8_u10avx2
#define SL_TANH35 Sleef_tanhf8_u35avx2
#define vany_lt(a, b) (_mm256_movemask_ps(_mm256_cmp_ps((a), (b), _CMP_LT_OQ)) != 0)
#define SFX(name) name##_avx2

#include "sleef_acts_tmpl.h"
