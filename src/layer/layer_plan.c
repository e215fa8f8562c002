/* Internal: validation of a layer call and its blocking (layer_plan.h). */
#include "layer/layer_plan.h"

#include <string.h>

#include "api/error.h"

glk_status glk__layer_arg(glk_layer_plan *plan, const glk_tensor *t,
                          const char *name, int is_output, int optional,
                          int64_t rows, int64_t cols, glk_mat *m, glk_vec *v) {
  if (m) memset(m, 0, sizeof *m);
  if (v) memset(v, 0, sizeof *v);
  if (!t && optional) return GLK_OK;
  const int32_t rank = m ? 2 : 1;
  glk_located c;
  glk_status st = glk__check_tensor(t, name, rank, is_output, &c);
  if (st) return st;
  if (t->rank != rank)
    return glk__fail(GLK_ERR_RANK, "%s has rank %d; the layer takes rank %d",
                     name, (int)t->rank, (int)rank);
  if (t->dtype != plan->dtype)
    return glk__fail(GLK_ERR_DTYPE_MISMATCH, "%s has dtype %s but the layer's "
                     "weights have %s", name, glk_dtype_name(t->dtype),
                     glk_dtype_name(plan->dtype));
  const int64_t shape[2] = {rows, cols};
  const int64_t *want = m ? shape : shape + 1;
  int same = 1;
  for (int32_t i = 0; i < rank; i++) same &= t->shape[i] == want[i];
  if (!same) {
    char got[128], exp[128];
    glk__format_shape(got, sizeof got, t->rank, t->shape);
    glk__format_shape(exp, sizeof exp, rank, want);
    return glk__fail(GLK_ERR_SHAPE_MISMATCH, "%s has shape %s, expected %s",
                     name, got, exp);
  }
  if (m) {
    st = glk__mat_from(t, name, m);
    if (st) return st;
  } else {
    v->p = t->data;
    v->n = t->shape[0];
    v->s = t->strides[0];
  }
  if (is_output) {
    for (int i = 0; i < plan->nin && !st; i++)
      st = glk__check_disjoint(&c.c, &c.at, &plan->in[i].c, &plan->in[i].at, 0);
    for (int i = 0; i < plan->nout && !st; i++)
      st = glk__check_disjoint(&c.c, &c.at, &plan->out[i].c, &plan->out[i].at, 0);
    if (st) return st;
  }
  glk_located *list = is_output ? plan->out : plan->in;
  int *n = is_output ? &plan->nout : &plan->nin;
  if (*n < GLK_LAYER_MAX_ARGS) list[(*n)++] = c;
  return GLK_OK;
}

/* The dtype of the first weight, which every other tensor must share. */
static glk_status glk_layer_dtype(const glk_tensor *w, const char *name,
                                  glk_layer_plan *plan) {
  if (!w) return glk__fail(GLK_ERR_NULL_POINTER, "%s is NULL", name);
  if (w->dtype != GLK_DTYPE_F32 && w->dtype != GLK_DTYPE_F64)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "%s has dtype %s; the layer computes in f32 or f64",
                     name, glk_dtype_name(w->dtype));
  if (w->rank != 2)
    return glk__fail(GLK_ERR_RANK, "%s has rank %d; the layer takes rank 2",
                     name, (int)w->rank);
  plan->dtype = w->dtype;
  plan->es = glk_dtype_size(w->dtype);
  return GLK_OK;
}

/* The up projection's weights and biases as segments (see layer_plan.h). */
static glk_status glk_layer_up(glk_layer_plan *plan, const glk_glu_layer *l,
                               const glk_options *opt) {
  glk_status st;
  glk_layer_seg *s = plan->seg;
  if (l->w_up) {
    if (l->w_value || l->w_gate || l->b_value || l->b_gate)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "give either w_up (and b_up) or w_value and w_gate "
                       "(and b_value, b_gate), not both");
    if ((st = glk_layer_dtype(l->w_up, "w_up", plan))) return st;
    if (l->w_up->shape[1] % 2)
      return glk__fail(GLK_ERR_ODD_SPLIT, "w_up has %lld columns; packed "
                       "value and gate need an even number",
                       (long long)l->w_up->shape[1]);
    plan->d_in = l->w_up->shape[0];
    plan->hidden = l->w_up->shape[1] / 2;
    const int64_t h = plan->hidden;
    if ((st = glk__layer_arg(plan, l->w_up, "w_up", 0, 0, plan->d_in, 2 * h,
                             &s[0].w, NULL)) ||
        (st = glk__layer_arg(plan, l->b_up, "b_up", 0, 1, 0, 2 * h, NULL,
                             &s[0].b)))
      return st;
    if (opt->layout == GLK_LAYOUT_INTERLEAVED) {
      plan->nseg = 1;
      s[0].col0 = 0;
      s[0].step = 2;
      s[0].zcol = 0;
      return GLK_OK;
    }
    plan->nseg = 2;
    s[1] = s[0];
    s[0].col0 = opt->gate == GLK_GATE_FIRST ? h : 0; /* value */
    s[1].col0 = opt->gate == GLK_GATE_FIRST ? 0 : h; /* gate */
  } else {
    if (l->b_up)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "b_up goes with a packed w_up; with w_value and "
                       "w_gate give b_value and b_gate");
    if ((st = glk_layer_dtype(l->w_value, "w_value", plan))) return st;
    if (!l->w_gate) return glk__fail(GLK_ERR_NULL_POINTER, "w_gate is NULL");
    plan->d_in = l->w_value->shape[0];
    plan->hidden = l->w_value->shape[1];
    const int64_t d = plan->d_in, h = plan->hidden;
    if ((st = glk__layer_arg(plan, l->w_value, "w_value", 0, 0, d, h, &s[0].w,
                             NULL)) ||
        (st = glk__layer_arg(plan, l->w_gate, "w_gate", 0, 0, d, h, &s[1].w,
                             NULL)) ||
        (st = glk__layer_arg(plan, l->b_value, "b_value", 0, 1, 0, h, NULL,
                             &s[0].b)) ||
        (st = glk__layer_arg(plan, l->b_gate, "b_gate", 0, 1, 0, h, NULL,
                             &s[1].b)))
      return st;
    plan->nseg = 2;
    s[0].col0 = s[1].col0 = 0;
  }
  s[0].step = s[1].step = 1;
  s[0].zcol = 0;
  s[1].zcol = 1;
  return GLK_OK;
}

