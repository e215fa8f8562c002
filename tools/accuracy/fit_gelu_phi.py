#!/usr/bin/env python3
"""Fit the pieces of Phi(-a) that geglu's f32 forward evaluates for
a = |g| < 2.99 (glk_gelu_phi_pieces in src/kernels/simd/glu_simd_gelu.h),
check them by emulating the kernel's f32 steps, and print the C table.

usage: /usr/bin/python3 tools/accuracy/fit_gelu_phi.py [--check-only]
  (no option: fit, check the fit and print the C table; --check-only: check
  the table that glu_simd_gelu.h holds, without fitting)

Pieces: t = K - a, K = 4 - 2^-21; the piece is the exponent and top three
mantissa bits of t (t in [1, 2): a in (2, 3], width 1/8; t in [2, 4): a in
[0, 2], width 1/4). On each, P(x) = p0 + p1 x + x^2 (p2 + ... + p7 x^5),
x = a - c, c the piece's centre in f32. Least squares in double, weighted
by 1/Phi and reweighted toward minimax (relative error); p2 .. p7 rounded
to f32 one at a time from p2 up, the others refitted after each; p0 and p1
kept as f32 pairs hi + lo. Needs numpy, scipy and mpmath (Debian's
python3-numpy, python3-scipy, python3-mpmath).
"""
import os
import re
import sys

import mpmath as mp
import numpy as np
from scipy.special import ndtr

mp.mp.dps = 40
F32 = np.float32
K = F32(4.0) - F32(2.0**-21)
AMAX = F32(2.99)
DEG = 7
ROWS = ["c", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p0", "p0 lo", "p1 lo"]


def f32(x):
    return float(F32(x))


def t_range(k):
    """The range of t = K - a of piece k."""
    if k < 8:
        return 1 + k / 8, 1 + (k + 1) / 8
    return 2 + (k - 8) / 4, 2 + (k - 7) / 4


def fit_minimax(xs, exact, deg, fixed):
    """Coefficients 0..deg of a polynomial in x through (xs, exact) in
    relative error: least squares weighted by 1/exact, reweighted toward
    minimax; the coefficients in `fixed` (index -> value) held."""
    fx = np.array([float(v) for v in exact])
    free = [j for j in range(deg + 1) if j not in fixed]
    a = np.array([[x**j for j in free] for x in xs])
    rhs = np.array([float(exact[i] - sum(mp.mpf(fixed[j]) * mp.mpf(float(xs[i]))**j
                                          for j in fixed)) for i in range(len(xs))])
    w = 1 / fx
    for _ in range(30):
        coef, *_ = np.linalg.lstsq(a * w[:, None], rhs * w, rcond=None)
        err = (a @ coef - rhs) / fx
        w = w * (np.abs(err) / np.abs(err).max() + 1e-3) ** 0.5
        w /= w.max() / (1 / fx).max()
    full = dict(fixed)
    full.update(zip(free, coef))
    return full


def fit_rounding(xs, exact, deg, order):
    """fit_minimax, then the coefficients of `order` rounded to f32 one at a
    time, the others refitted after each: (coefficients, the rounded ones)."""
    fixed = {}
    co = fit_minimax(xs, exact, deg, fixed)
    for j in order:
        fixed[j] = f32(co[j])
        co = fit_minimax(xs, exact, deg, fixed)
    return co, fixed


def fit_piece(k):
    t0, t1 = t_range(k)
    a_lo, a_hi = max(float(K) - t1, 0.0), float(K) - t0
    c = f32((a_lo + a_hi) / 2)
    # t is rounded: a lane may land in the next piece by an ulp of t
    margin = 2.0**-20
    lo, hi, n = a_lo - c - margin, a_hi - c + margin, 800
    xs = lo + (hi - lo) * (0.5 - 0.5 * np.cos(np.pi * np.arange(n) / (n - 1)))
    exact = [mp.ncdf(-(mp.mpf(c) + mp.mpf(float(x)))) for x in xs]
    co, fixed = fit_rounding(xs, exact, DEG, range(2, DEG + 1))
    p0h, p1h = f32(co[0]), f32(co[1])
    row = [c, p1h] + [fixed[j] for j in range(2, DEG + 1)]
    row += [p0h, f32(co[0] - p0h), f32(co[1] - p1h)]
    worst = 0.0
    for i, x in enumerate(xs):
        X = mp.mpf(float(x))
        val = (mp.mpf(row[8]) + mp.mpf(row[9]) + (mp.mpf(row[1]) + mp.mpf(row[10])) * X
               + sum(mp.mpf(row[j]) * X**j for j in range(2, DEG + 1)))
        worst = max(worst, float(abs(val / exact[i] - 1)))
    return row, a_lo, a_hi, worst


def fma(a, b, c):
    """f32 fma: the f32 product is exact in double, one rounding of the sum
    in double then to f32 (a double rounding the estimate can afford)."""
    return (a.astype(np.float64) * b + c).astype(F32)


def emulate(table, a):
    """v_gelu_phi_neg's steps in f32, as hi + lo."""
    t = (K - a).astype(F32)
    i = (t.view(np.uint32) >> 20).astype(np.int64) - (127 << 3)
    assert i.min() >= 0 and i.max() <= 15
    T = table[i]
    x = (a - T[:, 0]).astype(F32)
    r = T[:, 7]
    for j in range(6, 1, -1):
        r = fma(r, x, T[:, j])
    xr = (x * r).astype(F32)
    s = (T[:, 1] + xr).astype(F32)
    e = ((T[:, 1] - s).astype(F32) + xr).astype(F32)
    mh = (x * s).astype(F32)
    ml = fma(x, (e + T[:, 10]).astype(F32), (x.astype(np.float64) * s - mh).astype(F32))
    sh = (T[:, 8] + mh).astype(F32)
    sl = ((T[:, 8] - sh).astype(F32) + mh).astype(F32)
    sl = (sl + (ml + T[:, 9]).astype(F32)).astype(F32)
    return sh, sl


def check(table):
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.uniform(0, 3, 4_000_000), np.abs(rng.normal(0, 1, 2_000_000)),
                        2.0**rng.uniform(-40, -2, 500_000)]).astype(F32)
    edges = [float(K) - t for t in [1 + k / 8 for k in range(9)] + [2 + k / 4 for k in range(9)]]
    near = np.concatenate([F32(b) + np.arange(-50, 50, dtype=F32) * F32(2.0**-22) for b in edges])
    a = np.concatenate([a, near.astype(F32)])
    a = a[(a >= 0) & (a < AMAX)]
    sh, sl = emulate(table, a)
    p = sh.astype(np.float64) + sl
    rel = np.abs(p / ndtr(-a.astype(np.float64)) - 1)
    one_h = (F32(1) - sh).astype(F32)
    one_l = (((F32(1) - one_h).astype(F32) - sh).astype(F32) - sl).astype(F32)
    rel1 = np.abs((one_h.astype(np.float64) + one_l) / ndtr(a.astype(np.float64)) - 1)
    print(f"emulated f32: Phi(-a) within 2^{np.log2(rel.max()):.2f} relative (a = {a[rel.argmax()]!r}),"
          f" 1 - P within 2^{np.log2(rel1.max()):.2f}, {a.size} points", file=sys.stderr)


