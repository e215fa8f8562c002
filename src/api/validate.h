/*
 * Internal: checks shared by the public entry points. Every check names the
 * offending numbers through glk__fail() and returns its status.
 */
#ifndef GLK_VALIDATE_H
#define GLK_VALIDATE_H

#include <stdint.h>

#include "glukit.h"
#include "kernels/ukernel.h"

/* The byte range [lo, hi) a tensor touches; empty when it has no element. */
typedef struct glk_span {
  uintptr_t lo, hi;
  int empty;
} glk_span;

/* A tensor's checked descriptor (its data field is not read). */
typedef struct glk_checked {
  const glk_tensor *t;
  const char *name;
  int64_t numel;
  size_t esize;
  int64_t lo_bytes, hi_bytes; /* bytes touched: [data + lo, data + hi) */
} glk_checked;

/* Where a checked tensor lies in one call: its data and byte span. */
typedef struct glk_at {
  void *data;
  glk_span span;
} glk_at;

/* Decodes options (NULL: defaults) into `opt` and kernel parameters. */
glk_status glk__read_options(const glk_options *in, glk_options *opt,
                             glk_ukernel_params *params);

/*
 * Validates one tensor's descriptor: pointer, rank (min_rank..GLK_MAX_RANK),
 * dtype, extents, element and byte counts, and for outputs that no two
 * elements share memory. With `at` (a one-shot call) also its data, as
 * glk__check_data, each check in the order the library has always made
 * them (so a tensor with several faults reports the same one); with NULL (a
 * plan) the data pointer is not looked at.
 */
glk_status glk__check_desc(const glk_tensor *t, const char *name,
                           int32_t min_rank, int is_output, glk_checked *c,
                           glk_at *at);

/* Then the data it lives at: not NULL unless empty, the byte range inside
 * the address space. Inline: a plan's run is mostly these checks. */
glk_status glk__fail_data(const glk_checked *c, void *data); /* the message */
static inline glk_status glk__check_data(const glk_checked *c, void *data, glk_at *at) {
  at->data = data;
  at->span.empty = c->numel == 0;
  at->span.lo = at->span.hi = 0;
  if (c->numel == 0) return GLK_OK;
  const uintptr_t base = (uintptr_t)data;
  const uintptr_t below = (uintptr_t)0 - (uintptr_t)c->lo_bytes; /* lo <= 0 */
  if (!data || base < below || UINTPTR_MAX - base < (uintptr_t)c->hi_bytes)
    return glk__fail_data(c, data);
  at->span.lo = base - below;
  at->span.hi = base + (uintptr_t)c->hi_bytes;
  return GLK_OK;
}

/* `t` must have x's dtype and the given shape. */
glk_status glk__check_like(const glk_checked *t, const glk_checked *ref,
                           int32_t rank, const int64_t *shape);

/* Normalises a possibly negative axis for a tensor of `rank`. */
glk_status glk__normalize_dim(int32_t dim, int32_t rank, const char *name,
                              int32_t *axis);

/* Both, on t->data (for calls checked in one go, like the layer's). */
typedef struct glk_located {
  glk_checked c;
  glk_at at;
} glk_located;
glk_status glk__check_tensor(const glk_tensor *t, const char *name,
                             int32_t min_rank, int is_output, glk_located *l);

/* Refuses an output whose bytes meet an input's, unless it is the same
 * view and allow_identical (the common case, apart, inline). */
glk_status glk__check_overlap(const glk_checked *out, const glk_at *out_at,
                              const glk_checked *in, const glk_at *in_at,
                              int allow_identical);
static inline glk_status glk__check_disjoint(const glk_checked *out, const glk_at *out_at,
                                             const glk_checked *in, const glk_at *in_at,
                                             int allow_identical) {
  const glk_span *o = &out_at->span, *i = &in_at->span;
  if (o->empty || i->empty || o->hi <= i->lo || i->hi <= o->lo) return GLK_OK;
  return glk__check_overlap(out, out_at, in, in_at, allow_identical);
}

/* The same view: the same data, dtype, shape and strides, and no empty
 * extent. */
int glk__same_view(const glk_checked *a, const glk_at *a_at, const glk_checked *b,
                   const glk_at *b_at);

#endif
