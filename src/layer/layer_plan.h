/*
 * Internal: a GLU layer call, validated and described as BLAS matrices.
 *
 * The up projection is one or two "segments": BLAS products that fill the
 * pre-activation block Z (tokens x 2*nb) of hidden units [j0, j0 + nb).
 *  - packed, interleaved: one segment, columns [2 j0, 2 (j0 + nb)) of w_up,
 *    and Z is interleaved in the caller's gate order;
 *  - packed halves or separate W and V: a value segment into Z's left half
 *    and a gate segment into its right half (Z: halves, gate second).
 * The core operator then reads Z in that layout.
 */
#ifndef GLK_LAYER_PLAN_H
#define GLK_LAYER_PLAN_H

#include "glukit.h"
#include "api/validate.h"
#include "layer/blas_mat.h"

#define GLK_LAYER_MAX_ARGS 16

typedef struct glk_layer_seg {
  glk_mat w;        /* d_in x ... */
  glk_vec b;        /* p == NULL: no bias */
  int64_t col0;     /* column of hidden unit 0 in w and b */
  int64_t step;     /* columns per hidden unit: 2 interleaved, else 1 */
  int64_t zcol;     /* Z column of the segment, in units of nb */
} glk_layer_seg;

typedef struct glk_layer_plan {
  glk_dtype dtype;
  size_t es;
  int64_t tokens, d_in, hidden, d_out; /* d_out = hidden without w_down */
  int has_down;
  int nseg;
  glk_layer_seg seg[2];
  glk_mat down;      /* hidden x d_out */
  glk_vec b_down;
  glk_mat x, y;      /* y: tokens x d_out (H itself without w_down) */
  glk_options core;  /* for the core operator on Z */
  int64_t tb, nb;    /* token and hidden block sizes */
  /* Checked tensors, for the overlap tests of each output. */
  glk_located in[GLK_LAYER_MAX_ARGS], out[GLK_LAYER_MAX_ARGS];
  int nin, nout;
} glk_layer_plan;

/* The gradients of a backward, laid out like the plan's weights. */
typedef struct glk_layer_grads {
  glk_layer_seg seg[2]; /* w.p / b.p NULL: not wanted */
  glk_mat down;
  glk_vec b_down;
  glk_mat dx;           /* p NULL: not wanted */
  int accumulate;       /* weights and biases */
  int accumulate_dx;
} glk_layer_grads;

/*
 * Checks layer, options and x (NULL: only the weights, for `tokens` rows,
 * as the workspace query needs) and fills the plan.
 */
glk_status glk__layer_plan(const glk_glu_layer *layer, const glk_tensor *x,
                           int64_t tokens, const glk_options *options,
                           glk_layer_plan *plan);

/*
 * One more argument of the call: checked (rank 1 or 2, the plan's dtype,
 * the given shape), described as a matrix (rank 2) or vector (rank 1), and
 * for an output kept apart from every input and earlier output. A NULL
 * tensor with `optional` leaves m/v empty (p == NULL).
 */
glk_status glk__layer_arg(glk_layer_plan *plan, const glk_tensor *t,
                          const char *name, int is_output, int optional,
                          int64_t rows, int64_t cols, glk_mat *m, glk_vec *v);

/* Workspace bytes of the plan, forward or backward. */
size_t glk__layer_workspace(const glk_layer_plan *plan, int backward);

#endif
