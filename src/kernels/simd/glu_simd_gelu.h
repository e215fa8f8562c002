/*
 * The fast path of geglu (GELU with erf), included by glu_simd_fast.h after
 * the hi + lo helpers. Same contract as the sigmoid family's: lanes in the
 * ordinary range (0 < |g| < 26, v and dy finite and nonzero) take it, the
 * others the general code; each lane's bits depend only on that lane.
 *
 * Phi(-a) = E Q(a), a = |g|, E = e^(-a^2/2), Q(a) = Phi(-a) e^(a^2/2) (Mills'
 * ratio over sqrt(2 pi)); Phi(a) = 1 - E Q(a). Q = t P(t - 1/2), t = 3/(3 + a),
 * P of degree 12 fitted on a in [0, 26] to 2^-32 relative (least squares in
 * u = t - 1/2: centring u makes the terms fall off, so the Horner sum is
 * well conditioned, which t itself in [0.1, 1] is not). t, u, the last two
 * Horner steps, E and the products are carried as hi + lo; the f32 steps
 * before them leave Q within about 2^-25.5 relative (the rounding of their
 * sum, ~0.3 of the result's ULP, worst near a = 25), and the result is
 * rounded once: measured within 1.2 ULP (docs/ACCURACY.md). Beyond a = 26
 * every product with E is 0 in f32.
 */

#define GLK_GELU_AMAX 26.0f

/* P(u)'s leading terms, in f32: P(u) = d0 + u (d1 + u p_head(u)) */
GLK_VINLINE vf v_gelu_p_head(vf u) {
  vf p = vf_set1(-0x1.ed7c5ep-7f);
  p = vf_fma(p, u, vf_set1(0x1.63f7e0p-7f));
  p = vf_fma(p, u, vf_set1(0x1.7cb812p-6f));
  p = vf_fma(p, u, vf_set1(-0x1.b2eda2p-6f));
  p = vf_fma(p, u, vf_set1(-0x1.5e3822p-6f));
  p = vf_fma(p, u, vf_set1(0x1.6dab1cp-5f));
  p = vf_fma(p, u, vf_set1(0x1.668b2ep-6f));
  p = vf_fma(p, u, vf_set1(-0x1.30a472p-4f));
  p = vf_fma(p, u, vf_set1(-0x1.c91e5ep-5f));
  p = vf_fma(p, u, vf_set1(0x1.021e84p-3f));
  p = vf_fma(p, u, vf_set1(0x1.3a0d04p-2f));
  return p;
}
/* P's last two coefficients, each as hi + lo (the fast path uses both) */
#define GLK_GELU_D1 0x1.5bb438p-2f
#define GLK_GELU_D1_LO (-0x1.c4aa48p-27f)
#define GLK_GELU_D0 0x1.f1b89cp-3f
#define GLK_GELU_D0_LO 0x1.2392ecp-30f

/* Q(a) for a in [0, 26], as hi + lo (about 2^-25.5 relative, see above). */
GLK_VINLINE vf2 v_gelu_q(vf a) {
  const vf three = vf_set1(3.0f), half = vf_set1(0.5f);
  /* t = 3 / (3 + a): the sum exactly as dh + dl, the quotient corrected by
   * its residual */
  const vf dh = vf_add(three, a);
  const vf dl = vf_sub(vf_min_c(a, three), vf_sub(dh, vf_max_c(a, three)));
  const vf th = vf_div(three, dh);
  const vf rem = vf_fnma(th, dl, vf_fnma(th, dh, three));
  const vf tl = vf_mul(rem, vf_mul(th, vf_set1(1.0f / 3.0f)));
  /* u = t - 1/2: exact for th >= 1/4, else its error recovered (|th| < 1/2) */
  const vf uh = vf_sub(th, half);
  const vf ul = vf_add(vf_sub(th, vf_add(uh, half)), tl);
  const vf p = v_gelu_p_head(uh);
  /* d1 + u p: |u p| < 0.2 < d1, so the sum's error is d1's side */
  const vf mh = vf_mul(uh, p);
  const vf ml = vf_fma(ul, p, vf_fms(uh, p, mh));
  const vf d1h = vf_set1(GLK_GELU_D1);
  const vf s1 = vf_add(d1h, mh);
  const vf2 p1 = vf2_make(s1, vf_add(vf_sub(mh, vf_sub(s1, d1h)),
                                     vf_add(ml, vf_set1(GLK_GELU_D1_LO))));
  /* d0 + u p1 (the terms are of like size: a full two-sum) */
  vf2 p0 = vf2_add12(vf_set1(GLK_GELU_D0), vf2_mul22(vf2_make(uh, ul), p1));
  p0.lo = vf_add(p0.lo, vf_set1(GLK_GELU_D0_LO));
  return vf2_mul22(vf2_make(th, tl), p0);
}

/* 1 - x for |x| <= 1, as hi + lo */
GLK_VINLINE vf2 vf2_one_minus(vf2 x) {
  const vf one = v1(), s = vf_sub(one, x.hi);
  return vf2_make(s, vf_sub(vf_sub(vf_sub(one, s), x.hi), x.lo));
}

