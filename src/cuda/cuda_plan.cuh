/*
 * Internal: one launch of the CUDA backend, as the host fills it and the
 * kernels read it (passed by value, __grid_constant__).
 *
 * The walk (src/plan) leaves an index space of `rows` outer positions times
 * `n` inner elements. A work item is one chunk of one group of rows: a
 * block's threads are split into `1 << lane_shift` lanes per row and
 * `sub_rows` rows; each lane handles `unroll` units of the chunk, a unit
 * being 16 bytes of output (vector modes) or one element (generic mode).
 * Blocks walk the items grid-stride; everything is 64-bit.
 */
#ifndef GLK_CUDA_PLAN_CUH
#define GLK_CUDA_PLAN_CUH

#include <stdint.h>

#include "glukit.h"

namespace glkc {

constexpr int kThreads = 256;   /* threads per block */
constexpr int kMaxOuter = GLK_MAX_RANK - 1;
constexpr int kMaxOps = 5;
constexpr int kMaxUnroll = 4;

/* Operand slots, as in src/plan/walk.h. */
enum { OP_V = 0, OP_G = 1, OP_Y = 2, OP_DY = 2, OP_DV = 3, OP_DG = 4 };

enum Mode {
  MODE_PLANAR = 0, /* every operand contiguous along the inner dim, 16-byte
                      aligned rows: 16-byte loads and stores */
  MODE_PAIRS = 1,  /* interleaved (v, g) pairs, contiguous, aligned: two
                      16-byte loads per 16 bytes of output */
  MODE_GENERIC = 2 /* anything else: one element at a time, any strides */
};

/* Activation constants, decoded once on the host. The f32 pair (hi, lo)
 * carries alpha to about 48 bits; lim_cmp is the largest float <= limit,
 * so `g > lim_cmp` is the reference's `g > limit` for float g. */
struct ActParams {
  float alpha_hi, alpha_lo;
  float lim_f, lim_cmp_f;
  double alpha, limit;
};

struct Plan {
  char *base[kMaxOps];                    /* bytes; pairs: the first member */
  int64_t inner_stride[kMaxOps];          /* elements */
  int64_t outer_stride[kMaxOps][kMaxOuter];
  int64_t outer_shape[kMaxOuter];
  int outer_rank;                         /* 0..kMaxOuter */
  int lane_shift;                         /* lanes per row group: 1 << it */
  int sub_rows;                           /* rows per block: kThreads >> lane_shift */
  int unroll;                             /* units per lane per item, 1..kMaxUnroll */
  int accumulate;                         /* backward: add into dv, dg */
  int gate_first;                         /* pairs: member 0 is the gate */
  int64_t n;                              /* inner extent, elements */
  int64_t units;                          /* units per row */
  int64_t rows;                           /* product of the outer extents */
  int64_t cpr;                            /* chunks per row */
  int64_t items;                          /* row groups x chunks */
  int64_t grid_q, grid_r;                 /* gridDim.x / cpr, gridDim.x % cpr */
  ActParams ap;
};

/* One launcher per dtype (kernels_<dtype>.cu): picks the kernel for
 * (act, direction, mode) and launches it with `blocks` blocks. */
typedef int (*Launcher)(const Plan &plan, int act, int backward, int mode,
                        unsigned blocks, void *stream);
int launch_f32(const Plan &plan, int act, int backward, int mode,
               unsigned blocks, void *stream);
int launch_f64(const Plan &plan, int act, int backward, int mode,
               unsigned blocks, void *stream);
int launch_f16(const Plan &plan, int act, int backward, int mode,
               unsigned blocks, void *stream);
int launch_bf16(const Plan &plan, int act, int backward, int mode,
                unsigned blocks, void *stream);

}  // namespace glkc

#endif
