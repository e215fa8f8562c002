/* The SLEEF-based forwards of sleef_acts_tmpl.h, one set per ISA:
 * vm_<name>_avx512 and vm_<name>_avx2, y[i] = v[i] * act(g[i]). */
#ifndef GLUKIT_VECMATH_IMPLS_H
#define GLUKIT_VECMATH_IMPLS_H
#include <stddef.h>

typedef void (*vm_fn)(const float *v, const float *g, float *y, size_t n);

#define VM_KERNELS(X) \
  X(floor) X(glu) X(swiglu) X(swiglu_deep) X(geglu_erf) X(geglu_erfc) \
  X(geglu_tanh_t10) X(geglu_tanh_t35) X(geglu_tanh_exp) X(geglu_tanh_exp_deep)

#define VM_DECL(name)                                                        \
  void vm_##name##_avx512(const float *v, const float *g, float *y, size_t n); \
  void vm_##name##_avx2(const float *v, const float *g, float *y, size_t n);
VM_KERNELS(VM_DECL)
#undef VM_DECL

#endif