/* Everything a lane's Phi needs: a, -a^2/2 (hi + lo), E, Q */
typedef struct fgelu {
  vf a;       /* |g|, at most 26 */
  vf na, nlo; /* -a^2/2 */
  vf2 e, q;   /* E (below a^2/2 = 87: e^-87 stands in), Q */
  vm neg;     /* g < 0 */
  vm deep;    /* g < 0 and a^2/2 > 80: v_deep forms the product */
  vm ok;      /* 0 < |g| < 26 */
} fgelu;

GLK_VINLINE fgelu v_fgelu(vf g, int precise) {
  fgelu r;
  const vf a = r.a = vf_min_c(vf_abs(g), vf_set1(GLK_GELU_AMAX));
  const vf2 h = vf2_mul11(a, a);
  const vf mhalf = vf_set1(-0.5f);
  r.na = vf_mul(h.hi, mhalf), r.nlo = vf_mul(h.lo, mhalf);
  const fexp p = v_fexp_parts(vf_max_c(r.na, vf_set1(-87.0f)), r.nlo, 1, precise);
  r.e = v_fexp_value(&p);
  r.q = v_gelu_q(a);
  r.neg = vf_lt(g, v0());
  r.deep = vm_and(r.neg, vf_lt(r.na, vf_set1(GLK_FAST_DEEP)));
  r.ok = v_in(g, 0.0f, GLK_GELU_AMAX);
  return r;
}

/* w g Phi(g), rounded once, where no lane is deep */
GLK_VINLINE vf v_fgelu_mul_plain(vf w, vf g, const fgelu *r) {
  const vf2 eq = vf2_mul22(r->e, r->q);
  fsig f;
  f.sig = vf2_select(r->neg, eq, vf2_one_minus(eq));
  return v_fast_xsig(w, g, &f);
}
/* w g Phi(g), rounded once (v_deep in the deep lanes) */
GLK_VINLINE vf v_fgelu_mul(vf w, vf g, const fgelu *r) {
  const vf y = v_fgelu_mul_plain(w, g, r);
  if (!vm_any(r->deep)) return y;
  return vf_select(r->deep, v_deep(w, g, r->q, r->na, r->nlo, 1), y);
}

/* As v_forward_fast: 2 when every lane is done (one test) */
GLK_VINLINE int v_forward_fast_gelu(vf v, vf g, vf *y, vm *ok) {
  const fgelu r = v_fgelu(g, 1);
  *ok = vm_and(r.ok, vf_finite_nonzero(v));
  if (vm_all(vm_and(*ok, vm_not(r.deep)))) {
    *y = v_fgelu_mul_plain(v, g, &r);
    return 2;
  }
  *y = v_fgelu_mul(v, g, &r);
  return 1;
}

/*
 * dv = dy g Phi(g); dg = dy v (Phi(g) + g phi(g)) = dy v E (Q - a c) for
 * g < 0 and dy v (1 - E (Q - a c)) for g >= 0, c = 1/sqrt(2 pi): Q - a c
 * (zero near a = 0.75, GELU's minimum) is formed from hi + lo parts, so its
 * cancellation costs nothing beyond 2^-40 of its terms. As for the sigmoid
 * family, dg is rounded once in f32 where v and dy lie mid-range and
 * a^2/2 < 40, else in f64.
 */
GLK_VINLINE int v_backward_fast_gelu(vf v, vf g, vf dy, vf *dv, vf *dg, vm *ok_dv,
                                     vm *ok_dg) {
  const fgelu r = v_fgelu(g, 1);
  const vf2 ac = vf2_scale(r.a, vf_set1(0x1.988454p-2f), vf_set1(-0x1.857936p-27f));
  vf2 d = vf2_add12(r.q.hi, vf2_make(vf_neg(ac.hi), v0()));
  d.lo = vf_add(d.lo, vf_sub(r.q.lo, ac.lo));
  const vf2 ed = vf2_mul22(r.e, d);
  const vf2 dfac = vf2_select(r.neg, ed, vf2_one_minus(ed));
  vf ddg = vf2_apply(dy, vf2_mul12(v, dfac));
  const vm v_fin = vf_finite_nonzero(v), dy_fin = vf_finite_nonzero(dy);
  const vm mid = vm_and(vm_and(v_in(v, 0x1p-40f, 0x1p60f), v_in(dy, 0x1p-40f, 0x1p60f)),
                        vf_lt(vf_set1(-GLK_FAST_SMAX_BWD), r.na));
  *ok_dv = vm_and(r.ok, dy_fin);
  *ok_dg = vm_and(r.ok, vm_and(v_fin, dy_fin));
  /* the common case, one test: every lane done and mid-range (a^2/2 < 40:
   * not deep) */
  if (vm_all(vm_and(*ok_dg, mid))) {
    *dv = v_fgelu_mul_plain(dy, g, &r);
    *dg = ddg;
    return 2;
  }
  *dv = v_fgelu_mul(dy, g, &r);
  const vm far = vm_and(*ok_dg, vm_not(mid));
  if (vm_any(far)) ddg = vf_select(far, vf_mul3x_pow2(dy, v, dfac.hi, dfac.lo, v0()), ddg);
  if (vm_any(r.deep)) ddg = vf_select(r.deep, v_deep(dy, v, d, r.na, r.nlo, 1), ddg);
  *dg = ddg;
  return 1;
}
