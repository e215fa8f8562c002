#include "api/validate.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "api/error.h"

/* Fields present in the first published glk_options. */
#define GLK_OPTIONS_V1_SIZE (offsetof(glk_options, limit) + sizeof(double))

glk_status glk__read_options(const glk_options *in, glk_options *opt,
                             glk_ukernel_params *params) {
  if (in && in->struct_size >= sizeof *opt) {
    /* A caller built against this header or a later one: a fixed-size copy
     * (the variable-size path's two copies cost a fifth of a small call). */
    *opt = *in;
    opt->struct_size = sizeof *opt;
  } else {
    glk_options_init_sized(opt, sizeof *opt);
    if (in) {
      if (in->struct_size < GLK_OPTIONS_V1_SIZE)
        return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                         "options->struct_size = %zu is smaller than %zu; "
                         "call glk_options_init() first",
                         in->struct_size, (size_t)GLK_OPTIONS_V1_SIZE);
      /* Copy what both sides know; later fields keep their defaults. */
      memcpy(opt, in, in->struct_size);
      opt->struct_size = sizeof *opt;
    }
  }
  if ((unsigned)opt->act >= GLK_ACT_COUNT)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->act = %d is not a glk_act (0..%d)",
                     (int)opt->act, GLK_ACT_COUNT - 1);
  if ((unsigned)opt->layout > GLK_LAYOUT_INTERLEAVED)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->layout = %d is not a glk_layout (0..1)",
                     (int)opt->layout);
  if ((unsigned)opt->gate > GLK_GATE_FIRST)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->gate = %d is not a glk_gate (0..1)",
                     (int)opt->gate);
  if (!isfinite(opt->alpha))
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->alpha = %g must be finite", opt->alpha);
  if (!(opt->limit >= 0))
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->limit = %g must be >= 0 (infinity: no clamp)",
                     opt->limit);
  if ((unsigned)opt->isa >= GLK_ISA_COUNT)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->isa = %d is not a glk_isa (0..%d)", (int)opt->isa,
                     GLK_ISA_COUNT - 1);
  if ((unsigned)opt->device >= GLK_DEVICE_COUNT)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->device = %d is not a glk_device (0..%d)",
                     (int)opt->device, GLK_DEVICE_COUNT - 1);
#ifndef GLUKIT_HAVE_CUDA
  if (opt->device == GLK_DEVICE_CUDA)
    return glk__fail(GLK_ERR_UNSUPPORTED,
                     "options->device = GLK_DEVICE_CUDA, but this glukit was "
                     "built without CUDA (configure with -DGLUKIT_CUDA=ON and "
                     "a CUDA toolkit)");
#endif
  /* The ISA names CPU kernels: a CUDA call ignores it. */
  if (opt->device == GLK_DEVICE_CPU && !glk_isa_supported(opt->isa))
    return glk__fail(GLK_ERR_UNSUPPORTED,
                     "options->isa = %s is not supported by this CPU/OS or build",
                     glk_isa_name(opt->isa));
  if (opt->num_threads < 0)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "options->num_threads = %d is negative", (int)opt->num_threads);
  params->alpha = opt->alpha;
  params->limit = opt->limit;
  params->accumulate = opt->accumulate != 0;
  params->gate_first = opt->gate == GLK_GATE_FIRST;
  params->act_table = params->dact_table = NULL;
  return GLK_OK;
}

static int64_t glk_abs64(int64_t v) { return v < 0 ? -v : v; }

/* Sufficient test for "no two indices map to one element": sorted by
 * |stride|, each stride must pass the furthest reach of the smaller ones. */
