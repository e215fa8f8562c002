/*
 * act(g) for every gate bit pattern of a 16-bit float type (bf16, f16), as
 * f32: the 16-bit forwards' first pass looks it up instead of evaluating
 * the exponential or erfc (glu_simd_screen.h says why the output bits stay
 * the f32 kernels' value rounded once).
 */
#ifndef GLK_GATE_TABLE_H
#define GLK_GATE_TABLE_H

#include "glukit.h"

/* The variants with a table: every one whose act is a transcendental with
 * no call parameter (swiglu_oai's depends on alpha and the clamp). */
static inline int glk_gate_table_act(glk_act act) {
  return act == GLK_ACT_GLU || act == GLK_ACT_SWIGLU || act == GLK_ACT_GEGLU ||
         act == GLK_ACT_GEGLU_TANH || act == GLK_ACT_GEGLU_QUICK;
}

/* dt's (bf16 or f16) table of act, 65536 entries, made on the first
 * request (thread-safe, about a millisecond; 256 KiB each, static), or
 * NULL where act or dt has none or the build has no kernel that reads one
 * (no x86 SIMD). Entry i is the f32 kernels' act(g) at v = 1 for g the
 * number with bits i, or NaN where that is not a normal number. */
const float *glk__gate_table(glk_dtype dt, glk_act act);

/* The backward's, for bf16 only (NULL for f16): 65536 pairs (T, D), T
 * the forward table's entry and D = act'(g) rounded to f32 from double,
 * NaN where it is not a normal number or kappa is 1300 or more; then
 * 65536 margins thr = 6 + 5 kappa, kappa = S / |act'(g)| with S the sum
 * of the magnitudes of act''s terms (dg''s margin in f32 ULPs:
 * glu_simd_screen.h; glu's kappa is 1). */
const float *glk__gate_dtable(glk_dtype dt, glk_act act); /* 768 KiB, about 1.3 ms */
/* where in it the margins begin (floats) */
#define GLK_GATE_DMARGINS (2 * 65536)

/* Whether isa's dt kernels' first pass (backward: bf16's pairs) should
 * look act up rather than compute it on this CPU. Both give the same
 * bits; where gathers are slow (cpu_features.h) only the costlier variants
 * keep their tables. GLUKIT_TABLES=always or never overrides (read once):
 * the tests run every 16-bit gate both ways. */
int glk__gate_table_pays(glk_isa isa, glk_dtype dt, glk_act act, int backward);

#endif
