/*
 * The scalar reference microkernels, one per (dtype, activation, direction,
 * form), generated from one loop template each. f32, f16 and bf16 are
 * computed in double and f64 in long double, and each result is rounded
 * once to the output type. Built with -ffp-contract=off and no fast-math.
 */
#include <stdint.h>

#include "kernels/convert.h"
#include "kernels/scalar/ref_math.h"
#include "kernels/ukernel.h"

/* Per dtype: storage type, working precision suffix, exact load, store. */
#define LOAD_f32(x) ((double)(x))
#define STORE_f32(r) ((float)(r))
#define LOAD_f64(x) ((long double)(x))
#define STORE_f64(r) ((double)(r))
#define LOAD_f16(x) glk_f16_to_double(x)
#define STORE_f16(r) glk_double_to_f16(r)
#define LOAD_bf16(x) glk_bf16_to_double(x)
#define STORE_bf16(r) glk_double_to_bf16(r)

#define GLK_REF_KERNELS(DT, T, W, WT, ACT, ACT_ENUM)                         \
  static void glk_##DT##_##ACT##_fwd_ukernel__scalar(                         \
      size_t n, const void *v_, const void *g_, void *y_,                     \
      const glk_ukernel_params *p) {                                          \
    const T *v = v_, *g = g_;                                                 \
    T *y = y_;                                                                \
    for (size_t i = 0; i < n; i++)                                            \
      y[i] = STORE_##DT(                                                      \
          glk_fwd_##W(ACT_ENUM, LOAD_##DT(v[i]), LOAD_##DT(g[i]), p));        \
  }                                                                           \
  static void glk_##DT##_##ACT##_fwd_pairs_ukernel__scalar(                   \
      size_t n, const void *x_, void *y_, const glk_ukernel_params *p) {      \
    const T *x = x_;                                                          \
    T *y = y_;                                                                \
    const size_t gi = p->gate_first ? 0 : 1, vi = 1 - gi;                     \
    for (size_t i = 0; i < n; i++)                                            \
      y[i] = STORE_##DT(glk_fwd_##W(ACT_ENUM, LOAD_##DT(x[2 * i + vi]),       \
                                    LOAD_##DT(x[2 * i + gi]), p));            \
  }                                                                           \
  static void glk_##DT##_##ACT##_bwd_ukernel__scalar(                         \
      size_t n, const void *v_, const void *g_, const void *dy_, void *dv_,   \
      void *dg_, const glk_ukernel_params *p) {                               \
    const T *v = v_, *g = g_, *dy = dy_;                                      \
    T *dv = dv_, *dg = dg_;                                                   \
    for (size_t i = 0; i < n; i++) {                                          \
      WT a, b;                                                                \
      glk_bwd_##W(ACT_ENUM, LOAD_##DT(v[i]), LOAD_##DT(g[i]),                 \
                  LOAD_##DT(dy[i]), p, &a, &b);                               \
      if (p->accumulate) {                                                    \
        a += LOAD_##DT(dv[i]);                                                \
        b += LOAD_##DT(dg[i]);                                                \
      }                                                                       \
      dv[i] = STORE_##DT(a);                                                  \
      dg[i] = STORE_##DT(b);                                                  \
    }                                                                         \
  }                                                                           \
  static void glk_##DT##_##ACT##_bwd_pairs_ukernel__scalar(                   \
      size_t n, const void *x_, const void *dy_, void *dx_,                   \
      const glk_ukernel_params *p) {                                          \
    const T *x = x_, *dy = dy_;                                               \
    T *dx = dx_;                                                              \
    const size_t gi = p->gate_first ? 0 : 1, vi = 1 - gi;                     \
    for (size_t i = 0; i < n; i++) {                                          \
      WT a, b;                                                                \
      glk_bwd_##W(ACT_ENUM, LOAD_##DT(x[2 * i + vi]),                         \
                  LOAD_##DT(x[2 * i + gi]), LOAD_##DT(dy[i]), p, &a, &b);     \
      if (p->accumulate) {                                                    \
        a += LOAD_##DT(dx[2 * i + vi]);                                       \
        b += LOAD_##DT(dx[2 * i + gi]);                                       \
      }                                                                       \
      dx[2 * i + vi] = STORE_##DT(a);                                         \
      dx[2 * i + gi] = STORE_##DT(b);                                         \
    }                                                                         \
  }

/* The activation list, shared by the kernel definitions and the table. */
#define GLK_FOR_EACH_ACT(X, DT, T, W, WT)           \
  X(DT, T, W, WT, glu, GLK_ACT_GLU)                 \
  X(DT, T, W, WT, swiglu, GLK_ACT_SWIGLU)           \
  X(DT, T, W, WT, geglu, GLK_ACT_GEGLU)             \
  X(DT, T, W, WT, geglu_tanh, GLK_ACT_GEGLU_TANH)   \
  X(DT, T, W, WT, geglu_quick, GLK_ACT_GEGLU_QUICK) \
  X(DT, T, W, WT, reglu, GLK_ACT_REGLU)             \
  X(DT, T, W, WT, bilinear, GLK_ACT_BILINEAR)       \
  X(DT, T, W, WT, swiglu_oai, GLK_ACT_SWIGLU_OAI)

#define GLK_FOR_EACH_DTYPE(X, A)          \
  A(X, f32, float, d, double)             \
  A(X, f64, double, l, long double)       \
  A(X, f16, uint16_t, d, double)          \
  A(X, bf16, uint16_t, d, double)

#define GLK_APPLY_ACTS(X, DT, T, W, WT) GLK_FOR_EACH_ACT(X, DT, T, W, WT)

GLK_FOR_EACH_DTYPE(GLK_REF_KERNELS, GLK_APPLY_ACTS)

#define GLK_TABLE_ENTRY(DT, T, W, WT, ACT, ACT_ENUM)              \
  [ACT_ENUM] = {glk_##DT##_##ACT##_fwd_ukernel__scalar,           \
                glk_##DT##_##ACT##_fwd_pairs_ukernel__scalar,     \
                glk_##DT##_##ACT##_bwd_ukernel__scalar,           \
                glk_##DT##_##ACT##_bwd_pairs_ukernel__scalar, NULL},

const glk_kernel_table glk_scalar_kernels = {
    .isa = "scalar",
    .set =
        {
            [GLK_DTYPE_F32] = {GLK_FOR_EACH_ACT(GLK_TABLE_ENTRY, f32, float, d,
                                                double)},
            [GLK_DTYPE_F64] = {GLK_FOR_EACH_ACT(GLK_TABLE_ENTRY, f64, double, l,
                                                long double)},
            [GLK_DTYPE_F16] = {GLK_FOR_EACH_ACT(GLK_TABLE_ENTRY, f16, uint16_t,
                                                d, double)},
            [GLK_DTYPE_BF16] = {GLK_FOR_EACH_ACT(GLK_TABLE_ENTRY, bf16,
                                                 uint16_t, d, double)},
        },
};
