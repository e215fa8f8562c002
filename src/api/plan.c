/*
 * Prepared calls: a plan does the first step of call.h (options and
 * descriptors checked, the walk built) once; each run binds the data
 * pointers (checked as in a one-shot call, overlap rules included) and runs.
 */
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/error.h"

struct glk_plan {
  glk_call call;                    /* its glk_checked point into t */
  glk_tensor t[GLK_MAX_TENSORS];    /* the descriptors, data pointers dropped */
};

/* A plan holding copies of n descriptors (NULL ones stay NULL, for the
 * checks to name), or NULL when memory is short. */
static glk_plan *glk_plan_new(const glk_tensor *const *in, int n, const glk_tensor **t) {
  glk_plan *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  for (int i = 0; i < n; i++) {
    t[i] = NULL;
    if (!in[i]) continue;
    p->t[i] = *in[i];
    p->t[i].data = NULL;
    t[i] = &p->t[i];
  }
  return p;
}

static glk_status glk_plan_finish(glk_plan *p, glk_status st, glk_plan **out) {
  if (st) {
    free(p);
    return st;
  }
  *out = p;
  return GLK_OK;
}

#define GLK_PLAN_BEGIN(N, ...)                                                   \
  glk__clear_error();                                                            \
  if (!plan) return glk__fail(GLK_ERR_NULL_POINTER, "plan is NULL");             \
  *plan = NULL;                                                                  \
  const glk_tensor *const in[N] = {__VA_ARGS__};                                 \
  const glk_tensor *t[N];                                                        \
  glk_plan *p = glk_plan_new(in, N, t);                                          \
  if (!p)                                                                        \
    return glk__fail(GLK_ERR_OUT_OF_MEMORY, "no memory for a plan (%zu bytes)", \
                     sizeof(glk_plan));

GLK_API glk_status glk_plan_forward(const glk_tensor *x, const glk_tensor *y,
                                    const glk_options *options, glk_plan **plan) {
  GLK_PLAN_BEGIN(2, x, y)
  return glk_plan_finish(p, glk__call_forward(&p->call, t[0], t[1], options, NULL), plan);
}

GLK_API glk_status glk_plan_backward(const glk_tensor *x, const glk_tensor *dy,
                                     const glk_tensor *dx, const glk_options *options,
                                     glk_plan **plan) {
  GLK_PLAN_BEGIN(3, x, dy, dx)
  return glk_plan_finish(p, glk__call_backward(&p->call, t[0], t[1], t[2], options, NULL), plan);
}

GLK_API glk_status glk_plan_forward_split(const glk_tensor *value, const glk_tensor *gate,
                                          const glk_tensor *y, const glk_options *options,
                                          glk_plan **plan) {
  GLK_PLAN_BEGIN(3, value, gate, y)
  return glk_plan_finish(p, glk__call_forward_split(&p->call, t[0], t[1], t[2], options, NULL),
                         plan);
}

GLK_API glk_status glk_plan_backward_split(const glk_tensor *value, const glk_tensor *gate,
                                           const glk_tensor *dy, const glk_tensor *dvalue,
                                           const glk_tensor *dgate, const glk_options *options,
                                           glk_plan **plan) {
  GLK_PLAN_BEGIN(5, value, gate, dy, dvalue, dgate)
  return glk_plan_finish(
      p, glk__call_backward_split(&p->call, t[0], t[1], t[2], t[3], t[4], options, NULL), plan);
}

GLK_API int glk_plan_tensor_count(const glk_plan *plan) {
  return plan ? plan->call.ntensors : 0;
}

GLK_API glk_status glk_plan_run(const glk_plan *plan, void *const *data) {
  glk__clear_error();
  if (!plan || !data) return glk__fail(GLK_ERR_NULL_POINTER, "%s is NULL", plan ? "data" : "plan");
  glk_bound b; /* the plan itself is never written: threads may share it */
  glk_status st = glk__call_bind(&plan->call, data, &b, 0);
  return st ? st : glk__call_run(&plan->call, &b);
}

GLK_API void glk_plan_destroy(glk_plan *plan) { free(plan); }
