#!/usr/bin/python3
"""Prints the README's special-values table (between <!-- specials:begin -->
and <!-- specials:end -->): every variant, f32, forward and backward (dy = 1)
at +-0, +-the smallest subnormal, the largest subnormal, +-inf, a quiet and a
signalling NaN and +-the largest finite value, as gate (value 1) and as
value (gate 1), and for swiglu_oai the clamp limit and its neighbours +-1 ULP.

The glukit column is the library's reference kernels (isa="scalar");
tests/test_numerics.c then holds every ISA to it bit for bit (finite
non-zero values: within the ISA's bound) and checks each cell against the
long-double oracle of tests/support/oracle.c, so a wrong cell fails there.
The PyTorch column is Debian's PyTorch on the CPU, written the usual way.

    GLUKIT_LIBRARY=build/libglukit.so PYTHONPATH=python \
        /usr/bin/python3 tools/accuracy/specials_table.py > /tmp/table.md
"""
import numpy as np
import torch
import torch.nn.functional as F

import glukit

ALPHA, LIMIT = 1.702, 7.0
SNAN = np.array([0x7FA00000], dtype=np.uint32).view(np.float32)[0]


def f32(x):
    return np.float32(x)


def fmt(x):
    """Shortest text that reads back as the same f32 ("snan" for a
    signalling NaN, whose quiet bit is clear)."""
    x = np.float32(x)
    if np.isnan(x):
        bits = int(np.array([x]).view(np.uint32)[0])
        return "snan" if not bits & 0x00400000 else "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if np.signbit(x) else "0"
    text = repr(np.float32(x))  # numpy: the shortest text that reads back
    return text[:-2] if text.endswith(".0") else text


def torch_fn(act):
    sig = torch.sigmoid
    return {
        "glu": lambda v, g: v * sig(g),
        "swiglu": lambda v, g: F.silu(g) * v,
        "geglu": lambda v, g: F.gelu(g) * v,
        "geglu_tanh": lambda v, g: F.gelu(g, approximate="tanh") * v,
        "geglu_quick": lambda v, g: g * sig(1.702 * g) * v,
        "reglu": lambda v, g: F.relu(g) * v,
        "bilinear": lambda v, g: v * g,
        # the GPT-OSS reference code
        "swiglu_oai": lambda v, g: (g.clamp(min=None, max=LIMIT) *
                                    sig(ALPHA * g.clamp(min=None, max=LIMIT))) *
                                   (v.clamp(min=-LIMIT, max=LIMIT) + 1),
    }[act]


def torch_values(act, v, g):
    vt = torch.from_numpy(np.array([v], dtype=np.float32)).requires_grad_()
    gt = torch.from_numpy(np.array([g], dtype=np.float32)).requires_grad_()
    y = torch_fn(act)(vt, gt)
    y.backward(torch.ones_like(y))
    return [t.detach().numpy()[0] for t in (y, vt.grad, gt.grad)]


def glukit_values(act, v, g):
    va, ga = np.array([v], dtype=np.float32), np.array([g], dtype=np.float32)
    y = glukit.forward_split(va, ga, act=act, isa="scalar", num_threads=1)
    dv, dg = glukit.backward_split(va, ga, np.ones(1, np.float32), act=act, isa="scalar",
                                   num_threads=1)
    return [y[0], dv[0], dg[0]]


MAXF = f32(np.finfo(np.float32).max)
TINY = np.array([1], dtype=np.uint32).view(np.float32)[0]
SUB_MAX = np.array([0x007FFFFF], dtype=np.uint32).view(np.float32)[0]
SPECIAL_GATES = [(f32(0), "+0"), (f32(-0.0), "−0"), (TINY, "smallest subnormal"),
                 (-TINY, "−smallest subnormal"), (SUB_MAX, "largest subnormal"),
                 (-SUB_MAX, "−largest subnormal"), (f32(np.inf), "+∞"),
                 (f32(-np.inf), "−∞"), (f32(np.nan), "quiet NaN"), (SNAN, "signalling NaN"),
                 (MAXF, "largest finite"), (-MAXF, "−largest finite")]
SPECIAL_VALUES = [(f32(-0.0), "−0"), (TINY, "smallest subnormal"),
                  (-TINY, "−smallest subnormal"), (f32(np.inf), "+∞"), (f32(-np.inf), "−∞"),
                  (f32(np.nan), "quiet NaN"), (SNAN, "signalling NaN"), (MAXF, "largest finite"),
                  (-MAXF, "−largest finite")]
L = f32(LIMIT)
UP, DOWN = np.nextafter(L, f32(np.inf)), np.nextafter(L, f32(0))
OAI = [(L, f32(1), "v = L"), (DOWN, f32(1), "v = L − 1 ULP"), (UP, f32(1), "v = L + 1 ULP: clamped"),
       (-L, f32(1), "v = −L"), (-DOWN, f32(1), "v = −L + 1 ULP"),
       (-UP, f32(1), "v = −L − 1 ULP: clamped"),
       (f32(1), L, "g = L"), (f32(1), DOWN, "g = L − 1 ULP"), (f32(1), UP, "g = L + 1 ULP: clamped")]


def same(a, b):
    a, b = np.float32(a), np.float32(b)
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    return a == b and np.signbit(a) == np.signbit(b)


def main():
    print("| variant | dtype | v | g | y | dv | dg | PyTorch y, dv, dg | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for act in ["glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick", "reglu", "bilinear",
                "swiglu_oai"]:
        rows = [(f32(1), g, "g: " + n) for g, n in SPECIAL_GATES]
        rows += [(v, f32(1), "v: " + n) for v, n in SPECIAL_VALUES]
        if act == "swiglu_oai":
            rows += OAI
        for v, g, note in rows:
            mine = glukit_values(act, v, g)
            theirs = torch_values(act, v, g)
            t = ", ".join(fmt(x) for x in theirs)
            if all(same(a, b) for a, b in zip(mine, theirs)):
                t = "same"
            print("| %s | f32 | %s | %s | %s | %s | %s | %s | %s |" %
                  (act, fmt(v), fmt(g), fmt(mine[0]), fmt(mine[1]), fmt(mine[2]), t, note))


if __name__ == "__main__":
    main()
