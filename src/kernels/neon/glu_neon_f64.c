/* The f64 microkernels of the sigmoid family for neon: glu_simd_f64.h over its f64 layer. */
#include "kernels/simd/vecd_neon.h"
#include "kernels/simd/glu_simd_f64.h"
