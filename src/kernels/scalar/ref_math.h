/*
 * Instantiates ref_math_tmpl.h twice: glk_*_d in double (the working
 * precision of f32, f16 and bf16) and glk_*_l in long double (that of f64).
 */
#ifndef GLK_REF_MATH_H
#define GLK_REF_MATH_H

#include <float.h>
#include <math.h>

#include "kernels/ukernel.h"

#define R double
#define F(name) glk_##name##_d
#define M(fn) fn
#define RL(x) x
#define GLK_INV_SQRT2_LO (-4.833646656726456518593584e-17)
#define R_TRUE_MIN DBL_TRUE_MIN
#include "ref_math_tmpl.h"
#undef R_TRUE_MIN
#undef R
#undef F
#undef M
#undef RL
#undef GLK_INV_SQRT2_LO

#if LDBL_MANT_DIG == 64
#define GLK_INV_SQRT2_LO 1.895032558893257079655062e-20L
#elif LDBL_MANT_DIG == 113
#define GLK_INV_SQRT2_LO 4.711121274310916032846058e-35L
#else /* long double is double */
#define GLK_INV_SQRT2_LO (-4.833646656726456518593584e-17)
#endif
#define R long double
#define F(name) glk_##name##_l
#define M(fn) fn##l
#define RL(x) x##L
#define R_TRUE_MIN LDBL_TRUE_MIN
#include "ref_math_tmpl.h"
#undef R_TRUE_MIN
#undef R
#undef F
#undef M
#undef RL
#undef GLK_INV_SQRT2_LO

#endif
