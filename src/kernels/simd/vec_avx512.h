/*
 * The thin vector layer for AVX-512F: 16 f32 lanes. Everything the GLU math
 * (glu_simd_tmpl.h) needs and nothing more; the same names exist for AVX2
 * and NEON.
 */
#ifndef GLK_VEC_AVX512_H
#define GLK_VEC_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_W 16
#ifndef GLK_ISA_SUFFIX /* glu_avx512bf16_bf16.c names its kernels __avx512bf16 */
#define GLK_ISA_SUFFIX avx512
#endif

typedef __m512 vf;
typedef __mmask16 vm;

GLK_VINLINE vf vf_set1(float x) { return _mm512_set1_ps(x); }
GLK_VINLINE vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
GLK_VINLINE void vf_store(float *p, vf x) { _mm512_storeu_ps(p, x); }
GLK_VINLINE vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
GLK_VINLINE vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
GLK_VINLINE vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
GLK_VINLINE vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
/* a * b + c and c - a * b, each rounded once */
GLK_VINLINE vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
GLK_VINLINE vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
/* a * b - c, rounded once */
GLK_VINLINE vf vf_fms(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); }
/* The float whose bits are t's shifted left by 23: 2^n for t = 0x1.8p23 + 127 + n. */
GLK_VINLINE vf vf_shl23(vf t) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
}

/* A table index held in a vf: the lanes' bits shifted right by `shift`,
 * less `base` (an integer in [0, 16) for vf_lookup16). */
GLK_VINLINE vf vf_bits_index(vf x, int shift, uint32_t base) {
  const __m512i b = _mm512_srli_epi32(_mm512_castps_si512(x), (unsigned)shift);
  return _mm512_castsi512_ps(_mm512_sub_epi32(b, _mm512_set1_epi32((int)base)));
}
/* t[i] lane by lane, i from vf_bits_index, t 64-byte aligned: a piecewise
 * polynomial's coefficients for the lane's piece. One permute. */
GLK_VINLINE vf vf_lookup16(const float *t, vf i) {
  return _mm512_permutexvar_ps(_mm512_castps_si512(i), _mm512_load_ps(t));
}
GLK_VINLINE vf vf_abs(vf a) { return _mm512_abs_ps(a); }
GLK_VINLINE vf vf_neg(vf a) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a),
                                              _mm512_set1_epi32(INT32_MIN)));
}
/* min(x, c) and max(x, c) for a constant c; a NaN x passes through. */
GLK_VINLINE vf vf_min_c(vf x, vf c) { return _mm512_min_ps(c, x); }
GLK_VINLINE vf vf_max_c(vf x, vf c) { return _mm512_max_ps(c, x); }

GLK_VINLINE vm vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
GLK_VINLINE vm vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
GLK_VINLINE vm vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
GLK_VINLINE vm vm_or(vm a, vm b) { return (vm)(a | b); }
GLK_VINLINE vm vm_and(vm a, vm b) { return (vm)(a & b); }
GLK_VINLINE int vm_any(vm m) { return m != 0; }
GLK_VINLINE int vm_all(vm m) { return m == 0xffff; }
GLK_VINLINE vm vm_not(vm m) { return (vm)~m; }
/* m ? a : b, lane by lane */
GLK_VINLINE vf vf_select(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
/* ((bits of x) + add) & mask > limit, unsigned, lane by lane (mask at most
 * 0x7fffffff): a test of x's low mantissa bits. */
GLK_VINLINE vm vf_bits_gt(vf x, uint32_t add, uint32_t mask, uint32_t limit) {
  const __m512i b = _mm512_add_epi32(_mm512_castps_si512(x), _mm512_set1_epi32((int)add));
  return _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, _mm512_set1_epi32((int)mask)),
                                 _mm512_set1_epi32((int)limit));
}
/* |(bits of x) & mask - mid| > thr, lane by lane (mask at most 0xffff, thr
 * in [0, 2^30]): x lies more than thr steps of its last bit from a rounding
 * midpoint. thr goes to an integer first, off the path from x. */
GLK_VINLINE vm vf_bits_far(vf x, uint32_t mask, uint32_t mid, vf thr) {
  const __m512i t = _mm512_cvttps_epi32(thr); /* dist > trunc(thr) implies dist > thr */
  const __m512i b = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)mask));
  return _mm512_cmpgt_epi32_mask(_mm512_abs_epi32(_mm512_sub_epi32(b, _mm512_set1_epi32((int)mid))), t);
}

