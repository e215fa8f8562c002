/*
 * The public operations: validate every argument, describe the call as a
 * walk over Y's index space (src/plan), run it with the active kernels.
 * Nothing is written unless every check passed.
 */
#include <float.h>
#include <math.h>

#include "api/error.h"
#include "api/validate.h"
#include "dispatch/dispatch.h"
#include "dispatch/threads.h"
#include "plan/walk.h"
#ifdef GLUKIT_HAVE_CUDA
#include "cuda/glk_cuda.h"
#endif

GLK_API glk_status glk_output_shape(int32_t rank, const int64_t *x_shape,
                                    int32_t dim, int64_t *y_shape) {
  glk__clear_error();
  if (!x_shape || !y_shape)
    return glk__fail(GLK_ERR_NULL_POINTER, "x_shape or y_shape is NULL");
  if (rank == 0)
    return glk__fail(GLK_ERR_RANK,
                     "x is 0-d; GLU needs an axis of even size to split");
  if (rank < 0 || rank > GLK_MAX_RANK)
    return glk__fail(GLK_ERR_RANK, "x has rank %d, outside 1..%d", (int)rank,
                     GLK_MAX_RANK);
  int32_t axis;
  glk_status st = glk__normalize_dim(dim, rank, "x", &axis);
  if (st) return st;
  for (int32_t i = 0; i < rank; i++)
    if (x_shape[i] < 0)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT, "x_shape[%d] = %lld is negative",
                       (int)i, (long long)x_shape[i]);
  if (x_shape[axis] % 2 != 0)
    return glk__fail(GLK_ERR_ODD_SPLIT,
                     "x has odd size %lld along split axis %d (dim = %d)",
                     (long long)x_shape[axis], (int)axis, (int)dim);
  for (int32_t i = 0; i < rank; i++)
    y_shape[i] = i == axis ? x_shape[i] / 2 : x_shape[i];
  return GLK_OK;
}

/* Validates X and returns its split axis and Y's shape. */
static glk_status glk_check_fused_input(const glk_tensor *x,
                                        const glk_options *opt, glk_checked *cx,
                                        int32_t *axis, int64_t *y_shape) {
  glk_status st = glk__check_tensor(x, "x", 1, 0, cx);
  if (st) return st;
  st = glk__normalize_dim(opt->dim, x->rank, "x", axis);
  if (st) return st;
  if (x->shape[*axis] % 2 != 0)
    return glk__fail(GLK_ERR_ODD_SPLIT,
                     "x has odd size %lld along split axis %d (dim = %d)",
                     (long long)x->shape[*axis], (int)*axis, (int)opt->dim);
  for (int32_t i = 0; i < x->rank; i++)
    y_shape[i] = i == *axis ? x->shape[i] / 2 : x->shape[i];
  return GLK_OK;
}

/* Places the value and gate members of a fused tensor t (X or dX). */
static void glk_place_members(glk_walk *w, const glk_tensor *t, int32_t axis,
                              const glk_options *opt, int op_v, int op_g) {
  const int64_t s = t->strides[axis];
  const int interleaved = opt->layout == GLK_LAYOUT_INTERLEAVED;
  /* Offset of the second member: the next element, or half the axis on. */
  const int64_t second = interleaved ? s : (t->shape[axis] / 2) * s;
  const int64_t step = interleaved ? 2 : 1;
  const int gate_first = opt->gate == GLK_GATE_FIRST;
  glk_walk_set(w, op_v, t->data, gate_first ? second : 0, t->strides, axis, step);
  glk_walk_set(w, op_g, t->data, gate_first ? 0 : second, t->strides, axis, step);
}

/* Options were validated: the ISA is available. The SIMD kernels hold
 * swiglu_oai's alpha as an f32 pair and compare f32 values with the clamp
 * limit rounded to f32, so an alpha that is no normal f32 (0, or too small
 * or too large) or a limit that f32 does not hold exactly (e.g. 1e161,
 * which would round to infinity and clamp nothing) runs on the reference
 * kernels. */
static const glk_kernel_set *glk_kernels_for(glk_dtype dtype,
                                             const glk_options *opt) {
  const double a = fabs(opt->alpha);
  const int odd = opt->act == GLK_ACT_SWIGLU_OAI &&
                  (!(a >= FLT_MIN && a <= FLT_MAX) ||
                   !(fabs(opt->limit) <= FLT_MAX && (double)(float)opt->limit == opt->limit));
  const glk_isa isa = odd ? GLK_ISA_SCALAR : opt->isa;
  return &glk__kernels_for(isa)->set[dtype][opt->act];
}

