/* The f64 microkernels of the sigmoid family for avx512: glu_simd_f64.h over its f64 layer. */
#define GLK_X2D_BASE "kernels/simd/vecd_avx512.h" /* two registers a vector: vecd_x2.h */
#include "kernels/simd/vecd_x2.h"
#include "kernels/simd/glu_simd_f64.h"
