#!/usr/bin/env python3
"""Fit the pieces of Q(a) = Phi(-a) e^(a^2/2) that geglu's f32 kernels
evaluate for a = |g| in [0, 26] (glk_gelu_q_pieces in
src/kernels/simd/glu_simd_gelu.h), check them by emulating the kernel's
f32 steps, and print the C table.

usage: /usr/bin/python3 tools/accuracy/fit_gelu_q.py [--check-only]
  (no option: fit, check the fit and print the C table; --check-only: check
  the table that glu_simd_gelu.h holds, without fitting)

Pieces: the exponent and top two mantissa bits of a + 2, so widths 1/2 on
[0, 2), 1 on [2, 6), 2 on [6, 14), 4 on [14, 30). On each, Q(x) = p0 +
x r(x), r = p1 + p2 x + ... + p7 x^6, x = a - c, c the piece's centre.
Least squares in double, weighted by 1/Q and reweighted toward minimax
(relative error); p7 .. p1 rounded to f32 one at a time from the top, the
others refitted after each; p0 kept as an f32 pair hi + lo. The header's
table was fitted this way before this script was written (2026-12-07).
Rerun on 2026-12-08, the script gave c, p1, p2, p3 and p0's high part bit
for bit and p4 .. p7 and p0's low part different in their last bits, with
the same emulated error (hi + lo within 2^-25.53, the plain f32 value
within 2^-23.16); --check-only is what holds the header's table to the
errors it states. Needs
numpy, scipy and mpmath (Debian's python3-numpy, python3-scipy,
python3-mpmath), and fit_gelu_phi.py beside it.
"""
import sys

import mpmath as mp
import numpy as np
from scipy.special import ndtr, log_ndtr

from fit_gelu_phi import F32, f32, fit_rounding, fma, header_table, print_c_table

mp.mp.dps = 40
DEG = 7
AMAX = 26.0
ROWS = ["c", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p0", "p0 lo"]


def a_range(k):
    """The range of a in piece k: a + 2 in [2^e (1 + m/4), 2^e (1 + (m+1)/4))."""
    e, m = 1 + k // 4, k % 4
    return 2.0**e * (1 + m / 4) - 2, 2.0**e * (1 + (m + 1) / 4) - 2


def q_exact(a):
    return mp.ncdf(-a) * mp.exp(a * a / 2)


def fit_piece(k):
    a_lo, a_hi = a_range(k)
    c = f32((a_lo + a_hi) / 2)
    # a + 2 is rounded: a lane may land in the next piece by an ulp of it
    margin = 2.0**-19
    lo, hi, n = max(a_lo - margin, 0.0) - c, a_hi - c + margin, 800
    xs = lo + (hi - lo) * (0.5 - 0.5 * np.cos(np.pi * np.arange(n) / (n - 1)))
    exact = [q_exact(mp.mpf(c) + mp.mpf(float(x))) for x in xs]
    co, fixed = fit_rounding(xs, exact, DEG, range(DEG, 0, -1))
    p0h = f32(co[0])
    row = [c] + [fixed[j] for j in range(1, DEG + 1)] + [p0h, f32(co[0] - p0h)]
    worst = 0.0
    for i, x in enumerate(xs):
        X = mp.mpf(float(x))
        val = mp.mpf(row[8]) + mp.mpf(row[9]) + sum(mp.mpf(row[j]) * X**j
                                                    for j in range(1, DEG + 1))
        worst = max(worst, float(abs(val / exact[i] - 1)))
    return row, a_lo, a_hi, worst


def emulate(table, a):
    """v_gelu_q's steps in f32, as hi + lo (and v_gelu_q_plain's f32 value)."""
    t = (a + F32(2)).astype(F32)
    i = (t.view(np.uint32) >> 21).astype(np.int64) - 512
    assert i.min() >= 0 and i.max() <= 15
    T = table[i]
    x = (a - T[:, 0]).astype(F32)
    r = T[:, 7]
    for j in range(6, 0, -1):
        r = fma(r, x, T[:, j])
    mh = (x * r).astype(F32)
    ml = (x.astype(np.float64) * r - mh).astype(F32)  # exact: the FMS of the kernel
    sh = (T[:, 8] + mh).astype(F32)
    sl = (((T[:, 8] - sh).astype(F32) + mh).astype(F32) + (ml + T[:, 9]).astype(F32)).astype(F32)
    plain = fma(x, r, T[:, 8])
    return sh, sl, plain


def q_double(a):
    """Q(a) in double, from log Phi(-a) (no overflow or underflow to 26)."""
    return np.exp(log_ndtr(-a) + a * a / 2)


def check(table):
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.uniform(0, AMAX, 4_000_000), np.abs(rng.normal(0, 1, 2_000_000)),
                        2.0**rng.uniform(-40, -1, 500_000)]).astype(F32)
    edges = [a_range(k)[0] for k in range(16)]
    near = np.concatenate([F32(b) + np.arange(-50, 50, dtype=F32) * F32(2.0**-20) for b in edges])
    a = np.concatenate([a, near.astype(F32)])
    a = a[(a >= 0) & (a <= AMAX)]
    sh, sl, plain = emulate(table, a)
    q = q_double(a.astype(np.float64))
    rel = np.abs((sh.astype(np.float64) + sl) / q - 1)
    relp = np.abs(plain.astype(np.float64) / q - 1)
    print(f"emulated f32: Q within 2^{np.log2(rel.max()):.2f} relative (a = {a[rel.argmax()]!r}),"
          f" the plain f32 Q within 2^{np.log2(relp.max()):.2f}, {a.size} points", file=sys.stderr)
    # log_ndtr is within a few double ulps; ndtr's own value near 0 as a cross-check
    small = a < 5
    cross = np.abs(ndtr(-a[small].astype(np.float64)) * np.exp(a[small].astype(np.float64)**2 / 2)
                   / q[small] - 1).max()
    assert cross < 2.0**-40, cross


def main():
    if "--check-only" in sys.argv:
        check(header_table("glk_gelu_q_pieces", len(ROWS)))
        return
    rows = []
    for k in range(16):
        row, a_lo, a_hi, worst = fit_piece(k)
        print(f"piece {k:2d}: a in [{a_lo:g}, {a_hi:g}), fit within 2^{np.log2(worst):.1f}",
              file=sys.stderr)
        rows.append(row)
    table = np.array(rows, dtype=F32)
    check(table)
    print_c_table("glk_gelu_q_pieces", table, ROWS)


if __name__ == "__main__":
    main()