static int glk_threads_for(const glk_options *opt) {
  return opt->num_threads > 0 ? opt->num_threads : glk__default_threads();
}

/* Runs a simplified walk on the device the options name: the CPU kernels
 * (waiting for them), or the CUDA kernels, queued on the stream. */
static glk_status glk_run(glk_walk *w, int backward, glk_dtype dtype,
                          const glk_options *opt,
                          const glk_ukernel_params *params) {
#ifdef GLUKIT_HAVE_CUDA
  if (opt->device == GLK_DEVICE_CUDA)
    return glk__cuda_run(w, backward, dtype, opt->act, params, opt->cuda_stream);
#endif
  if (backward)
    glk_walk_backward(w, glk_kernels_for(dtype, opt), params, glk_threads_for(opt));
  else
    glk_walk_forward(w, glk_kernels_for(dtype, opt), params, glk_threads_for(opt));
  return GLK_OK;
}

GLK_API int glk_cuda_available(void) {
#ifdef GLUKIT_HAVE_CUDA
  return glk__cuda_usable();
#else
  return 0;
#endif
}

GLK_API glk_status glk_forward(const glk_tensor *x, const glk_tensor *y,
                               const glk_options *options) {
  glk__clear_error();
  glk_options opt;
  glk_ukernel_params params;
  glk_checked cx, cy;
  int32_t axis;
  int64_t y_shape[GLK_MAX_RANK];
  glk_status st = glk__read_options(options, &opt, &params);
  if (!st) st = glk_check_fused_input(x, &opt, &cx, &axis, y_shape);
  if (!st) st = glk__check_tensor(y, "y", 0, 1, &cy);
  if (!st) st = glk__check_like(&cy, &cx, x->rank, y_shape);
  if (!st) st = glk__check_disjoint(&cy, &cx, 0);
  if (st || cy.numel == 0) return st;

  glk_walk w;
  glk_walk_init(&w, 3, cx.esize, x->rank, y_shape);
  glk_place_members(&w, x, axis, &opt, GLK_OP_V, GLK_OP_G);
  glk_walk_set(&w, GLK_OP_Y, y->data, 0, y->strides, -1, 1);
  glk_walk_simplify(&w, GLK_OP_Y);
  return glk_run(&w, 0, x->dtype, &opt, &params);
}

/* In place means: the very same view, and not accumulating into it. */
static glk_status glk_check_in_place(const glk_tensor *out,
                                     const glk_tensor *in,
                                     const glk_options *opt) {
  if (opt->accumulate && glk__same_view(out, in))
    return glk__fail(GLK_ERR_OVERLAP,
                     "in-place backward cannot accumulate: the gradient "
                     "buffer is the input itself");
  return GLK_OK;
}

GLK_API glk_status glk_backward(const glk_tensor *x, const glk_tensor *dy,
                                const glk_tensor *dx,
                                const glk_options *options) {
  glk__clear_error();
  glk_options opt;
  glk_ukernel_params params;
  glk_checked cx, cdy, cdx;
  int32_t axis;
  int64_t y_shape[GLK_MAX_RANK];
  glk_status st = glk__read_options(options, &opt, &params);
  if (!st) st = glk_check_fused_input(x, &opt, &cx, &axis, y_shape);
  if (!st) st = glk__check_tensor(dy, "dy", 0, 0, &cdy);
  if (!st) st = glk__check_like(&cdy, &cx, x->rank, y_shape);
  if (!st) st = glk__check_tensor(dx, "dx", 0, 1, &cdx);
  if (!st) st = glk__check_like(&cdx, &cx, x->rank, x->shape);
  if (!st) st = glk__check_disjoint(&cdx, &cx, 1);
  if (!st) st = glk__check_disjoint(&cdx, &cdy, 0);
  if (!st) st = glk_check_in_place(dx, x, &opt);
  if (st || cdy.numel == 0) return st;

  glk_walk w;
  glk_walk_init(&w, 5, cx.esize, x->rank, y_shape);
  glk_place_members(&w, x, axis, &opt, GLK_OP_V, GLK_OP_G);
  glk_walk_set(&w, GLK_OP_DY, dy->data, 0, dy->strides, -1, 1);
  glk_place_members(&w, dx, axis, &opt, GLK_OP_DV, GLK_OP_DG);
  glk_walk_simplify(&w, GLK_OP_DV);
  return glk_run(&w, 1, x->dtype, &opt, &params);
}