static int glk_self_overlapping(const glk_tensor *t) {
  int64_t stride[GLK_MAX_RANK], extent[GLK_MAX_RANK];
  int n = 0;
  for (int32_t i = 0; i < t->rank; i++) {
    if (t->shape[i] <= 1) continue;
    int64_t s = glk_abs64(t->strides[i]);
    int j = n++;
    while (j > 0 && stride[j - 1] > s) {
      stride[j] = stride[j - 1];
      extent[j] = extent[j - 1];
      j--;
    }
    stride[j] = s;
    extent[j] = t->shape[i];
  }
  int64_t reach = 0; /* largest offset reachable by the smaller dims */
  for (int i = 0; i < n; i++) {
    if (stride[i] <= reach) return 1;
    reach += stride[i] * (extent[i] - 1); /* fits: the span was checked */
  }
  return 0;
}

glk_status glk__check_desc(const glk_tensor *t, const char *name,
                           int32_t min_rank, int is_output, glk_checked *c,
                           glk_at *at) {
  if (!t) return glk__fail(GLK_ERR_NULL_POINTER, "%s is NULL", name);
  if (t->rank < min_rank || t->rank > GLK_MAX_RANK) {
    if (t->rank == 0)
      return glk__fail(GLK_ERR_RANK,
                       "%s is 0-d; GLU needs an axis of even size to split",
                       name);
    return glk__fail(GLK_ERR_RANK, "%s has rank %d, outside %d..%d", name,
                     (int)t->rank, (int)min_rank, GLK_MAX_RANK);
  }
  c->t = t;
  c->name = name;
  c->esize = glk_dtype_size(t->dtype);
  if (c->esize == 0)
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "%s->dtype = %d is not a glk_dtype (0..%d)", name,
                     (int)t->dtype, GLK_DTYPE_COUNT - 1);
  int64_t numel = 1;
  for (int32_t i = 0; i < t->rank; i++) {
    if (t->shape[i] < 0)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "%s->shape[%d] = %lld is negative", name, (int)i,
                       (long long)t->shape[i]);
    if (__builtin_mul_overflow(numel, t->shape[i], &numel))
      return glk__fail(GLK_ERR_OVERFLOW,
                       "%s has more than 2^63 elements (shape[%d] = %lld)",
                       name, (int)i, (long long)t->shape[i]);
  }
  int64_t bytes;
  if (__builtin_mul_overflow(numel, (int64_t)c->esize, &bytes))
    return glk__fail(GLK_ERR_OVERFLOW,
                     "%s: %lld elements of %zu bytes overflow a 64-bit byte "
                     "count",
                     name, (long long)numel, c->esize);
  c->numel = numel;
  c->lo_bytes = c->hi_bytes = 0;
  if (numel == 0) return at ? glk__check_data(c, t->data, at) : GLK_OK;
  if (at && !t->data) return glk__fail_data(c, t->data);
  /* Lowest and highest element offsets, then bytes, then addresses. Both
   * sums stay in registers: adding through a pointer chosen by the sign
   * (a store to an address known late, then a load from it) cost a
   * memory-order flush per call, a third of a small call's set-up. */
  int64_t lo = 0, hi = 0;
  for (int32_t i = 0; i < t->rank; i++) {
    int64_t reach;
    if (__builtin_mul_overflow(t->strides[i], t->shape[i] - 1, &reach) ||
        (reach < 0 ? __builtin_add_overflow(lo, reach, &lo)
                   : __builtin_add_overflow(hi, reach, &hi)))
      return glk__fail(GLK_ERR_OVERFLOW,
                       "%s: stride %lld x extent %lld overflows a 64-bit "
                       "offset",
                       name, (long long)t->strides[i], (long long)t->shape[i]);
  }
  int64_t lo_bytes, hi_bytes;
  if (__builtin_mul_overflow(lo, (int64_t)c->esize, &lo_bytes) ||
      __builtin_mul_overflow(hi, (int64_t)c->esize, &hi_bytes) ||
      __builtin_add_overflow(hi_bytes, (int64_t)c->esize, &hi_bytes))
    return glk__fail(GLK_ERR_OVERFLOW,
                     "%s: element offsets %lld..%lld overflow a byte offset",
                     name, (long long)lo, (long long)hi);
  c->lo_bytes = lo_bytes;
  c->hi_bytes = hi_bytes;
  if (at) {
    glk_status st = glk__check_data(c, t->data, at);
    if (st) return st;
  }
  if (is_output && glk_self_overlapping(t))
    return glk__fail(GLK_ERR_OVERLAP,
                     "output %s has strides under which two elements share "
                     "memory",
                     name);
  return GLK_OK;
}

