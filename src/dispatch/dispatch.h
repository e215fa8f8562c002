/*
 * Kernel selection. Every table is complete: the slots an ISA does not
 * provide (f64, for now) hold the scalar reference kernels.
 */
#ifndef GLK_DISPATCH_H
#define GLK_DISPATCH_H

#include "glukit.h"
#include "kernels/ukernel.h"

/* The table for `isa` (AUTO: the default), or NULL if the CPU can't run it. */
const glk_kernel_table *glk__kernels_for(glk_isa isa);

#endif
