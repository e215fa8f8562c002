/*
 * The tests' independent expectations: the GLU formulas evaluated in long
 * double (written here from the math, not from src/), exact decoding of
 * every dtype, errors measured in ULP of the output type.
 */
#ifndef GLK_TEST_ORACLE_H
#define GLK_TEST_ORACLE_H

#include <stdint.h>

#include "glukit.h"

typedef struct oracle_params {
  long double alpha, limit;
} oracle_params;

extern const oracle_params oracle_default_params;

/* y = v * act(g) (or swiglu_oai's formula). */
long double oracle_forward(glk_act act, long double v, long double g,
                           const oracle_params *p);

/*
 * dv = dy * dy/dv, dg = dy * dy/dg. *dg_scale receives the sum of the
 * magnitudes of the terms making up dg, which bounds its rounding error
 * where terms cancel (near roots of act').
 */
void oracle_backward(glk_act act, long double v, long double g, long double dy,
                     const oracle_params *p, long double *dv, long double *dg,
                     long double *dg_scale);

/* Bits of one element <-> its exact value (encode asserts exactness). */
long double dtype_decode(glk_dtype dt, const void *elem);
void dtype_encode_exact(glk_dtype dt, long double value, void *elem);
/* Bits of the dtype value nearest to x (ties to even). */
void dtype_encode_nearest(glk_dtype dt, long double x, void *elem);
/* Nearest value of the dtype at or below |x| in magnitude (truncation). */
long double dtype_truncate(glk_dtype dt, long double x);
int dtype_bits_equal(glk_dtype dt, const void *a, const void *b);
/* A signalling-NaN pattern no kernel produces: marks unwritten memory. */
void dtype_poison(glk_dtype dt, void *elem);
int dtype_is_poison(glk_dtype dt, const void *elem);

/*
 * |got - exact| in ULP of the dtype at exact; 0 when both are the same NaN
 * class or infinity, or got is the infinity exact overflows to; a huge value
 * for any other mismatch.
 */
double ulp_error(glk_dtype dt, long double got, long double exact);
long double dtype_ulp(glk_dtype dt, long double x);

/* Deterministic random numbers (splitmix64). */
typedef struct rng { uint64_t s; } rng;
uint64_t rng_next(rng *r);
double rng_uniform(rng *r, double lo, double hi);

#endif
