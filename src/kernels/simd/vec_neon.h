/* The thin vector layer for AArch64 Advanced SIMD (NEON): 4 f32 lanes. */
#ifndef GLK_VEC_NEON_H
#define GLK_VEC_NEON_H

#include <arm_neon.h>
#include <stdint.h>

#include "kernels/simd/vinline.h"

#define GLK_W 4
#define GLK_ISA_SUFFIX neon

typedef float32x4_t vf;
typedef uint32x4_t vm;

GLK_VINLINE vf vf_set1(float x) { return vdupq_n_f32(x); }
GLK_VINLINE vf vf_load(const float *p) { return vld1q_f32(p); }
GLK_VINLINE void vf_store(float *p, vf x) { vst1q_f32(p, x); }
GLK_VINLINE vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
GLK_VINLINE vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
GLK_VINLINE vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
GLK_VINLINE vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
GLK_VINLINE vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
GLK_VINLINE vf vf_fnma(vf a, vf b, vf c) { return vfmsq_f32(c, a, b); }
/* a * b - c, rounded once */
GLK_VINLINE vf vf_fms(vf a, vf b, vf c) { return vfmaq_f32(vnegq_f32(c), a, b); }
/* The float whose bits are t's shifted left by 23: 2^n for t = 0x1.8p23 + 127 + n. */
GLK_VINLINE vf vf_shl23(vf t) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 23));
}

/* A table index held in a vf: the lanes' bits shifted right by `shift`,
 * less `base` (an integer in [0, 16) for vf_lookup16). */
GLK_VINLINE vf vf_bits_index(vf x, int shift, uint32_t base) {
  const uint32x4_t b = vshlq_u32(vreinterpretq_u32_f32(x), vdupq_n_s32(-shift));
  return vreinterpretq_f32_u32(vsubq_u32(b, vdupq_n_u32(base)));
}
/* t[i] lane by lane, i from vf_bits_index, t 64-byte aligned: a piecewise
 * polynomial's coefficients for the lane's piece. One TBL over the
 * 64 bytes, each lane's four byte indices 4i .. 4i + 3. */
GLK_VINLINE vf vf_lookup16(const float *t, vf i) {
  uint8x16x4_t tb; /* four loads: vld1q_u8_x4 is missing from older arm_neon.h */
  for (int k = 0; k < 4; k++) tb.val[k] = vld1q_u8((const uint8_t *)(t + 4 * k));
  const uint32x4_t b = vmlaq_n_u32(vdupq_n_u32(0x03020100u), vreinterpretq_u32_f32(i), 0x04040404u);
  return vreinterpretq_f32_u8(vqtbl4q_u8(tb, vreinterpretq_u8_u32(b)));
}
GLK_VINLINE vf vf_abs(vf a) { return vabsq_f32(a); }
GLK_VINLINE vf vf_neg(vf a) { return vnegq_f32(a); }
/* vminq/vmaxq return NaN when either input is NaN: a NaN x passes. */
GLK_VINLINE vf vf_min_c(vf x, vf c) { return vminq_f32(x, c); }
GLK_VINLINE vf vf_max_c(vf x, vf c) { return vmaxq_f32(x, c); }

GLK_VINLINE vm vf_lt(vf a, vf b) { return vcltq_f32(a, b); }
GLK_VINLINE vm vf_gt(vf a, vf b) { return vcgtq_f32(a, b); }
GLK_VINLINE vm vf_eq(vf a, vf b) { return vceqq_f32(a, b); }
GLK_VINLINE vm vm_or(vm a, vm b) { return vorrq_u32(a, b); }
GLK_VINLINE vm vm_and(vm a, vm b) { return vandq_u32(a, b); }
GLK_VINLINE int vm_any(vm m) { return vmaxvq_u32(m) != 0; }
GLK_VINLINE int vm_all(vm m) { return vminvq_u32(m) != 0; }
GLK_VINLINE vm vm_not(vm m) { return vmvnq_u32(m); }
GLK_VINLINE vf vf_select(vm m, vf a, vf b) { return vbslq_f32(m, a, b); }
/* ((bits of x) + add) & mask > limit, unsigned, lane by lane (mask at most
 * 0x7fffffff): a test of x's low mantissa bits. */
GLK_VINLINE vm vf_bits_gt(vf x, uint32_t add, uint32_t mask, uint32_t limit) {
  const uint32x4_t b = vaddq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(add));
  return vcgtq_u32(vandq_u32(b, vdupq_n_u32(mask)), vdupq_n_u32(limit));
}
/* |(bits of x) & mask - mid| > thr, lane by lane (mask at most 0xffff, thr
 * in [0, 2^30]): x lies more than thr steps of its last bit from a rounding
 * midpoint. thr goes to an integer first, off the path from x. */
GLK_VINLINE vm vf_bits_far(vf x, uint32_t mask, uint32_t mid, vf thr) {
  const int32x4_t t = vcvtq_s32_f32(thr); /* dist > trunc(thr) implies dist > thr */
  const int32x4_t b = vreinterpretq_s32_u32(vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(mask)));
  return vcgtq_s32(vabsq_s32(vsubq_s32(b, vdupq_n_s32((int32_t)mid))), t);
}

GLK_VINLINE vf vf_round(vf x) { return vrndnq_f32(x); }
GLK_VINLINE vf vf_pow2i(vf n) {
  int32x4_t i = vcvtnq_s32_f32(n);
  return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(i, vdupq_n_s32(127)), 23));
}

