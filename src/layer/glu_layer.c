/*
 * The GLU layer and gated feed-forward block (glukit.h, "GLU layer"):
 * cache-sized blocks of tokens x hidden units, each projected with BLAS,
 * activated by the core operator and multiplied into the down projection
 * while still in cache.
 */
#include <string.h>

#include "api/error.h"
#include "layer/layer_plan.h"

GLK_API void glk_glu_layer_init(glk_glu_layer *layer) {
  if (!layer) return;
  memset(layer, 0, sizeof *layer);
  layer->struct_size = sizeof *layer;
}

GLK_API glk_status glk_glu_workspace_size(const glk_glu_layer *layer,
                                          int64_t tokens, int32_t backward,
                                          const glk_options *options,
                                          size_t *bytes) {
  glk__clear_error();
  if (!bytes) return glk__fail(GLK_ERR_NULL_POINTER, "bytes is NULL");
  glk_layer_plan plan;
  glk_status st = glk__layer_plan(layer, NULL, tokens, options, &plan);
  if (st) return st;
  *bytes = glk__layer_workspace(&plan, backward);
  return GLK_OK;
}

/* The workspace, aligned to a cache line, split into n blocks of tb x nb. */
static glk_status glk_layer_workspace(const glk_layer_plan *plan, int backward,
                                      void *ws, size_t size, char **blocks) {
  const size_t need = glk__layer_workspace(plan, backward);
  if (need == 0) return GLK_OK;
  if (!ws)
    return glk__fail(GLK_ERR_NULL_POINTER,
                     "workspace is NULL; this call needs %zu bytes "
                     "(glk_glu_workspace_size)", need);
  if (size < need)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "workspace_size = %zu bytes, this call needs %zu "
                     "(glk_glu_workspace_size)", size, need);
  *blocks = (char *)ws + ((64 - (uintptr_t)ws % 64) % 64);
  return GLK_OK;
}

/* A contiguous rows x cols matrix at p. */
static glk_mat glk_dense(char *p, int64_t rows, int64_t cols) {
  glk_mat m = {p, rows, cols, cols > 0 ? cols : 1, 1};
  return m;
}

/* Columns of hidden units [j0, j0 + jn) of a segment's weight or bias. */
static glk_mat glk_seg_w(const glk_layer_plan *p, const glk_layer_seg *s,
                         int64_t j0, int64_t jn) {
  return glk__mat_block(s->w, p->es, 0, s->w.rows, s->col0 + s->step * j0,
                        s->step * jn);
}

/* Z's columns for segment s of a block of jn hidden units. */
static glk_mat glk_seg_z(const glk_layer_plan *p, const glk_layer_seg *s,
                         glk_mat z, int64_t jn) {
  return glk__mat_block(z, p->es, 0, z.rows, s->zcol * jn, s->step * jn);
}

/* Z = X_t [W|V]_j + [b|c]_j for the block (tokens of xt, units j0..). */
static void glk_project(const glk_layer_plan *p, glk_mat xt, glk_mat z,
                        int64_t j0, int64_t jn) {
  for (int s = 0; s < p->nseg; s++) {
    const glk_layer_seg *seg = &p->seg[s];
    glk_mat zs = glk_seg_z(p, seg, z, jn);
    if (seg->b.p) glk__fill_rows(p->dtype, zs, seg->b, seg->col0 + seg->step * j0);
    glk__gemm(p->dtype, zs, xt, glk_seg_w(p, seg, j0, jn), seg->b.p ? 1 : 0);
  }
}

/* H = act(gate) * value over Z, by the core operator. */
static glk_status glk_activate(const glk_layer_plan *p, glk_mat z, glk_mat h) {
  glk_tensor tz, th;
  glk__mat_tensor(p->dtype, z, &tz);
  glk__mat_tensor(p->dtype, h, &th);
  return glk_forward(&tz, &th, &p->core);
}

GLK_API glk_status glk_glu_forward(const glk_glu_layer *layer,
                                   const glk_tensor *x, const glk_tensor *y,
                                   void *workspace, size_t workspace_size,
                                   const glk_options *options) {
  glk__clear_error();
  if (!x) return glk__fail(GLK_ERR_NULL_POINTER, "x is NULL");
  glk_layer_plan p;
  char *ws = NULL;
  glk_status st = glk__layer_plan(layer, x, 0, options, &p);
  if (!st) st = glk__layer_arg(&p, y, "y", 1, 0, p.tokens, p.d_out, &p.y, NULL);
  if (!st) st = glk_layer_workspace(&p, 0, workspace, workspace_size, &ws);
  if (st) return st;

  for (int64_t t0 = 0; t0 < p.tokens; t0 += p.tb) {
    const int64_t tn = p.tokens - t0 < p.tb ? p.tokens - t0 : p.tb;
    glk_mat xt = glk__mat_block(p.x, p.es, t0, tn, 0, p.d_in);
    glk_mat yt = glk__mat_block(p.y, p.es, t0, tn, 0, p.d_out);
    /* Y_t starts as b2, or the first block's product overwrites it. */
    if (p.has_down && p.b_down.p) glk__fill_rows(p.dtype, yt, p.b_down, 0);
    if (p.has_down && !p.b_down.p && p.hidden == 0) glk__zero_mat(p.dtype, yt);
    for (int64_t j0 = 0; j0 < p.hidden; j0 += p.nb) {
      const int64_t jn = p.hidden - j0 < p.nb ? p.hidden - j0 : p.nb;
      glk_mat z = glk_dense(ws, tn, 2 * jn);
      glk_project(&p, xt, z, j0, jn);
      glk_mat h = p.has_down
                      ? glk_dense(ws + (size_t)(p.tb * p.nb * 2) * p.es, tn, jn)
                      : glk__mat_block(yt, p.es, 0, tn, j0, jn);
      if ((st = glk_activate(&p, z, h))) return st;
      if (p.has_down)
        glk__gemm(p.dtype, yt, h, glk__mat_block(p.down, p.es, j0, jn, 0, p.d_out),
                  j0 == 0 && !p.b_down.p ? 0 : 1);
    }
  }
  return GLK_OK;
}

