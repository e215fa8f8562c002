/*
 * The f64 vector layer two registers wide: the layer GLK_X2D_BASE names
 * (e.g. "kernels/simd/vecd_avx512.h") doubled, each operation done on two
 * registers one after the other, so that glu_simd_f64.h's long dependency
 * chains run two at a time, interleaved (see vec_x2.h for the f32 layer).
 * Each lane sees the base layer's operations: the same bits.
 */
#ifndef GLK_VECD_X2_H
#define GLK_VECD_X2_H

/* The base layer's names, renamed to its one-register helpers hd_* */
#define vd hd_vd
#define vdm hd_vdm
#define vd_set1 hd_vd_set1
#define vd_load hd_vd_load
#define vd_store hd_vd_store
#define vd_stream hd_vd_stream
#define vd_stream_fence hd_vd_stream_fence
#define vd_add hd_vd_add
#define vd_sub hd_vd_sub
#define vd_mul hd_vd_mul
#define vd_div hd_vd_div
#define vd_fma hd_vd_fma
#define vd_fnma hd_vd_fnma
#define vd_fms hd_vd_fms
#define vd_abs hd_vd_abs
#define vd_shl52 hd_vd_shl52
#define vd_lt hd_vd_lt
#define vd_eq hd_vd_eq
#define vdm_and hd_vdm_and
#define vdm_or hd_vdm_or
#define vdm_all hd_vdm_all
#define vd_select hd_vd_select
#define vd_deinterleave hd_vd_deinterleave
#define vd_interleave hd_vd_interleave
#include GLK_X2D_BASE
#undef vd
#undef vdm
#undef vd_set1
#undef vd_load
#undef vd_store
#undef vd_stream
#undef vd_stream_fence
#undef vd_add
#undef vd_sub
#undef vd_mul
#undef vd_div
#undef vd_fma
#undef vd_fnma
#undef vd_fms
#undef vd_abs
#undef vd_shl52
#undef vd_lt
#undef vd_eq
#undef vdm_and
#undef vdm_or
#undef vdm_all
#undef vd_select
#undef vd_deinterleave
#undef vd_interleave

/* GLK_HD: lanes of one register (the base layer's GLK_WD); WD doubles */
#if GLK_WD == 8
#define GLK_HD 8
#elif GLK_WD == 4
#define GLK_HD 4
#elif GLK_WD == 2
#define GLK_HD 2
#else
#error "vecd_x2.h: unexpected lane count of the base layer"
#endif
#undef GLK_WD
#define GLK_WD (2 * GLK_HD) /* .a holds the first GLK_HD lanes, .b the next */

typedef struct vd {
  hd_vd a, b;
} vd;
typedef struct vdm {
  hd_vdm a, b;
} vdm;

GLK_VINLINE vd vd_pair(hd_vd a, hd_vd b) {
  vd r;
  r.a = a;
  r.b = b;
  return r;
}
GLK_VINLINE vdm vdm_pair(hd_vdm a, hd_vdm b) {
  vdm r;
  r.a = a;
  r.b = b;
  return r;
}

#define GLK_X2D_1(name) \
  GLK_VINLINE vd name(vd x) { return vd_pair(hd_##name(x.a), hd_##name(x.b)); }
#define GLK_X2D_2(name) \
  GLK_VINLINE vd name(vd x, vd y) { return vd_pair(hd_##name(x.a, y.a), hd_##name(x.b, y.b)); }
#define GLK_X2D_3(name)                                                   \
  GLK_VINLINE vd name(vd x, vd y, vd z) {                                 \
    return vd_pair(hd_##name(x.a, y.a, z.a), hd_##name(x.b, y.b, z.b)); \
  }
#define GLK_X2D_M2(name) \
  GLK_VINLINE vdm name(vd x, vd y) { return vdm_pair(hd_##name(x.a, y.a), hd_##name(x.b, y.b)); }

GLK_VINLINE vd vd_set1(double x) {
  const hd_vd h = hd_vd_set1(x);
  return vd_pair(h, h);
}
GLK_X2D_2(vd_add)
GLK_X2D_2(vd_sub)
GLK_X2D_2(vd_mul)
GLK_X2D_2(vd_div)
GLK_X2D_3(vd_fma)
GLK_X2D_3(vd_fnma)
GLK_X2D_3(vd_fms)
GLK_X2D_1(vd_abs)
GLK_X2D_1(vd_shl52)
GLK_X2D_M2(vd_lt)
GLK_X2D_M2(vd_eq)
GLK_VINLINE vdm vdm_and(vdm x, vdm y) {
  return vdm_pair(hd_vdm_and(x.a, y.a), hd_vdm_and(x.b, y.b));
}
GLK_VINLINE vdm vdm_or(vdm x, vdm y) { return vdm_pair(hd_vdm_or(x.a, y.a), hd_vdm_or(x.b, y.b)); }
GLK_VINLINE int vdm_all(vdm m) { return hd_vdm_all(hd_vdm_and(m.a, m.b)); }
GLK_VINLINE vd vd_select(vdm m, vd x, vd y) {
  return vd_pair(hd_vd_select(m.a, x.a, y.a), hd_vd_select(m.b, x.b, y.b));
}

/* ---- memory: WD consecutive elements, the first GLK_HD in .a ------------- */
GLK_VINLINE vd vd_load(const double *p) { return vd_pair(hd_vd_load(p), hd_vd_load(p + GLK_HD)); }
GLK_VINLINE void vd_store(double *p, vd x) {
  hd_vd_store(p, x.a);
  hd_vd_store(p + GLK_HD, x.b);
}
GLK_VINLINE void vd_stream(double *p, vd x) {
  hd_vd_stream(p, x.a);
  hd_vd_stream(p + GLK_HD, x.b);
}
GLK_VINLINE void vd_stream_fence(void) { hd_vd_stream_fence(); }

/* x[0..2WD) as pairs: the first and the second members */
GLK_VINLINE void vd_deinterleave(vd lo, vd hi, vd *first, vd *second) {
  hd_vd_deinterleave(lo.a, lo.b, &first->a, &second->a);
  hd_vd_deinterleave(hi.a, hi.b, &first->b, &second->b);
}
/* the inverse: pairs (first[i], second[i]) into lo (pairs 0..WD/2) and hi */
GLK_VINLINE void vd_interleave(vd first, vd second, vd *lo, vd *hi) {
  hd_vd_interleave(first.a, second.a, &lo->a, &lo->b);
  hd_vd_interleave(first.b, second.b, &hi->a, &hi->b);
}

#endif
