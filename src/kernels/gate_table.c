#include "kernels/gate_table.h"

#include <stddef.h>

#if defined(GLUKIT_HAVE_X86_SIMD) /* the kernels with a gather (GLK_VEC_HAS_TABLE) */

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/cpu_features.h"
#include "dispatch/dispatch.h"
#include "kernels/convert.h"

enum { GLK_GATE_PATTERNS = 1 << 16, GLK_TABLE_CHUNK = 1024 };

/* The table variants are the first five acts: a slot each, forward per
 * 16-bit type (256 KiB), backward for bf16 (768 KiB): 6.25 MiB in all */
#define GLK_TABLE_ACTS ((int)GLK_ACT_GEGLU_QUICK + 1)
#define GLK_TABLE_DTYPES 2 /* bf16, f16 */
_Static_assert(GLK_ACT_GLU <= GLK_ACT_GEGLU_QUICK && GLK_ACT_SWIGLU <= GLK_ACT_GEGLU_QUICK &&
                   GLK_ACT_GEGLU <= GLK_ACT_GEGLU_QUICK &&
                   GLK_ACT_GEGLU_TANH <= GLK_ACT_GEGLU_QUICK,
               "every table variant has a slot");
static _Alignas(64) float glk_tables[GLK_TABLE_DTYPES][GLK_TABLE_ACTS][GLK_GATE_PATTERNS];
static _Alignas(64) float glk_dtables[GLK_TABLE_ACTS][GLK_GATE_DMARGINS + GLK_GATE_PATTERNS];
_Static_assert(GLK_GATE_DMARGINS == 2 * GLK_GATE_PATTERNS, "the margins follow the pairs");
static atomic_int glk_ready[GLK_TABLE_DTYPES][GLK_TABLE_ACTS];
static atomic_int glk_dready[GLK_TABLE_ACTS];
static pthread_mutex_t glk_table_lock = PTHREAD_MUTEX_INITIALIZER;

/* The gate with bit pattern `bits` of the 16-bit type (f16 or bf16), as
 * f32 (exact) */
static float glk_gate_value(int f16, uint32_t bits) {
  if (f16) return (float)glk_f16_to_double((uint16_t)bits);
  const uint32_t b = bits << 16;
  float g;
  memcpy(&g, &b, sizeof g);
  return g;
}

/* The default f32 forward kernel at v = 1 over every gate: within its
 * tested 2-ULP bound of act(g) wherever the result is normal. */
static void glk_fill(int f16, glk_act act, float *t) {
  const glk_fwd_ukernel fwd = glk__kernels_for(GLK_ISA_AUTO)->set[GLK_DTYPE_F32][act].fwd;
  glk_ukernel_params p;
  memset(&p, 0, sizeof p);
  float one[GLK_TABLE_CHUNK], g[GLK_TABLE_CHUNK];
  for (int i = 0; i < GLK_TABLE_CHUNK; i++) one[i] = 1.0f;
  for (uint32_t base = 0; base < GLK_GATE_PATTERNS; base += GLK_TABLE_CHUNK) {
    for (int i = 0; i < GLK_TABLE_CHUNK; i++) g[i] = glk_gate_value(f16, base + (uint32_t)i);
    fwd(GLK_TABLE_CHUNK, one, g, t + base, &p);
  }
  for (int i = 0; i < GLK_GATE_PATTERNS; i++)
    if (!isnormal(t[i])) t[i] = NAN; /* y' = v NaN fails the first pass */
}

static double glk_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* act'(g) in double, and kappa = S / |act'(g)|, S the sum of the
 * magnitudes of act''s terms (the grouping of docs/ACCURACY.md's gradient
 * bound). Where the terms cancel, double loses kappa 2^-52 relative: for
 * the kappa kept (< GLK_KAPPA_MAX) far below an f32 ULP. */
static double glk_dact(glk_act act, double g, double *kappa) {
  double d, s; /* act'(g) and S */
  switch (act) {
    case GLK_ACT_GLU: /* sigmoid(g) sigmoid(-g): one term */
      d = s = glk_sigmoid(g) * glk_sigmoid(-g);
      break;
    case GLK_ACT_SWIGLU:
    case GLK_ACT_GEGLU_QUICK: { /* sigmoid(bg) (1 + bg sigmoid(-bg)) */
      const double bg = (act == GLK_ACT_SWIGLU ? 1.0 : 1.702) * g;
      const double sg = glk_sigmoid(bg), c = glk_sigmoid(-bg);
      d = sg * (1.0 + bg * c), s = sg * (1.0 + fabs(bg) * c);
      break;
    }
    case GLK_ACT_GEGLU: { /* Phi(g) + g phi(g) */
      const double cdf = 0.5 * erfc(-g * 0.70710678118654752440);
      const double gpdf = g * exp(-0.5 * g * g) * 0.39894228040143267794;
      d = cdf + gpdf, s = cdf + fabs(gpdf);
      break;
    }
    case GLK_ACT_GEGLU_TANH: { /* s + g s(1 - s) 2k (1 + 3c g^2), s = sigmoid(2u) */
      const double k = 0.79788456080286535588, u2 = 2.0 * k * (g + 0.044715 * g * g * g);
      const double sg = glk_sigmoid(u2), t = sg * glk_sigmoid(-u2);
      const double tail = g * t * 2.0 * k * (1.0 + 0.134145 * g * g);
      d = sg + tail, s = sg + fabs(tail);
      break;
    }
    default:
      d = s = NAN;
  }
  *kappa = s / fabs(d);
  return d;
}

