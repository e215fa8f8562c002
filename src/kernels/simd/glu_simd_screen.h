/*
 * The bf16 and f16 forwards' first pass (and bf16's backward's), included
 * by glu_simd_tmpl.h after v_forward.
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
 * Sterbenz where it cancels, else within 3). geglu, where |g| < 2.99 (a
 * vector with any other lane takes v_forward): P = Phi(-|g|) from
 * glu_simd_gelu.h's Phi pieces, their hi part alone within 1.06 (its
 * rounding and the pieces' 2^-28.2), so Phi 1.06 below 0 and 1 - P 2.06
 * above (P <= 1/2 <= 1 - P); times g and v 4.1. (Before 2026-12-08 the
 * pass formed E Q, 7.7, and before Q's pieces 9.2: the margin still
 * assumes 9.2.)
 */

/* The margin, in f32 ULPs of y': about a lane in 1000 falls within it for
 * bf16, one in 128 for f16 */
#define GLK_SCREEN_ULPS 32u
/* |s| below this: e^-|s| normal, its reduction in range */
#define GLK_SCREEN_SMAX 80.0f

/* |g| below this for geglu's plain backward: e^(-g^2/2) stays normal */
#define GLK_SCREEN_GELU_AMAX 12.0f

/* The plain E = e^(-g^2/2) and Q (Phi(-|g|) = E Q) of glu_simd_gelu.h, in
 * f32, for |g| < GLK_SCREEN_GELU_AMAX; a = |g|. (The bf16 backward's.) */
GLK_VINLINE void v_plain_gelu_eq(vf g, vf *a, vf *e, vf *q) {
  *a = vf_abs(g);
  const vf h = vf_mul(*a, *a), mhalf = vf_set1(-0.5f);
  const fexp p = v_fexp_parts(vf_mul(h, mhalf), vf_mul(vf_fms(*a, *a, h), mhalf), 1, 0);
  const vf two_n = vf_shl23(p.t);
  *e = vf_fma(two_n, p.u, two_n);
  *q = v_gelu_q_plain(*a);
}

/* y' = v g Phi(g) the plain way, Phi from glu_simd_gelu.h's Phi pieces
 * (their hi part alone) where |g| < GLK_GELU_PHI_AMAX; ok false elsewhere */
GLK_VINLINE vf v_forward_plain_gelu(vf v, vf g, vm *ok) {
  const vf a = vf_abs(g), p = v_gelu_phi_neg(a).hi;
  *ok = vf_lt(a, vf_set1(GLK_GELU_PHI_AMAX)); /* false for NaN */
  return vf_mul(vf_mul(v, g), vf_select(vf_lt(g, v0()), p, vf_sub(v1(), p)));
}

/* y' = v act(g) the plain way, for the sigmoid family and geglu; 0 for the
 * others (exact anyway). ok: the lanes whose arguments the error bound
 * covers (y' itself is tested by v_rounds_alike). */
