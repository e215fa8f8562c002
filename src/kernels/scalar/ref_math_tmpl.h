/*
 * The GLU family's math, written once and instantiated per working
 * precision R by ref_math.h (double for f32/f16/bf16, long double for f64).
 * Expects: R (the type), F(name) (suffixed function name), M(fn) (the libm
 * function for R), RL(x) (a literal of type R), GLK_INV_SQRT2_LO (the part
 * of 1/sqrt(2) below R's precision), R_TRUE_MIN (R's least positive value).
 *
 * Choices that decide the numerics (see the README's table):
 * - 1 + erf(x) is evaluated as erfc(-x) and 1 + tanh(u) as 2 sigmoid(2u),
 *   so negative gates never cancel;
 * - x * sigmoid(b x) takes its limits at infinite x (+inf and -0 for b > 0)
 *   instead of the NaN of inf * 0;
 * - a product whose derivative factor is exactly 0 is 0 even when the
 *   polynomial beside it overflowed, so no NaN leaks out of a saturated tail;
 * - a factor that underflows to 0 in R though its exact value is not 0 (a
 *   deep tail, g < -745 for sigmoid in double) becomes R's least value of
 *   the exact sign (F(kept)): an infinite v or dy times it is then the
 *   exact product's infinity, not the NaN of inf * 0, and a finite one
 *   still rounds to the exact product's signed zero.
 */

/* x, or where x underflowed to 0, the least R of the exact value's sign. */
static inline R F(kept)(R x, R sign) {
  return x == 0 ? M(copysign)(R_TRUE_MIN, sign) : x;
}

/* Where e^-x overflows, 1/(1 + e^-x) is e^x: a subnormal, or 0 below. */
static inline R F(sigmoid)(R x) {
  const R d = M(exp)(-x);
  return isinf(d) ? M(exp)(x) : RL(1.0) / (RL(1.0) + d);
}

/* x * sigmoid(b x), with the limits at infinite x. */
static inline R F(xsig)(R x, R b) {
  if (isinf(x)) {
    if (b == 0) return x * RL(0.5);
    return (b * x > 0) ? x : M(copysign)(RL(0.0), x);
  }
  if (x == 0) return x * F(sigmoid)(b * x);
  return F(kept)(x * F(sigmoid)(b * x), x);
}

/* d/dx x sigmoid(b x) = s(bx) + bx s(bx) s(-bx). */
static inline R F(dxsig)(R x, R b) {
  const R s = b * x;
  if (isinf(x)) {
    if (b == 0) return RL(0.5);
    return (s > 0) ? RL(1.0) : RL(0.0);
  }
  const R t = F(sigmoid)(s) * F(sigmoid)(-s);
  const R r = F(sigmoid)(s) + (t == 0 ? RL(0.0) : s * t);
  /* 0 only in the deep tail s << 0, where the exact value is negative */
  return (r == 0 && s < 0) ? -R_TRUE_MIN : r;
}

/*
 * Phi(g) = erfc(-g/sqrt2)/2. The rounding error d of x = -g/sqrt2 would be
 * amplified by about 2x^2 in the tail, so it is corrected to first order:
 * erfc(x + d) ~ erfc(x) - d 2/sqrt(pi) exp(-x^2).
 */
static inline R F(normal_cdf)(R g) {
  const R c_hi = RL(0.70710678118654752440084436210484903928483593768847);
  const R x = -g * c_hi;
  const R d = M(fma)(-g, c_hi, -x) - g * (R)GLK_INV_SQRT2_LO;
  const R two_over_sqrtpi =
      RL(1.1283791670955125738961589031215451716881012586580);
  R e = M(erfc)(x);
  if (isfinite(x)) e -= d * two_over_sqrtpi * M(exp)(-x * x);
  return RL(0.5) * e;
}

static inline R F(gelu)(R g) {
  if (isinf(g)) return g > 0 ? g : RL(-0.0);
  if (g == 0) return g * RL(0.5);
  return F(kept)(g * F(normal_cdf)(g), g);
}

static inline R F(dgelu)(R g) {
  if (isinf(g)) return g > 0 ? RL(1.0) : RL(0.0);
  const R inv_sqrt_2pi =
      RL(0.39894228040143267793994605993438186847585863116493);
  const R pdf = inv_sqrt_2pi * M(exp)(RL(-0.5) * g * g);
  const R r = F(normal_cdf)(g) + (pdf == 0 ? RL(0.0) : g * pdf);
  return (r == 0 && g < 0) ? -R_TRUE_MIN : r; /* deep tail: negative */
}

/* tanh form: g/2 (1 + tanh u) = g sigmoid(2u), u = k (g + c g^3). */
static inline R F(gelu_tanh_u2)(R g) {
  const R k = RL(0.79788456080286535587989211986876373695171726232987);
  return RL(2.0) * k * (g + RL(0.044715) * g * g * g);
}

