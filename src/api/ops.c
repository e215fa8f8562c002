/*
 * The public operations: validate every argument, describe the call as a
 * walk over Y's index space (src/plan), run it with the active kernels
 * (the steps of call.h; plan.c keeps the first for many runs). Nothing is
 * written unless every check passed.
 */
#include <float.h>
#include <math.h>

#include "api/error.h"
#include "api/call.h"
#include "api/validate.h"
#include "dispatch/dispatch.h"
#include "dispatch/threads.h"
#include "kernels/gate_table.h"
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

/* Validates X's descriptor (tensor 0) and returns its split axis and Y's
 * shape. */
static glk_status glk_check_fused_input(glk_call *k, const glk_tensor *x,
                                        int32_t *axis, int64_t *y_shape, glk_bound *b) {
  glk_status st = glk__check_desc(x, "x", 1, 0, &k->c[0], b ? &b->at[0] : NULL);
  if (st) return st;
  st = glk__normalize_dim(k->opt.dim, x->rank, "x", axis);
  if (st) return st;
  if (x->shape[*axis] % 2 != 0)
    return glk__fail(GLK_ERR_ODD_SPLIT,
                     "x has odd size %lld along split axis %d (dim = %d)",
                     (long long)x->shape[*axis], (int)*axis, (int)k->opt.dim);
  for (int32_t i = 0; i < x->rank; i++)
    y_shape[i] = i == *axis ? x->shape[i] / 2 : x->shape[i];
  return GLK_OK;
}

/* Tensor `i` of the call: its descriptor checked (with its data in a
 * one-shot call, b), then its dtype and shape against tensor 0's. */
static glk_status glk_check_arg(glk_call *k, int i, const glk_tensor *t, const char *name,
                                int is_output, glk_bound *b, int32_t rank,
                                const int64_t *shape) {
  glk_status st = glk__check_desc(t, name, 0, is_output, &k->c[i], b ? &b->at[i] : NULL);
  return st ? st : glk__check_like(&k->c[i], &k->c[0], rank, shape);
}

/* Walk operand `op` is tensor `tensor` from `offset` elements on. */
static void glk_bind(glk_call *k, int op, int tensor, int64_t offset) {
  k->bind_tensor[op] = (int8_t)tensor;
  k->bind_offset[op] = offset * (int64_t)k->w.esize;
}

/* Operand `op` is all of tensor `tensor`, in Y's index space. */
static void glk_place(glk_call *k, int op, int tensor) {
  glk_walk_set(&k->w, op, k->c[tensor].t->strides, -1, 1);
  glk_bind(k, op, tensor, 0);
}

/* Places the value and gate members of a fused tensor (X or dX). */
static void glk_place_members(glk_call *k, int tensor, int32_t axis, int op_v, int op_g) {
  const glk_tensor *t = k->c[tensor].t;
  const int64_t s = t->strides[axis];
  const int interleaved = k->opt.layout == GLK_LAYOUT_INTERLEAVED;
  /* Offset of the second member: the next element, or half the axis on. */
  const int64_t second = interleaved ? s : (t->shape[axis] / 2) * s;
  const int64_t step = interleaved ? 2 : 1;
  const int gate_first = k->opt.gate == GLK_GATE_FIRST;
  glk_walk_set(&k->w, op_v, t->strides, axis, step);
  glk_walk_set(&k->w, op_g, t->strides, axis, step);
  glk_bind(k, op_v, tensor, gate_first ? second : 0);
  glk_bind(k, op_g, tensor, gate_first ? 0 : second);
}

static glk_status glk_call_start(glk_call *k, const glk_options *options, int backward,
                                 int ntensors, const glk_rule *rules, int nrules) {
  k->backward = backward;
  k->ntensors = ntensors;
  k->rules = rules;
  k->nrules = nrules;
  return glk__read_options(options, &k->opt, &k->params);
}

