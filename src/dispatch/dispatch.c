#include "dispatch/dispatch.h"

/* Only the portable reference kernels exist so far. */
const glk_kernel_table *glk__active_kernels(void) { return &glk_scalar_kernels; }
