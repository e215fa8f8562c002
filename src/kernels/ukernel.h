/*
 * Microkernel interface. A microkernel sees only contiguous 1-D runs; the
 * planner (src/plan) owns shapes, strides and axes. One kernel exists per
 * (dtype, activation, direction, form, ISA), named
 *     glk_<dtype>_<act>_<fwd|bwd>[_pairs]_ukernel__<isa>
 * and every one is reached through a glk_kernel_table, which is always
 * complete (the scalar reference fills any gap).
 */
#ifndef GLK_UKERNEL_H
#define GLK_UKERNEL_H

#include <stddef.h>

#include "glukit.h"

/* Call-constant parameters, decoded once per call by the API layer. */
typedef struct glk_ukernel_params {
  double alpha;   /* swiglu_oai sigmoid scale */
  double limit;   /* swiglu_oai clamp limit */
  int accumulate; /* backward: add into dv/dg instead of storing */
  int gate_first; /* pairs kernels: member 0 of each pair is the gate */
  int stream_stores; /* outputs far larger than the caches: kernels may
                        write them with non-temporal stores */
  /* bf16 and f16: act(g) in f32 for every gate bit pattern of the type,
   * and for the backward act'(g) with its margin in pairs (the first
   * passes' lookups, src/kernels/gate_table.h), or NULL */
  const float *act_table;
  const float *dact_table;
} glk_ukernel_params;

/* y[i] = v[i] * act(g[i]) for i < n. */
typedef void (*glk_fwd_ukernel)(size_t n, const void *v, const void *g,
                                void *y, const glk_ukernel_params *p);

/* The same over n interleaved pairs x[2i], x[2i+1]. */
typedef void (*glk_fwd_pairs_ukernel)(size_t n, const void *x, void *y,
                                      const glk_ukernel_params *p);

/*
 * dv[i] (+)= dy[i] * dy/dv, dg[i] (+)= dy[i] * dy/dg. dv may be v and dg may
 * be g (in place): each element is read before it is written.
 */
typedef void (*glk_bwd_ukernel)(size_t n, const void *v, const void *g,
                                const void *dy, void *dv, void *dg,
                                const glk_ukernel_params *p);

/* The same over interleaved pairs; dx may be x. */
typedef void (*glk_bwd_pairs_ukernel)(size_t n, const void *x, const void *dy,
                                      void *dx, const glk_ukernel_params *p);

/* fwd over `rows` runs of n elements, row r at v + r sv, g + r sg, y + r sy
 * (byte strides): kernels that gain from seeing several rows at once. */
typedef void (*glk_fwd_rows_ukernel)(size_t rows, size_t n, const void *v, ptrdiff_t sv,
                                     const void *g, ptrdiff_t sg, void *y, ptrdiff_t sy,
                                     const glk_ukernel_params *p);

typedef struct glk_kernel_set {
  glk_fwd_ukernel fwd;
  glk_fwd_pairs_ukernel fwd_pairs;
  glk_bwd_ukernel bwd;
  glk_bwd_pairs_ukernel bwd_pairs;
  glk_fwd_rows_ukernel fwd_rows; /* optional (NULL: fwd row by row) */
} glk_kernel_set;

typedef struct glk_kernel_table {
  const char *isa; /* "scalar", ... */
  glk_kernel_set set[GLK_DTYPE_COUNT][GLK_ACT_COUNT];
} glk_kernel_table;

/* The portable reference kernels: the oracle for every other ISA. */
extern const glk_kernel_table glk_scalar_kernels;

#endif