/* The gradient tensors of `g`, checked against the plan's weights. */
static glk_status glk_check_grads(glk_layer_plan *p, const glk_glu_layer *l,
                                  const glk_glu_layer *g, glk_layer_grads *d) {
  glk_status st;
  const int64_t h = p->hidden;
  memcpy(d->seg, p->seg, sizeof d->seg); /* columns as the weights' */
  if (!g) { /* only dx */
    for (int s = 0; s < 2; s++) d->seg[s].w.p = d->seg[s].b.p = NULL;
    d->down.p = d->b_down.p = NULL;
    return GLK_OK;
  }
  if (g->struct_size < sizeof *g)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "grads->struct_size = %zu is smaller than %zu; call "
                     "glk_glu_layer_init() first", g->struct_size, sizeof *g);
  d->accumulate = g->accumulate != 0;
  if (l->w_up) {
    if (g->w_value || g->w_gate || g->b_value || g->b_gate)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "the weights are packed in w_up: give their gradients "
                       "as grads->w_up and grads->b_up");
    if (g->b_up && !l->b_up)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT, "grads->b_up without b_up");
    glk_mat w;
    glk_vec b;
    if ((st = glk__layer_arg(p, g->w_up, "grads->w_up", 1, 1, p->d_in, 2 * h,
                             &w, NULL)) ||
        (st = glk__layer_arg(p, g->b_up, "grads->b_up", 1, 1, 0, 2 * h, NULL,
                             &b)))
      return st;
    for (int s = 0; s < p->nseg; s++) {
      d->seg[s].w = w;
      d->seg[s].b = b;
    }
  } else {
    if (g->w_up || g->b_up)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "the weights are w_value and w_gate: give their "
                       "gradients there, not in grads->w_up");
    if ((g->b_value && !l->b_value) || (g->b_gate && !l->b_gate))
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "a bias gradient is given for a layer without that bias");
    if ((st = glk__layer_arg(p, g->w_value, "grads->w_value", 1, 1, p->d_in, h,
                             &d->seg[0].w, NULL)) ||
        (st = glk__layer_arg(p, g->w_gate, "grads->w_gate", 1, 1, p->d_in, h,
                             &d->seg[1].w, NULL)) ||
        (st = glk__layer_arg(p, g->b_value, "grads->b_value", 1, 1, 0, h, NULL,
                             &d->seg[0].b)) ||
        (st = glk__layer_arg(p, g->b_gate, "grads->b_gate", 1, 1, 0, h, NULL,
                             &d->seg[1].b)))
      return st;
  }
  if ((g->w_down && !l->w_down) || (g->b_down && !l->b_down))
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "grads->w_down or b_down given for a layer without it");
  if ((st = glk__layer_arg(p, g->w_down, "grads->w_down", 1, 1, h, p->d_out,
                           &d->down, NULL)) ||
      (st = glk__layer_arg(p, g->b_down, "grads->b_down", 1, 1, 0, p->d_out,
                           NULL, &d->b_down)))
    return st;
  return GLK_OK;
}

/* Bias gradients start at 0 unless accumulating: blocks add into them. */
static void glk_clear_grads(const glk_layer_plan *p, const glk_layer_grads *d) {
  if (d->accumulate) return;
  for (int s = 0; s < p->nseg; s++)
    if (d->seg[s].b.p && (s == 0 || d->seg[s].b.p != d->seg[0].b.p))
      glk__zero_vec(p->dtype, d->seg[s].b);
  if (d->b_down.p) glk__zero_vec(p->dtype, d->b_down);
}

/*
 * One block of the backward: tokens xt/dyt, hidden units j0..j0+jn.
 * Recomputes Z (and H), then dW2 += H^T dY, dH = dY W2^T, dZ (in place in
 * Z, by the core backward), d[W|V] += X^T dZ, d[b|c] += colsum dZ,
 * dX (+)= dZ [W|V]^T.
 */
