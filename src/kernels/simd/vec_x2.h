/*
 * A vector layer two registers wide: the layer GLK_X2_BASE names (e.g.
 * "kernels/simd/vec_avx512.h", 16 f32 lanes) doubled, each operation done
 * on two registers one after the other.
 *
 * Why: the fast paths (glu_simd_fast.h) are long chains of dependent
 * operations (exponential, division, the hi + lo corrections) and keep too
 * few vectors in flight for the out-of-order core to hide their latency;
 * one AVX-512 vector a time used about half of the FMA units on AMD Zen 5. Written
 * over this layer, the same template interleaves two independent chains
 * instruction by instruction. Each lane still sees exactly the operations of
 * the base layer, so the results are the same bits.
 */
#ifndef GLK_VEC_X2_H
#define GLK_VEC_X2_H

/* The base layer's names, renamed to its one-register helpers h_* */
#define vf h_vf
#define vm h_vm
#define vf_set1 h_vf_set1
#define vf_load h_vf_load
#define vf_store h_vf_store
#define vf_add h_vf_add
#define vf_sub h_vf_sub
#define vf_mul h_vf_mul
#define vf_div h_vf_div
#define vf_fma h_vf_fma
#define vf_fnma h_vf_fnma
#define vf_fms h_vf_fms
#define vf_shl23 h_vf_shl23
#define vf_bits_index h_vf_bits_index
#define vf_lookup16 h_vf_lookup16
#define vf_abs h_vf_abs
#define vf_neg h_vf_neg
#define vf_min_c h_vf_min_c
#define vf_max_c h_vf_max_c
#define vf_lt h_vf_lt
#define vf_gt h_vf_gt
#define vf_eq h_vf_eq
#define vm_or h_vm_or
#define vm_and h_vm_and
#define vm_any h_vm_any
#define vm_all h_vm_all
#define vm_not h_vm_not
#define vf_select h_vf_select
#define vf_bits_gt h_vf_bits_gt
#define vf_bits_far h_vf_bits_far
#define vf_normal h_vf_normal
#define vf_finite_nonzero h_vf_finite_nonzero
#define vf_round h_vf_round
#define vf_pow2i h_vf_pow2i
#define vf_exponent h_vf_exponent
#define vf_load_f16 h_vf_load_f16
#define vf_f16_bits h_vf_f16_bits
#define vf_store_f16 h_vf_store_f16
#define vf_load_bf16 h_vf_load_bf16
#define vf_load_bf16_pairs h_vf_load_bf16_pairs
#define vf_put_bf16_pairs h_vf_put_bf16_pairs
#define vf_bf16_pairs_bits h_vf_bf16_pairs_bits
#define vf_any_subnormal2 h_vf_any_subnormal2
#define vf_bf16_bits_int h_vf_bf16_bits_int
#define vf_bf16_bits h_vf_bf16_bits
#define vf_store_bf16 h_vf_store_bf16
#define vf_stream_f32 h_vf_stream_f32
#define vf_stream_f16 h_vf_stream_f16
#define vf_stream_bf16 h_vf_stream_bf16
#define vf_stream_fence h_vf_stream_fence
#define vf_deinterleave h_vf_deinterleave
#define vf_interleave h_vf_interleave
#define vf_mul3_pow2 h_vf_mul3_pow2
#define vf_mul3x_pow2 h_vf_mul3x_pow2
#define vf_load_part h_vf_load_part
#define vf_store_part h_vf_store_part
#define vf_load_f16_part h_vf_load_f16_part
#define vf_store_f16_part h_vf_store_f16_part
#define vf_load_bf16_part h_vf_load_bf16_part
#define vf_store_bf16_part h_vf_store_bf16_part
#define vm_first h_vm_first
#define vf_index16 h_vf_index16
#define vf_table16 h_vf_table16
#define vf_table2_bf16 h_vf_table2_bf16
#include GLK_X2_BASE
#undef vf
#undef vm
#undef vf_set1
#undef vf_load
#undef vf_store
#undef vf_add
#undef vf_sub
#undef vf_mul
#undef vf_div
#undef vf_fma
#undef vf_fnma
#undef vf_fms
#undef vf_shl23
#undef vf_bits_index
#undef vf_lookup16
#undef vf_abs
#undef vf_neg
#undef vf_min_c
#undef vf_max_c
#undef vf_lt
#undef vf_gt
#undef vf_eq
#undef vm_or
#undef vm_and
#undef vm_any
#undef vm_all
#undef vm_not
#undef vf_select
#undef vf_bits_gt
#undef vf_bits_far
#undef vf_normal
#undef vf_finite_nonzero
#undef vf_round
#undef vf_pow2i
#undef vf_exponent
#undef vf_load_f16
#undef vf_f16_bits
#undef vf_store_f16
#undef vf_load_bf16
#undef vf_load_bf16_pairs
#undef vf_put_bf16_pairs
#undef vf_bf16_pairs_bits
#undef vf_any_subnormal2
#undef vf_bf16_bits_int
#undef vf_bf16_bits
#undef vf_store_bf16
#undef vf_stream_f32
#undef vf_stream_f16
#undef vf_stream_bf16
#undef vf_stream_fence
#undef vf_deinterleave
#undef vf_interleave
#undef vf_mul3_pow2
#undef vf_mul3x_pow2
#undef vf_load_part
#undef vf_store_part
#undef vf_load_f16_part
#undef vf_store_f16_part
#undef vf_load_bf16_part
#undef vf_store_bf16_part
#undef vm_first
#undef vf_index16
#undef vf_table16
#undef vf_table2_bf16