/* The table index of x, a 16-bit float held as f32: its bit pattern (bf16:
 * the top 16 bits; f16: converted back, exactly) */
GLK_VINLINE __m512i vf_index16(vf x, int f16) {
  if (f16) return _mm512_cvtepu16_epi32(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  return _mm512_srli_epi32(_mm512_castps_si512(x), 16);
}
/* t[i], i the bit pattern of x (vf_index16): one gather */
#define GLK_VEC_HAS_TABLE 1
GLK_VINLINE vf vf_table16(const float *t, vf x, int f16) {
  return _mm512_i32gather_ps(vf_index16(x, f16), t, 4);
}
/* For bf16, the same from a table of pairs (t[2i], t[2i + 1]) into *a and
 * *b: two gathers of 8 64-bit entries, cheaper than two of 16 32-bit ones (about
 * 1.7 against 4.8 ns a vector on the Intel Xeon), and two permutes */
GLK_VINLINE void vf_table2_bf16(const float *t, vf x, vf *a, vf *b) {
  const __m512i i = vf_index16(x, 0);
  const __m512 lo = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_castsi512_si256(i), t, 8));
  const __m512 hi = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_extracti64x4_epi64(i, 1), t, 8));
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  *a = _mm512_permutex2var_ps(lo, even, hi);
  *b = _mm512_permutex2var_ps(lo, _mm512_add_epi32(even, _mm512_set1_epi32(1)), hi);
}

#define GLK_VEC_HAS_CLASS 1 /* vf_normal, vf_finite_nonzero in one instruction */
/* Finite, normal and nonzero, lane by lane (VFPCLASSPS: not NaN, +-0,
 * +-inf, subnormal). */
GLK_VINLINE vm vf_normal(vf x) { return (vm)~_mm512_fpclass_ps_mask(x, 0xbf); }
/* Finite and nonzero (subnormals in) */
GLK_VINLINE vm vf_finite_nonzero(vf x) { return (vm)~_mm512_fpclass_ps_mask(x, 0x9f); }

/* Round to nearest integer (ties to even), as float. */
GLK_VINLINE vf vf_round(vf x) {
  return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
/* 2^n for integral n in [-126, 127], given as a float. */
GLK_VINLINE vf vf_pow2i(vf n) {
  __m512i i = _mm512_cvtps_epi32(n);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i, _mm512_set1_epi32(127)), 23));
}

/* floor(log2 |x|) from the exponent bits: -127 for zeros and subnormals,
 * 128 for infinities and NaN. */
GLK_VINLINE vf vf_exponent(vf x) {
  const __m512i e = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(x), 23),
                                     _mm512_set1_epi32(0xff));
  return _mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(127)));
}

/* ---- 16-bit formats (W elements) ---------------------------------------- */
GLK_VINLINE vf vf_load_f16(const uint16_t *p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p));
}
GLK_VINLINE __m256i vf_f16_bits(vf x) {
  return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
GLK_VINLINE void vf_store_f16(uint16_t *p, vf x) {
  _mm256_storeu_si256((__m256i *)(void *)p, vf_f16_bits(x));
}
GLK_VINLINE vf vf_load_bf16(const uint16_t *p) {
  __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}
/* W bf16 pairs (2W elements) at p, as the first and the second element of
 * each pair: a pair is one 32-bit word with its first element in the low
 * half (little-endian), so a shift and a mask split them, with no permute
 * (the interleaved layout's loads: one instruction a vector each, where a
 * load, a widening and a two-source permute cost three). */
GLK_VINLINE void vf_load_bf16_pairs(const uint16_t *p, vf *first, vf *second) {
  const __m512i w = _mm512_loadu_si512((const void *)p);
  *first = _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  *second = _mm512_castsi512_ps(_mm512_and_si512(w, _mm512_set1_epi32((int)0xffff0000u)));
}
/* Round to nearest even on the bits (keeps subnormals, unlike VCVTNEPS2BF16
 * which flushes them); NaN becomes a quiet NaN with its sign. */
GLK_VINLINE __m256i vf_bf16_bits_int(vf x) {
  const __m512i b = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  const __m512i quiet = _mm512_or_si512(b, _mm512_set1_epi32(0x00400000));
  r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, quiet);
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}
#if defined(__AVX512BF16__)
/* VCVTNEPS2BF16 (glu_avx512bf16_bf16.c, entered where the CPU has AVX512_BF16):
 * the same rounding to nearest even and the same quiet NaN in one
 * instruction, but subnormal inputs are flushed to zero, so a vector with a
 * subnormal lane (rare) takes the integer path: the bits are the same. */
