/*
 * Test support for the GLU layer: a layer's parameters held logically in
 * double (W, V, b, c, W2, b2 as in glukit.h), stored in any of the weight
 * layouts the layer takes, and the unfused reference computation (one BLAS
 * product per projection over all tokens + the core operator).
 */
#ifndef GLK_TEST_LAYER_CASE_H
#define GLK_TEST_LAYER_CASE_H

#include <stdint.h>

#include "glukit.h"

/* How the up projection is stored. */
typedef enum pack {
  PACK_SEPARATE,         /* w_value row-major, w_gate column-major */
  PACK_HALVES_GATE2,     /* w_up = [W | V] */
  PACK_HALVES_GATE1,     /* w_up = [V | W] */
  PACK_INTER_GATE2,      /* w_up columns W0 V0 W1 V1 ... */
  PACK_INTER_GATE1,      /* w_up columns V0 W0 V1 W1 ... */
  PACK_COUNT
} pack;

/* A typed buffer behind a tensor. */
typedef struct tbuf {
  glk_tensor t;
  void *mem;
} tbuf;

typedef struct layer_case {
  glk_dtype dt;
  pack pk;
  int bias, down;
  int64_t T, D, H, O;            /* tokens, d_in, hidden, d_out */
  glk_options opt;
  /* logical values, row-major */
  double *x, *w, *v, *b, *c, *w2, *b2;
  /* stored tensors */
  tbuf tx, tup, tval, tgate, tbup, tbval, tbgate, tw2, tb2;
  glk_glu_layer layer;
} layer_case;

uint64_t rng_next(uint64_t *s);
double rng_uniform(uint64_t *s); /* in [-1, 1) */

/* Random case; O is ignored when !down. */
void case_make(layer_case *c, glk_dtype dt, pack pk, int bias, int down,
               int64_t T, int64_t D, int64_t H, int64_t O, glk_act act,
               uint64_t seed);
void case_free(layer_case *c);
int64_t case_out_cols(const layer_case *c); /* O, or H without down */

/* A rows x cols tensor from logical values (NULL: zeros); col_major and a
 * padded leading dimension exercise strides. */
tbuf tbuf_mat(glk_dtype dt, int64_t rows, int64_t cols, const double *vals,
              int col_major, int64_t pad);
tbuf tbuf_vec(glk_dtype dt, int64_t n, const double *vals, int64_t stride);
double tbuf_get(const tbuf *b, int64_t i, int64_t j); /* j ignored, rank 1 */
void tbuf_free(tbuf *b);

/* Gradient tensors laid out like the case's weights (values: init, or 0). */
typedef struct case_grads {
  tbuf up, val, gate, bup, bval, bgate, w2, b2;
  glk_glu_layer g;
} case_grads;
void grads_make(case_grads *g, const layer_case *c, uint64_t seed_or_0);
/* Logical dW, dV, db, dc, dW2, db2 read back (arrays from the caller). */
void grads_read(const case_grads *g, const layer_case *c, double *dw,
                double *dv, double *db, double *dc, double *dw2, double *db2);
void grads_free(case_grads *g);

/* Reference: Y (T x out) and the gradients for dY, unfused, in double
 * precision through f64 BLAS and the core operator in f64. */
void reference_forward(const layer_case *c, double *y);
void reference_backward(const layer_case *c, const double *dy, double *dx,
                        double *dw, double *dv, double *db, double *dc,
                        double *dw2, double *db2);

/* max |got - want| / (1 + max |want|) */
double rel_err(const double *got, const double *want, int64_t n);

#endif
