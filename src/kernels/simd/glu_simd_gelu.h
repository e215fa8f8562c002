/*
 * The fast path of geglu (GELU with erf), included by glu_simd_fast.h after
 * the hi + lo helpers. Same contract as the sigmoid family's: lanes in the
 * ordinary range (0 < |g| < 26, v and dy finite and nonzero) take it, the
 * others the general code; each lane's bits depend only on that lane. The
 * forward's lanes with |g| < 2.99 take Phi from pieces of its own instead
 * (v_gelu_phi_neg, below), without E and Q.
 *
 * Phi(-a) = E Q(a), a = |g|, E = e^(-a^2/2), Q(a) = Phi(-a) e^(a^2/2) (Mills'
 * ratio over sqrt(2 pi)); Phi(a) = 1 - E Q(a). Q is a polynomial of degree 7
 * on each of 16 pieces of [0, 30): the pieces are the exponent and top two
 * mantissa bits of a + 2 (widths 0.5 on [0, 2) up to 4 on [14, 30): Q
 * falls off as 1/a), the coefficients come from registers by the piece's
 * index (vf_lookup16: a permute on AVX-512, no division and no gather).
 * Q = p0 + x r(x), x = a - c with c the piece's centre: exact (Sterbenz)
 * but for a < 1/8 in the first piece, where its rounding (2^-27) moves Q
 * by under 2^-27 relative. r is evaluated in f32 by Horner; |x r| < 0.19 Q,
 * so r's rounding costs at most 2^-26 of Q; x r and the sum with p0
 * (hi + lo) are exact. Fitted in double (least squares, reweighted toward
 * minimax, each coefficient rounded to f32 from the top with the rest
 * refitted), each piece to 2^-29 relative in double, 2^-27.1 with the f32
 * coefficients (p1's rounding, which p0 alone cannot absorb); an f32
 * evaluation of the whole scheme measured within 2^-25.5 relative of Q on
 * every piece (the first is the worst; tools/accuracy/fit_gelu_q.py fits
 * such a table and, with --check-only, checks this one). The pieces'
 * ranges reach 2^-19 below their start: a + 2 may round up into the next
 * piece. Then E and the products are carried as hi + lo, and the result
 * is rounded once: measured within 1.2 ULP (docs/ACCURACY.md). Beyond
 * a = 26 every product with E is 0 in f32.
 */

#define GLK_GELU_AMAX 26.0f

/* Per piece of a (index: a + 2's exponent and top two mantissa bits, 0 for
 * [0, 0.5)): its centre c, r's coefficients p1 .. p7, and p0 as hi + lo */