def c_float(v):
    v = float(F32(v))
    h = v.hex()
    sign = "-" if h.startswith("-") else ""
    mant, exp = h.lstrip("-")[2:].split("p")
    ip, fp = mant.split(".")
    fp = fp.rstrip("0")
    return f"{sign}0x{ip}{'.' + fp if fp else ''}p{int(exp):+d}f"


def header_table(name="glk_gelu_phi_pieces", rows=11):
    """A table of pieces as glu_simd_gelu.h holds it, as [piece][row]."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "src", "kernels", "simd", "glu_simd_gelu.h")
    text = open(path).read()
    start = text.index(f"{name}[{rows}][16] = {{")
    body = text[start:text.index("};", start)]
    body = re.sub(r"/\*.*?\*/", "", body[body.index("{"):])
    vals = [float.fromhex(v[:-1]) for v in re.findall(r"-?0x[0-9a-fA-F.]+p[+-]\d+f", body)]
    assert len(vals) == rows * 16, len(vals)
    return np.array(vals, dtype=F32).reshape(rows, 16).T.copy()


def print_c_table(name, table, row_names):
    print(f"static const _Alignas(64) float {name}[{len(row_names)}][16] = {{")
    for r, row_name in enumerate(row_names):
        vals = [c_float(table[k][r]) for k in range(16)]
        print(f"    /* {row_name} */\n    {{")
        for j in range(0, 16, 4):
            print("        " + ", ".join(vals[j:j + 4]) + ("," if j < 12 else ""))
        print("    },")
    print("};")


def main():
    if "--check-only" in sys.argv:
        check(header_table())
        return
    rows = []
    for k in range(16):
        row, a_lo, a_hi, worst = fit_piece(k)
        print(f"piece {k:2d}: a in [{a_lo:.6f}, {a_hi:.6f}], fit within 2^{np.log2(worst):.1f}",
              file=sys.stderr)
        rows.append(row)
    table = np.array(rows, dtype=F32)
    check(table)
    print_c_table("glk_gelu_phi_pieces", table, ROWS)


if __name__ == "__main__":
    main()
