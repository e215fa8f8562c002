/* The GLU microkernels for neon: the shared template over its vector layer. */
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/glu_simd_tmpl.h"