static const _Alignas(64) float glk_gelu_q_pieces[10][16] = {
    /* c */
    {
        0x1p-2f, 0x1.8p-1f, 0x1.4p+0f, 0x1.cp+0f,
        0x1.4p+1f, 0x1.cp+1f, 0x1.2p+2f, 0x1.6p+2f,
        0x1.cp+2f, 0x1.2p+3f, 0x1.6p+3f, 0x1.ap+3f,
        0x1p+4f, 0x1.4p+4f, 0x1.8p+4f, 0x1.cp+4f
    },
    /* p1 */
    {
        -0x1.2e8652p-2f, -0x1.63e072p-3f, -0x1.c49322p-4f, -0x1.3253b6p-4f,
        -0x1.75ab64p-5f, -0x1.b6038ap-6f, -0x1.1be2c6p-6f, -0x1.8b1956p-7f,
        -0x1.f7d59ep-8f, -0x1.378124p-8f, -0x1.a5dac2p-9f, -0x1.3012a8p-9f,
        -0x1.93d214p-10f, -0x1.038398p-10f, -0x1.694046p-11f, -0x1.09c5aap-11f
    },
    /* p2 */
    {
        0x1.5c567ap-3f, 0x1.5bf7f4p-4f, 0x1.7b79d4p-5f, 0x1.bd45f6p-6f,
        0x1.bf39bap-7f, 0x1.a29f0ep-8f, 0x1.bfbaf2p-9f, 0x1.07e3eap-9f,
        0x1.106388p-10f, 0x1.0b6e0ep-11f, 0x1.2b9aa4p-12f, 0x1.6fdc42p-13f,
        0x1.8f369cp-14f, 0x1.9c295cp-15f, 0x1.df307ep-16f, 0x1.2e966ap-16f
    },
    /* p3 */
    {
        -0x1.594f54p-4f, -0x1.2c849cp-5f, -0x1.1f33fep-6f, -0x1.2962f4p-7f,
        -0x1.f6276p-9f, -0x1.7e8224p-10f, -0x1.55bc02p-11f, -0x1.57ff86p-12f,
        -0x1.21a62cp-13f, -0x1.c63998p-15f, -0x1.a65b0ep-16f, -0x1.ba914ep-17f,
        -0x1.892f56p-18f, -0x1.468102p-19f, -0x1.3d466cp-20f, -0x1.5811e8p-21f
    },
    /* p4 */
    {
        0x1.3125f8p-5f, 0x1.d68594p-7f, 0x1.8feeacp-8f, 0x1.721c36p-9f,
        0x1.0ab0a4p-10f, 0x1.4fa95ep-12f, 0x1.fa3222p-14f, 0x1.b63f34p-15f,
        0x1.2f0878p-16f, 0x1.7da73p-18f, 0x1.277c1ep-19f, 0x1.08c3b6p-20f,
        0x1.81b598p-22f, 0x1.01fe82p-23f, 0x1.a367c4p-25f, 0x1.86bcb8p-26f
    },
    /* p5 */
    {
        -0x1.eb7552p-7f, -0x1.53a8f4p-8f, -0x1.038c2cp-9f, -0x1.b176bp-11f,
        -0x1.0de444p-12f, -0x1.1c06a6p-14f, -0x1.6ca528p-16f, -0x1.11368ap-17f,
        -0x1.38591ap-19f, -0x1.3d76b6p-21f, -0x1.9a7ea8p-23f, -0x1.3b1a9ep-24f,
        -0x1.791a7ap-26f, -0x1.96cafep-28f, -0x1.14c15p-29f, -0x1.bb31e2p-31f
    },
    /* p6 */
    {
        0x1.7331eep-8f, 0x1.cf0b6ep-10f, 0x1.4025ccp-11f, 0x1.e553acp-13f,
        0x1.0c66f6p-14f, 0x1.d9d75cp-17f, 0x1.03a86p-18f, 0x1.517bf8p-20f,
        0x1.47592ap-22f, 0x1.0af24ep-24f, 0x1.1f4bc6p-26f, 0x1.791904p-28f,
        0x1.7a7218p-30f, 0x1.46332cp-32f, 0x1.719ecap-34f, 0x1.fb2238p-36f
    },
    /* p7 */
    {
        -0x1.00e5bep-9f, -0x1.247802p-11f, -0x1.7184b6p-13f, -0x1.0067eap-14f,
        -0x1.f171e8p-17f, -0x1.76f508p-19f, -0x1.633988p-21f, -0x1.9407fap-23f,
        -0x1.473efap-25f, -0x1.b31e1cp-28f, -0x1.89624p-30f, -0x1.bc0146p-32f,
        -0x1.6f2e5p-34f, -0x1.ffcdc6p-37f, -0x1.e62158p-39f, -0x1.1ee1e2p-40f
    },
    /* p0 */
    {
        0x1.a7f808p-2f, 0x1.337024p-2f, 0x1.d898dep-3f, 0x1.7b5abep-3f,
        0x1.217252p-3f, 0x1.b396fap-4f, 0x1.5b5acep-4f, 0x1.201faap-4f,
        0x1.c9e12p-5f, 0x1.66ccb8p-5f, 0x1.26b4dp-5f, 0x1.f3ddc2p-6f,
        0x1.96f082p-6f, 0x1.4600a6p-6f, 0x1.0fdfccp-6f, 0x1.d2488p-7f
    },
    /* p0 lo */
    {
        0x1.67d69ep-30f, -0x1.f86ad8p-28f, 0x1.e62ec8p-33f, -0x1.a5e0acp-28f,
        0x1.656a08p-30f, -0x1.9e647ap-31f, -0x1.8aeedap-29f, -0x1.b21972p-29f,
        0x1.c3a6fap-30f, -0x1.0ce3a2p-31f, -0x1.8df6b8p-32f, 0x1.731fe8p-32f,
        -0x1.b02544p-31f, 0x1.0a1f1ep-33f, 0x1.77c4a8p-31f, 0x1.df381p-33f
    },
};

/* The piece of a in [0, 26]: (bits(a + 2) >> 21) - 4 * 128 */
GLK_VINLINE vf v_gelu_piece(vf a) { return vf_bits_index(vf_add(a, vf_set1(2.0f)), 21, 512u); }

