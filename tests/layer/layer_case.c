/* Test support for the GLU layer (layer_case.h). */
#include "layer_case.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/check.h"

uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

double rng_uniform(uint64_t *s) {
  return (double)(rng_next(s) >> 11) / 9007199254740992.0 * 2 - 1;
}

static double *randv(uint64_t *s, int64_t n, double scale, glk_dtype dt) {
  double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  CHECK(p);
  for (int64_t i = 0; i < n; i++) {
    p[i] = rng_uniform(s) * scale;
    if (dt == GLK_DTYPE_F32) p[i] = (float)p[i]; /* exact in the dtype */
  }
  return p;
}

static void put(glk_dtype dt, void *mem, int64_t off, double v) {
  if (dt == GLK_DTYPE_F64)
    ((double *)mem)[off] = v;
  else
    ((float *)mem)[off] = (float)v;
}

tbuf tbuf_mat(glk_dtype dt, int64_t rows, int64_t cols, const double *vals,
              int col_major, int64_t pad) {
  tbuf b;
  const int64_t ld = (col_major ? rows : cols) + pad;
  const int64_t n = (col_major ? cols : rows) * ld;
  b.mem = calloc((size_t)(n > 0 ? n : 1), glk_dtype_size(dt));
  CHECK(b.mem);
  const int64_t shape[2] = {rows, cols};
  const int64_t strides[2] = {col_major ? 1 : ld, col_major ? ld : 1};
  CHECK(glk_tensor_init(&b.t, b.mem, dt, 2, shape, strides) == GLK_OK);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      put(dt, b.mem, i * strides[0] + j * strides[1],
          vals ? vals[i * cols + j] : 0);
  return b;
}

tbuf tbuf_vec(glk_dtype dt, int64_t n, const double *vals, int64_t stride) {
  tbuf b;
  b.mem = calloc((size_t)(n > 0 ? n * stride : 1), glk_dtype_size(dt));
  CHECK(b.mem);
  CHECK(glk_tensor_init(&b.t, b.mem, dt, 1, &n, &stride) == GLK_OK);
  for (int64_t i = 0; i < n; i++) put(dt, b.mem, i * stride, vals ? vals[i] : 0);
  return b;
}

double tbuf_get(const tbuf *b, int64_t i, int64_t j) {
  int64_t off = i * b->t.strides[0] + (b->t.rank == 2 ? j * b->t.strides[1] : 0);
  if (b->t.dtype == GLK_DTYPE_F64) return ((double *)b->mem)[off];
  return ((float *)b->mem)[off];
}

void tbuf_free(tbuf *b) {
  free(b->mem);
  memset(b, 0, sizeof *b);
}

/* Column of logical value (is_gate 0) or gate unit j in a packed w_up. */
static int64_t packed_col(pack pk, int64_t H, int64_t j, int is_gate) {
  switch (pk) {
  case PACK_HALVES_GATE2: return is_gate ? H + j : j;
  case PACK_HALVES_GATE1: return is_gate ? j : H + j;
  case PACK_INTER_GATE2: return 2 * j + (is_gate ? 1 : 0);
  case PACK_INTER_GATE1: return 2 * j + (is_gate ? 0 : 1);
  default: CHECK(0); return 0;
  }
}

static void set_pack_options(glk_options *o, pack pk) {
  o->layout = pk == PACK_INTER_GATE1 || pk == PACK_INTER_GATE2
                  ? GLK_LAYOUT_INTERLEAVED : GLK_LAYOUT_HALVES;
  o->gate = pk == PACK_HALVES_GATE1 || pk == PACK_INTER_GATE1 ? GLK_GATE_FIRST
                                                               : GLK_GATE_SECOND;
}

/* [W|V] packed as pk: D x 2H logical values (or a 1 x 2H bias). */
static double *pack_cols(pack pk, int64_t rows, int64_t H, const double *w,
                         const double *v) {
  double *p = malloc((size_t)(rows * 2 * H > 0 ? rows * 2 * H : 1) * sizeof *p);
  CHECK(p);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < H; j++) {
      p[i * 2 * H + packed_col(pk, H, j, 0)] = w[i * H + j];
      p[i * 2 * H + packed_col(pk, H, j, 1)] = v[i * H + j];
    }
  return p;
}

