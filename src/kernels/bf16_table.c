#include "kernels/bf16_table.h"

#include <stddef.h>

#if defined(GLUKIT_HAVE_X86_SIMD) /* the kernels with a gather (GLK_VEC_HAS_TABLE) */

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "dispatch/dispatch.h"

enum { GLK_BF16_PATTERNS = 1 << 16, GLK_TABLE_CHUNK = 1024 };

static float glk_tables[GLK_ACT_COUNT][GLK_BF16_PATTERNS];
static atomic_int glk_ready[GLK_ACT_COUNT];
static pthread_mutex_t glk_table_lock = PTHREAD_MUTEX_INITIALIZER;

/* The default f32 forward kernel at v = 1 over every bf16 gate: within its
 * tested 2-ULP bound of act(g) wherever the result is normal. */
static void glk_fill(glk_act act, float *t) {
  const glk_fwd_ukernel fwd = glk__kernels_for(GLK_ISA_AUTO)->set[GLK_DTYPE_F32][act].fwd;
  glk_ukernel_params p;
  memset(&p, 0, sizeof p);
  float one[GLK_TABLE_CHUNK], g[GLK_TABLE_CHUNK];
  for (int i = 0; i < GLK_TABLE_CHUNK; i++) one[i] = 1.0f;
  for (uint32_t base = 0; base < GLK_BF16_PATTERNS; base += GLK_TABLE_CHUNK) {
    for (uint32_t i = 0; i < GLK_TABLE_CHUNK; i++) {
      const uint32_t bits = (base + i) << 16;
      memcpy(&g[i], &bits, sizeof bits);
    }
    fwd(GLK_TABLE_CHUNK, one, g, t + base, &p);
  }
  for (int i = 0; i < GLK_BF16_PATTERNS; i++)
    if (!isnormal(t[i])) t[i] = NAN; /* y' = v NaN fails the first pass */
}

const float *glk__bf16_act_table(glk_act act) {
  if ((unsigned)act >= GLK_ACT_COUNT || !glk_bf16_table_act(act)) return NULL;
  if (!atomic_load_explicit(&glk_ready[act], memory_order_acquire)) {
    pthread_mutex_lock(&glk_table_lock);
    if (!atomic_load_explicit(&glk_ready[act], memory_order_relaxed)) {
      glk_fill(act, glk_tables[act]);
      atomic_store_explicit(&glk_ready[act], 1, memory_order_release);
    }
    pthread_mutex_unlock(&glk_table_lock);
  }
  return glk_tables[act];
}

#else

const float *glk__bf16_act_table(glk_act act) {
  (void)act;
  return NULL;
}

#endif
