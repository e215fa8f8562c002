/* The thin vector layer for AVX2 + FMA + F16C: 8 f32 lanes. */
#ifndef GLK_VEC_AVX2_H
#define GLK_VEC_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_W 8
#define GLK_ISA_SUFFIX avx2

typedef __m256 vf;
typedef __m256 vm; /* all-ones / all-zeros lanes */

GLK_VINLINE vf vf_set1(float x) { return _mm256_set1_ps(x); }
GLK_VINLINE vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
GLK_VINLINE void vf_store(float *p, vf x) { _mm256_storeu_ps(p, x); }
GLK_VINLINE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
GLK_VINLINE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
GLK_VINLINE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
GLK_VINLINE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
GLK_VINLINE vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
GLK_VINLINE vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
/* a * b - c, rounded once */
GLK_VINLINE vf vf_fms(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }
/* The float whose bits are t's shifted left by 23: 2^n for t = 0x1.8p23 + 127 + n. */
GLK_VINLINE vf vf_shl23(vf t) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
}

/* A table index held in a vf: the lanes' bits shifted right by `shift`,
 * less `base` (an integer in [0, 16) for vf_lookup16). */
GLK_VINLINE vf vf_bits_index(vf x, int shift, uint32_t base) {
  return _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(x), shift),
                                              _mm256_set1_epi32((int)base)));
}
/* t[i] lane by lane, i from vf_bits_index, t 64-byte aligned: a piecewise
 * polynomial's coefficients for the lane's piece. Two permutes of eight
 * entries and a blend on i's bit 3. */
GLK_VINLINE vf vf_lookup16(const float *t, vf i) {
  const __m256i k = _mm256_castps_si256(i);
  const __m256 lo = _mm256_permutevar8x32_ps(_mm256_load_ps(t), k);
  const __m256 hi = _mm256_permutevar8x32_ps(_mm256_load_ps(t + 8), k);
  return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(k, 28)));
}
GLK_VINLINE vf vf_abs(vf a) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a);
}
GLK_VINLINE vf vf_neg(vf a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
GLK_VINLINE vf vf_min_c(vf x, vf c) { return _mm256_min_ps(c, x); }
GLK_VINLINE vf vf_max_c(vf x, vf c) { return _mm256_max_ps(c, x); }

GLK_VINLINE vm vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
GLK_VINLINE vm vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
GLK_VINLINE vm vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
GLK_VINLINE vm vm_or(vm a, vm b) { return _mm256_or_ps(a, b); }
GLK_VINLINE vm vm_and(vm a, vm b) { return _mm256_and_ps(a, b); }
GLK_VINLINE int vm_any(vm m) { return _mm256_movemask_ps(m) != 0; }
GLK_VINLINE int vm_all(vm m) { return _mm256_movemask_ps(m) == 0xff; }
GLK_VINLINE vm vm_not(vm m) { return _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_set1_epi32(-1))); }
GLK_VINLINE vf vf_select(vm m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
/* ((bits of x) + add) & mask > limit, unsigned, lane by lane (mask at most
 * 0x7fffffff): a test of x's low mantissa bits. */
GLK_VINLINE vm vf_bits_gt(vf x, uint32_t add, uint32_t mask, uint32_t limit) {
  const __m256i b = _mm256_add_epi32(_mm256_castps_si256(x), _mm256_set1_epi32((int)add));
  /* both sides below 2^31: the signed comparison is the unsigned one */
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32((int)mask)),
                                                _mm256_set1_epi32((int)limit)));
}
/* |(bits of x) & mask - mid| > thr, lane by lane (mask at most 0xffff, thr
 * in [0, 2^30]): x lies more than thr steps of its last bit from a rounding
 * midpoint. thr goes to an integer first, off the path from x. */
