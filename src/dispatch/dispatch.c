#include "dispatch/dispatch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/cpu_features.h"
#include "dispatch/once.h"

/* Filled by each (ISA, dtype) translation unit: kernels/<isa>/glu_<isa>_<dtype>.c
 * (f64: the sigmoid family only). */
#define GLK_DECLARE_FILLS(isa)                        \
  void glk_simd_fill_f32_##isa(glk_kernel_table *t);  \
  void glk_simd_fill_f16_##isa(glk_kernel_table *t);  \
  void glk_simd_fill_bf16_##isa(glk_kernel_table *t); \
  void glk_simd_fill_f64_##isa(glk_kernel_table *t);  \
  static void glk_simd_fill_##isa(glk_kernel_table *t) { \
    glk_simd_fill_f32_##isa(t);                       \
    glk_simd_fill_f16_##isa(t);                       \
    glk_simd_fill_bf16_##isa(t);                      \
    glk_simd_fill_f64_##isa(t);                       \
  }
#if defined(GLUKIT_HAVE_X86_SIMD)
GLK_DECLARE_FILLS(avx2)
GLK_DECLARE_FILLS(avx512)
#endif
#if defined(GLUKIT_HAVE_NEON)
GLK_DECLARE_FILLS(neon)
#endif
/* bf16 kernels storing through VCVTNEPS2BF16, over avx512's */
void glk_simd_fill_bf16_avx512bf16(glk_kernel_table *t);

static glk_kernel_table glk_tables[GLK_ISA_COUNT];
static int glk_available[GLK_ISA_COUNT];
static glk_isa glk_default;
static pthread_once_t glk_tables_once = PTHREAD_ONCE_INIT;
static atomic_int glk_tables_done;

static const char *const glk_isa_names[GLK_ISA_COUNT] = {
    [GLK_ISA_AUTO] = "auto", [GLK_ISA_SCALAR] = "scalar",
    [GLK_ISA_AVX2] = "avx2", [GLK_ISA_AVX512] = "avx512",
    [GLK_ISA_NEON] = "neon",
};

/* Fills an ISA's table over the scalar one and makes it the default (ISAs
 * are enabled in increasing order of preference). */
__attribute__((unused)) static void glk_enable(glk_isa isa, int supported,
                                                void (*fill)(glk_kernel_table *)) {
  if (!supported) return;
  fill(&glk_tables[isa]);
  glk_tables[isa].isa = glk_isa_names[isa];
  glk_available[isa] = 1;
  glk_default = isa;
}

static void glk_build_tables(void) {
  const glk_cpu_features *f = glk__cpu_features();
  for (int i = 0; i < GLK_ISA_COUNT; i++) glk_tables[i] = glk_scalar_kernels;
  glk_available[GLK_ISA_SCALAR] = 1;
  glk_default = GLK_ISA_SCALAR;
#if defined(GLUKIT_HAVE_X86_SIMD)
  glk_enable(GLK_ISA_AVX2, f->avx2, glk_simd_fill_avx2);
  glk_enable(GLK_ISA_AVX512, f->avx512, glk_simd_fill_avx512);
#endif
#if defined(GLUKIT_HAVE_AVX512BF16)
  if (f->avx512 && f->avx512_bf16) glk_simd_fill_bf16_avx512bf16(&glk_tables[GLK_ISA_AVX512]);
#endif
#if defined(GLUKIT_HAVE_NEON)
  glk_enable(GLK_ISA_NEON, f->neon, glk_simd_fill_neon);
#endif
  (void)f;
  /* GLUKIT_ISA may lower the default to another available ISA. */
  const char *env = getenv("GLUKIT_ISA");
  if (env)
    for (int i = GLK_ISA_SCALAR; i < GLK_ISA_COUNT; i++)
      if (strcmp(env, glk_isa_names[i]) == 0 && glk_available[i] &&
          (glk_default == GLK_ISA_NEON ? i == GLK_ISA_SCALAR || i == GLK_ISA_NEON
                                       : i <= (int)glk_default))
        glk_default = (glk_isa)i;
  glk_tables[GLK_ISA_AUTO] = glk_tables[glk_default];
  glk_available[GLK_ISA_AUTO] = 1;
}

const glk_kernel_table *glk__kernels_for(glk_isa isa) {
  glk__once(&glk_tables_once, &glk_tables_done, glk_build_tables);
  if ((unsigned)isa >= GLK_ISA_COUNT || !glk_available[isa]) return NULL;
  return &glk_tables[isa];
}

GLK_API glk_isa glk_default_isa(void) {
  glk__once(&glk_tables_once, &glk_tables_done, glk_build_tables);
  return glk_default;
}

GLK_API int glk_isa_supported(glk_isa isa) { return glk__kernels_for(isa) != NULL; }

GLK_API const char *glk_isa_name(glk_isa isa) {
  return (unsigned)isa < GLK_ISA_COUNT ? glk_isa_names[isa] : NULL;
}