/* kappa below this: dg''s margin (6 + 5 kappa) stays under 8192 steps */
#define GLK_KAPPA_MAX 1300.0

/* bf16's pairs (T, D): T the forward's entry `fwd` (made first), D =
 * act'(g) rounded to f32 from double (within half an ULP plus kappa
 * 2^-52); then dg''s margins 6 + 5 kappa (glu_simd_screen.h). */
static void glk_fill_d(glk_act act, const float *fwd, float *t) {
  float *thr = t + GLK_GATE_DMARGINS;
  for (uint32_t i = 0; i < GLK_GATE_PATTERNS; i++) {
    const float g = glk_gate_value(0, i);
    double kappa;
    const float d = (float)glk_dact(act, g, &kappa);
    const int keep = isnormal(d) && kappa < GLK_KAPPA_MAX; /* false for NaN */
    t[2 * i] = fwd[i];
    t[2 * i + 1] = keep ? d : NAN;
    thr[i] = keep ? (float)(6.0 + 5.0 * kappa) : 0.0f;
  }
}

/* dt's slot (-1 for a type without tables) */
static int glk_dtype_slot(glk_dtype dt) {
  return dt == GLK_DTYPE_BF16 ? 0 : dt == GLK_DTYPE_F16 ? 1 : -1;
}

/* dt's table of act (backward: bf16's pairs and margins), made once */
static const float *glk_table(glk_dtype dt, glk_act act, int backward) {
  const int d = glk_dtype_slot(dt);
  if (d < 0 || (backward && d != 0) || (unsigned)act >= (unsigned)GLK_TABLE_ACTS ||
      !glk_gate_table_act(act))
    return NULL;
  atomic_int *ready = backward ? &glk_dready[act] : &glk_ready[d][act];
  float *table = backward ? glk_dtables[act] : glk_tables[d][act];
  if (!atomic_load_explicit(ready, memory_order_acquire)) {
    pthread_mutex_lock(&glk_table_lock);
    if (!atomic_load_explicit(ready, memory_order_relaxed)) {
      if (backward)
        glk_fill_d(act, glk_tables[d][act], table);
      else
        glk_fill(d == 1, act, table);
      atomic_store_explicit(ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&glk_table_lock);
  }
  return table;
}

const float *glk__gate_table(glk_dtype dt, glk_act act) { return glk_table(dt, act, 0); }

const float *glk__gate_dtable(glk_dtype dt, glk_act act) {
  /* bf16's only (glu_simd_screen.h: why f16 has no backward table pass);
   * its pairs copy the forward's entries */
  if (dt != GLK_DTYPE_BF16 || !glk__gate_table(dt, act)) return NULL;
  return glk_table(dt, act, 1);
}

/*
 * Where a 16-lane gather costs 0.23 to 0.29 ns a lane (AMD Zen 5,
 * cpu_features.c; bench/overlap/gather_bench.c), the AVX-512 kernels'
 * lookup loses to the computed first passes wherever those are cheap.
 * Zen 5 VM, one thread, ns an element, table -> computed (2026-12-07,
 * bench/RESULTS-cpu.md): f16 forward 64x1024 glu 0.59 -> 0.36, geglu 0.63
 * -> 0.57, 4096x8192 glu 0.74 -> 0.46, geglu 0.80 -> 0.70; bf16 forward
 * 64x1024 glu 0.37 -> 0.29, geglu_quick 0.49 -> 0.37, but 4096x8192 geglu
 * 0.52 -> 0.65 (with E Q; from the Phi pieces since 7579c2e, 64x1024 0.36
 * against 0.39, best of 5) and 64x1024 geglu_tanh 0.35 -> 0.49; bf16
 * backward 256x4096 glu 0.79 -> 0.60, while the others' tables win (swiglu
 * has no computed pass; geglu 0.86 -> 1.22).
 */
static int glk_tables_mode; /* 0 auto, 1 always, 2 never */
static pthread_once_t glk_tables_mode_once = PTHREAD_ONCE_INIT;
static void glk_read_tables_mode(void) {
  const char *env = getenv("GLUKIT_TABLES");
  glk_tables_mode = !env ? 0 : !strcmp(env, "always") ? 1 : !strcmp(env, "never") ? 2 : 0;
}

int glk__gate_table_pays(glk_isa isa, glk_dtype dt, glk_act act, int backward) {
  pthread_once(&glk_tables_mode_once, glk_read_tables_mode);
  if (glk_tables_mode) return glk_tables_mode == 1;
  /* AVX2's computed passes, 8 lanes a register, cost twice as much an
   * element: there the gathers still win (the same VM: bf16 glu forward
   * 64x1024 0.61 -> 0.91 ns without its table, f16 geglu 0.63 -> 1.32) */
  if (!glk__cpu_features()->slow_gather || isa != GLK_ISA_AVX512) return 1;
  if (backward) return act != GLK_ACT_GLU;
  return dt == GLK_DTYPE_BF16 && (act == GLK_ACT_GEGLU || act == GLK_ACT_GEGLU_TANH);
}

#else

int glk__gate_table_pays(glk_isa isa, glk_dtype dt, glk_act act, int backward) {
  (void)isa, (void)dt, (void)act, (void)backward;
  return 0;
}

const float *glk__gate_table(glk_dtype dt, glk_act act) {
  (void)dt, (void)act;
  return NULL;
}

const float *glk__gate_dtable(glk_dtype dt, glk_act act) {
  (void)dt, (void)act;
  return NULL;
}

#endif
