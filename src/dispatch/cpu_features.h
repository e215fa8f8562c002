/* Internal: what the CPU and the OS let us run, inspected once. */
#ifndef GLK_CPU_FEATURES_H
#define GLK_CPU_FEATURES_H

typedef struct glk_cpu_features {
  int avx2;   /* AVX2 + FMA + F16C, and the OS saves YMM state */
  int avx512; /* AVX-512F, DQ, BW and VL, and the OS saves ZMM and opmask state */
  int avx512_bf16; /* and AVX512_BF16 (VCVTNEPS2BF16) */
  int neon;   /* AArch64 Advanced SIMD (always there on AArch64) */
  /* gathers cost more than the 16-bit types' computed first passes: AMD
   * Zen (src/kernels/gate_table.c: which tables still pay there) */
  int slow_gather;
} glk_cpu_features;

const glk_cpu_features *glk__cpu_features(void);

#endif