/* The walk over `shape` (Y's index space) with `nops` operands. */
static void glk_call_walk(glk_call *k, int nops, int32_t rank, const int64_t *shape) {
  k->dtype = k->c[0].t->dtype;
  /* the 16-bit types' first passes' lookup tables (made on first use),
   * for the CPU's SIMD kernels (the reference ignores them) where they pay
   * on this CPU; without one the kernels compute their first pass */
  const glk_isa isa = k->opt.isa == GLK_ISA_AUTO ? glk_default_isa() : k->opt.isa;
  if ((k->dtype == GLK_DTYPE_BF16 || k->dtype == GLK_DTYPE_F16) &&
      k->opt.device == GLK_DEVICE_CPU && isa != GLK_ISA_SCALAR &&
      glk__gate_table_pays(isa, k->dtype, k->opt.act, k->backward)) {
    if (k->backward) /* the backward reads its own pairs alone */
      k->params.dact_table = glk__gate_dtable(k->dtype, k->opt.act);
    else
      k->params.act_table = glk__gate_table(k->dtype, k->opt.act);
  }
  glk_walk_init(&k->w, nops, k->c[0].esize, rank, shape);
}

/* Tensors: x 0, y 1. */
static const glk_rule kForwardRules[] = {{1, 0, 0}};

glk_status glk__call_forward(glk_call *k, const glk_tensor *x, const glk_tensor *y,
                             const glk_options *options, glk_bound *b) {
  int32_t axis;
  int64_t y_shape[GLK_MAX_RANK];
  glk_status st = glk_call_start(k, options, 0, 2, kForwardRules, 1);
  if (!st) st = glk_check_fused_input(k, x, &axis, y_shape, b);
  if (!st) st = glk_check_arg(k, 1, y, "y", 1, b, x->rank, y_shape);
  if (st) return st;
  k->empty = k->c[1].numel == 0;
  if (k->empty) return GLK_OK;
  glk_call_walk(k, 3, x->rank, y_shape);
  glk_place_members(k, 0, axis, GLK_OP_V, GLK_OP_G);
  glk_place(k, GLK_OP_Y, 1);
  glk_walk_simplify(&k->w, GLK_OP_Y);
  return GLK_OK;
}

/* Tensors: x 0, dy 1, dx 2. dx may be x itself (in place). */
static const glk_rule kBackwardRules[] = {{2, 0, 1}, {2, 1, 0}};

glk_status glk__call_backward(glk_call *k, const glk_tensor *x, const glk_tensor *dy,
                              const glk_tensor *dx, const glk_options *options,
                              glk_bound *b) {
  int32_t axis;
  int64_t y_shape[GLK_MAX_RANK];
  glk_status st = glk_call_start(k, options, 1, 3, kBackwardRules, 2);
  if (!st) st = glk_check_fused_input(k, x, &axis, y_shape, b);
  if (!st) st = glk_check_arg(k, 1, dy, "dy", 0, b, x->rank, y_shape);
  if (!st) st = glk_check_arg(k, 2, dx, "dx", 1, b, x->rank, x->shape);
  if (st) return st;
  k->empty = k->c[1].numel == 0;
  if (k->empty) return GLK_OK;
  glk_call_walk(k, 5, x->rank, y_shape);
  glk_place_members(k, 0, axis, GLK_OP_V, GLK_OP_G);
  glk_place(k, GLK_OP_DY, 1);
  glk_place_members(k, 2, axis, GLK_OP_DV, GLK_OP_DG);
  glk_walk_simplify(&k->w, GLK_OP_DV);
  return GLK_OK;
}

/* value and gate (tensors 0 and 1): one dtype, one shape. */
static glk_status glk_check_split_inputs(glk_call *k, const glk_tensor *value,
                                         const glk_tensor *gate, glk_bound *b) {
  glk_status st = glk__check_desc(value, "value", 0, 0, &k->c[0], b ? &b->at[0] : NULL);
  return st ? st : glk_check_arg(k, 1, gate, "gate", 0, b, value->rank, value->shape);
}

/* Tensors: value 0, gate 1, y 2. */
static const glk_rule kForwardSplitRules[] = {{2, 0, 0}, {2, 1, 0}};

