/*
 * Kernel selection. The table returned is always complete: any slot an ISA
 * does not provide holds the scalar reference kernel.
 */
#ifndef GLK_DISPATCH_H
#define GLK_DISPATCH_H

#include "kernels/ukernel.h"

const glk_kernel_table *glk__active_kernels(void);

#endif