/* Shared by the piecewise polynomials (Q's, Phi's): their rows t[k] hold
 * one coefficient per piece, picked by piece index i. */
/* t[bottom] + x t[bottom + 1] + ... + x^(top - bottom) t[top], by Horner */
GLK_VINLINE vf v_pieces_horner(const float (*t)[16], vf i, vf x, int top, int bottom) {
  vf r = vf_lookup16(t[top], i);
  for (int k = top - 1; k >= bottom; k--) r = vf_fma(r, x, vf_lookup16(t[k], i));
  return r;
}
/* p0 + (mh + ml) as hi + lo, p0_lo joining the low part; |mh| < p0 makes
 * the sum's error exact */
GLK_VINLINE vf2 v_pieces_sum(vf p0, vf p0_lo, vf mh, vf ml) {
  const vf sh = vf_add(p0, mh);
  return vf2_make(sh, vf_add(vf_add(vf_sub(p0, sh), mh), vf_add(ml, p0_lo)));
}

/* x = a - c and r(x) = p1 + p2 x + ... + p7 x^6 in f32, for piece i */
GLK_VINLINE vf v_gelu_r(vf a, vf i, vf *x) {
  const float(*t)[16] = glk_gelu_q_pieces;
  *x = vf_sub(a, vf_lookup16(t[0], i));
  return v_pieces_horner(t, i, *x, 7, 1);
}

/* Q(a) for a in [0, 26], as hi + lo (within 2^-25.5 relative, see above) */
GLK_VINLINE vf2 v_gelu_q(vf a) {
  const vf i = v_gelu_piece(a);
  vf x;
  const vf r = v_gelu_r(a, i, &x);
  const vf mh = vf_mul(x, r), ml = vf_fms(x, r, mh); /* |mh| < p0 */
  return v_pieces_sum(vf_lookup16(glk_gelu_q_pieces[8], i),
                      vf_lookup16(glk_gelu_q_pieces[9], i), mh, ml);
}

/* Q(a) in f32 alone, for the 16-bit first passes (glu_simd_screen.h):
 * within 2^-23.1 relative, measured (p0 in f32 and the last rounding on top
 * of the above; glu_simd_screen.h bounds it by 2.5 units of 2^-24) */
GLK_VINLINE vf v_gelu_q_plain(vf a) {
  const vf i = v_gelu_piece(a);
  vf x;
  const vf r = v_gelu_r(a, i, &x);
  return vf_fma(x, r, vf_lookup16(glk_gelu_q_pieces[8], i));
}

/*
 * Phi(-a) itself for a = |g| < GLK_GELU_PHI_AMAX (every lane of 96% of
 * N(0, 1) vectors of 16, 91% of AVX-512's 32), without E and Q: a
 * polynomial of degree 7 on each of 16 pieces, like Q's, whose index comes
 * from the bits of t = K - a, K = 4 - 2^-21 (below 4 at a = 0): the
 * exponent and top three mantissa bits of t, so widths 1/4 on [0, 2] and
 * 1/8 on [2, 3), narrower where Phi falls off faster (t's rounding only
 * moves a lane at a piece's edge into its neighbour, whose fit reaches
 * 2^-20 past it). P = p0 + x (p1 + x r2(x)), x = a - c; p1 + x r2 is summed
 * with its error (|x r2| < 0.19 |p1|) and times x as hi + lo, p0 and p1 are
 * hi + lo, so only the roundings of r2 and x r2 (x^2 r2 below 4.3% of P)
 * and of x in the last piece (a < 1/16) remain: fitted within 2^-34
 * relative, an f32 emulation within 2^-28.2 of Phi(-a) (at a = 0.06), 1 - P
 * within 2^-28.3 of Phi(a) (tools/accuracy/fit_gelu_phi.py fits the table
 * and checks it). Taking E and Q out of the forward (their exponential,
 * their product) cut f32 geglu's forward time by 30% in cache.
 */