int64_t case_out_cols(const layer_case *c) { return c->down ? c->O : c->H; }

void case_make(layer_case *c, glk_dtype dt, pack pk, int bias, int down,
               int64_t T, int64_t D, int64_t H, int64_t O, glk_act act,
               uint64_t seed) {
  memset(c, 0, sizeof *c);
  uint64_t s = seed * 2654435761u + 1;
  c->dt = dt;
  c->pk = pk;
  c->bias = bias;
  c->down = down;
  c->T = T, c->D = D, c->H = H, c->O = down ? O : 0;
  glk_options_init(&c->opt);
  c->opt.act = act;
  set_pack_options(&c->opt, pk);
  /* Scales keep the pre-activations near the activations' bends. */
  const double ws = 2.0 / sqrt((double)(D > 0 ? D : 1));
  c->x = randv(&s, T * D, 1, dt);
  c->w = randv(&s, D * H, ws, dt);
  c->v = randv(&s, D * H, ws, dt);
  c->b = randv(&s, H, bias ? 0.5 : 0, dt);
  c->c = randv(&s, H, bias ? 0.5 : 0, dt);
  c->w2 = randv(&s, H * c->O, 1.0 / sqrt((double)(H > 0 ? H : 1)), dt);
  c->b2 = randv(&s, c->O, bias ? 0.5 : 0, dt);

  glk_glu_layer_init(&c->layer);
  c->tx = tbuf_mat(dt, T, D, c->x, 0, 3); /* padded rows */
  if (pk == PACK_SEPARATE) {
    c->tval = tbuf_mat(dt, D, H, c->w, 0, 0);
    c->tgate = tbuf_mat(dt, D, H, c->v, 1, 1); /* like a PyTorch weight^T */
    c->layer.w_value = &c->tval.t;
    c->layer.w_gate = &c->tgate.t;
    if (bias) {
      c->tbval = tbuf_vec(dt, H, c->b, 1);
      c->tbgate = tbuf_vec(dt, H, c->c, 2);
      c->layer.b_value = &c->tbval.t;
      c->layer.b_gate = &c->tbgate.t;
    }
  } else {
    double *p = pack_cols(pk, D, H, c->w, c->v);
    c->tup = tbuf_mat(dt, D, 2 * H, p, 0, 0);
    free(p);
    c->layer.w_up = &c->tup.t;
    if (bias) {
      p = pack_cols(pk, 1, H, c->b, c->c);
      c->tbup = tbuf_vec(dt, 2 * H, p, 1);
      free(p);
      c->layer.b_up = &c->tbup.t;
    }
  }
  if (down) {
    c->tw2 = tbuf_mat(dt, H, O, c->w2, 1, 0); /* column-major */
    c->layer.w_down = &c->tw2.t;
    if (bias) {
      c->tb2 = tbuf_vec(dt, O, c->b2, 1);
      c->layer.b_down = &c->tb2.t;
    }
  }
}

void case_free(layer_case *c) {
  free(c->x), free(c->w), free(c->v), free(c->b), free(c->c), free(c->w2),
      free(c->b2);
  tbuf *all[] = {&c->tx, &c->tup, &c->tval, &c->tgate, &c->tbup,
                 &c->tbval, &c->tbgate, &c->tw2, &c->tb2};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) tbuf_free(all[i]);
}

/* Random initial values (for accumulate tests) or zeros. */
static double *init_vals(uint64_t *s, int64_t n) {
  double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
  CHECK(p);
  for (int64_t i = 0; i < n && *s; i++) p[i] = (float)rng_uniform(s);
  return p;
}