/* floor(log2 |x|) from the exponent bits: -127 for zeros and subnormals,
 * 128 for infinities and NaN. */
GLK_VINLINE vf vf_exponent(vf x) {
  const uint32x4_t e = vandq_u32(vshrq_n_u32(vreinterpretq_u32_f32(x), 23), vdupq_n_u32(0xff));
  return vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(e), vdupq_n_s32(127)));
}

GLK_VINLINE vf vf_load_f16(const uint16_t *p) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
GLK_VINLINE void vf_store_f16(uint16_t *p, vf x) {
  vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(x))); /* FPCR: nearest even */
}
GLK_VINLINE vf vf_load_bf16(const uint16_t *p) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vmovl_u16(vld1_u16(p)), 16));
}
/* W bf16 pairs (2W elements) at p, as the first and the second element of
 * each pair: a pair is one 32-bit word with its first element in the low
 * half (little-endian), so a shift and a mask split them, with no permute
 * (the interleaved layout's loads: one instruction a vector each, where a
 * load, a widening and a two-source permute cost three). */
GLK_VINLINE void vf_load_bf16_pairs(const uint16_t *p, vf *first, vf *second) {
  const uint32x4_t w = vreinterpretq_u32_u16(vld1q_u16(p));
  *first = vreinterpretq_f32_u32(vshlq_n_u32(w, 16));
  *second = vreinterpretq_f32_u32(vandq_u32(w, vdupq_n_u32(0xffff0000u)));
}
GLK_VINLINE void vf_store_bf16(uint16_t *p, vf x) {
  const uint32x4_t b = vreinterpretq_u32_f32(x);
  const uint32x4_t lsb = vandq_u32(vshrq_n_u32(b, 16), vdupq_n_u32(1));
  uint32x4_t r = vaddq_u32(b, vaddq_u32(lsb, vdupq_n_u32(0x7fff)));
  const uint32x4_t quiet = vorrq_u32(b, vdupq_n_u32(0x00400000));
  const uint32x4_t is_num = vceqq_f32(x, x);
  r = vbslq_u32(is_num, r, quiet);
  vst1_u16(p, vmovn_u32(vshrq_n_u32(r, 16)));
}

GLK_VINLINE void vf_deinterleave(vf lo, vf hi, vf *even, vf *odd) {
  *even = vuzp1q_f32(lo, hi);
  *odd = vuzp2q_f32(lo, hi);
}
GLK_VINLINE void vf_interleave(vf even, vf odd, vf *lo, vf *hi) {
  *lo = vzip1q_f32(even, odd);
  *hi = vzip2q_f32(even, odd);
}

/* ---- the deep-tail product in f64: q = a * b * c * 2^n, rounded once ---- */
GLK_VINLINE float64x2_t vd_pow2(float64x2_t n) {
  const int64x2_t e = vcvtq_s64_f64(n);
  return vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(e, vdupq_n_s64(1023)), 52));
}
GLK_VINLINE vf vf_mul3_pow2(vf a, vf b, vf c, vf n) {
  const float64x2_t lo = vmulq_f64(vmulq_f64(vcvt_f64_f32(vget_low_f32(a)), vcvt_f64_f32(vget_low_f32(b))),
                                   vmulq_f64(vcvt_f64_f32(vget_low_f32(c)), vd_pow2(vcvt_f64_f32(vget_low_f32(n)))));
  const float64x2_t hi = vmulq_f64(vmulq_f64(vcvt_high_f64_f32(a), vcvt_high_f64_f32(b)),
                                   vmulq_f64(vcvt_high_f64_f32(c), vd_pow2(vcvt_high_f64_f32(n))));
  return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi);
}

/* a * b * (c + cl) * 2^n in f64 (cl tiny against c), rounded once */
GLK_VINLINE float64x2_t vd_mul3x(float64x2_t a, float64x2_t b, float64x2_t c, float64x2_t cl,
                                 float64x2_t n) {
  const float64x2_t ab = vmulq_f64(a, b);
  return vmulq_f64(vfmaq_f64(vmulq_f64(ab, c), ab, cl), vd_pow2(n));
}
GLK_VINLINE vf vf_mul3x_pow2(vf a, vf b, vf c, vf cl, vf n) {
  const float64x2_t lo = vd_mul3x(vcvt_f64_f32(vget_low_f32(a)), vcvt_f64_f32(vget_low_f32(b)),
                                  vcvt_f64_f32(vget_low_f32(c)), vcvt_f64_f32(vget_low_f32(cl)),
                                  vcvt_f64_f32(vget_low_f32(n)));
  const float64x2_t hi = vd_mul3x(vcvt_high_f64_f32(a), vcvt_high_f64_f32(b), vcvt_high_f64_f32(c),
                                  vcvt_high_f64_f32(cl), vcvt_high_f64_f32(n));
  return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi);
}

/* No non-temporal stores through the intrinsics: ordinary ones. */
GLK_VINLINE void vf_stream_f32(float *p, vf x) { vf_store(p, x); }
GLK_VINLINE void vf_stream_f16(uint16_t *p, vf x) { vf_store_f16(p, x); }
GLK_VINLINE void vf_stream_bf16(uint16_t *p, vf x) { vf_store_bf16(p, x); }
GLK_VINLINE void vf_stream_fence(void) {}

#endif
