#include "support/views.h"

#include <stdlib.h>
#include <string.h>

#include "support/oracle.h"
#include "support/check.h"

void view_make(view *v, glk_dtype dt, int32_t rank, const int64_t *shape,
               int strided, uint64_t seed) {
  memset(v, 0, sizeof *v);
  v->esize = glk_dtype_size(dt);
  rng r = {seed * 7919u + 17u};
  int order[GLK_MAX_RANK]; /* order[0]: innermost in memory */
  for (int i = 0; i < rank; i++) order[i] = rank - 1 - i;
  if (strided && rank > 1) /* a permutation: a transposed view */
    for (int i = rank - 1; i > 0; i--) {
      int j = (int)(rng_next(&r) % (uint64_t)(i + 1));
      int t = order[i]; order[i] = order[j]; order[j] = t;
    }
  int64_t cur = 1, strides[GLK_MAX_RANK];
  for (int k = 0; k < rank; k++) {
    const int d = order[k];
    const int64_t step = strided ? 1 + (int64_t)(rng_next(&r) % 2) : 1;
    strides[d] = cur * step;
    cur = strides[d] * (shape[d] > 0 ? shape[d] : 1);
  }
  int64_t origin = strided ? 1 : 0; /* views start one element in */
  if (strided && rank > 0) {        /* one dim walks backwards */
    const int d = (int)(rng_next(&r) % (uint64_t)rank);
    if (shape[d] > 0) origin += strides[d] * (shape[d] - 1);
    strides[d] = -strides[d];
  }
  v->buf_elems = (size_t)(cur + origin + (strided ? 2 : 0));
  v->buf = malloc(v->buf_elems * v->esize);
  CHECK(v->buf);
  for (size_t i = 0; i < v->buf_elems; i++) dtype_poison(dt, v->buf + i * v->esize);
  glk_status st = glk_tensor_init(&v->t, v->buf + origin * (int64_t)v->esize,
                                  dt, rank, shape, strides);
  CHECK(st == GLK_OK);
  (void)st;
}

void view_free(view *v) {
  free(v->buf);
  v->buf = NULL;
}

int64_t view_numel(const view *v) {
  int64_t n = 1;
  for (int i = 0; i < v->t.rank; i++) n *= v->t.shape[i];
  return n;
}

void view_unravel(const view *v, int64_t linear, int64_t *idx) {
  for (int i = v->t.rank - 1; i >= 0; i--) {
    idx[i] = linear % v->t.shape[i];
    linear /= v->t.shape[i];
  }
}

void *view_at(const view *v, const int64_t *idx) {
  int64_t off = 0;
  for (int i = 0; i < v->t.rank; i++) off += idx[i] * v->t.strides[i];
  return (unsigned char *)v->t.data + off * (int64_t)v->esize;
}

long double view_get(const view *v, const int64_t *idx) {
  return dtype_decode(v->t.dtype, view_at(v, idx));
}

void view_set(view *v, const int64_t *idx, long double value) {
  dtype_encode_exact(v->t.dtype, value, view_at(v, idx));
}

int view_outside_untouched(const view *v) {
  unsigned char *inside = calloc(v->buf_elems, 1);
  CHECK(inside);
  int64_t idx[GLK_MAX_RANK];
  for (int64_t i = 0, n = view_numel(v); i < n; i++) {
    view_unravel(v, i, idx);
    inside[((unsigned char *)view_at(v, idx) - v->buf) / v->esize] = 1;
  }
  int ok = 1;
  for (size_t i = 0; i < v->buf_elems && ok; i++)
    if (!inside[i]) ok = dtype_is_poison(v->t.dtype, v->buf + i * v->esize);
  free(inside);
  return ok;
}

int64_t view_count_poison(const view *v) {
  int64_t idx[GLK_MAX_RANK], count = 0;
  for (int64_t i = 0, n = view_numel(v); i < n; i++) {
    view_unravel(v, i, idx);
    count += dtype_is_poison(v->t.dtype, view_at(v, idx));
  }
  return count;
}

void view_copy_values(view *dst, const view *src) {
  int64_t idx[GLK_MAX_RANK];
  for (int64_t i = 0, n = view_numel(src); i < n; i++) {
    view_unravel(src, i, idx);
    memcpy(view_at(dst, idx), view_at(src, idx), src->esize);
  }
}
