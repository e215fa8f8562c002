/* Version, names of enum values, options and tensor initialisers. */
#include <string.h>

#include "api/error.h"
#include "glukit.h"

GLK_API int glk_version(void) { return GLK_VERSION_NUMBER; }
GLK_API const char *glk_version_string(void) { return GLK_VERSION_STRING; }

static const char *const glk_act_names[GLK_ACT_COUNT] = {
    [GLK_ACT_GLU] = "glu",
    [GLK_ACT_SWIGLU] = "swiglu",
    [GLK_ACT_GEGLU] = "geglu",
    [GLK_ACT_GEGLU_TANH] = "geglu_tanh",
    [GLK_ACT_GEGLU_QUICK] = "geglu_quick",
    [GLK_ACT_REGLU] = "reglu",
    [GLK_ACT_BILINEAR] = "bilinear",
    [GLK_ACT_SWIGLU_OAI] = "swiglu_oai",
};

static const char *const glk_dtype_names[GLK_DTYPE_COUNT] = {
    [GLK_DTYPE_F32] = "f32",
    [GLK_DTYPE_F64] = "f64",
    [GLK_DTYPE_F16] = "f16",
    [GLK_DTYPE_BF16] = "bf16",
};

GLK_API const char *glk_act_name(glk_act act) {
  return ((unsigned)act < GLK_ACT_COUNT) ? glk_act_names[act] : NULL;
}

GLK_API const char *glk_dtype_name(glk_dtype dtype) {
  return ((unsigned)dtype < GLK_DTYPE_COUNT) ? glk_dtype_names[dtype] : NULL;
}

GLK_API size_t glk_dtype_size(glk_dtype dtype) {
  switch (dtype) {
    case GLK_DTYPE_F32: return 4;
    case GLK_DTYPE_F64: return 8;
    case GLK_DTYPE_F16:
    case GLK_DTYPE_BF16: return 2;
  }
  return 0;
}

GLK_API glk_status glk_act_from_name(const char *name, glk_act *act) {
  glk__clear_error();
  if (!name || !act) return glk__fail(GLK_ERR_NULL_POINTER, "name or act is NULL");
  for (int i = 0; i < GLK_ACT_COUNT; i++)
    if (strcmp(name, glk_act_names[i]) == 0) {
      *act = (glk_act)i;
      return GLK_OK;
    }
  return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                   "unknown activation '%s' (expected glu, swiglu, geglu, "
                   "geglu_tanh, geglu_quick, reglu, bilinear or swiglu_oai)",
                   name);
}

GLK_API glk_status glk_dtype_from_name(const char *name, glk_dtype *dtype) {
  glk__clear_error();
  if (!name || !dtype)
    return glk__fail(GLK_ERR_NULL_POINTER, "name or dtype is NULL");
  for (int i = 0; i < GLK_DTYPE_COUNT; i++)
    if (strcmp(name, glk_dtype_names[i]) == 0) {
      *dtype = (glk_dtype)i;
      return GLK_OK;
    }
  return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                   "unknown dtype '%s' (expected f32, f64, f16 or bf16)", name);
}

GLK_API void glk_options_init_sized(glk_options *options, size_t struct_size) {
  if (!options) return;
  glk_options full;
  memset(&full, 0, sizeof full);
  full.act = GLK_ACT_GLU;
  full.layout = GLK_LAYOUT_HALVES;
  full.gate = GLK_GATE_SECOND;
  full.dim = -1;
  full.accumulate = 0;
  full.alpha = GLK_DEFAULT_ALPHA;
  full.limit = GLK_DEFAULT_LIMIT;
  full.isa = GLK_ISA_AUTO;
  full.num_threads = 0;
  full.device = GLK_DEVICE_CPU;
  full.cuda_stream = NULL;
  /* A caller built against an older header has a shorter struct: write
   * only what it has, and say so in struct_size. */
  const size_t n = struct_size < sizeof full ? struct_size : sizeof full;
  full.struct_size = n;
  memcpy(options, &full, n);
}

GLK_API glk_status glk_tensor_init(glk_tensor *tensor, void *data,
                                   glk_dtype dtype, int32_t rank,
                                   const int64_t *shape,
                                   const int64_t *strides) {
  glk__clear_error();
  if (!tensor) return glk__fail(GLK_ERR_NULL_POINTER, "tensor is NULL");
  if (rank < 0 || rank > GLK_MAX_RANK)
    return glk__fail(GLK_ERR_RANK, "rank %d is outside 0..%d", (int)rank,
                     GLK_MAX_RANK);
  if (rank > 0 && !shape)
    return glk__fail(GLK_ERR_NULL_POINTER, "shape is NULL for rank %d",
                     (int)rank);
  memset(tensor, 0, sizeof *tensor);
  tensor->data = data;
  tensor->dtype = dtype;
  tensor->rank = rank;
  int64_t step = 1;
  for (int32_t i = rank - 1; i >= 0; i--) {
    tensor->shape[i] = shape[i];
    if (strides) {
      tensor->strides[i] = strides[i];
    } else {
      tensor->strides[i] = step;
      /* A bad extent is reported by the call that uses the tensor. */
      if (shape[i] > 1 && __builtin_mul_overflow(step, shape[i], &step))
        step = INT64_MAX;
    }
  }
  return GLK_OK;
}
