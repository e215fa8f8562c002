/*
 * f64 geglu (GELU with erf), included by glu_simd_f64.h after its hi + lo
 * helpers and vd_exp_hl. The f32 fast path's method (glu_simd_gelu.h) with
 * double's budget:
 *
 * Phi(-a) = E Q(a), a = |g|, E = e^(-a^2/2), Q(a) = Phi(-a) e^(a^2/2)
 * (Mills' ratio over sqrt(2 pi)); Phi(a) = 1 - E Q(a). Q = t P(u),
 * t = 6/(6 + a), u = t - TM (TM the middle of t's range over a in [0, 20]),
 * P of degree 22 interpolated at Chebyshev nodes in 80-digit arithmetic,
 * within 2^-62 of Q/t (mpmath; docs/ACCURACY.md, "f64 geglu"). Centring u
 * keeps the terms falling off (|c_j u^j| <= 0.163, 0.134, 0.095, 0.058,
 * 0.030, 0.013, ... with P >= 0.086), so the sum's rounding sits in its
 * first steps: those five are carried as hi + lo, as are t, u, E and every
 * product after them. -a^2/2 is exact as hi + lo, so E has no argument
 * error; Q is within about 2^-54 relative, and the product with v, g or dy
 * is rounded once: within 2 ULP (measured below 1 ULP).
 *
 * Fast lanes: 2^-300 < |g| < 20 (Phi(-20) = 2.8e-89: no product with v or dy
 * of 2^-+300 underflows or overflows, nor the backward's E (Q - a c)) and
 * |v|, |dy| within 2^-+300 or zero; the others get the reference's value.
 */

#define GLK_F64_GELU_AMAX 20.0
#define GLK_F64_GELU_WIDE 0x1p300
#define GLK_F64_GELU_TM 0x1.3b13b13b13b14p-1

/* P(u) beyond its first five terms, in plain double: P = c0 + u (c1 + u
 * (c2 + u (c3 + u (c4 + u p_head(u))))). Estrin's scheme: a Horner chain
 * of 17 dependent FMAs was the longest latency of the whole kernel (f64
 * geglu ran at a third of its instruction throughput); its terms are below
 * 0.013 of P, so the order of its roundings does not show. */
GLK_VINLINE vd vd_gelu_p_head(vd u) {
  static const double c[18] = {/* c5..c22 */
      0x1.98553ba5c069cp+0,  0x1.84acdeacee6d1p+0,  0x1.23d29b0f0010cp+0,
      0x1.339308d9e8aa8p-1,  0x1.07b95bd42830bp-3,  -0x1.bd219f95798d2p-4,
      -0x1.ccbd02bf96e7ep-4, -0x1.3d2bc461aebd2p-6, 0x1.240d700286b9ep-5,
      0x1.693d3a5b9085fp-6,  -0x1.0d62f975d93cbp-7, -0x1.8e307bbce9a52p-7,
      0x1.4bc1c86735e59p-10, 0x1.8bab60ef14b3bp-8,  0x1.0eb6ca15c75f6p-15,
      -0x1.7d0811579fc3cp-9, -0x1.5d6a31cef3075p-14, 0x1.166e24be927d2p-10};
  vd q[9];
  for (int i = 0; i < 9; i++) q[i] = vd_fma(vd_set1(c[2 * i + 1]), u, vd_set1(c[2 * i]));
  const vd u2 = vd_mul(u, u), u4 = vd_mul(u2, u2), u8 = vd_mul(u4, u4);
  for (int i = 0; i < 4; i++) q[i] = vd_fma(q[2 * i + 1], u2, q[2 * i]);
  q[0] = vd_fma(q[1], u4, q[0]), q[1] = vd_fma(q[3], u4, q[2]);
  return vd_fma(vd_mul(u8, u8), q[8], vd_fma(q[1], u8, q[0]));
}

/* c4..c0, each as hi + lo */
static const double glk_gelu_f64_head[5][2] = {
    {0x1.62c5a959fc04ap+0, -0x1.11433316879a4p-54},
    {0x1.04f4c84382d0bp+0, -0x1.81c8ec42cd92fp-56},
    {0x1.48e67458b0f1ap-1, 0x1.8039b410b7b8bp-55},
    {0x1.64d4f0a69bd0cp-2, 0x1.f670fff1b569bp-59},
    {0x1.4cee3492201f2p-3, 0x1.d385ab8393f98p-58}};

/* a + x for |a| >= |x.hi| (a fast two-sum) */
GLK_VINLINE vd2 vd2_add12_fast(vd a, vd2 x) {
  const vd s = vd_add(a, x.hi);
  return vd2_make(s, vd_add(vd_sub(x.hi, vd_sub(s, a)), x.lo));
}

/* 1 - x for |x| <= 1, as hi + lo (1 - x.hi exact in two parts) */
GLK_VINLINE vd2 vd2_one_minus(vd2 x) {
  const vd one = vd_set1(1.0), s = vd_sub(one, x.hi);
  return vd2_make(s, vd_sub(vd_sub(vd_sub(one, s), x.hi), x.lo));
}

