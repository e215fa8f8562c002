/* Internal: matrix views and the layer's BLAS calls (see blas_mat.h). */
#include "layer/blas_mat.h"

#include <limits.h>
#include <cblas.h>

#include "api/error.h"

static int64_t glk_max64(int64_t a, int64_t b) { return a > b ? a : b; }

/*
 * Can BLAS read m as stored in `row_major` order (rows contiguous) or, for
 * !row_major, column-major order, without a transpose? If so, *ld is the
 * leading dimension to pass. A stride along an extent of 0 or 1 is never
 * used, so any value is accepted there.
 */
static int glk_ld(glk_mat m, int row_major, int64_t *ld) {
  const int64_t minor = row_major ? m.cols : m.rows;
  const int64_t major = row_major ? m.rows : m.cols;
  const int64_t unit = row_major ? m.cs : m.rs;
  const int64_t need = glk_max64(minor, 1);
  int64_t lead = row_major ? m.rs : m.cs;
  if (unit != 1 && minor > 1) return 0;
  if (major <= 1) lead = need;
  if (lead < need) return 0;
  *ld = lead;
  return 1;
}

glk_status glk__mat_from(const glk_tensor *t, const char *name, glk_mat *m) {
  glk_mat v = {t->data, t->shape[0], t->shape[1], t->strides[0],
               t->strides[1]};
  int64_t ld;
  if (v.rows == 0 || v.cols == 0) { /* no element: any strides will do */
    v.rs = v.cols > 0 ? v.cols : 1;
    v.cs = 1;
  }
  if (v.rows > INT_MAX || v.cols > INT_MAX)
    return glk__fail(GLK_ERR_OVERFLOW,
                     "%s is %lld x %lld; BLAS takes extents up to %d", name,
                     (long long)v.rows, (long long)v.cols, INT_MAX);
  if (!glk_ld(v, 1, &ld) && !glk_ld(v, 0, &ld))
    return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                     "%s (%lld x %lld) has strides (%lld, %lld): BLAS needs "
                     "a row-major or column-major matrix (one stride 1, the "
                     "other at least the extent it skips)",
                     name, (long long)v.rows, (long long)v.cols,
                     (long long)v.rs, (long long)v.cs);
  if (ld > INT_MAX)
    return glk__fail(GLK_ERR_OVERFLOW,
                     "%s has leading dimension %lld; BLAS takes up to %d", name,
                     (long long)ld, INT_MAX);
  *m = v;
  return GLK_OK;
}

glk_mat glk__mat_block(glk_mat m, size_t es, int64_t r0, int64_t nr,
                       int64_t c0, int64_t nc) {
  glk_mat b = m;
  b.p = m.p + (r0 * m.rs + c0 * m.cs) * (int64_t)es;
  b.rows = nr;
  b.cols = nc;
  return b;
}

glk_mat glk__mat_t(glk_mat m) {
  glk_mat t = {m.p, m.cols, m.rows, m.cs, m.rs};
  return t;
}

/* An operand in C's order: as stored, or else its transpose. */
static enum CBLAS_TRANSPOSE glk_trans(glk_mat a, int row_major, int *ld) {
  int64_t lead = 0;
  if (glk_ld(a, row_major, &lead)) {
    *ld = (int)lead;
    return CblasNoTrans;
  }
  glk_ld(glk__mat_t(a), row_major, &lead); /* holds: glk__mat_from checked */
  *ld = (int)lead;
  return CblasTrans;
}

void glk__gemm(glk_dtype dt, glk_mat c, glk_mat a, glk_mat b, double beta) {
  if (c.rows == 0 || c.cols == 0) return;
  /* BLAS ignores C's old contents (NaN too) for beta = 0: the tests poison
   * every output with NaN to hold it to that. */
  if (a.cols == 0) { /* no product: C = beta C */
    if (beta == 0) glk__zero_mat(dt, c);
    return; /* beta is 0 or 1 in this library */
  }
  int64_t lead = 0;
  const int row_major = glk_ld(c, 1, &lead);
  if (!row_major) glk_ld(c, 0, &lead);
  const int ldc = (int)lead;
  int lda, ldb;
  enum CBLAS_TRANSPOSE ta = glk_trans(a, row_major, &lda);
  enum CBLAS_TRANSPOSE tb = glk_trans(b, row_major, &ldb);
  const enum CBLAS_ORDER order = row_major ? CblasRowMajor : CblasColMajor;
  const int m = (int)c.rows, n = (int)c.cols, k = (int)a.cols;
  if (dt == GLK_DTYPE_F64)
    cblas_dgemm(order, ta, tb, m, n, k, 1.0, (const double *)(void *)a.p, lda,
                (const double *)(void *)b.p, ldb, beta, (double *)(void *)c.p,
                ldc);
  else
    cblas_sgemm(order, ta, tb, m, n, k, 1.0f, (const float *)(void *)a.p, lda,
                (const float *)(void *)b.p, ldb, (float)beta,
                (float *)(void *)c.p, ldc);
}

/* Element (i, j) of m and i of v, as typed pointers. */
#define GLK_AT(T, m, i, j) ((T *)(void *)(m).p + (i) * (m).rs + (j) * (m).cs)
#define GLK_VAT(T, v, i) ((T *)(void *)(v).p + (i) * (v).s)

#define GLK_FILL_ROWS(T)                                        \
  for (int64_t i = 0; i < m.rows; i++)                          \
    for (int64_t j = 0; j < m.cols; j++)                        \
      *GLK_AT(T, m, i, j) = *GLK_VAT(T, v, off + j);

void glk__fill_rows(glk_dtype dt, glk_mat m, glk_vec v, int64_t off) {
  if (dt == GLK_DTYPE_F64) {
    GLK_FILL_ROWS(double)
  } else {
    GLK_FILL_ROWS(float)
  }
}

/* Sums in double for f32 too: the bias gradient adds up to tokens terms. */
#define GLK_COL_SUMS(T)                                         \
  for (int64_t j = 0; j < m.cols; j++) {                        \
    double s = 0;                                               \
    for (int64_t i = 0; i < m.rows; i++) s += *GLK_AT(T, m, i, j); \
    *GLK_VAT(T, v, off + j) += (T)s;                            \
  }

void glk__add_col_sums(glk_dtype dt, glk_vec v, int64_t off, glk_mat m) {
  if (dt == GLK_DTYPE_F64) {
    GLK_COL_SUMS(double)
  } else {
    GLK_COL_SUMS(float)
  }
}

void glk__zero_mat(glk_dtype dt, glk_mat m) {
  for (int64_t i = 0; i < m.rows; i++)
    for (int64_t j = 0; j < m.cols; j++) {
      if (dt == GLK_DTYPE_F64)
        *GLK_AT(double, m, i, j) = 0;
      else
        *GLK_AT(float, m, i, j) = 0;
    }
}

void glk__zero_vec(glk_dtype dt, glk_vec v) {
  for (int64_t i = 0; i < v.n; i++) {
    if (dt == GLK_DTYPE_F64)
      *GLK_VAT(double, v, i) = 0;
    else
      *GLK_VAT(float, v, i) = 0;
  }
}

void glk__mat_tensor(glk_dtype dt, glk_mat m, glk_tensor *t) {
  const int64_t shape[2] = {m.rows, m.cols}, strides[2] = {m.rs, m.cs};
  glk_tensor_init(t, m.p, dt, 2, shape, strides);
}