/* GLK_H: lanes of one register (the base layer's GLK_W); W doubles */
#if GLK_W == 16
#define GLK_H 16
#elif GLK_W == 8
#define GLK_H 8
#elif GLK_W == 4
#define GLK_H 4
#else
#error "vec_x2.h: unexpected lane count of the base layer"
#endif
#undef GLK_W
#define GLK_W (2 * GLK_H) /* .a holds the first GLK_H lanes, .b the next */

typedef struct vf {
  h_vf a, b;
} vf;
typedef struct vm {
  h_vm a, b;
} vm;

GLK_VINLINE vf vf_pair(h_vf a, h_vf b) {
  vf r;
  r.a = a;
  r.b = b;
  return r;
}
GLK_VINLINE vm vm_pair(h_vm a, h_vm b) {
  vm r;
  r.a = a;
  r.b = b;
  return r;
}

/* Lane-wise operations: the 16-lane one on each half. */
#define GLK_X2_F1(name) \
  GLK_VINLINE vf name(vf x) { return vf_pair(h_##name(x.a), h_##name(x.b)); }
#define GLK_X2_F2(name) \
  GLK_VINLINE vf name(vf x, vf y) { return vf_pair(h_##name(x.a, y.a), h_##name(x.b, y.b)); }
#define GLK_X2_F3(name)                                                 \
  GLK_VINLINE vf name(vf x, vf y, vf z) {                               \
    return vf_pair(h_##name(x.a, y.a, z.a), h_##name(x.b, y.b, z.b)); \
  }
#define GLK_X2_M1(name) \
  GLK_VINLINE vm name(vf x) { return vm_pair(h_##name(x.a), h_##name(x.b)); }
#define GLK_X2_M2(name) \
  GLK_VINLINE vm name(vf x, vf y) { return vm_pair(h_##name(x.a, y.a), h_##name(x.b, y.b)); }

GLK_VINLINE vf vf_set1(float x) {
  const h_vf h = h_vf_set1(x);
  return vf_pair(h, h);
}
GLK_X2_F2(vf_add)
GLK_X2_F2(vf_sub)
GLK_X2_F2(vf_mul)
GLK_X2_F2(vf_div)
GLK_X2_F3(vf_fma)
GLK_X2_F3(vf_fnma)
GLK_X2_F3(vf_fms)
GLK_X2_F1(vf_shl23)
GLK_VINLINE vf vf_bits_index(vf x, int shift, uint32_t base) {
  return vf_pair(h_vf_bits_index(x.a, shift, base), h_vf_bits_index(x.b, shift, base));
}
GLK_VINLINE vf vf_lookup16(const float *t, vf i) {
  return vf_pair(h_vf_lookup16(t, i.a), h_vf_lookup16(t, i.b));
}
GLK_X2_F1(vf_abs)
GLK_X2_F1(vf_neg)
GLK_X2_F2(vf_min_c)
GLK_X2_F2(vf_max_c)
GLK_X2_M2(vf_lt)
GLK_X2_M2(vf_gt)
GLK_X2_M2(vf_eq)
#ifdef GLK_VEC_HAS_CLASS
GLK_X2_M1(vf_normal)
GLK_X2_M1(vf_finite_nonzero)
#endif
#ifdef GLK_VEC_HAS_TABLE
GLK_VINLINE vf vf_table16(const float *t, vf x, int f16) {
  return vf_pair(h_vf_table16(t, x.a, f16), h_vf_table16(t, x.b, f16));
}
GLK_VINLINE void vf_table2_bf16(const float *t, vf x, vf *a, vf *b) {
  h_vf_table2_bf16(t, x.a, &a->a, &b->a);
  h_vf_table2_bf16(t, x.b, &a->b, &b->b);
}
#endif
GLK_X2_F1(vf_round)
GLK_X2_F1(vf_pow2i)
GLK_X2_F1(vf_exponent)

GLK_VINLINE vm vm_or(vm a, vm b) { return vm_pair(h_vm_or(a.a, b.a), h_vm_or(a.b, b.b)); }
GLK_VINLINE vm vm_and(vm a, vm b) { return vm_pair(h_vm_and(a.a, b.a), h_vm_and(a.b, b.b)); }
GLK_VINLINE vm vm_not(vm m) { return vm_pair(h_vm_not(m.a), h_vm_not(m.b)); }
GLK_VINLINE int vm_any(vm m) { return h_vm_any(h_vm_or(m.a, m.b)); }
GLK_VINLINE int vm_all(vm m) { return h_vm_all(h_vm_and(m.a, m.b)); }
GLK_VINLINE vf vf_select(vm m, vf a, vf b) {
  return vf_pair(h_vf_select(m.a, a.a, b.a), h_vf_select(m.b, a.b, b.b));
}
GLK_VINLINE vm vf_bits_gt(vf x, uint32_t add, uint32_t mask, uint32_t limit) {
  return vm_pair(h_vf_bits_gt(x.a, add, mask, limit), h_vf_bits_gt(x.b, add, mask, limit));
}
GLK_VINLINE vm vf_bits_far(vf x, uint32_t mask, uint32_t mid, vf thr) {
  return vm_pair(h_vf_bits_far(x.a, mask, mid, thr.a), h_vf_bits_far(x.b, mask, mid, thr.b));
}
GLK_VINLINE vf vf_mul3_pow2(vf a, vf b, vf c, vf n) {
  return vf_pair(h_vf_mul3_pow2(a.a, b.a, c.a, n.a), h_vf_mul3_pow2(a.b, b.b, c.b, n.b));
}
GLK_VINLINE vf vf_mul3x_pow2(vf a, vf b, vf c, vf cl, vf n) {
  return vf_pair(h_vf_mul3x_pow2(a.a, b.a, c.a, cl.a, n.a),
                 h_vf_mul3x_pow2(a.b, b.b, c.b, cl.b, n.b));
}

/* ---- memory: W consecutive elements, the first GLK_H in .a ---------------- */
#define GLK_X2_LOAD(T, name) \
  GLK_VINLINE vf name(const T *p) { return vf_pair(h_##name(p), h_##name(p + GLK_H)); }
#define GLK_X2_STORE(T, name)        \
  GLK_VINLINE void name(T *p, vf x) { \
    h_##name(p, x.a);                 \
    h_##name(p + GLK_H, x.b);         \
  }
GLK_X2_LOAD(float, vf_load)
GLK_X2_STORE(float, vf_store)
GLK_X2_LOAD(uint16_t, vf_load_f16)
GLK_X2_STORE(uint16_t, vf_store_f16)
GLK_X2_LOAD(uint16_t, vf_load_bf16)
GLK_X2_STORE(uint16_t, vf_store_bf16)
GLK_X2_STORE(float, vf_stream_f32)
GLK_X2_STORE(uint16_t, vf_stream_f16)
GLK_X2_STORE(uint16_t, vf_stream_bf16)
GLK_VINLINE void vf_stream_fence(void) { h_vf_stream_fence(); }

/* the first m <= W elements: .a takes up to GLK_H, .b the rest (for
 * m <= GLK_H its mask is empty and its address p itself: no pointer past
 * the data is formed, nothing past m is touched) */
#ifdef GLK_VEC_HAS_PART
#define GLK_X2_LOAD_PART(T, name)                                                \
  GLK_VINLINE vf name(const T *p, size_t m) {                                    \
    return m > GLK_H ? vf_pair(h_##name(p, GLK_H), h_##name(p + GLK_H, m - GLK_H)) \
                     : vf_pair(h_##name(p, m), h_##name(p, 0));                  \
  }
#define GLK_X2_STORE_PART(T, name)                           \
  GLK_VINLINE void name(T *p, vf x, size_t m) {              \
    h_##name(p, x.a, m < GLK_H ? m : GLK_H);                 \
    if (m > GLK_H) h_##name(p + GLK_H, x.b, m - GLK_H);      \
  }
GLK_X2_LOAD_PART(float, vf_load_part)
GLK_X2_STORE_PART(float, vf_store_part)
GLK_X2_LOAD_PART(uint16_t, vf_load_f16_part)
GLK_X2_STORE_PART(uint16_t, vf_store_f16_part)
GLK_X2_LOAD_PART(uint16_t, vf_load_bf16_part)
GLK_X2_STORE_PART(uint16_t, vf_store_bf16_part)
#endif

/* ---- pairs: (lo, hi) hold 2W consecutive elements ----------------------- */
GLK_VINLINE void vf_deinterleave(vf lo, vf hi, vf *even, vf *odd) {
  h_vf_deinterleave(lo.a, lo.b, &even->a, &odd->a);
  h_vf_deinterleave(hi.a, hi.b, &even->b, &odd->b);
}
GLK_VINLINE void vf_interleave(vf even, vf odd, vf *lo, vf *hi) {
  h_vf_interleave(even.a, odd.a, &lo->a, &lo->b);
  h_vf_interleave(even.b, odd.b, &hi->a, &hi->b);
}
/* W bf16 pairs: the first GLK_H in .a */
GLK_VINLINE void vf_load_bf16_pairs(const uint16_t *p, vf *first, vf *second) {
  h_vf_load_bf16_pairs(p, &first->a, &second->a);
  h_vf_load_bf16_pairs(p + 2 * GLK_H, &first->b, &second->b);
}
#ifdef GLK_VEC_HAS_BF16_PAIRS_STORE
/* W consecutive bf16 elements with the lanes in another order: the even
 * elements in .a, the odd ones in .b. One load, a shift and a mask (no
 * widening), one rounding instruction and a permute to store; for loops
 * whose loads and stores all use this order (glu_simd_tmpl.h, ldh_bf16). */
#define GLK_VEC_HAS_BF16_EO 1
GLK_VINLINE vf vf_load_bf16_eo(const uint16_t *p) {
  vf x;
  h_vf_load_bf16_pairs(p, &x.a, &x.b);
  return x;
}
/* normal: every lane known to be a normal number; nt: non-temporal stores,
 * p 64-byte aligned (vec_avx512.h) */
GLK_VINLINE void vf_put_bf16_eo(uint16_t *p, vf x, int normal, int nt) {
  h_vf_put_bf16_pairs(p, x.a, x.b, normal, nt);
}
/* W pairs (first, second), the inverse of vf_load_bf16_pairs */
GLK_VINLINE void vf_put_bf16_pairs(uint16_t *p, vf first, vf second, int normal, int nt) {
  h_vf_put_bf16_pairs(p, first.a, second.a, normal, nt);
  h_vf_put_bf16_pairs(p + 2 * GLK_H, first.b, second.b, normal, nt);
}
#endif

#endif
