/* The f16 GLU microkernels for avx2: the shared template over its vector layer. */
#define GLK_SIMD_DTYPE f16
#include "kernels/simd/vec_avx2.h"
#include "kernels/simd/glu_simd_tmpl.h"
