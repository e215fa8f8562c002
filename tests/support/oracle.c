#include "support/oracle.h"
#include "support/check.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* alpha travels through the API as a double: its exact value is that double. */
const oracle_params oracle_default_params = {1.702, 7.0L};

/* Beyond this, expl overflows: 1 + e^-x is inf and the quotients below are
 * 0 (a shortcut, same value: glibc's overflow path costs about 1 us a call,
 * which dominated the exhaustive f32 sweep). */
#define ORACLE_EXPL_MAX 11357.0L

/* A factor that underflowed to 0 though its exact value is not 0 counts as
 * the least long double of the exact sign, as the library documents: an
 * infinite v or dy times it is infinite, a finite one a signed zero. */
static long double nonzero(long double x, long double sign) {
  return x == 0 ? copysignl(LDBL_TRUE_MIN, sign) : x;
}

static long double sig(long double x) {
  if (-x > ORACLE_EXPL_MAX) return 0.0L;
  return 1.0L / (1.0L + expl(-x));
}

/* x sigmoid(b x) as a quotient; its infinite limits by hand. */
static long double x_sig(long double x, long double b) {
  if (isinf(x)) return b == 0 ? x * 0.5L : (b * x > 0) ? x : copysignl(0.0L, x);
  if (x == 0) return x * 0.5L;
  if (-b * x > ORACLE_EXPL_MAX) return nonzero(0.0L, x);
  return nonzero(x / (1.0L + expl(-b * x)), x);
}

static long double dx_sig(long double x, long double b) {
  if (isinf(x)) return b == 0 ? 0.5L : (b * x > 0) ? 1.0L : 0.0L; /* b = 0: x/2 */
  const long double s = sig(b * x), t = sig(-b * x);
  const long double d = s + (s * t == 0 ? 0.0L : b * x * s * t);
  return (d == 0 && b * x < 0) ? -LDBL_TRUE_MIN : d; /* negative deep tail */
}

static const long double kInvSqrt2 = 0.707106781186547524400844362104849039L;
static const long double kSqrt2OverPi = 0.797884560802865355879892119868763737L;
static const long double kInvSqrt2Pi = 0.398942280401432677939946059934381868L;

/* Phi(g) = erfc(-g/sqrt2)/2. With x87's 64-bit long double the rounding of
 * -g/sqrt2 would cost up to ~g^2 * 2^-64 in the tail, enough to blur an f64
 * comparison, so the product's low part is carried to first order. */
static long double normal_cdf(long double g) {
  const long double x = -g * kInvSqrt2;
  long double e = erfcl(x);
#if LDBL_MANT_DIG == 64
  const long double lo = fmal(-g, kInvSqrt2, -x) - g * 1.895032558893257079655062e-20L;
  if (isfinite(x)) e -= lo * 1.12837916709551257389615890312154517L * expl(-x * x);
#endif
  return 0.5L * e;
}

static long double gelu_tanh_2u(long double g) {
  return 2.0L * kSqrt2OverPi * (g + 0.044715L * g * g * g);
}

static long double act_of(glk_act act, long double g) {
  switch (act) {
    case GLK_ACT_GLU: return isinf(g) ? sig(g) : nonzero(sig(g), 1.0L);
    case GLK_ACT_SWIGLU: return x_sig(g, 1.0L);
    case GLK_ACT_GEGLU:
      if (isinf(g)) return g > 0 ? g : -0.0L;
      return g == 0 ? g * 0.5L : nonzero(g * normal_cdf(g), g);
    case GLK_ACT_GEGLU_TANH:
      if (isinf(g)) return g > 0 ? g : -0.0L;
      if (g == 0) return g * 0.5L;
      if (-gelu_tanh_2u(g) > ORACLE_EXPL_MAX) return nonzero(0.0L, g);
      return nonzero(g / (1.0L + expl(-gelu_tanh_2u(g))), g);
    case GLK_ACT_GEGLU_QUICK: return x_sig(g, 1.702L);
    case GLK_ACT_REGLU: return g < 0 ? 0.0L : g; /* -0 and NaN pass */
    case GLK_ACT_BILINEAR: return g;
    default: CHECK(0 && "swiglu_oai has its own formula"); return NAN;
  }
}