void grads_make(case_grads *g, const layer_case *c, uint64_t seed) {
  memset(g, 0, sizeof *g);
  uint64_t s = seed;
  glk_glu_layer_init(&g->g);
  const int64_t D = c->D, H = c->H, O = c->O;
  double *p;
  if (c->pk == PACK_SEPARATE) {
    p = init_vals(&s, D * H), g->val = tbuf_mat(c->dt, D, H, p, 1, 0), free(p);
    p = init_vals(&s, D * H), g->gate = tbuf_mat(c->dt, D, H, p, 0, 2), free(p);
    g->g.w_value = &g->val.t;
    g->g.w_gate = &g->gate.t;
    if (c->bias) {
      p = init_vals(&s, H), g->bval = tbuf_vec(c->dt, H, p, 2), free(p);
      p = init_vals(&s, H), g->bgate = tbuf_vec(c->dt, H, p, 1), free(p);
      g->g.b_value = &g->bval.t;
      g->g.b_gate = &g->bgate.t;
    }
  } else {
    p = init_vals(&s, D * 2 * H), g->up = tbuf_mat(c->dt, D, 2 * H, p, 0, 1);
    free(p);
    g->g.w_up = &g->up.t;
    if (c->bias) {
      p = init_vals(&s, 2 * H), g->bup = tbuf_vec(c->dt, 2 * H, p, 1), free(p);
      g->g.b_up = &g->bup.t;
    }
  }
  if (c->down) {
    p = init_vals(&s, H * O), g->w2 = tbuf_mat(c->dt, H, O, p, 0, 0), free(p);
    g->g.w_down = &g->w2.t;
    if (c->bias) {
      p = init_vals(&s, O), g->b2 = tbuf_vec(c->dt, O, p, 1), free(p);
      g->g.b_down = &g->b2.t;
    }
  }
}

void grads_read(const case_grads *g, const layer_case *c, double *dw,
                double *dv, double *db, double *dc, double *dw2, double *db2) {
  const int64_t D = c->D, H = c->H, O = c->O;
  for (int64_t j = 0; j < H; j++) {
    for (int64_t i = 0; i < D; i++) {
      if (c->pk == PACK_SEPARATE) {
        dw[i * H + j] = tbuf_get(&g->val, i, j);
        dv[i * H + j] = tbuf_get(&g->gate, i, j);
      } else {
        dw[i * H + j] = tbuf_get(&g->up, i, packed_col(c->pk, H, j, 0));
        dv[i * H + j] = tbuf_get(&g->up, i, packed_col(c->pk, H, j, 1));
      }
    }
    if (!c->bias) continue;
    if (c->pk == PACK_SEPARATE) {
      db[j] = tbuf_get(&g->bval, j, 0);
      dc[j] = tbuf_get(&g->bgate, j, 0);
    } else {
      db[j] = tbuf_get(&g->bup, packed_col(c->pk, H, j, 0), 0);
      dc[j] = tbuf_get(&g->bup, packed_col(c->pk, H, j, 1), 0);
    }
  }
  for (int64_t i = 0; c->down && i < H; i++)
    for (int64_t j = 0; j < O; j++) dw2[i * O + j] = tbuf_get(&g->w2, i, j);
  for (int64_t j = 0; c->down && c->bias && j < O; j++)
    db2[j] = tbuf_get(&g->b2, j, 0);
}

void grads_free(case_grads *g) {
  tbuf *all[] = {&g->up, &g->val, &g->gate, &g->bup, &g->bval, &g->bgate,
                 &g->w2, &g->b2};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) tbuf_free(all[i]);
}

/* C (m x n) = A (m x k, row-major, or its transpose) B + beta C, f64. */
static void mm(int ta, int tb, int64_t m, int64_t n, int64_t k,
               const double *a, const double *b, double beta, double *c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m * n; i++) c[i] *= beta;
    return;
  }
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0, a,
              ta ? (int)m : (int)k, b, tb ? (int)k : (int)n, beta, c, (int)n);
}

static double *zeros(int64_t n) {
  double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
  CHECK(p);
  return p;
}