GLK_VINLINE vm vf_bits_far(vf x, uint32_t mask, uint32_t mid, vf thr) {
  const __m256i t = _mm256_cvttps_epi32(thr); /* dist > trunc(thr) implies dist > thr */
  const __m256i b = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32((int)mask));
  return _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_abs_epi32(_mm256_sub_epi32(b, _mm256_set1_epi32((int)mid))), t));
}

/* The table index of x, a 16-bit float held as f32: its bit pattern (bf16:
 * the top 16 bits; f16: converted back, exactly) */
GLK_VINLINE __m256i vf_index16(vf x, int f16) {
  if (f16) return _mm256_cvtepu16_epi32(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  return _mm256_srli_epi32(_mm256_castps_si256(x), 16);
}
/* t[i], i the bit pattern of x (vf_index16): one gather */
#define GLK_VEC_HAS_TABLE 1
GLK_VINLINE vf vf_table16(const float *t, vf x, int f16) {
  return _mm256_i32gather_ps(t, vf_index16(x, f16), 4);
}
/* For bf16, the same from a table of pairs (t[2i], t[2i + 1]) into *a and
 * *b: two gathers of 4 64-bit entries, then the halves sorted out */
GLK_VINLINE void vf_table2_bf16(const float *t, vf x, vf *a, vf *b) {
  const __m256i i = vf_index16(x, 0);
  const double *d = (const double *)(const void *)t;
  const __m256 lo = _mm256_castpd_ps(_mm256_i32gather_pd(d, _mm256_castsi256_si128(i), 8));
  const __m256 hi = _mm256_castpd_ps(_mm256_i32gather_pd(d, _mm256_extracti128_si256(i, 1), 8));
  /* per 128-bit half: lo's two pairs, then hi's; lanes 0 1 4 5 2 3 6 7 */
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  *a = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)), order);
  *b = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)), order);
}

GLK_VINLINE vf vf_round(vf x) {
  return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
GLK_VINLINE vf vf_pow2i(vf n) {
  __m256i i = _mm256_cvtps_epi32(n);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i, _mm256_set1_epi32(127)), 23));
}

/* floor(log2 |x|) from the exponent bits: -127 for zeros and subnormals,
 * 128 for infinities and NaN. */
GLK_VINLINE vf vf_exponent(vf x) {
  const __m256i e = _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(x), 23),
                                     _mm256_set1_epi32(0xff));
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(e, _mm256_set1_epi32(127)));
}

GLK_VINLINE vf vf_load_f16(const uint16_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}
GLK_VINLINE __m128i vf_f16_bits(vf x) {
  return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
GLK_VINLINE void vf_store_f16(uint16_t *p, vf x) {
  _mm_storeu_si128((__m128i *)(void *)p, vf_f16_bits(x));
}
GLK_VINLINE vf vf_load_bf16(const uint16_t *p) {
  __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
/* W bf16 pairs (2W elements) at p, as the first and the second element of
 * each pair: a pair is one 32-bit word with its first element in the low
 * half (little-endian), so a shift and a mask split them, with no permute
 * (the interleaved layout's loads: one instruction a vector each, where a
 * load, a widening and a two-source permute cost three). */
GLK_VINLINE void vf_load_bf16_pairs(const uint16_t *p, vf *first, vf *second) {
  const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)p);
  *first = _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  *second = _mm256_castsi256_ps(_mm256_and_si256(w, _mm256_set1_epi32((int)0xffff0000u)));
}
GLK_VINLINE __m128i vf_bf16_bits(vf x) {
  const __m256i b = _mm256_castps_si256(x);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_add_epi32(b, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
  const __m256i quiet = _mm256_or_si256(b, _mm256_set1_epi32(0x00400000));
  const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  r = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(quiet), nan));
  r = _mm256_srli_epi32(r, 16);
  /* pack 8 x u32 -> 8 x u16: packus works per 128-bit lane, then gather */
  __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
  return _mm256_castsi256_si128(packed);
}
GLK_VINLINE void vf_store_bf16(uint16_t *p, vf x) {
  _mm_storeu_si128((__m128i *)(void *)p, vf_bf16_bits(x));
}
/* Non-temporal stores of W elements (p aligned to their size) and the
 * fence that orders them before the call returns. */