/* act'(g) and the magnitude of its terms. */
static long double dact_of(glk_act act, long double g, long double *scale) {
  *scale = 1.0L;
  if (isnan(g)) return g;
  switch (act) {
    case GLK_ACT_GLU: /* one term: its own magnitude (docs/ACCURACY.md) */
      if (isinf(g)) return 0.0L;
      *scale = sig(g) * sig(-g);
      return nonzero(*scale, 1.0L);
    case GLK_ACT_SWIGLU:
      *scale = isinf(g) ? 1.0L : sig(g) * (1.0L + fabsl(g) * sig(-g));
      return dx_sig(g, 1.0L);
    case GLK_ACT_GEGLU: {
      if (isinf(g)) return g > 0 ? 1.0L : 0.0L;
      const long double cdf = normal_cdf(g);
      const long double pdf = kInvSqrt2Pi * expl(-0.5L * g * g);
      const long double gp = pdf == 0 ? 0.0L : g * pdf;
      *scale = cdf + fabsl(gp);
      return (cdf + gp == 0 && g < 0) ? -LDBL_TRUE_MIN : cdf + gp;
    }
    case GLK_ACT_GEGLU_TANH: {
      if (isinf(g)) return g > 0 ? 1.0L : 0.0L;
      const long double u2 = gelu_tanh_2u(g);
      const long double s = sig(u2), t = s * sig(-u2);
      const long double tail =
          t == 0 ? 0.0L
                 : g * t * 2.0L * kSqrt2OverPi * (1.0L + 0.134145L * g * g);
      *scale = s + fabsl(tail);
      return (s + tail == 0 && g < 0) ? -LDBL_TRUE_MIN : s + tail;
    }
    case GLK_ACT_GEGLU_QUICK:
      *scale = isinf(g) ? 1.0L : sig(1.702L * g) * (1.0L + fabsl(1.702L * g) * sig(-1.702L * g));
      return dx_sig(g, 1.702L);
    case GLK_ACT_REGLU: return g > 0 ? 1.0L : 0.0L;
    case GLK_ACT_BILINEAR: return 1.0L;
    default: CHECK(0); return NAN;
  }
}

static long double clampl(long double x, long double lo, long double hi) {
  return x > hi ? hi : (x < lo ? lo : x);
}

long double oracle_forward(glk_act act, long double v, long double g,
                           const oracle_params *p) {
  if (act != GLK_ACT_SWIGLU_OAI) return v * act_of(act, g);
  const long double gc = g > p->limit ? p->limit : g;
  const long double vc = clampl(v, -p->limit, p->limit);
  return x_sig(gc, p->alpha) * (vc + 1.0L);
}

void oracle_backward(glk_act act, long double v, long double g, long double dy,
                     const oracle_params *p, long double *dv, long double *dg,
                     long double *dg_scale) {
  long double scale;
  if (act != GLK_ACT_SWIGLU_OAI) {
    *dv = dy * act_of(act, g);
    *dg = dy * v * dact_of(act, g, &scale);
    *dg_scale = fabsl(dy * v) * scale;
    return;
  }
  const long double gc = g > p->limit ? p->limit : g;
  const long double vc = clampl(v, -p->limit, p->limit);
  *dv = (v < -p->limit || v > p->limit) ? 0.0L
        : isnan(v)                        ? v
                                          : dy * x_sig(gc, p->alpha);
  const long double d = dx_sig(gc, p->alpha);
  *dg = g > p->limit ? 0.0L : dy * (vc + 1.0L) * d;
  const long double s = sig(p->alpha * gc), t = sig(-p->alpha * gc);
  scale = isinf(gc) ? 1.0L : s * (1.0L + fabsl(p->alpha * gc) * t);
  *dg_scale = fabsl(dy * (vc + 1.0L)) * scale;
}

/* ---- dtypes ---------------------------------------------------------------- */

/* Precision (bits incl. the implicit one) and smallest normal exponent. */
static void dtype_format(glk_dtype dt, int *prec, int *emin, long double *max) {
  switch (dt) {
    case GLK_DTYPE_F32: *prec = 24; *emin = -126; *max = FLT_MAX; return;
    case GLK_DTYPE_F64: *prec = 53; *emin = -1022; *max = DBL_MAX; return;
    case GLK_DTYPE_F16: *prec = 11; *emin = -14; *max = 65504.0L; return;
    case GLK_DTYPE_BF16:
      *prec = 8; *emin = -126; *max = 0x1.fep127L; return;
  }
  CHECK(0);
  *prec = 24, *emin = -126, *max = FLT_MAX;
}

/* f16 is decoded by hand here (independently of src/kernels/convert.h). */
static long double f16_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  long double mag = e == 31 ? (m ? NAN : INFINITY)
                    : e == 0 ? ldexpl(m, -24)
                             : ldexpl(m + 1024, e - 25);
  return (h >> 15) ? -mag : mag;
}

long double dtype_decode(glk_dtype dt, const void *elem) {
  switch (dt) {
    case GLK_DTYPE_F32: { float f; memcpy(&f, elem, 4); return f; }
    case GLK_DTYPE_F64: { double d; memcpy(&d, elem, 8); return d; }
    case GLK_DTYPE_F16: { uint16_t h; memcpy(&h, elem, 2); return f16_value(h); }
    case GLK_DTYPE_BF16: {
      uint16_t b; memcpy(&b, elem, 2);
      uint32_t bits = (uint32_t)b << 16; float f; memcpy(&f, &bits, 4);
      return f;
    }
  }
  CHECK(0);
  return NAN;
}