/* value and gate: one dtype, one shape; returns the checked pair. */
static glk_status glk_check_split_inputs(const glk_tensor *value,
                                         const glk_tensor *gate,
                                         glk_checked *cv, glk_checked *cg) {
  glk_status st = glk__check_tensor(value, "value", 0, 0, cv);
  if (!st) st = glk__check_tensor(gate, "gate", 0, 0, cg);
  if (!st) st = glk__check_like(cg, cv, value->rank, value->shape);
  return st;
}

GLK_API glk_status glk_forward_split(const glk_tensor *value,
                                     const glk_tensor *gate,
                                     const glk_tensor *y,
                                     const glk_options *options) {
  glk__clear_error();
  glk_options opt;
  glk_ukernel_params params;
  glk_checked cv, cg, cy;
  glk_status st = glk__read_options(options, &opt, &params);
  if (!st) st = glk_check_split_inputs(value, gate, &cv, &cg);
  if (!st) st = glk__check_tensor(y, "y", 0, 1, &cy);
  if (!st) st = glk__check_like(&cy, &cv, value->rank, value->shape);
  if (!st) st = glk__check_disjoint(&cy, &cv, 0);
  if (!st) st = glk__check_disjoint(&cy, &cg, 0);
  if (st || cy.numel == 0) return st;

  glk_walk w;
  glk_walk_init(&w, 3, cv.esize, value->rank, value->shape);
  glk_walk_set(&w, GLK_OP_V, value->data, 0, value->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_G, gate->data, 0, gate->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_Y, y->data, 0, y->strides, -1, 1);
  glk_walk_simplify(&w, GLK_OP_Y);
  return glk_run(&w, 0, value->dtype, &opt, &params);
}

GLK_API glk_status glk_backward_split(const glk_tensor *value,
                                      const glk_tensor *gate,
                                      const glk_tensor *dy,
                                      const glk_tensor *dvalue,
                                      const glk_tensor *dgate,
                                      const glk_options *options) {
  glk__clear_error();
  glk_options opt;
  glk_ukernel_params params;
  glk_checked cv, cg, cdy, cdv, cdg;
  glk_status st = glk__read_options(options, &opt, &params);
  if (!st) st = glk_check_split_inputs(value, gate, &cv, &cg);
  if (!st) st = glk__check_tensor(dy, "dy", 0, 0, &cdy);
  if (!st) st = glk__check_like(&cdy, &cv, value->rank, value->shape);
  if (!st) st = glk__check_tensor(dvalue, "dvalue", 0, 1, &cdv);
  if (!st) st = glk__check_like(&cdv, &cv, value->rank, value->shape);
  if (!st) st = glk__check_tensor(dgate, "dgate", 0, 1, &cdg);
  if (!st) st = glk__check_like(&cdg, &cv, value->rank, value->shape);
  /* Each output may be its own input, nothing else may meet. */
  if (!st) st = glk__check_disjoint(&cdv, &cv, 1);
  if (!st) st = glk__check_disjoint(&cdv, &cg, 0);
  if (!st) st = glk__check_disjoint(&cdv, &cdy, 0);
  if (!st) st = glk__check_disjoint(&cdg, &cg, 1);
  if (!st) st = glk__check_disjoint(&cdg, &cv, 0);
  if (!st) st = glk__check_disjoint(&cdg, &cdy, 0);
  if (!st) st = glk__check_disjoint(&cdg, &cdv, 0);
  if (!st) st = glk_check_in_place(dvalue, value, &opt);
  if (!st) st = glk_check_in_place(dgate, gate, &opt);
  if (st || cdy.numel == 0) return st;

  glk_walk w;
  glk_walk_init(&w, 5, cv.esize, value->rank, value->shape);
  glk_walk_set(&w, GLK_OP_V, value->data, 0, value->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_G, gate->data, 0, gate->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_DY, dy->data, 0, dy->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_DV, dvalue->data, 0, dvalue->strides, -1, 1);
  glk_walk_set(&w, GLK_OP_DG, dgate->data, 0, dgate->strides, -1, 1);
  glk_walk_simplify(&w, GLK_OP_DV);
  return glk_run(&w, 1, value->dtype, &opt, &params);
}