glk_status glk__call_forward_split(glk_call *k, const glk_tensor *value,
                                   const glk_tensor *gate, const glk_tensor *y,
                                   const glk_options *options, glk_bound *b) {
  glk_status st = glk_call_start(k, options, 0, 3, kForwardSplitRules, 2);
  if (!st) st = glk_check_split_inputs(k, value, gate, b);
  if (!st) st = glk_check_arg(k, 2, y, "y", 1, b, value->rank, value->shape);
  if (st) return st;
  k->empty = k->c[2].numel == 0;
  if (k->empty) return GLK_OK;
  glk_call_walk(k, 3, value->rank, value->shape);
  glk_place(k, GLK_OP_V, 0);
  glk_place(k, GLK_OP_G, 1);
  glk_place(k, GLK_OP_Y, 2);
  glk_walk_simplify(&k->w, GLK_OP_Y);
  return GLK_OK;
}

/* Tensors: value 0, gate 1, dy 2, dvalue 3, dgate 4. Each output may be
 * its own input, nothing else may meet. */
static const glk_rule kBackwardSplitRules[] = {{3, 0, 1}, {3, 1, 0}, {3, 2, 0}, {4, 1, 1},
                                               {4, 0, 0}, {4, 2, 0}, {4, 3, 0}};

glk_status glk__call_backward_split(glk_call *k, const glk_tensor *value,
                                    const glk_tensor *gate, const glk_tensor *dy,
                                    const glk_tensor *dvalue, const glk_tensor *dgate,
                                    const glk_options *options, glk_bound *b) {
  glk_status st = glk_call_start(k, options, 1, 5, kBackwardSplitRules, 7);
  if (!st) st = glk_check_split_inputs(k, value, gate, b);
  if (!st) st = glk_check_arg(k, 2, dy, "dy", 0, b, value->rank, value->shape);
  if (!st) st = glk_check_arg(k, 3, dvalue, "dvalue", 1, b, value->rank, value->shape);
  if (!st) st = glk_check_arg(k, 4, dgate, "dgate", 1, b, value->rank, value->shape);
  if (st) return st;
  k->empty = k->c[2].numel == 0;
  if (k->empty) return GLK_OK;
  glk_call_walk(k, 5, value->rank, value->shape);
  glk_place(k, GLK_OP_V, 0);
  glk_place(k, GLK_OP_G, 1);
  glk_place(k, GLK_OP_DY, 2);
  glk_place(k, GLK_OP_DV, 3);
  glk_place(k, GLK_OP_DG, 4);
  glk_walk_simplify(&k->w, GLK_OP_DV);
  return GLK_OK;
}

