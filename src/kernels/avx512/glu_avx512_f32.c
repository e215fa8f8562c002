/* The f32 GLU microkernels for avx512: the shared template over its vector layer. */
#define GLK_SIMD_DTYPE f32
#define GLK_X2_BASE "kernels/simd/vec_avx512.h" /* two registers a vector: vec_x2.h */
#include "kernels/simd/vec_x2.h"
#include "kernels/simd/glu_simd_tmpl.h"