/*
 * Blocks: Z (tb x 2 nb) and H (tb x nb) should stay in the L2 cache while
 * the down projection reads H, and each product should still be big enough
 * for BLAS to run at full speed (measured in bench/layer, docs/LAYER.md).
 */
static void glk_layer_blocks(glk_layer_plan *plan, const glk_glu_layer *l) {
  int64_t tb = l->token_block ? l->token_block : 256;
  int64_t nb = l->hidden_block ? l->hidden_block : 512;
  if (tb > plan->tokens) tb = plan->tokens;
  if (nb > plan->hidden) nb = plan->hidden;
  plan->tb = tb > 0 ? tb : 1;
  plan->nb = nb > 0 ? nb : 1;
}

glk_status glk__layer_plan(const glk_glu_layer *layer, const glk_tensor *x,
                           int64_t tokens, const glk_options *options,
                           glk_layer_plan *plan) {
  memset(plan, 0, sizeof *plan);
  if (!layer) return glk__fail(GLK_ERR_NULL_POINTER, "layer is NULL");
  if (layer->struct_size < sizeof *layer)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "layer->struct_size = %zu is smaller than %zu; call "
                     "glk_glu_layer_init() first",
                     layer->struct_size, sizeof *layer);
  if (layer->token_block < 0 || layer->hidden_block < 0)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "token_block = %lld and hidden_block = %lld must be >= 0 "
                     "(0: automatic)",
                     (long long)layer->token_block,
                     (long long)layer->hidden_block);
  glk_ukernel_params params;
  glk_status st = glk__read_options(options, &plan->core, &params);
  if (st) return st;
  if ((st = glk_layer_up(plan, layer, &plan->core))) return st;

  /* The core operator reads Z in the segments' layout (layer_plan.h). */
  if (plan->nseg == 2) {
    plan->core.layout = GLK_LAYOUT_HALVES;
    plan->core.gate = GLK_GATE_SECOND;
  }
  plan->core.dim = -1;
  plan->core.accumulate = 0;

  const int64_t h = plan->hidden;
  plan->has_down = layer->w_down != NULL;
  if (plan->has_down) {
    const glk_tensor *w2 = layer->w_down;
    plan->d_out = w2->rank == 2 ? w2->shape[1] : 0;
    if ((st = glk__layer_arg(plan, w2, "w_down", 0, 0, h, plan->d_out,
                             &plan->down, NULL)))
      return st;
  } else {
    if (layer->b_down)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "b_down is given without w_down");
    plan->d_out = h;
  }
  if ((st = glk__layer_arg(plan, layer->b_down, "b_down", 0, 1, 0, plan->d_out,
                           NULL, &plan->b_down)))
    return st;

  if (x) {
    plan->tokens = x->rank == 2 ? x->shape[0] : 0;
    if ((st = glk__layer_arg(plan, x, "x", 0, 0, plan->tokens, plan->d_in,
                             &plan->x, NULL)))
      return st;
  } else {
    if (tokens < 0)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT, "tokens = %lld is negative",
                       (long long)tokens);
    plan->tokens = tokens;
  }
  glk_layer_blocks(plan, layer);
  return GLK_OK;
}

size_t glk__layer_workspace(const glk_layer_plan *plan, int backward) {
  if (plan->tokens == 0 || plan->hidden == 0) return 0;
  /* Z, plus H for the down projection, plus dH in the backward. */
  int64_t blocks = 2 + (plan->has_down ? (backward ? 2 : 1) : 0);
  /* The 64: room to align the start to a cache line. */
  return (size_t)(plan->tb * plan->nb * blocks) * plan->es + 64;
}
