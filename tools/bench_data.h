/* `glukit bench`'s inputs: aligned buffers of random N(0,1) values. */
#ifndef GLUKIT_TOOLS_BENCH_DATA_H
#define GLUKIT_TOOLS_BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "glukit.h"

/* 64-byte aligned, every page written (so no first-touch fault lands in a
 * timed call); NULL when out of memory. Free with free(). */
void *bench_alloc(size_t bytes);

/* Fills `count` elements of `dtype` with N(0,1) values rounded to the
 * dtype; |value| >= 1e-3, so no zeros and no subnormals. `seed` picks the
 * sequence. */
void bench_fill_normal(void *data, glk_dtype dtype, size_t count, uint64_t seed);

#endif /* GLUKIT_TOOLS_BENCH_DATA_H */
