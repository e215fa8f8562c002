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

typedef struct glk_checked {
  const glk_tensor *t;
  const char *name;
  int64_t numel;
  size_t esize;
  glk_span span;
} glk_checked;

/* Decodes options (NULL: defaults) into `opt` and kernel parameters. */
glk_status glk__read_options(const glk_options *in, glk_options *opt,
                             glk_ukernel_params *params);

/*
 * Validates one tensor: pointer, rank (min_rank..GLK_MAX_RANK), dtype,
 * extents, element and byte counts, the address range, and for outputs that
 * no two elements share memory.
 */
glk_status glk__check_tensor(const glk_tensor *t, const char *name,
                             int32_t min_rank, int is_output, glk_checked *c);

/* `t` must have x's dtype and the given shape. */
glk_status glk__check_like(const glk_checked *t, const glk_checked *ref,
                           int32_t rank, const int64_t *shape);

/* Normalises a possibly negative axis for a tensor of `rank`. */
glk_status glk__normalize_dim(int32_t dim, int32_t rank, const char *name,
                              int32_t *axis);

/* Refuses an output whose bytes meet an input's, unless it is `same` view. */
glk_status glk__check_disjoint(const glk_checked *out, const glk_checked *in,
                               int allow_identical);

/* Same data, dtype, shape and strides. */
int glk__same_view(const glk_tensor *a, const glk_tensor *b);

#endif