#define GLK_GELU_PHI_AMAX 2.99f /* below K - 1 with room: t = K - a stays >= 1 */
/* Per piece: c, p1, p2 .. p7, p0, p0 lo, p1 lo */
static const _Alignas(64) float glk_gelu_phi_pieces[11][16] = {
    /* c */
    {
        0x1.77fffcp+1f, 0x1.67fffcp+1f, 0x1.57fffcp+1f, 0x1.47fffcp+1f,
        0x1.37fffcp+1f, 0x1.27fffcp+1f, 0x1.17fffcp+1f, 0x1.07fffcp+1f,
        0x1.dffff8p+0f, 0x1.9ffff8p+0f, 0x1.5ffff8p+0f, 0x1.1ffff8p+0f,
        0x1.bffffp-1f, 0x1.3ffffp-1f, 0x1.7fffep-2f, 0x1.ffffcp-4f
    },
    /* p1 */
    {
        -0x1.5da944p-8f, -0x1.f4ddd2p-8f, -0x1.612adep-7f, -0x1.ea530ep-7f,
        -0x1.4f18d4p-6f, -0x1.c2ec1ap-6f, -0x1.2aaffep-5f, -0x1.858fd6p-5f,
        -0x1.19bfb4p-4f, -0x1.b4618ep-4f, -0x1.3d772p-3f, -0x1.b1ec72p-3f,
        -0x1.16959ep-2f, -0x1.500974p-2f, -0x1.7cc79ap-2f, -0x1.95567ap-2f
    },
    /* p2 */
    {
        0x1.00c84ap-7f, 0x1.602bf4p-7f, 0x1.da9196p-7f, 0x1.3a1d3p-6f,
        0x1.98663ep-6f, 0x1.04b07cp-5f, 0x1.46b078p-5f, 0x1.91bc4ep-5f,
        0x1.0823b4p-4f, 0x1.628f3ep-4f, 0x1.b483c2p-4f, 0x1.e829f2p-4f,
        0x1.e785c2p-4f, 0x1.a40bbcp-4f, 0x1.1d959cp-4f, 0x1.955648p-6f
    },
    /* p3 */
    {
        -0x1.bc96a8p-8f, -0x1.206c0ap-7f, -0x1.6e45eep-7f, -0x1.c6e3fap-7f,
        -0x1.13f996p-6f, -0x1.46be0cp-6f, -0x1.78dbfep-6f, -0x1.a68844p-6f,
        -0x1.d88412p-6f, -0x1.dd4a9cp-6f, -0x1.78fd54p-6f, -0x1.335c8p-7f,
        0x1.5c3b58p-7f, 0x1.1107cp-5f, 0x1.b44f6ap-5f, 0x1.0a00c2p-4f
    },
    /* p4 */
    {
        0x1.e1d366p-9f, 0x1.2032d4p-8f, 0x1.4dfb16p-8f, 0x1.7575fap-8f,
        0x1.906cf8p-8f, 0x1.97f4d2p-8f, 0x1.84d07cp-8f, 0x1.4fe1d2p-8f,
        0x1.6b33ep-9f, -0x1.53dc9cp-9f, -0x1.42d8acp-7f, -0x1.1a38a4p-6f,
        -0x1.6b1996p-6f, -0x1.6d58c2p-6f, -0x1.103468p-6f, -0x1.933a8p-8f
    },
    /* p5 */
    {
        -0x1.2b8816p-10f, -0x1.2e552p-10f, -0x1.1666e8p-10f, -0x1.b8490cp-11f,
        -0x1.d9ba5ep-12f, 0x1.dca136p-14f, 0x1.bfd1b2p-11f, 0x1.cb6f2p-10f,
        0x1.aec54cp-9f, 0x1.55a6ap-8f, 0x1.93c7c6p-8f, 0x1.5a3658p-8f,
        0x1.2b61d6p-9f, -0x1.21ef14p-9f, -0x1.b9e09ap-8f, -0x1.3a2b8ep-7f
    },
    /* p6 */
    {
        0x1.32d7f8p-15f, -0x1.23863p-15f, -0x1.79c16ap-13f, -0x1.0bc6eep-11f,
        -0x1.4f33bep-11f, -0x1.866b84p-11f, -0x1.2f0024p-10f, -0x1.77e78ep-10f,
        -0x1.6e64dcp-10f, -0x1.102cd6p-10f, -0x1.6b1824p-14f, 0x1.573c1p-10f,
        0x1.56219cp-9f, 0x1.a11a64p-9f, 0x1.5b363ep-9f, 0x1.0b3db6p-10f
    },
    /* p7 */
    {
        0x1.c2e22ep-13f, 0x1.226a42p-13f, 0x1.dfd0f4p-14f, 0x1.2ac902p-11f,
        0x1.0a1276p-12f, -0x1.d340d4p-17f, 0x1.75d8a2p-12f, 0x1.104986p-11f,
        -0x1.004f04p-19f, -0x1.b1b652p-12f, -0x1.7e186cp-11f, -0x1.b93128p-11f,
        -0x1.35b0c8p-11f, -0x1.073bcep-16f, 0x1.4e02f4p-11f, 0x1.27491ap-10f
    },
    /* p0 */
    {
        0x1.b1adc8p-10f, 0x1.42299ap-9f, 0x1.d7c9d8p-9f, 0x1.5487dep-8f,
        0x1.e49d16p-8f, 0x1.53f888p-7f, 0x1.d65204p-7f, 0x1.40cce6p-6f,
        0x1.f203b8p-6f, 0x1.aaa678p-5f, 0x1.5a61aap-4f, 0x1.0ad7e8p-3f,
        0x1.86bb6p-3f, 0x1.105e8ep-2f, 0x1.6a5284p-2f, 0x1.cd1172p-2f
    },
    /* p0 lo */
    {
        -0x1.e13abap-35f, -0x1.78541p-35f, 0x1.2943e8p-36f, -0x1.5c8c0ap-34f,
        -0x1.9e8d14p-34f, -0x1.e033bp-32f, 0x1.14b1a4p-32f, -0x1.344f0cp-33f,
        0x1.272d6cp-33f, -0x1.7fe5aep-30f, 0x1.52aea2p-32f, -0x1.8415bp-29f,
        0x1.82d24ap-28f, -0x1.9b93fp-27f, 0x1.d0324p-27f, 0x1.22a35ep-27f
    },
    /* p1 lo */
    {
        0x1.acfca2p-33f, -0x1.1db3a8p-36f, -0x1.251ee2p-32f, 0x1.bc8edcp-34f,
        -0x1.88ae1cp-31f, 0x1.60ee48p-33f, 0x1.a50968p-30f, -0x1.43a54cp-33f,
        0x1.608fccp-31f, -0x1.7e1b32p-29f, 0x1.1c0ea6p-29f, 0x1.77196ap-28f,
        0x1.fb9ed6p-28f, -0x1.7c7f06p-28f, 0x1.3b3acp-27f, -0x1.2a7488p-28f
    },
};

