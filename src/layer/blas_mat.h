/*
 * Internal: matrices as BLAS sees them, and the few BLAS calls the layer
 * makes. A glk_mat is a rank-2 view that is row-major (cs == 1) or
 * column-major (rs == 1) with a leading dimension BLAS accepts; blocks of
 * it keep its strides, so a valid matrix gives valid blocks.
 */
#ifndef GLK_BLAS_MAT_H
#define GLK_BLAS_MAT_H

#include <stdint.h>

#include "glukit.h"

typedef struct glk_mat {
  char *p;              /* element (0, 0) */
  int64_t rows, cols;
  int64_t rs, cs;       /* strides in elements, one of them 1 */
} glk_mat;

/* A rank-1 view read or written element by element (any stride). */
typedef struct glk_vec {
  char *p;              /* NULL: absent */
  int64_t n, s;
} glk_vec;

/*
 * Describes tensor t (rank 2, already checked) as a glk_mat; refuses
 * strides BLAS cannot take (neither dimension contiguous, a leading
 * dimension below the extent, zero or negative strides) and extents past
 * BLAS's int.
 */
glk_status glk__mat_from(const glk_tensor *t, const char *name, glk_mat *m);

glk_mat glk__mat_block(glk_mat m, size_t es, int64_t r0, int64_t nr,
                       int64_t c0, int64_t nc);
glk_mat glk__mat_t(glk_mat m); /* the transpose, as a view */

/* C = A B + beta C, f32 or f64 by dtype; k = 0 gives C = beta C. */
void glk__gemm(glk_dtype dt, glk_mat c, glk_mat a, glk_mat b, double beta);

/* Every row of m = the n = m.cols entries of v from offset off. */
void glk__fill_rows(glk_dtype dt, glk_mat m, glk_vec v, int64_t off);
/* v[off + j] += sum of column j of m. */
void glk__add_col_sums(glk_dtype dt, glk_vec v, int64_t off, glk_mat m);
/* m = 0 */
void glk__zero_mat(glk_dtype dt, glk_mat m);
void glk__zero_vec(glk_dtype dt, glk_vec v);

/* A tensor view (rank 2) of m, for the core operator. */
void glk__mat_tensor(glk_dtype dt, glk_mat m, glk_tensor *t);

#endif
