/* Internal: recording the detail message of a failed call (thread-local). */
#ifndef GLK_ERROR_H
#define GLK_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "glukit.h"

#if defined(__GNUC__)
#define GLK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GLK_PRINTF(a, b)
#endif

/* Clears the message at the start of a public call. */
void glk__clear_error(void);

/* Records the message and returns `status`, for `return glk__fail(...)`. */
glk_status glk__fail(glk_status status, const char *fmt, ...) GLK_PRINTF(2, 3);

/* Writes "[a, b, c]" into buf. */
void glk__format_shape(char *buf, size_t size, int32_t rank,
                       const int64_t *shape);

#endif