GLK_VINLINE int v_forward_plain(glk_act act, vf v, vf g, const simd_consts *k, vf *y, vm *ok) {
  if (act == GLK_ACT_GEGLU) {
    *y = v_forward_plain_gelu(v, g, ok);
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
   * product that overflowed or left the normal range shows in y' itself,
   * which v_rounds_alike tests */
  *ok = vf_lt(vf_abs(a.s.hi), vf_set1(GLK_SCREEN_SMAX));
  return 1;
}

/* The first passes' test: x more than m steps of its last bit from a
 * rounding midpoint of the 16-bit type (f16: 1, else bf16), and in the
 * range the arguments cover (bf16: normal numbers; f16: its normal range,
 * 2^-14 < |x| < 2^15: below, f16 keeps fewer bits; the top binade, where
 * rounding may overflow at 65520, is left to the exact path) */
GLK_VINLINE vm v_rounds_alike(vf x, int f16, uint32_t m) {
  const uint32_t mid = f16 ? 0x1000u : 0x8000u;
  const vm range = f16 ? v_in(x, 0x1p-14f, 0x1p15f) : vf_normal(x); /* false for NaN */
  return vm_and(range, vf_bits_gt(x, m - mid, 2 * mid - 1, 2 * m));
}

/* y' where it decides the rounding to the 16-bit type (f16: 1, else bf16):
 * v_rounds_alike with the margin GLK_SCREEN_ULPS in every lane; v_forward
 * alone unless `screen`.
 * Returns 1 when *y is that screened y', whose lanes are all normal numbers
 * (the store may skip its subnormal test), 0 when it is v_forward's. */
GLK_VINLINE int v_forward_screen(glk_act act, vf v, vf g, const simd_consts *k, int screen,
                                 int f16, vf *y) {
  vm ok;
  if (screen && v_forward_plain(act, v, g, k, y, &ok)) {
    if (vm_all(vm_and(ok, v_rounds_alike(*y, f16, GLK_SCREEN_ULPS)))) return 1;
  }
  *y = v_forward(act, v, g, k);
  return 0;
}

/*
 * With a table of act(g) for every 16-bit gate (src/kernels/gate_table.h:
 * the f32 fast path's value at v = 1, made once), the first pass is a
 * lookup and one product, y' = v T[g] (on x86 a gather). Intel Xeon, one
 * thread: in cache (64x1024) bf16 glu forward 0.48 -> 0.33 ns an element,
 * geglu 0.85 -> 0.42; at 8192x28672 glu 54% -> 80% of the stream, geglu
 * 33% -> 76% (bench/RESULTS-cpu.md).
 *
 * Why the bits are v_forward's: T is within 2 ULPs of act(g) (the f32 fast
 * path's tested bound), at most 4 units of 2^-24 relative, and the product
 * adds half an ULP: y' lies within 4.5 ULPs (of y') of the exact value.
 * Where y', v_forward's y and the exact value share a binade, y's 2 ULPs
 * are y''s, so |y - y'| < 6.5 ULPs of y' and a margin of
 * GLK_TABLE_SCREEN_ULPS leaves no midpoint between them. Where a power of
 * two P lies between them, P is a number of the 16-bit type (in the range
 * tested: below 2^-14 f16's steps stay those of its lowest binade), its
 * nearest midpoints lie 2048 (f16) or 16384 (bf16) or more steps of y'
 * away, and y' and y both round to P. T holds NaN wherever act(g) is not
 * a normal number (NaN gates, the deep tails, and but for glu zero,
 * subnormal and infinite gates; glu's 0.5 and 1 there are exact), so y'
 * is NaN there and fails the test, as does a y' that is not normal itself
 * (zero, tiny or huge v). f16 also needs y' inside 2^-14 < |y'| < 2^15,
 * as for its computed pass below.
 *
 * The argument holds while the fast path stays within 3.5 ULPs (a lane
 * kept lies 8 or more steps from a midpoint, y' 4.5 from the exact
 * value); its documented bound is 2 and the most measured 1.37, tested
 * over every gate at v = 1 and sampled elsewhere (docs/ACCURACY.md).
 *
 * A lane falls within the margin 15 times in 8192 for f16, whose
 * midpoints are 8 times as close as bf16's: about one 32-lane vector in
 * 18 takes v_forward (one in 137 for bf16). Intel Xeon, one thread: f16
 * forward without -> with its table, in cache (1x65536) glu 19.9 -> 11.2
 * us, geglu 37.8 -> 13.3, at 8192x28672 glu 72 -> 61 ms, geglu 178 -> 65;
 * the margin 16 -> 7 (the bound was 9 ULPs before the sharper argument
 * above), bf16 glu forward at 8192x28672 43.3 -> 41.8 ms, f16 (10 -> 7)
 * 64.3 -> 60.8 (bench/RESULTS-cpu.md).
 */
#define GLK_TABLE_SCREEN_ULPS 7u

/* y' = v T[g] where it decides the rounding to the 16-bit type (f16: 1,
 * else bf16); 1 when it does in every lane */
GLK_VINLINE int v_forward_table16(vf v, vf g, const float *t, int f16, vf *y) {
#ifdef GLK_VEC_HAS_TABLE
  *y = vf_mul(v, vf_table16(t, g, f16));
  return vm_all(v_rounds_alike(*y, f16, GLK_TABLE_SCREEN_ULPS));
#else
  (void)v, (void)g, (void)t, (void)f16, (void)y;
  return 0;
#endif
}

/* The first pass of a 16-bit forward (f16: 1, else bf16) from the table
 * k->table of a table variant: 1 when *y is the pass's. Without a table
 * (the API passes none where it does not pay, gate_table.h) the callers
 * below take the computed pass. */
GLK_VINLINE int v_forward_by_table(glk_act act, vf v, vf g, const simd_consts *k, int f16,
                                   vf *y) {
  if (v_forward_table16(v, g, k->table, f16, y)) return 1;
  *y = v_forward(act, v, g, k);
  return 0;
}

/* bf16 keeps f32's exponent range: y' normal is all the range it needs. */
GLK_VINLINE int v_forward_bf16_n(glk_act act, vf v, vf g, const simd_consts *k, int nt, vf *y) {
  (void)nt;
#ifdef GLK_VEC_HAS_TABLE
  if (glk_gate_table_act(act) && k->table) return v_forward_by_table(act, v, g, k, 0, y);
#endif
  return v_forward_screen(act, v, g, k, 1, 0, y);
}
GLK_VINLINE vf v_forward_bf16(glk_act act, vf v, vf g, const simd_consts *k) {
  vf y;
  v_forward_bf16_n(act, v, g, k, 0, &y);
  return y;
}

/* Without a table (swiglu_oai, and where a table does not pay on x86:
 * gate_table.h; every variant on NEON) the f16 forward's first pass is the
 * computed one. f16 keeps 10 of f32's 23 mantissa bits and screens only in
 * its normal range (v_rounds_alike). A lane in 128 lies within the margin
 * (2 x 32 of 8192 steps), so about a fifth of the 32-lane vectors of the
 * AVX-512 kernels fall back: still faster in cache, but in streaming loops
 * (nt) those mispredicted branches cost more than they save, so there f16
 * runs v_forward alone (bench/RESULTS-cpu.md, 2026-11-29 21:01 UTC).
 * tests/test_simd.c holds it to v_forward's bits over every f16 gate, as
 * bf16's. */
GLK_VINLINE int v_forward_f16_n(glk_act act, vf v, vf g, const simd_consts *k, int nt, vf *y) {
#ifdef GLK_VEC_HAS_TABLE
  if (glk_gate_table_act(act) && k->table) return v_forward_by_table(act, v, g, k, 1, y);
#endif
  return v_forward_screen(act, v, g, k, !nt, 1, y);
}
GLK_VINLINE vf v_forward_f16(glk_act act, vf v, vf g, const simd_consts *k) {
  vf y;
  v_forward_f16_n(act, v, g, k, 0, &y);
  return y;
}

/*
 * The bf16 backward's first pass, on the same principle, for glu and geglu:
 * dv' and dg' evaluated the plain way, kept where both round as
 * v_backward's would. Not with accumulation (old + dv is rounded to f32
 * before bf16, and its cancellation has no bound in ULPs of dv).
 *
 * dg = dy v act'(g) cancels near a root of act' (geglu: g = -0.75), where
 * v_backward's dg is within 2 ULPs plus T 2^-22 (T: the sum of the
 * magnitudes of act''s terms times |dy v|; docs/ACCURACY.md) and dg'
 * within a multiple of T as well. So the margin grows with
 * kappa = T / |dg|: a dg' lane is kept when it lies more than
 * GLK_SCREEN_ULPS (1 + kappa) f32 ULPs from a bf16 midpoint. glu's act' =
 * sigmoid(g) sigmoid(-g) is one term: kappa = 1.
 *
 * Errors (relative, units of 2^-24): glu: e = e^-|g| 1.2, r = 1/(1 + e)
 * 2.6, sigmoid (r or e r) 4.8, dv' = dy sigmoid 5.8, act' = (e r) r 8.4,
 * dg' = (dy v) act' 10.4. geglu: E 1.2, Q 5 (the bound from before the
 * pieces, kept: the pieces' plain Q is within 2.5, see above),
 * a/sqrt(2 pi) 2, D = Q - a c within 5 Q + 2 a c + |D| absolute; g < 0:
 * act' = E D, dg' within 5.2 + 5 kappa (kappa = (Q + a c) / |D|); g >= 0:
 * act' = 1 - E D within 1 + 8.2 E (Q + a c) / |act'|, so dg' within
 * 3 + 8.2 kappa with kappa taken as (1 + E (Q + a c)) / |act'|, larger than
 * T / |dg|. dv' = (dy g) Phi: 9.2 as the forward's y'. A subnormal dy v
 * times an act' up to 1.13 can come out normal: then its rounding is within
 * 1.13 units, inside the slack. With v_backward's 2 ULPs (4 of the screened
 * value) and T 2^-22 (8 kappa at most), |dg - dg'| < 13.2 + 13 kappa ULPs
 * and |dv - dv'| < 13.2, against margins of 32 + 32 kappa and 32. A kept
 * lane has kappa < 256, so its dg' needs less than 3350 ULPs and gets a
 * margin of at most 8224 steps of its last bit; a midpoint in the binade
 * below lies 8192 or more steps away (16384 of its own), so counting steps
 * in dg''s binade alone is safe.
 *
 * Speed: bf16 backward at 256x4096, one thread, AMD EPYC (Zen 5), three
 * alternating runs: glu 9.9 -> 12.1 GB/s, geglu 5.2 -> 6.3. The checks
 * sit at the end of long dependency chains, so each costs more than its
 * instructions: the margin is made from act' alone (a division that
 * overlaps the products) and compared as an integer. swiglu and the tanh
 * and quick GELUs had a first pass too (act' = sigmoid (1 + k sigmoid(-s)),
 * kappa = (1 + |t|) / |1 + t|) and were slower with it (8.8 -> 8.0, 7.1 ->
 * 6.7, 8.4 -> 7.6 GB/s): their exact paths cost less, and about one vector
 * in eight fell back to them, for kappa's margin at ordinary gates.
 */

/* dv', dg' = dy v act'(g), and kappa as num / den (above); ok: lanes in the
 * range the error bounds cover. 0 where there is no first pass. */
GLK_VINLINE int v_backward_plain_gelu(vf v, vf g, vf dy, vf *dv, vf *dg, vf *num, vf *den,
                                      vm *ok) {
  vf a, e, q;
  v_plain_gelu_eq(g, &a, &e, &q);
  const vf ac = vf_mul(a, vf_set1(0x1.988454p-2f)); /* a / sqrt(2 pi) */
  const vf eq = vf_mul(e, q), ed = vf_mul(e, vf_sub(q, ac));
  const vm neg = vf_lt(g, v0());
  const vf phi = vf_select(neg, eq, vf_sub(v1(), eq));
  const vf dfac = vf_select(neg, ed, vf_sub(v1(), ed));
  *dv = vf_mul(vf_mul(dy, g), phi);
  *dg = vf_mul(vf_mul(dy, v), dfac);
  *num = vf_abs(vf_select(neg, vf_sub(q, ac), dfac));
  *den = vf_select(neg, vf_add(q, ac), vf_fma(e, vf_add(q, ac), v1()));
  *ok = vf_lt(a, vf_set1(GLK_SCREEN_GELU_AMAX));
  return 1;
}

GLK_VINLINE int v_backward_plain(glk_act act, vf v, vf g, vf dy, vf *dv, vf *dg, vf *num,
                                 vf *den, vm *ok) {
  if (act == GLK_ACT_GEGLU) return v_backward_plain_gelu(v, g, dy, dv, dg, num, den, ok);
  if (act != GLK_ACT_GLU) return 0;
  const fexp p = v_fexp_parts(vf_neg(vf_abs(g)), v0(), 0, 0);
  const vf two_n = vf_shl23(p.t), e = vf_fma(two_n, p.u, two_n);
  const vf r = vf_div(v1(), vf_add(v1(), e)), er = vf_mul(e, r);
  *dv = vf_mul(dy, vf_select(vf_lt(g, v0()), er, r));
  *dg = vf_mul(vf_mul(dy, v), vf_mul(er, r)); /* sigmoid(g) sigmoid(-g) = e r^2 */
  *num = *den = v1();
  *ok = vf_lt(vf_abs(g), vf_set1(GLK_SCREEN_SMAX)); /* false for NaN */
  return 1;
}

/*
 * The backward's table pass, for the forward's table variants (x86): dv' =
 * dy T[g] as the forward's y' (margin GLK_TABLE_SCREEN_ULPS), and dg' =
 * (dy v) D[g], D = act'(g) rounded to f32 from double, T and D gathered
 * as one pair; dg''s margin thr = 6 + 5 kappa from a second table, but
 * for glu, whose kappa is 1 (src/kernels/gate_table.h).
 *
 * Why dg''s margin suffices (ULPs of dg', u = 2^-24 relative): D is within
 * half an ULP of act'(g) (u relative; double's own error, kappa 2^-52, is
 * negligible), dy v of two bf16 numbers is exact and the product adds half
 * an ULP, so dg' lies within 1.5 ULPs of the exact value. v_backward's dg
 * is within 2 ULPs of dg plus |dy v| S 2^-22 (the f32 gradient bound, S
 * the sum of the magnitudes of act''s terms), that is kappa |dg| 2^-22,
 * under 4 kappa ULPs. Where the three share a binade (the forward's
 * argument above covers a power of two between them: the nearest
 * midpoints lie 16384 or more steps away) |dg - dg'| < 3.5 + 4 kappa, and
 * thr = 6 + 5 kappa holds that with room. D is NaN where kappa >= 1300
 * (thr then under 8192 steps: no midpoint of the binade below comes
 * within it, as the computed pass's argument requires) and where act' is
 * not normal. A subnormal dy v times D (at most 1.13) that comes out
 * normal is off by at most 0.57 ULP of dg', within the room.
 *
 * f16 has no backward table pass: a lane falls within these margins 8
 * times as often as in bf16 and swiglu's dg margin grows near its root
 * at -1.28, in the bulk of N(0, 1) gates, so about one 32-lane vector in
 * five fell back. In cache that still paid (1x65536, one thread: glu 31.5
 * -> 28.4 us, geglu 68 -> 49), but at 8192x28672 only the GELUs gained
 * (geglu 256 -> 218 ms) and the sigmoid family lost (glu 123 -> 131,
 * swiglu 160 -> 175), even when its streaming loops kept the exact path.
 *
 * Against the computed pass, Intel Xeon, 8192x28672, one thread, share of
 * the stream: glu 0.44 -> 0.63, swiglu 0.32 -> 0.55, geglu 0.20 -> 0.56.
 * Where the pass holds, every lane is normal: the stores skip their
 * subnormal test (5 to 7% at 256x4096).
 */
#define GLK_TABLE_GLU_DG_ULPS 11u /* glu: kappa = 1, so thr = 6 + 5 */

/* dv', dg' where they decide the rounding to bf16, from dt, the table of
 * pairs and margins; 1 when they do in every lane */
GLK_VINLINE int v_backward_bf16_table(glk_act act, vf v, vf g, vf dy, const float *dt, vf *dv,
                                      vf *dg) {
#ifdef GLK_VEC_HAS_TABLE
  vf t, d;
  vf_table2_bf16(dt, g, &t, &d); /* one lookup for both */
  *dv = vf_mul(dy, t);
  *dg = vf_mul(vf_mul(dy, v), d);
  vm ok = v_rounds_alike(*dv, 0, GLK_TABLE_SCREEN_ULPS);
  if (act == GLK_ACT_GLU) /* its margin is a constant: no second lookup */
    ok = vm_and(ok, v_rounds_alike(*dg, 0, GLK_TABLE_GLU_DG_ULPS));
  else
    ok = vm_and(ok, vm_and(vf_normal(*dg), vf_bits_far(*dg, 0xffffu, 0x8000u,
                                                       vf_table16(dt + GLK_GATE_DMARGINS, g, 0))));
  return vm_all(ok);
#else
  (void)act, (void)v, (void)g, (void)dy, (void)dt, (void)dv, (void)dg;
  return 0;
#endif
}

/* The backward for bf16 storage: dv', dg' where they decide the rounding.
 * Returns 1 when *dv and *dg are the table pass's (every lane normal: the
 * stores may skip their subnormal test), else 0. */
GLK_VINLINE int v_backward_bf16(glk_act act, vf v, vf g, vf dy, const simd_consts *k, int acc,
                                 vf *dv, vf *dg) {
  vf a, b, num, den;
  vm ok;
#ifdef GLK_VEC_HAS_TABLE
  if (glk_gate_table_act(act) && k->dtable) { /* as the forward: no computed pass */
    if (!acc && v_backward_bf16_table(act, v, g, dy, k->dtable, dv, dg)) return 1;
    v_backward(act, v, g, dy, k, dv, dg);
    return 0;
  }
#endif
  if (!acc && v_backward_plain(act, v, g, dy, &a, &b, &num, &den, &ok)) {
    const uint32_t m = GLK_SCREEN_ULPS;
    const vf mf = vf_set1((float)m);
    /* kappa < 256 (false for NaN), and the margin m (1 + kappa): both
     * from act' alone, ready before dg' */
    ok = vm_and(ok, vf_gt(vf_mul(num, vf_set1(256.0f)), den));
    const vf thr = vf_div(vf_mul(mf, vf_add(num, den)), vf_select(ok, num, v1()));
    ok = vm_and(ok, v_rounds_alike(a, 0, m));
    ok = vm_and(ok, vm_and(vf_normal(b), vf_bits_far(b, 0xffffu, 0x8000u, thr)));
    if (vm_all(ok)) {
      *dv = a, *dg = b;
      return 0;
    }
  }
  v_backward(act, v, g, dy, k, dv, dg);
  return 0;
}