/* Phi(-a) for 0 <= a < GLK_GELU_PHI_AMAX, as hi + lo */
GLK_VINLINE vf2 v_gelu_phi_neg(vf a) {
  const float(*t)[16] = glk_gelu_phi_pieces;
  const vf i = vf_bits_index(vf_sub(vf_set1(0x1.fffffcp+1f), a), 20, 127u << 3);
  const vf x = vf_sub(a, vf_lookup16(t[0], i));
  const vf xr = vf_mul(x, v_pieces_horner(t, i, x, 7, 2)), p1 = vf_lookup16(t[1], i);
  const vf s = vf_add(p1, xr), e = vf_add(vf_sub(p1, s), xr); /* p1 + x r2 = s + e */
  const vf mh = vf_mul(x, s);
  const vf ml = vf_fma(x, vf_add(e, vf_lookup16(t[10], i)), vf_fms(x, s, mh));
  return v_pieces_sum(vf_lookup16(t[8], i), vf_lookup16(t[9], i), mh, ml); /* |mh| < 0.34 p0 */
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
/* x Phi(g) rounded once, x = v g exact as hi + lo, with Phi from
 * v_gelu_phi_neg: right in the lanes of v_gelu_phi_lanes, where every
 * partial product is normal (|x| > 2^-20, Phi(g) > 2^-10), so no ordering
 * by size (v_fast_xsig) */
GLK_VINLINE vf v_gelu_phi_forward(vf2 x, vf g) {
  const vf2 p = v_gelu_phi_neg(vf_abs(g));
  const vf2 phi = vf2_select(vf_lt(g, v0()), p, vf2_one_minus(p));
  return vf_fma(x.hi, phi.hi, vf_fma(x.hi, phi.lo, vf_mul(x.lo, phi.hi)));
}
/* |g| < GLK_GELU_PHI_AMAX (not NaN) and 2^-20 < |x| < inf */
GLK_VINLINE vm v_gelu_phi_lanes(vf x, vf g) {
  return vm_and(vf_lt(vf_abs(g), vf_set1(GLK_GELU_PHI_AMAX)), v_in(x, 0x1p-20f, INFINITY));
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
