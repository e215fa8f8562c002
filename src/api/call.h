/*
 * Internal: one validated call of an operation, in three steps, so that a
 * plan (plan.c) can do the first once and the others per run:
 *   1. glk__call_<op>: options and tensor descriptors checked (not their
 *      data), the walk over Y's index space built, each walk operand bound
 *      to a tensor and a byte offset from its data;
 *   2. glk__call_bind: the data pointers checked (NULL, address range), the
 *      operation's overlap rules applied, the walk's bases found (in a
 *      glk_bound: the call itself is not written, so a plan can be shared);
 *   3. glk__call_run: the kernels.
 */
#ifndef GLK_CALL_H
#define GLK_CALL_H

#include "api/validate.h"
#include "plan/walk.h"

enum { GLK_MAX_TENSORS = 5 };

/* Output tensor `out` may not meet input `in`, unless `allow` and it is the
 * very same view (in place). */
typedef struct glk_rule {
  int8_t out, in, allow;
} glk_rule;

typedef struct glk_call {
  int backward, ntensors;
  int empty; /* no output element: only the checks run */
  glk_dtype dtype;
  glk_options opt;
  glk_ukernel_params params;
  glk_checked c[GLK_MAX_TENSORS]; /* in the order of the public arguments */
  const glk_rule *rules; /* an `allow` rule's output may be its input: in place */
  int nrules;
  int8_t bind_tensor[GLK_MAX_OPERANDS];
  int64_t bind_offset[GLK_MAX_OPERANDS]; /* bytes */
  glk_walk w;
} glk_call;

/* The first step. b: a one-shot call's bound data, whose pointers are
 * then checked with their descriptors (the one-shot order of checks), or
 * NULL for a plan. */
typedef struct glk_bound glk_bound;
glk_status glk__call_forward(glk_call *k, const glk_tensor *x, const glk_tensor *y,
                             const glk_options *options, glk_bound *b);
glk_status glk__call_backward(glk_call *k, const glk_tensor *x, const glk_tensor *dy,
                              const glk_tensor *dx, const glk_options *options,
                              glk_bound *b);
glk_status glk__call_forward_split(glk_call *k, const glk_tensor *value,
                                   const glk_tensor *gate, const glk_tensor *y,
                                   const glk_options *options, glk_bound *b);
glk_status glk__call_backward_split(glk_call *k, const glk_tensor *value,
                                    const glk_tensor *gate, const glk_tensor *dy,
                                    const glk_tensor *dvalue, const glk_tensor *dgate,
                                    const glk_options *options, glk_bound *b);

/* One run's data: each tensor's place, each walk operand's base. */
struct glk_bound {
  glk_at at[GLK_MAX_TENSORS];
  char *base[GLK_MAX_OPERANDS];
};

/* data[i]: tensor i's data (k->ntensors of them); checked unless the first
 * step did (checked: b came through it). */
glk_status glk__call_bind(const glk_call *k, void *const *data, glk_bound *b, int checked);
glk_status glk__call_run(const glk_call *k, const glk_bound *b);

#endif
