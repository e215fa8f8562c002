/*
 * The documented accuracy bounds, in ULP of the output type, that the tests
 * hold every element to (README, "Numerics"). The reference kernels round
 * once from double / long double; the SIMD kernels compute in f32.
 */
#ifndef GLK_TEST_BOUNDS_H
#define GLK_TEST_BOUNDS_H

#include <float.h>

#include "glukit.h"

/* Bound for y, dv and (away from act' zeros) dg, on the ISA in use. */
static inline double bound_ulp(glk_isa isa, glk_dtype dt, glk_act act) {
  /* f64's geglu_tanh: the sigmoid argument 2u's long-double rounding is
   * amplified by |2u| in the deep tail (measured 1.17 ULP) */
  if (dt == GLK_DTYPE_F64) {
    /* every variant has f64 SIMD kernels (glu_simd_f64.h): the f32 fast
     * path's method in double, about 1 ULP (docs/ACCURACY.md); reglu and
     * bilinear round their products once */
    if (act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR) return 1.0;
    if (isa != GLK_ISA_SCALAR) return 2.0;
    return act == GLK_ACT_GEGLU_TANH ? 2.0 : 1.0;
  }
  if (isa == GLK_ISA_SCALAR) return 1.0;
  if (dt != GLK_DTYPE_F32) return 1.0; /* f16/bf16: one rounding of f32 */
  if (act == GLK_ACT_REGLU || act == GLK_ACT_BILINEAR) return 1.0;
  /* the sigmoid family's and geglu's fast paths carry act(g) as hi + lo:
   * about 1 ULP (docs/ACCURACY.md) */
  return 2.0;
}

/* Bits of working precision behind the slack allowed where dg's terms
 * cancel: the reference works in double (long double for f64), SIMD in f32
 * (in double for f64). */
static inline int working_bits_of(glk_isa isa, glk_dtype dt) {
  if (dt == GLK_DTYPE_F64) return isa == GLK_ISA_SCALAR ? LDBL_MANT_DIG - 4 : 50;
  return isa == GLK_ISA_SCALAR ? 50 : 22;
}

#endif