static glk_status glk_backward_block(const glk_layer_plan *p,
                                     const glk_layer_grads *d, char *ws,
                                     glk_mat xt, glk_mat dyt, glk_mat dxt,
                                     int64_t j0, int64_t jn, int first_t) {
  const int64_t tn = xt.rows;
  const size_t blk = (size_t)(p->tb * p->nb) * p->es;
  const double beta_w = first_t && !d->accumulate ? 0 : 1;
  glk_status st;
  glk_mat z = glk_dense(ws, tn, 2 * jn), dh;
  glk_project(p, xt, z, j0, jn);
  if (p->has_down) {
    glk_mat w2 = glk__mat_block(p->down, p->es, j0, jn, 0, p->d_out);
    if (d->down.p) {
      glk_mat h = glk_dense(ws + 2 * blk, tn, jn);
      if ((st = glk_activate(p, z, h))) return st;
      glk__gemm(p->dtype, glk__mat_block(d->down, p->es, j0, jn, 0, p->d_out),
                glk__mat_t(h), dyt, beta_w);
    }
    dh = glk_dense(ws + 3 * blk, tn, jn);
    glk__gemm(p->dtype, dh, dyt, glk__mat_t(w2), 0);
  } else {
    dh = glk__mat_block(dyt, p->es, 0, tn, j0, jn);
  }
  glk_tensor tz, tdh;
  glk__mat_tensor(p->dtype, z, &tz);
  glk__mat_tensor(p->dtype, dh, &tdh);
  if ((st = glk_backward(&tz, &tdh, &tz, &p->core))) return st;
  for (int s = 0; s < p->nseg; s++) {
    const glk_layer_seg *seg = &p->seg[s], *gseg = &d->seg[s];
    glk_mat dz = glk_seg_z(p, seg, z, jn);
    if (gseg->w.p)
      glk__gemm(p->dtype, glk_seg_w(p, gseg, j0, jn), glk__mat_t(xt), dz,
                beta_w);
    if (gseg->b.p)
      glk__add_col_sums(p->dtype, gseg->b, gseg->col0 + gseg->step * j0, dz);
    if (dxt.p)
      glk__gemm(p->dtype, dxt, dz, glk__mat_t(glk_seg_w(p, seg, j0, jn)),
                j0 == 0 && s == 0 && !d->accumulate_dx ? 0 : 1);
  }
  return GLK_OK;
}

GLK_API glk_status glk_glu_backward(const glk_glu_layer *layer,
                                    const glk_tensor *x, const glk_tensor *dy,
                                    const glk_tensor *dx,
                                    const glk_glu_layer *grads,
                                    void *workspace, size_t workspace_size,
                                    const glk_options *options) {
  glk__clear_error();
  if (!x) return glk__fail(GLK_ERR_NULL_POINTER, "x is NULL");
  glk_layer_plan p;
  glk_layer_grads d;
  glk_mat dym;
  char *ws = NULL;
  memset(&d, 0, sizeof d);
  glk_status st = glk__layer_plan(layer, x, 0, options, &p);
  if (!st) st = glk__layer_arg(&p, dy, "dy", 0, 0, p.tokens, p.d_out, &dym, NULL);
  if (!st) st = glk__layer_arg(&p, dx, "dx", 1, 1, p.tokens, p.d_in, &d.dx, NULL);
  if (!st) st = glk_check_grads(&p, layer, grads, &d);
  if (!st) st = glk_layer_workspace(&p, 1, workspace, workspace_size, &ws);
  if (st) return st;
  d.accumulate_dx = options && options->accumulate;

  glk_clear_grads(&p, &d);
  if (d.b_down.p) glk__add_col_sums(p.dtype, d.b_down, 0, dym);
  if (p.hidden == 0) { /* nothing flows back to X or the up weights */
    if (d.dx.p && !d.accumulate_dx) glk__zero_mat(p.dtype, d.dx);
    if (d.down.p && !d.accumulate) glk__zero_mat(p.dtype, d.down);
    return GLK_OK;
  }
  if (p.tokens == 0) { /* the weight gradients are sums over no token */
    for (int s = 0; s < p.nseg && !d.accumulate; s++)
      if (d.seg[s].w.p) glk__zero_mat(p.dtype, d.seg[s].w);
    if (d.down.p && !d.accumulate) glk__zero_mat(p.dtype, d.down);
    return GLK_OK;
  }
  for (int64_t t0 = 0; t0 < p.tokens; t0 += p.tb) {
    const int64_t tn = p.tokens - t0 < p.tb ? p.tokens - t0 : p.tb;
    glk_mat xt = glk__mat_block(p.x, p.es, t0, tn, 0, p.d_in);
    glk_mat dyt = glk__mat_block(dym, p.es, t0, tn, 0, p.d_out);
    glk_mat dxt = d.dx;
    if (d.dx.p) dxt = glk__mat_block(d.dx, p.es, t0, tn, 0, p.d_in);
    for (int64_t j0 = 0; j0 < p.hidden; j0 += p.nb) {
      const int64_t jn = p.hidden - j0 < p.nb ? p.hidden - j0 : p.nb;
      if ((st = glk_backward_block(&p, &d, ws, xt, dyt, dxt, j0, jn, t0 == 0)))
        return st;
    }
  }
  return GLK_OK;
}
