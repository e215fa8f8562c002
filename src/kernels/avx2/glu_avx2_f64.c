/* The f64 microkernels of the sigmoid family for avx2: glu_simd_f64.h over its f64 layer. */
#include "kernels/simd/vecd_avx2.h"
#include "kernels/simd/glu_simd_f64.h"
