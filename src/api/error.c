#include "api/error.h"

#include <stdarg.h>
#include <stdio.h>

/* One buffer per thread, so concurrent failing calls never mix messages. */
static _Thread_local char glk_error_message[512];

void glk__clear_error(void) { glk_error_message[0] = '\0'; }

glk_status glk__fail(glk_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(glk_error_message, sizeof glk_error_message, fmt, args);
  va_end(args);
  return status;
}

void glk__format_shape(char *buf, size_t size, int32_t rank,
                       const int64_t *shape) {
  size_t used = 0;
  used += (size_t)snprintf(buf, size, "[");
  for (int32_t i = 0; i < rank && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld",
                             i ? ", " : "", (long long)shape[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

GLK_API const char *glk_last_error(void) { return glk_error_message; }

GLK_API const char *glk_status_string(glk_status status) {
  switch (status) {
    case GLK_OK: return "success";
    case GLK_ERR_NULL_POINTER: return "a required pointer is NULL";
    case GLK_ERR_INVALID_ARGUMENT: return "invalid argument";
    case GLK_ERR_RANK: return "unsupported tensor rank";
    case GLK_ERR_AXIS: return "split axis out of range";
    case GLK_ERR_ODD_SPLIT: return "odd size along the split axis";
    case GLK_ERR_SHAPE_MISMATCH: return "tensor shapes do not match";
    case GLK_ERR_DTYPE_MISMATCH: return "tensor dtypes do not match";
    case GLK_ERR_OVERFLOW: return "size or byte count overflows";
    case GLK_ERR_OVERLAP: return "output overlaps an input or itself";
    case GLK_ERR_UNSUPPORTED: return "not supported on this machine or build";
    case GLK_ERR_DEVICE: return "a CUDA call failed";
    case GLK_ERR_OUT_OF_MEMORY: return "out of memory";
  }
  return "unknown status";
}