/* Zv = X W + b, Zg = X V + c over all tokens (the unfused intermediate). */
static void ref_project(const layer_case *c, double *zv, double *zg) {
  for (int64_t t = 0; t < c->T; t++)
    for (int64_t j = 0; j < c->H; j++) {
      zv[t * c->H + j] = c->b[j];
      zg[t * c->H + j] = c->c[j];
    }
  mm(0, 0, c->T, c->H, c->D, c->x, c->w, 1, zv);
  mm(0, 0, c->T, c->H, c->D, c->x, c->v, 1, zg);
}

static glk_tensor mat64(double *p, int64_t rows, int64_t cols) {
  glk_tensor t;
  const int64_t shape[2] = {rows, cols};
  CHECK(glk_tensor_init(&t, p, GLK_DTYPE_F64, 2, shape, NULL) == GLK_OK);
  return t;
}

void reference_forward(const layer_case *c, double *y) {
  const int64_t T = c->T, H = c->H;
  double *zv = zeros(T * H), *zg = zeros(T * H), *h = zeros(T * H);
  ref_project(c, zv, zg);
  glk_tensor tv = mat64(zv, T, H), tg = mat64(zg, T, H), th = mat64(h, T, H);
  CHECK(glk_forward_split(&tv, &tg, &th, &c->opt) == GLK_OK);
  if (c->down) {
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < c->O; j++) y[t * c->O + j] = c->b2[j];
    mm(0, 0, T, c->O, H, h, c->w2, 1, y);
  } else {
    memcpy(y, h, (size_t)(T * H) * sizeof *y);
  }
  free(zv), free(zg), free(h);
}

static void col_sums(const double *m, int64_t rows, int64_t cols, double *s) {
  for (int64_t j = 0; j < cols; j++) {
    s[j] = 0;
    for (int64_t i = 0; i < rows; i++) s[j] += m[i * cols + j];
  }
}

void reference_backward(const layer_case *c, const double *dy, double *dx,
                        double *dw, double *dv, double *db, double *dc,
                        double *dw2, double *db2) {
  const int64_t T = c->T, D = c->D, H = c->H, O = c->O;
  double *zv = zeros(T * H), *zg = zeros(T * H), *h = zeros(T * H);
  double *dh = zeros(T * H), *dzv = zeros(T * H), *dzg = zeros(T * H);
  ref_project(c, zv, zg);
  glk_tensor tv = mat64(zv, T, H), tg = mat64(zg, T, H), th = mat64(h, T, H);
  if (c->down) {
    CHECK(glk_forward_split(&tv, &tg, &th, &c->opt) == GLK_OK);
    mm(1, 0, H, O, T, h, dy, 0, dw2);   /* dW2 = H^T dY */
    col_sums(dy, T, O, db2);
    mm(0, 1, T, H, O, dy, c->w2, 0, dh); /* dH = dY W2^T */
  } else {
    memcpy(dh, dy, (size_t)(T * H) * sizeof *dh);
  }
  glk_tensor tdh = mat64(dh, T, H), tdv = mat64(dzv, T, H),
             tdg = mat64(dzg, T, H);
  CHECK(glk_backward_split(&tv, &tg, &tdh, &tdv, &tdg, &c->opt) == GLK_OK);
  mm(1, 0, D, H, T, c->x, dzv, 0, dw);
  mm(1, 0, D, H, T, c->x, dzg, 0, dv);
  col_sums(dzv, T, H, db);
  col_sums(dzg, T, H, dc);
  mm(0, 1, T, D, H, dzv, c->w, 0, dx);
  mm(0, 1, T, D, H, dzg, c->v, 1, dx);
  free(zv), free(zg), free(h), free(dh), free(dzv), free(dzg);
}

double rel_err(const double *got, const double *want, int64_t n) {
  double scale = 0, err = 0;
  for (int64_t i = 0; i < n; i++) {
    if (fabs(want[i]) > scale) scale = fabs(want[i]);
    double e = fabs(got[i] - want[i]);
    if (!(e <= err)) err = e; /* NaN propagates */
  }
  return err / (1 + scale);
}