static inline R F(gelu_tanh)(R g) {
  if (isinf(g)) return g > 0 ? g : RL(-0.0);
  if (g == 0) return g * RL(0.5);
  return F(kept)(g * F(sigmoid)(F(gelu_tanh_u2)(g)), g);
}

static inline R F(dgelu_tanh)(R g) {
  if (isinf(g)) return g > 0 ? RL(1.0) : RL(0.0);
  const R k = RL(0.79788456080286535587989211986876373695171726232987);
  const R u2 = F(gelu_tanh_u2)(g);
  const R s = F(sigmoid)(u2);
  const R t = s * F(sigmoid)(-u2); /* s(1-s) without cancellation */
  if (t == 0) return s == 0 ? -R_TRUE_MIN : s; /* deep tail: negative */
  /* d/dg of g s(2u) = s + g * 2 s(1-s) * k (1 + 3c g^2) */
  return s + g * RL(2.0) * t * k * (RL(1.0) + RL(3.0) * RL(0.044715) * g * g);
}

/* max(g, +0) that keeps -0 and NaN (as PyTorch's relu does). */
static inline R F(relu)(R g) { return g < 0 ? RL(0.0) : g; }

static inline R F(drelu)(R g) {
  return isnan(g) ? g : (g > 0 ? RL(1.0) : RL(0.0));
}

/*
 * act(g) and act'(g) for the variants of the form y = v * act(g);
 * swiglu_oai is spelled out in its own kernels (ref_kernels.c).
 */
static inline R F(act)(glk_act act, R g) {
  switch (act) {
    case GLK_ACT_GLU: return isinf(g) ? F(sigmoid)(g) : F(kept)(F(sigmoid)(g), 1);
    case GLK_ACT_SWIGLU: return F(xsig)(g, RL(1.0));
    case GLK_ACT_GEGLU: return F(gelu)(g);
    case GLK_ACT_GEGLU_TANH: return F(gelu_tanh)(g);
    case GLK_ACT_GEGLU_QUICK: return F(xsig)(g, RL(1.702));
    case GLK_ACT_REGLU: return F(relu)(g);
    default: return g; /* bilinear */
  }
}

static inline R F(dact)(glk_act act, R g) {
  switch (act) {
    case GLK_ACT_GLU:
      return isinf(g) ? RL(0.0) : F(kept)(F(sigmoid)(g) * F(sigmoid)(-g), 1);
    case GLK_ACT_SWIGLU: return F(dxsig)(g, RL(1.0));
    case GLK_ACT_GEGLU: return F(dgelu)(g);
    case GLK_ACT_GEGLU_TANH: return F(dgelu_tanh)(g);
    case GLK_ACT_GEGLU_QUICK: return F(dxsig)(g, RL(1.702));
    case GLK_ACT_REGLU: return F(drelu)(g);
    default: return isnan(g) ? g : RL(1.0); /* bilinear */
  }
}

/* GPT-OSS clamped SwiGLU. NaN passes the clamps (comparisons are false). */
static inline R F(oai_fwd)(R v, R g, const glk_ukernel_params *p) {
  const R lim = (R)p->limit;
  const R gc = g > lim ? lim : g;
  const R vc = v > lim ? lim : (v < -lim ? -lim : v);
  return F(xsig)(gc, (R)p->alpha) * (vc + RL(1.0));
}

/* Like torch.clamp's backward the clamp passes the gradient at its limits. */
static inline void F(oai_bwd)(R v, R g, R dy, const glk_ukernel_params *p,
                              R *dv, R *dg) {
  const R lim = (R)p->limit;
  const R gc = g > lim ? lim : g;
  const R vc = v > lim ? lim : (v < -lim ? -lim : v);
  /* the clamp's derivative: 0 beyond the limits, NaN at a NaN v */
  *dv = (v > lim || v < -lim) ? RL(0.0)
        : isnan(v)            ? v
                              : dy * F(xsig)(gc, (R)p->alpha);
  *dg = (g > lim) ? RL(0.0) : dy * (vc + RL(1.0)) * F(dxsig)(gc, (R)p->alpha);
}

static inline R F(fwd)(glk_act act, R v, R g, const glk_ukernel_params *p) {
  if (act == GLK_ACT_SWIGLU_OAI) return F(oai_fwd)(v, g, p);
  return v * F(act)(act, g);
}

static inline void F(bwd)(glk_act act, R v, R g, R dy,
                          const glk_ukernel_params *p, R *dv, R *dg) {
  if (act == GLK_ACT_SWIGLU_OAI) {
    F(oai_bwd)(v, g, dy, p, dv, dg);
    return;
  }
  *dv = dy * F(act)(act, g);
  *dg = dy * v * F(dact)(act, g);
}