glk_status glk__call_bind(const glk_call *k, void *const *data, glk_bound *b, int checked) {
  glk_status st;
  for (int i = 0; i < k->ntensors && !checked; i++)
    if ((st = glk__check_data(&k->c[i], data[i], &b->at[i]))) return st;
  for (int r = 0; r < k->nrules; r++) {
    const int o = k->rules[r].out, i = k->rules[r].in;
    if ((st = glk__check_disjoint(&k->c[o], &b->at[o], &k->c[i], &b->at[i], k->rules[r].allow)))
      return st;
  }
  /* In place (the outputs a rule lets be their input) means: the very same
   * view, and not accumulating into it. */
  for (int r = 0; r < k->nrules && k->opt.accumulate; r++) {
    const int o = k->rules[r].out, i = k->rules[r].in;
    if (k->rules[r].allow && glk__same_view(&k->c[o], &b->at[o], &k->c[i], &b->at[i]))
      return glk__fail(GLK_ERR_OVERLAP,
                       "in-place backward cannot accumulate: the gradient "
                       "buffer is the input itself");
  }
  if (!k->empty)
    for (int op = 0; op < GLK_MAX_OPERANDS; op++)
      b->base[op] = op < k->w.nops ? (char *)data[k->bind_tensor[op]] + k->bind_offset[op] : NULL;
  return GLK_OK;
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

#ifdef GLUKIT_HAVE_CUDA
/* The CUDA launcher reads the walk's own bases: a copy with these (out of
 * line, so the CPU path's frame stays small). */
__attribute__((noinline)) static glk_status glk_cuda_run_at(
    const glk_walk *w, char *const *base, int backward, glk_dtype dtype,
    const glk_options *opt, const glk_ukernel_params *params) {
  glk_walk at = *w;
  for (int op = 0; op < w->nops; op++) at.base[op] = base[op];
  return glk__cuda_run(&at, backward, dtype, opt->act, params, opt->cuda_stream);
}
#endif

/* Runs a simplified walk with its operands at `base` on the device the
 * options name: the CPU kernels (waiting for them), or the CUDA kernels,
 * queued on the stream. */
static glk_status glk_run(const glk_walk *w, char *const *base, int backward,
                          glk_dtype dtype, const glk_options *opt,
                          const glk_ukernel_params *params) {
#ifdef GLUKIT_HAVE_CUDA
  if (opt->device == GLK_DEVICE_CUDA)
    return glk_cuda_run_at(w, base, backward, dtype, opt, params);
#endif
  if (backward)
    glk_walk_backward(w, base, glk_kernels_for(dtype, opt), params, glk_threads_for(opt));
  else
    glk_walk_forward(w, base, glk_kernels_for(dtype, opt), params, glk_threads_for(opt));
  return GLK_OK;
}

glk_status glk__call_run(const glk_call *k, const glk_bound *b) {
  if (k->empty) return GLK_OK;
  return glk_run(&k->w, b->base, k->backward, k->dtype, &k->opt, &k->params);
}

GLK_API int glk_cuda_available(void) {
#ifdef GLUKIT_HAVE_CUDA
  return glk__cuda_usable();
#else
  return 0;
#endif
}

/* The one-shot calls: the three steps of call.h in a row. */
GLK_API glk_status glk_forward(const glk_tensor *x, const glk_tensor *y,
                               const glk_options *options) {
  glk__clear_error();
  glk_call k;
  glk_bound b;
  glk_status st = glk__call_forward(&k, x, y, options, &b);
  if (!st) st = glk__call_bind(&k, (void *const[]){x->data, y->data}, &b, 1);
  return st ? st : glk__call_run(&k, &b);
}

GLK_API glk_status glk_backward(const glk_tensor *x, const glk_tensor *dy,
                                const glk_tensor *dx,
                                const glk_options *options) {
  glk__clear_error();
  glk_call k;
  glk_bound b;
  glk_status st = glk__call_backward(&k, x, dy, dx, options, &b);
  if (!st) st = glk__call_bind(&k, (void *const[]){x->data, dy->data, dx->data}, &b, 1);
  return st ? st : glk__call_run(&k, &b);
}

GLK_API glk_status glk_forward_split(const glk_tensor *value,
                                     const glk_tensor *gate,
                                     const glk_tensor *y,
                                     const glk_options *options) {
  glk__clear_error();
  glk_call k;
  glk_bound b;
  glk_status st = glk__call_forward_split(&k, value, gate, y, options, &b);
  if (!st) st = glk__call_bind(&k, (void *const[]){value->data, gate->data, y->data}, &b, 1);
  return st ? st : glk__call_run(&k, &b);
}

GLK_API glk_status glk_backward_split(const glk_tensor *value,
                                      const glk_tensor *gate,
                                      const glk_tensor *dy,
                                      const glk_tensor *dvalue,
                                      const glk_tensor *dgate,
                                      const glk_options *options) {
  glk__clear_error();
  glk_call k;
  glk_bound b;
  glk_status st = glk__call_backward_split(&k, value, gate, dy, dvalue, dgate, options, &b);
  if (!st)
    st = glk__call_bind(&k, (void *const[]){value->data, gate->data, dy->data,
                                            dvalue->data, dgate->data}, &b, 1);
  return st ? st : glk__call_run(&k, &b);
}
