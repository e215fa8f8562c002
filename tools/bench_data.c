#include "bench_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *bench_alloc(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p) memset(p, 0, rounded);
  return p;
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static double uniform01(uint64_t *state) { /* in (0, 1) */
  return ((double)(splitmix64(state) >> 11) + 0.5) * 0x1p-53;
}

/* Box-Muller for every element of a 940 MB tensor costs seconds; a table
 * of 2^16 normal values indexed by a fast generator costs a fraction. */
#define TABLE_BITS 16
static float normal_table[1 << TABLE_BITS];

static void fill_table(uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = 0; i < (size_t)1 << TABLE_BITS;) {
    const double r = sqrt(-2 * log(uniform01(&state)));
    const double z = r * cos(6.283185307179586 * uniform01(&state));
    if (fabs(z) >= 1e-3) normal_table[i++] = (float)z;
  }
}

/* Round to nearest even on the bits; the values are normal and finite. */
static uint16_t to_bf16(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return (uint16_t)((b + 0x7FFF + ((b >> 16) & 1)) >> 16);
}

/* binary16 for |f| in [2^-14, 65504]: normal halves only. */
static uint16_t to_f16(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000, mant = b & 0x7FFFFF;
  const uint32_t exp = ((b >> 23) & 0xFF) - 127 + 15;
  uint32_t h = sign | exp << 10 | mant >> 13;
  const uint32_t rest = mant & 0x1FFF;
  return (uint16_t)(h + (rest > 0x1000 || (rest == 0x1000 && (h & 1))));
}

void bench_fill_normal(void *data, glk_dtype dtype, size_t count, uint64_t seed) {
  fill_table(seed);
  uint64_t state = seed ^ 0x5DEECE66Du, bits = 0;
  for (size_t i = 0; i < count; i++) {
    if (i % 4 == 0) bits = splitmix64(&state);
    const float v = normal_table[bits & ((1u << TABLE_BITS) - 1)];
    bits >>= TABLE_BITS;
    switch (dtype) {
      case GLK_DTYPE_F32: ((float *)data)[i] = v; break;
      case GLK_DTYPE_F64: ((double *)data)[i] = v; break;
      case GLK_DTYPE_BF16: ((uint16_t *)data)[i] = to_bf16(v); break;
      case GLK_DTYPE_F16: ((uint16_t *)data)[i] = to_f16(v); break;
    }
  }
}