void dtype_encode_exact(glk_dtype dt, long double value, void *elem) {
  switch (dt) {
    case GLK_DTYPE_F32: { float f = (float)value; memcpy(elem, &f, 4); break; }
    case GLK_DTYPE_F64: { double d = (double)value; memcpy(elem, &d, 8); break; }
    case GLK_DTYPE_BF16: {
      float f = (float)value; uint32_t bits; memcpy(&bits, &f, 4);
      uint16_t b = (uint16_t)(bits >> 16); memcpy(elem, &b, 2); break;
    }
    case GLK_DTYPE_F16: { /* search the 2^16 patterns' monotone half */
      uint16_t sign = signbit(value) ? 0x8000 : 0, bits;
      long double a = fabsl(value);
      if (isnan(value)) bits = 0x7e00;
      else {
        uint16_t lo = 0, hi = 0x7c00;
        while (lo < hi) {
          uint16_t mid = (uint16_t)((lo + hi) / 2);
          if (f16_value(mid) < a) lo = (uint16_t)(mid + 1); else hi = mid;
        }
        bits = lo;
      }
      bits |= sign;
      memcpy(elem, &bits, 2);
      break;
    }
  }
  long double back = dtype_decode(dt, elem);
  if (!((isnan(back) && isnan(value)) || back == value)) {
    fprintf(stderr, "%s cannot hold %.21Lg exactly\n", glk_dtype_name(dt), value);
    CHECK(0);
  }
  (void)back;
}

void dtype_encode_nearest(glk_dtype dt, long double x, void *elem) {
  if (!isfinite(x) || x == 0) {
    dtype_encode_exact(dt, x, elem);
    return;
  }
  /* The two dtype values around x: truncation and one ULP further. */
  const long double lo = dtype_truncate(dt, x);
  const long double step = dtype_ulp(dt, lo);
  const long double hi = lo + copysignl(step, x);
  const long double dlo = fabsl(x - lo), dhi = fabsl(hi - x);
  long double pick = lo;
  if (dhi < dlo) pick = hi;
  else if (dhi == dlo) pick = fmodl(fabsl(lo) / dtype_ulp(dt, lo), 2) == 0 ? lo : hi;
  int prec, emin;
  long double max;
  dtype_format(dt, &prec, &emin, &max);
  if (fabsl(pick) > max) pick = copysignl(INFINITY, x);
  dtype_encode_exact(dt, pick, elem);
}

long double dtype_truncate(glk_dtype dt, long double x) {
  int prec, emin;
  long double max;
  dtype_format(dt, &prec, &emin, &max);
  if (!isfinite(x) || x == 0) return x;
  if (fabsl(x) > max) return copysignl(max, x);
  int e = ilogbl(x);
  if (e < emin) e = emin;
  const long double q = ldexpl(1.0L, e - (prec - 1));
  return truncl(x / q) * q;
}

int dtype_bits_equal(glk_dtype dt, const void *a, const void *b) {
  return memcmp(a, b, glk_dtype_size(dt)) == 0;
}

static const uint32_t kPoison32 = 0x7fa5a5a5u;
static const uint64_t kPoison64 = 0x7ff4a5a5a5a5a5a5ull;
static const uint16_t kPoisonF16 = 0x7d5a, kPoisonBF16 = 0x7fa5;

void dtype_poison(glk_dtype dt, void *elem) {
  switch (dt) {
    case GLK_DTYPE_F32: memcpy(elem, &kPoison32, 4); break;
    case GLK_DTYPE_F64: memcpy(elem, &kPoison64, 8); break;
    case GLK_DTYPE_F16: memcpy(elem, &kPoisonF16, 2); break;
    case GLK_DTYPE_BF16: memcpy(elem, &kPoisonBF16, 2); break;
  }
}

int dtype_is_poison(glk_dtype dt, const void *elem) {
  unsigned char p[8];
  dtype_poison(dt, p);
  return memcmp(p, elem, glk_dtype_size(dt)) == 0;
}

long double dtype_ulp(glk_dtype dt, long double x) {
  int prec, emin;
  long double max;
  dtype_format(dt, &prec, &emin, &max);
  int e = (x == 0 || !isfinite(x)) ? emin : ilogbl(x);
  if (e < emin) e = emin;
  return ldexpl(1.0L, e - (prec - 1));
}

double ulp_error(glk_dtype dt, long double got, long double exact) {
  int prec, emin;
  long double max;
  dtype_format(dt, &prec, &emin, &max);
  if (isnan(exact) || isnan(got)) return (isnan(exact) && isnan(got)) ? 0 : 1e30;
  if (isinf(exact)) return got == exact ? 0 : 1e30;
  if (isinf(got)) /* overflow: exact must lie beyond the largest finite */
    return (signbit(got) == signbit(exact) && fabsl(exact) >= max) ? 0 : 1e30;
  return (double)(fabsl(got - exact) / dtype_ulp(dt, exact));
}

uint64_t rng_next(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double rng_uniform(rng *r, double lo, double hi) {
  return lo + (hi - lo) * (double)(rng_next(r) >> 11) * 0x1p-53;
}
