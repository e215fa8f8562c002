/*
 * The planner: the only code that knows about shapes, strides and axes.
 *
 * Every GLU call is an elementwise map over Y's index space: the value half,
 * the gate half and each output are strided views with one index space, Y's
 * shape. The planner drops unit dims, orders the rest by the output's
 * strides and merges dims that step through memory as one. For a contiguous
 * X this yields caffe2's walk: M runs of split * N contiguous elements, the
 * value run at m * 2 * split * N, the gate run split * N further on. The
 * innermost dim then runs through a microkernel: directly where every
 * operand is contiguous (or, for interleaved pairs, contiguous as pairs),
 * otherwise through small stack tiles gathered and scattered here.
 */
#ifndef GLK_WALK_H
#define GLK_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "glukit.h"
#include "kernels/ukernel.h"

/* C linkage for the CUDA launcher (C++), which reuses glk_walk_pair_order. */
#ifdef __cplusplus
extern "C" {
#endif

/* Operand slots: forward uses V, G, Y; backward V, G, DY, DV, DG. */
enum { GLK_OP_V = 0, GLK_OP_G = 1, GLK_OP_Y = 2, GLK_OP_DY = 2,
       GLK_OP_DV = 3, GLK_OP_DG = 4, GLK_MAX_OPERANDS = 5 };

typedef struct glk_walk {
  int rank;
  int nops;
  size_t esize;
  int64_t shape[GLK_MAX_RANK];
  char *base[GLK_MAX_OPERANDS];
  int64_t stride[GLK_MAX_OPERANDS][GLK_MAX_RANK]; /* in elements */
} glk_walk;

/* Starts a walk over an index space of `rank` dims of `shape`. */
void glk_walk_init(glk_walk *w, int nops, size_t esize, int32_t rank,
                   const int64_t *shape);

/*
 * Gives operand `op` the given strides. For a fused X, the axis' stride is
 * scaled by `axis_step` (2 for pairs). Its base (w->base[op]) is set by the
 * caller, before or after simplifying (which leaves the bases alone).
 */
void glk_walk_set(glk_walk *w, int op, const int64_t *strides, int32_t axis,
                  int64_t axis_step);

/* Drops unit dims, orders dims by |stride| of operand `primary`, merges. */
void glk_walk_simplify(glk_walk *w, int primary);

/* Operands a and b are the two members of contiguous pairs (stride 2
 * inner, the same strides outside, one element apart): +1 when b follows
 * a, -1 when a follows b, 0 otherwise. */
int glk_walk_pair_order(const glk_walk *w, int a, int b);

/* Runs the walk with its operands at `base` (w->base, or a plan's bases
 * for one run) on up to `threads` threads (small walks use fewer). */
void glk_walk_forward(const glk_walk *w, char *const *base, const glk_kernel_set *k,
                      const glk_ukernel_params *p, int threads);
void glk_walk_backward(const glk_walk *w, char *const *base, const glk_kernel_set *k,
                       const glk_ukernel_params *p, int threads);

#ifdef __cplusplus
}
#endif

#endif