glk_status glk__fail_data(const glk_checked *c, void *data) {
  if (!data)
    return glk__fail(GLK_ERR_NULL_POINTER, "%s->data is NULL for %lld elements",
                     c->name, (long long)c->numel);
  return glk__fail(GLK_ERR_OVERFLOW,
                   "%s: offsets %lld..%lld bytes from %p leave the address "
                   "space",
                   c->name, (long long)c->lo_bytes, (long long)c->hi_bytes, data);
}

glk_status glk__check_tensor(const glk_tensor *t, const char *name,
                             int32_t min_rank, int is_output, glk_located *l) {
  return glk__check_desc(t, name, min_rank, is_output, &l->c, &l->at);
}

glk_status glk__check_like(const glk_checked *t, const glk_checked *ref,
                           int32_t rank, const int64_t *shape) {
  if (t->t->dtype != ref->t->dtype)
    return glk__fail(GLK_ERR_DTYPE_MISMATCH, "%s has dtype %s but %s has %s",
                     t->name, glk_dtype_name(t->t->dtype), ref->name,
                     glk_dtype_name(ref->t->dtype));
  int same = t->t->rank == rank;
  for (int32_t i = 0; same && i < rank; i++) same = t->t->shape[i] == shape[i];
  if (!same) {
    char got[256], want[256];
    glk__format_shape(got, sizeof got, t->t->rank, t->t->shape);
    glk__format_shape(want, sizeof want, rank, shape);
    return glk__fail(GLK_ERR_SHAPE_MISMATCH,
                     "%s has shape %s, expected %s (from %s)", t->name, got,
                     want, ref->name);
  }
  return GLK_OK;
}

glk_status glk__normalize_dim(int32_t dim, int32_t rank, const char *name,
                              int32_t *axis) {
  if (dim < -rank || dim >= rank)
    return glk__fail(GLK_ERR_AXIS,
                     "dim = %d is out of range for %s of rank %d "
                     "(expected %d <= dim < %d)",
                     (int)dim, name, (int)rank, -(int)rank, (int)rank);
  *axis = dim < 0 ? dim + rank : dim;
  return GLK_OK;
}

int glk__same_view(const glk_checked *a, const glk_at *a_at, const glk_checked *b,
                   const glk_at *b_at) {
  const glk_tensor *x = a->t, *y = b->t;
  /* Empty views share no memory whatever their pointers say. */
  for (int32_t i = 0; i < x->rank; i++)
    if (x->shape[i] == 0) return 0;
  if (a_at->data != b_at->data || x->dtype != y->dtype || x->rank != y->rank) return 0;
  for (int32_t i = 0; i < x->rank; i++)
    if (x->shape[i] != y->shape[i] || (x->shape[i] > 1 && x->strides[i] != y->strides[i]))
      return 0;
  return 1;
}

glk_status glk__check_overlap(const glk_checked *out, const glk_at *out_at,
                              const glk_checked *in, const glk_at *in_at,
                              int allow_identical) {
  const glk_span *o = &out_at->span, *i = &in_at->span;
  if (allow_identical && glk__same_view(out, out_at, in, in_at)) return GLK_OK;
  return glk__fail(GLK_ERR_OVERLAP,
                   "%s (bytes %p..%p) overlaps %s (bytes %p..%p)%s", out->name,
                   (void *)o->lo, (void *)o->hi, in->name, (void *)i->lo,
                   (void *)i->hi,
                   allow_identical
                       ? "; only the very same view is allowed (in place)"
                       : "");
}