/* Q(a) for a in [0, 20], as hi + lo */
GLK_VINLINE vd2 vd_gelu_q(vd a) {
  const vd six = vd_set1(6.0), tm = vd_set1(GLK_F64_GELU_TM);
  /* t = 6 / (6 + a): the sum exactly as dh + dl (a two-sum), the quotient
   * corrected by its residual */
  const vd dh = vd_add(six, a), ab = vd_sub(dh, six);
  const vd dl = vd_add(vd_sub(six, vd_sub(dh, ab)), vd_sub(a, ab));
  const vd th = vd_div(six, dh);
  const vd rem = vd_fnma(th, dl, vd_fnma(th, dh, six));
  const vd tl = vd_mul(rem, vd_mul(th, vd_set1(1.0 / 6.0)));
  /* u = t - TM, a two-sum (th may be below TM / 2) */
  const vd uh = vd_sub(th, tm), tb = vd_sub(uh, th);
  const vd ul = vd_add(vd_add(vd_sub(th, vd_sub(uh, tb)), vd_sub(vd_sub(vd_set1(0.0), tm), tb)), tl);
  const vd2 u = vd2_make(uh, ul);
  vd2 p = vd2_mul12(vd_gelu_p_head(uh), u);
  for (int k = 0; k < 5; k++) {
    if (k) p = vd2_mul22(u, p);
    /* c4 and c3 exceed |u p| (by 1/0.66 and 1/0.87 at worst, mpmath over
     * u's range): a fast two-sum; c2..c0 do not */
    const vd c = vd_set1(glk_gelu_f64_head[k][0]);
    p = k < 2 ? vd2_add12_fast(c, p) : vd2_add12(c, p);
    p.lo = vd_add(p.lo, vd_set1(glk_gelu_f64_head[k][1]));
  }
  return vd2_mul22(vd2_make(th, tl), p);
}

/* What a lane's Phi(g) needs: E, Q, and g < 0 */
typedef struct dgelu {
  vd a;
  vd2 e, q;
  vdm neg, ok; /* ok: 2^-300 < |g| < 20 */
} dgelu;

GLK_VINLINE dgelu vd_gelu(vd g) {
  dgelu r;
  const vd a = r.a = vd_abs(g);
  const vd hh = vd_mul(a, a), mhalf = vd_set1(-0.5);
  r.e = vd_exp_hl(vd_mul(hh, mhalf), vd_mul(vd_fms(a, a, hh), mhalf), 1);
  r.q = vd_gelu_q(a);
  r.neg = vd_lt(g, vd_set1(0.0));
  r.ok = vd_in(g, GLK_F64_TINY, GLK_F64_GELU_AMAX);
  return r;
}

/* 1 - x where g >= 0, x where g < 0 */
GLK_VINLINE vd2 vd_gelu_side(const dgelu *r, vd2 x) {
  return vd2_select(r->neg, x, vd2_one_minus(x));
}

/* |x| within 2^-+300, or a signed zero */
GLK_VINLINE vdm vd_gelu_factor_ok(vd x) {
  return vdm_or(vd_in(x, 1.0 / GLK_F64_GELU_WIDE, GLK_F64_GELU_WIDE), vd_eq(x, vd_set1(0.0)));
}

/* w g Phi(g), rounded once; a zero w gives the zero w g */
GLK_VINLINE vd vd_gelu_times(vd w, vd g, const dgelu *r) {
  const vd y = vd_xsig(w, g, vd_gelu_side(r, vd2_mul22(r->e, r->q)));
  return vd_select(vd_eq(w, vd_set1(0.0)), vd_mul(w, g), y);
}

GLK_VINLINE vd vd_forward_gelu(vd v, vd g, vdm *ok) {
  const dgelu r = vd_gelu(g);
  *ok = vdm_and(r.ok, vd_gelu_factor_ok(v));
  return vd_gelu_times(v, g, &r);
}

/*
 * dv = dy g Phi(g); dg = dy v (Phi(g) + g phi(g)) = dy v E (Q - a c) for
 * g < 0 and dy v (1 - E (Q - a c)) for g >= 0, c = 1/sqrt(2 pi) in two
 * parts: Q - a c (zero near a = 0.75, GELU's minimum) is formed from hi + lo
 * parts, so its cancellation costs nothing beyond 2^-100 of its terms.
 */
GLK_VINLINE void vd_backward_gelu(vd v, vd g, vd dy, vd *dv, vd *dg, vdm *ok) {
  const dgelu r = vd_gelu(g);
  const vd2 ac = vd2_mul12(r.a, vd2_make(vd_set1(0x1.9884533d43651p-2), vd_set1(-0x1.cbc0d30ebfd15p-56)));
  vd2 d = vd2_add12(r.q.hi, vd2_make(vd_sub(vd_set1(0.0), ac.hi), vd_set1(0.0)));
  d.lo = vd_add(d.lo, vd_sub(r.q.lo, ac.lo));
  const vd2 dfac = vd_gelu_side(&r, vd2_mul22(r.e, d));
  *dv = vd_gelu_times(dy, g, &r);
  const vd zero = vd_set1(0.0);
  *dg = vd2_apply(dy, vd2_mul12(v, dfac));
  *dg = vd_select(vdm_or(vd_eq(dy, zero), vd_eq(v, zero)), vd_mul(vd_mul(dy, v), dfac.hi), *dg);
  *ok = vdm_and(r.ok, vdm_and(vd_gelu_factor_ok(v), vd_gelu_factor_ok(dy)));
}
