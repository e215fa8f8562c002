/*
 * The bf16 forward's first pass, included by glu_simd_tmpl.h after
 * v_forward.
 *
 * A bf16 result needs its f32 value only as far as the side of the nearest
 * rounding midpoint it lies on. So the sigmoid family and geglu are first
 * evaluated the plain way (one rounded exponential, the divisions and
 * products rounded in turn; in L2 at 256x4096, one thread, bf16 glu
 * forward 0.77 -> 0.59 ns per element, geglu 1.61 -> 0.92). Where every
 * lane of that value y' lies in the normal range and more than
 * GLK_SCREEN_ULPS f32 ULPs (of y') from a bf16 midpoint, y' is rounded; any
 * other vector takes v_forward.
 *
 * Why the bits are v_forward's: y' is within 9.2 ULPs of the exact value
 * (bound below), v_forward's y within 2 ULPs (issue 5's tested bound; 1.37
 * measured), so |y - y'| < 13.2 ULPs of y' (an ULP of y is at most two of
 * y'). No midpoint lies between y and y', and both round to the same bf16
 * number. tests/test_simd.c checks this against v_forward bit for bit over
 * every bf16 gate; test_determinism's digests hold it across ISAs.
 *
 * Error of y' (relative, in units of 2^-24, each at most one ULP of y'):
 * e = e^-|s| 1.2 (polynomial 2^-28, reduction 2^-27, the last rounding);
 * 1 + e 1.6; the quotient 1; so the sigmoid 3.8. Then one rounding per
 * product: glu 4.8, swiglu and the GELUs 5.8 (their s carries its own
 * rounding as a low part); swiglu_oai 8.8 (v + 1 is rounded: exact by
 * Sterbenz where it cancels, else within 3). geglu: E = e^(-g^2/2) 1.2 (g^2
 * exact as hi + lo), t = 3/(3 + a) 2, its polynomial in u = t - 1/2 (well
 * conditioned: the terms fall off) 2, the products t P and E Q 2, so Phi 7.2
 * below 0, and 1 - E Q (E Q <= 1/2) 4.6 above; times g and v 9.2.
 */

/* The margin, in f32 ULPs of y': about a lane in 1000 falls within it */
#define GLK_SCREEN_ULPS 32u
/* |s| below this: e^-|s| normal, its reduction in range */
#define GLK_SCREEN_SMAX 80.0f

/* |g| below this for geglu's plain value: e^(-g^2/2) stays normal */
#define GLK_SCREEN_GELU_AMAX 12.0f

/* y' = v g Phi(g) the plain way (glu_simd_gelu.h's Q and E, in f32) */
GLK_VINLINE vf v_forward_plain_gelu(vf v, vf g, vm *ok) {
  const vf a = vf_abs(g), h = vf_mul(a, a), mhalf = vf_set1(-0.5f);
  const fexp p = v_fexp_parts(vf_mul(h, mhalf), vf_mul(vf_fms(a, a, h), mhalf), 1, 0);
  const vf two_n = vf_shl23(p.t), e = vf_fma(two_n, p.u, two_n);
  const vf t = vf_div(vf_set1(3.0f), vf_add(vf_set1(3.0f), a)), u = vf_sub(t, vf_set1(0.5f));
  const vf q = vf_mul(t, vf_fma(vf_fma(v_gelu_p_head(u), u, vf_set1(GLK_GELU_D1)), u,
                                vf_set1(GLK_GELU_D0)));
  const vf eq = vf_mul(e, q);
  *ok = vf_lt(a, vf_set1(GLK_SCREEN_GELU_AMAX));
  return vf_mul(vf_mul(v, g), vf_select(vf_lt(g, v0()), eq, vf_sub(v1(), eq)));
}

/* y' = v act(g) the plain way, for the sigmoid family and geglu; 0 for the
 * others (exact anyway). */
GLK_VINLINE int v_forward_plain(glk_act act, vf v, vf g, const simd_consts *k, vf *y, vm *ok) {
  if (act == GLK_ACT_GEGLU) {
    vm a_ok;
    *y = v_forward_plain_gelu(v, g, &a_ok);
    *ok = vm_and(a_ok, vf_normal(*y));
    return 1;
  }
  fargs a;
  if (!v_fast_args(act, g, k, GLK_SCREEN_SMAX, &a)) return 0;
  const int has_lo = act != GLK_ACT_GLU && act != GLK_ACT_SWIGLU;
  const vf na = vf_neg(vf_abs(a.s.hi));
  const fexp p = v_fexp_parts(na, has_lo ? v_neg_abs_lo(a.s.hi, a.s.lo) : v0(), has_lo, 0);
  const vf two_n = vf_shl23(p.t), e = vf_fma(two_n, p.u, two_n);
  const vf sig = vf_div(vf_select(vf_lt(a.s.hi, v0()), e, v1()), vf_add(v1(), e));
  switch (act) {
    case GLK_ACT_GLU:
      *y = vf_mul(v, sig);
      break;
    case GLK_ACT_SWIGLU_OAI: {
      const vf vc = vf_min_c(vf_max_c(v, k->neg_limit), k->limit);
      *y = vf_mul(vf_mul(vf_add(vc, v1()), a.x), sig);
      break;
    }
    default:
      *y = vf_mul(vf_mul(v, a.x), sig);
  }
  /* NaN fails every test; with the sigmoid (normal: |s| < 80) last, a
   * product that overflowed or left the normal range shows in y' itself */
  *ok = vm_and(vf_lt(vf_abs(a.s.hi), vf_set1(GLK_SCREEN_SMAX)), vf_normal(*y));
  return 1;
}

/* The forward for bf16 storage: y' where it decides the rounding. */
GLK_VINLINE vf v_forward_bf16(glk_act act, vf v, vf g, const simd_consts *k) {
  vf y;
  vm ok;
  if (v_forward_plain(act, v, g, k, &y, &ok)) {
    /* the 16 bits bf16 drops, against their midpoint 0x8000: clear of it
     * by more than the margin */
    const uint32_t m = GLK_SCREEN_ULPS;
    ok = vm_and(ok, vf_bits_gt(y, m - 0x8000u, 0xffffu, 2 * m));
    if (vm_all(ok)) return y;
  }
  return v_forward(act, v, g, k);
}
