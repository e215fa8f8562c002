/* The GLU microkernels for avx512: the shared template over its vector layer. */
#include "kernels/simd/vec_avx512.h"
#include "kernels/simd/glu_simd_tmpl.h"
