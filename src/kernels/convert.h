/*
 * Exact reads and once-rounded writes of the 16-bit formats.
 *
 * Reads widen exactly. Writes round a double straight to the target format,
 * to nearest with ties to even, so a value computed in double is rounded
 * once (never through float first). Subnormals of both formats are kept,
 * overflow gives infinity, NaN stays NaN (quiet, sign kept).
 */
#ifndef GLK_CONVERT_H
#define GLK_CONVERT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double glk_f16_to_double(uint16_t h) {
  const int sign = h >> 15;
  const int exp = (h >> 10) & 0x1f;
  const int man = h & 0x3ff;
  double mag;
  if (exp == 0x1f)
    mag = man ? NAN : INFINITY;
  else if (exp == 0)
    mag = ldexp((double)man, -24); /* subnormal: man * 2^-24 */
  else
    mag = ldexp((double)(man | 0x400), exp - 25);
  return sign ? -mag : mag;
}

static inline double glk_bf16_to_double(uint16_t b) {
  const uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return (double)f;
}

/*
 * Round x to a binary format with `exp_bits` exponent bits and `man_bits`
 * stored mantissa bits (IEEE-style: bias 2^(exp_bits-1) - 1, subnormals,
 * all-ones exponent for inf/NaN) and return its bit pattern.
 */
static inline uint16_t glk_round_to_small_float(double x, int exp_bits,
                                                int man_bits) {
  const int total_bits = 1 + exp_bits + man_bits;
  const uint32_t sign = signbit(x) ? 1u << (total_bits - 1) : 0u;
  const uint32_t exp_all_ones = ((1u << exp_bits) - 1u) << man_bits;
  if (isnan(x)) /* quiet NaN, sign kept */
    return (uint16_t)(sign | exp_all_ones | (1u << (man_bits - 1)));
  const double a = fabs(x);
  if (isinf(a))
    return (uint16_t)(sign | exp_all_ones);
  if (a == 0.0)
    return (uint16_t)sign;
  const int bias = (1 << (exp_bits - 1)) - 1;
  const int emin = 1 - bias; /* exponent of the smallest normal */
  /* Fast path, when the result is normal: round the double's bits at the
   * target's last mantissa bit, ties to even; a carry out of the mantissa
   * moves into the exponent by itself. */
  uint64_t bits;
  memcpy(&bits, &a, sizeof bits);
  const int shift = 52 - man_bits;
  const int e_in = (int)(bits >> 52) - 1023;
  if (e_in >= emin && e_in <= bias) {
    const uint64_t half = (UINT64_C(1) << (shift - 1)) - 1;
    const uint64_t r = bits + half + ((bits >> shift) & 1);
    const int e_out = (int)(r >> 52) - 1023;
    if (e_out > bias) return (uint16_t)(sign | exp_all_ones);
    const uint32_t man = (uint32_t)(r >> shift) & ((1u << man_bits) - 1u);
    return (uint16_t)(sign | ((uint32_t)(e_out + bias) << man_bits) | man);
  }
  int e;
  frexp(a, &e);
  e -= 1; /* a = 1.m * 2^e */
  if (e > bias)
    return (uint16_t)(sign | exp_all_ones);
  if (e < emin)
    e = emin; /* subnormal range: spacing of the smallest normal binade */
  /* q = a / quantum is exact (scaling by a power of two, result normal). */
  const double q = ldexp(a, man_bits - e);
  double r = floor(q);
  const double frac = q - r;
  if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0))
    r += 1.0;
  /* r counts quanta of 2^(e - man_bits); r may reach 2^(man_bits+1). */
  uint32_t mant = (uint32_t)r;
  uint32_t biased;
  if (mant < (1u << man_bits)) {
    biased = 0; /* still subnormal (only possible when e == emin) */
  } else {
    biased = (uint32_t)(e + bias);
    if (mant >= (2u << man_bits)) { /* rounded up into the next binade */
      mant >>= 1;
      biased += 1;
    }
    mant -= 1u << man_bits;
  }
  if (biased >= (1u << exp_bits) - 1u)
    return (uint16_t)(sign | exp_all_ones);
  return (uint16_t)(sign | (biased << man_bits) | mant);
}

static inline uint16_t glk_double_to_f16(double x) {
  return glk_round_to_small_float(x, 5, 10);
}

static inline uint16_t glk_double_to_bf16(double x) {
  return glk_round_to_small_float(x, 8, 7);
}

#endif
