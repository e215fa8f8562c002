/*
 * f64 reglu and bilinear, included by glu_simd_f64.h: no transcendental,
 * only products, each rounded once (y = v r, dv = dy r, dg = (dy v) d with
 * r = relu(g) or g, d = 0 or 1), so every ISA gives the correctly rounded
 * product. The reference rounds twice (long double, then double: on x87
 * the 64-bit product first), so it can differ from these kernels by one
 * ULP where the exact product lies next to a midpoint; both are within the
 * 1-ULP bound.
 *
 * Fast lanes: every factor finite, within 2^-+500 or a signed zero, so no
 * product overflows or turns subnormal (where the reference's extended
 * range would round differently) and (dy v) 0 is never inf 0. relu keeps
 * -0 (-0 < 0 is false) as the reference does; NaN, infinities and huge or
 * tiny values take the reference's value.
 */

GLK_VINLINE vdm vd_plain_ok(vd x) {
  return vdm_or(vd_in(x, 0x1p-500, 0x1p500), vd_eq(x, vd_set1(0.0)));
}

/* relu(g) (max(g, +0) keeping -0) for reglu, g for bilinear */
GLK_VINLINE vd vd_plain_act(glk_act act, vd g) {
  const vd zero = vd_set1(0.0);
  return act == GLK_ACT_REGLU ? vd_select(vd_lt(g, zero), zero, g) : g;
}

GLK_VINLINE vd vd_forward_plain(glk_act act, vd v, vd g, vdm *ok) {
  *ok = vdm_and(vd_plain_ok(v), vd_plain_ok(g));
  return vd_mul(v, vd_plain_act(act, g));
}

GLK_VINLINE void vd_backward_plain(glk_act act, vd v, vd g, vd dy, vd *dv, vd *dg, vdm *ok) {
  *ok = vdm_and(vdm_and(vd_plain_ok(v), vd_plain_ok(g)), vd_plain_ok(dy));
  *dv = vd_mul(dy, vd_plain_act(act, g));
  const vd dyv = vd_mul(dy, v);
  /* reglu's act' is 1 for g > 0, else +0: (dy v) 0 keeps dy v's sign */
  *dg = act == GLK_ACT_REGLU
            ? vd_select(vd_lt(vd_set1(0.0), g), dyv, vd_mul(dyv, vd_set1(0.0)))
            : dyv;
}
