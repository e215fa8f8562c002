/* The f32 GLU microkernels for neon: the shared template over its vector layer. */
#define GLK_SIMD_DTYPE f32
#include "kernels/simd/vec_neon.h"
#include "kernels/simd/glu_simd_tmpl.h"