GLK_VINLINE void vf_stream_f32(float *p, vf x) { _mm256_stream_ps(p, x); }
GLK_VINLINE void vf_stream_f16(uint16_t *p, vf x) {
  _mm_stream_si128((__m128i *)(void *)p, vf_f16_bits(x));
}
GLK_VINLINE void vf_stream_bf16(uint16_t *p, vf x) {
  _mm_stream_si128((__m128i *)(void *)p, vf_bf16_bits(x));
}
GLK_VINLINE void vf_stream_fence(void) { _mm_sfence(); }

GLK_VINLINE void vf_deinterleave(vf lo, vf hi, vf *even, vf *odd) {
  const vf e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  const vf o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}
GLK_VINLINE void vf_interleave(vf even, vf odd, vf *lo, vf *hi) {
  const vf a = _mm256_unpacklo_ps(even, odd), b = _mm256_unpackhi_ps(even, odd);
  *lo = _mm256_permute2f128_ps(a, b, 0x20);
  *hi = _mm256_permute2f128_ps(a, b, 0x31);
}

/* ---- the deep-tail product in f64: q = a * b * c * 2^n, rounded once ---- */
GLK_VINLINE __m256d vd_pow2(__m128 n) {
  const __m256i e = _mm256_cvtepi32_epi64(_mm_cvtps_epi32(n));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(e, _mm256_set1_epi64x(1023)), 52));
}
GLK_VINLINE __m128 vd_half(__m128 a, __m128 b, __m128 c, __m128 n) {
  const __m256d p = _mm256_mul_pd(_mm256_mul_pd(_mm256_cvtps_pd(a), _mm256_cvtps_pd(b)),
                                  _mm256_mul_pd(_mm256_cvtps_pd(c), vd_pow2(n)));
  return _mm256_cvtpd_ps(p);
}
GLK_VINLINE vf vf_mul3_pow2(vf a, vf b, vf c, vf n) {
  const __m128 lo = vd_half(_mm256_castps256_ps128(a), _mm256_castps256_ps128(b),
                            _mm256_castps256_ps128(c), _mm256_castps256_ps128(n));
  const __m128 hi = vd_half(_mm256_extractf128_ps(a, 1), _mm256_extractf128_ps(b, 1),
                            _mm256_extractf128_ps(c, 1), _mm256_extractf128_ps(n, 1));
  return _mm256_set_m128(hi, lo);
}

/* a * b * (c + cl) * 2^n in f64 (cl tiny against c), rounded once */
GLK_VINLINE __m128 vd_half3x(__m128 a, __m128 b, __m128 c, __m128 cl, __m128 n) {
  const __m256d ab = _mm256_mul_pd(_mm256_cvtps_pd(a), _mm256_cvtps_pd(b));
  const __m256d p = _mm256_fmadd_pd(ab, _mm256_cvtps_pd(cl), _mm256_mul_pd(ab, _mm256_cvtps_pd(c)));
  return _mm256_cvtpd_ps(_mm256_mul_pd(p, vd_pow2(n)));
}
GLK_VINLINE vf vf_mul3x_pow2(vf a, vf b, vf c, vf cl, vf n) {
  const __m128 lo = vd_half3x(_mm256_castps256_ps128(a), _mm256_castps256_ps128(b),
                              _mm256_castps256_ps128(c), _mm256_castps256_ps128(cl),
                              _mm256_castps256_ps128(n));
  const __m128 hi = vd_half3x(_mm256_extractf128_ps(a, 1), _mm256_extractf128_ps(b, 1),
                              _mm256_extractf128_ps(c, 1), _mm256_extractf128_ps(cl, 1),
                              _mm256_extractf128_ps(n, 1));
  return _mm256_set_m128(hi, lo);
}

#endif