GLK_VINLINE __m256i vf_bf16_bits(vf x) {
  if (_mm512_fpclass_ps_mask(x, 0x20)) return vf_bf16_bits_int(x); /* a subnormal lane */
  return (__m256i)_mm512_cvtneps_pbh(x);
}
#else
GLK_VINLINE __m256i vf_bf16_bits(vf x) { return vf_bf16_bits_int(x); }
#endif
GLK_VINLINE void vf_store_bf16(uint16_t *p, vf x) {
  _mm256_storeu_si256((__m256i *)(void *)p, vf_bf16_bits(x));
}
/* ---- the first m <= W elements, by masks (AVX512BW/VL for 16-bit ones) --
 * Lanes past m load as 1.0 and are neither read nor written in memory, so a
 * tail needs no copy through a stack buffer (whose narrow stores a vector
 * load cannot forward from: a stall on every short call). 1.0, not 0: a
 * zero value sends its whole vector off the fast paths. */
#define GLK_VEC_HAS_PART 1
GLK_VINLINE __mmask16 vm_first(size_t m) { return (__mmask16)((1u << m) - 1u); }
GLK_VINLINE vf vf_load_part(const float *p, size_t m) {
  return _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), vm_first(m), p);
}
GLK_VINLINE void vf_store_part(float *p, vf x, size_t m) {
  _mm512_mask_storeu_ps(p, vm_first(m), x);
}
GLK_VINLINE vf vf_load_f16_part(const uint16_t *p, size_t m) {
  return _mm512_cvtph_ps(_mm256_mask_loadu_epi16(_mm256_set1_epi16(0x3c00), vm_first(m), p));
}
GLK_VINLINE void vf_store_f16_part(uint16_t *p, vf x, size_t m) {
  _mm256_mask_storeu_epi16(p, vm_first(m), vf_f16_bits(x));
}
GLK_VINLINE vf vf_load_bf16_part(const uint16_t *p, size_t m) {
  const __m256i h = _mm256_mask_loadu_epi16(_mm256_set1_epi16(0x3f80), vm_first(m), p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
GLK_VINLINE void vf_store_bf16_part(uint16_t *p, vf x, size_t m) {
  _mm256_mask_storeu_epi16(p, vm_first(m), vf_bf16_bits(x));
}

/* Non-temporal stores of W elements (p aligned to their size) and the
 * fence that orders them before the call returns. */
GLK_VINLINE void vf_stream_f32(float *p, vf x) { _mm512_stream_ps(p, x); }
GLK_VINLINE void vf_stream_f16(uint16_t *p, vf x) {
  _mm256_stream_si256((__m256i *)(void *)p, vf_f16_bits(x));
}
GLK_VINLINE void vf_stream_bf16(uint16_t *p, vf x) {
  _mm256_stream_si256((__m256i *)(void *)p, vf_bf16_bits(x));
}
GLK_VINLINE void vf_stream_fence(void) { _mm_sfence(); }

/* ---- pairs: (lo, hi) hold 2W consecutive elements ----------------------- */
GLK_VINLINE void vf_deinterleave(vf lo, vf hi, vf *even, vf *odd) {
  const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  *even = _mm512_permutex2var_ps(lo, ie, hi);
  *odd = _mm512_permutex2var_ps(lo, io, hi);
}
GLK_VINLINE void vf_interleave(vf even, vf odd, vf *lo, vf *hi) {
  const __m512i il = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i ih = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  *lo = _mm512_permutex2var_ps(even, il, odd);
  *hi = _mm512_permutex2var_ps(even, ih, odd);
}
#if defined(__AVX512BF16__)
/* The inverse of vf_load_bf16_pairs: 16 pairs (first, second) rounded to
 * bf16, stored as 32 consecutive elements. VCVTNE2PS2BF16 rounds both
 * registers at once (first in the low half) and one word permute
 * interleaves them; a subnormal lane (flushed by VCVTNE2PS2BF16) takes
 * vf_store_bf16's integer path: the same bits either way. normal: the
 * caller knows every lane is a normal number (a screened bf16 forward),
 * and the test is skipped. */
#define GLK_VEC_HAS_BF16_PAIRS_STORE 1
GLK_VINLINE __m512i vf_bf16_pairs_bits(vf first, vf second) {
  const __m512i w = (__m512i)_mm512_cvtne2ps_pbh(second, first);
  /* word 2k <- k (first), word 2k + 1 <- 16 + k (second) */
  const __m512i idx = _mm512_set_epi32(0x001f000f, 0x001e000e, 0x001d000d, 0x001c000c,
                                       0x001b000b, 0x001a000a, 0x00190009, 0x00180008,
                                       0x00170007, 0x00160006, 0x00150005, 0x00140004,
                                       0x00130003, 0x00120002, 0x00110001, 0x00100000);
  return _mm512_permutexvar_epi16(idx, w);
}
GLK_VINLINE int vf_any_subnormal2(vf a, vf b) {
  return (_mm512_fpclass_ps_mask(a, 0x20) | _mm512_fpclass_ps_mask(b, 0x20)) != 0;
}
/* nt: through a non-temporal store (p 64-byte aligned) */
GLK_VINLINE void vf_put_bf16_pairs(uint16_t *p, vf first, vf second, int normal, int nt) {
  if (!normal && vf_any_subnormal2(first, second)) {
    vf lo, hi;
    vf_interleave(first, second, &lo, &hi);
    if (nt)
      vf_stream_bf16(p, lo), vf_stream_bf16(p + 16, hi);
    else
      vf_store_bf16(p, lo), vf_store_bf16(p + 16, hi);
    return;
  }
  const __m512i bits = vf_bf16_pairs_bits(first, second);
  if (nt)
    _mm512_stream_si512((void *)p, bits);
  else
    _mm512_storeu_si512((void *)p, bits);
}
#endif

/* ---- the deep-tail product in f64: q = a * b * c * 2^n, rounded once ---- */
GLK_VINLINE __m512d vd_lo(vf x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
GLK_VINLINE __m512d vd_hi(vf x) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
}
/* 2^n for integral n in [-1022, 0] given as f32 lanes (low or high half) */
GLK_VINLINE __m512d vd_pow2(__m256 n) {
  const __m512i e = _mm512_cvtepi32_epi64(_mm256_cvtps_epi32(n));
  return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(e, _mm512_set1_epi64(1023)), 52));
}
GLK_VINLINE vf vf_mul3_pow2(vf a, vf b, vf c, vf n) {
  const __m256 nlo = _mm512_castps512_ps256(n);
  const __m256 nhi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(n), 1));
  const __m512d lo = _mm512_mul_pd(_mm512_mul_pd(_mm512_mul_pd(vd_lo(a), vd_lo(b)), vd_lo(c)), vd_pow2(nlo));
  const __m512d hi = _mm512_mul_pd(_mm512_mul_pd(_mm512_mul_pd(vd_hi(a), vd_hi(b)), vd_hi(c)), vd_pow2(nhi));
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo))),
                                             _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

/* a * b * (c + cl) * 2^n in f64 (cl tiny against c), rounded once */
GLK_VINLINE __m512d vd_mul3x(__m512d a, __m512d b, __m512d c, __m512d cl, __m256 n) {
  const __m512d ab = _mm512_mul_pd(a, b);
  return _mm512_mul_pd(_mm512_fmadd_pd(ab, cl, _mm512_mul_pd(ab, c)), vd_pow2(n));
}
GLK_VINLINE vf vf_mul3x_pow2(vf a, vf b, vf c, vf cl, vf n) {
  const __m256 nlo = _mm512_castps512_ps256(n);
  const __m256 nhi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(n), 1));
  const __m512d lo = vd_mul3x(vd_lo(a), vd_lo(b), vd_lo(c), vd_lo(cl), nlo);
  const __m512d hi = vd_mul3x(vd_hi(a), vd_hi(b), vd_hi(c), vd_hi(cl), nhi);
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo))),
                                             _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

#endif
