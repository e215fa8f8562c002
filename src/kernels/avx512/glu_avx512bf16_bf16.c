/* The bf16 microkernels for AVX-512 on CPUs with AVX512_BF16: the shared
 * template, storing through VCVTNEPS2BF16 (vec_avx512.h). Same bits as
 * glu_avx512_bf16.c's kernels, which it replaces in the AVX-512 table. */
#define GLK_ISA_SUFFIX avx512bf16
#define GLK_SIMD_DTYPE bf16
#define GLK_X2_BASE "kernels/simd/vec_avx512.h" /* two registers a vector: vec_x2.h */
#include "kernels/simd/vec_x2.h"
#include "kernels/simd/glu_simd_tmpl.h"
