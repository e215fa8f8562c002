/*
 * Test tensors: a glk_tensor over a private buffer, either C-contiguous or
 * a strided view (permuted dims, steps of 2, a negative stride, an offset
 * into the buffer). The whole buffer starts as poison, so tests can check
 * that every element of the view was written and nothing outside it was.
 */
#ifndef GLK_TEST_VIEWS_H
#define GLK_TEST_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "glukit.h"

typedef struct view {
  glk_tensor t;
  unsigned char *buf;
  size_t buf_elems, esize;
} view;

/* strided = 0: C-contiguous; otherwise a strided layout chosen by seed. */
void view_make(view *v, glk_dtype dt, int32_t rank, const int64_t *shape,
               int strided, uint64_t seed);
void view_free(view *v);
int64_t view_numel(const view *v);
/* C-order unravel of a linear index. */
void view_unravel(const view *v, int64_t linear, int64_t *idx);
void *view_at(const view *v, const int64_t *idx);
long double view_get(const view *v, const int64_t *idx);
void view_set(view *v, const int64_t *idx, long double value);
/* Every buffer element outside the view still holds poison. */
int view_outside_untouched(const view *v);
/* Number of view elements that still hold poison. */
int64_t view_count_poison(const view *v);
/* Copies the values of src into dst (same shape, any layouts). */
void view_copy_values(view *dst, const view *src);

#endif
