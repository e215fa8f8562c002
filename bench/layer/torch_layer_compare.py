#!/usr/bin/python3
"""PyTorch's composition of the GLU feed-forward block, timed like
glukit_bench_layer (which runs this script with --torch):

    z = F.linear(x, w_up)            # tokens x 2*hidden, [value | gate]
    v, g = z.chunk(2, -1)
    y = F.linear(act(g) * v, w_down)

f32, no biases, median of --reps after a warm-up, torch.set_num_threads(n).
The backward is autograd's: median(forward + backward) - median(forward
with autograd on). Extra memory: the intermediates alive at the forward's
peak (z, act(g) and the product: 4 * tokens * hidden floats).
"""
import argparse
import ctypes
import time

import torch
import torch.nn.functional as F

ACTS = {
    "glu": torch.sigmoid,
    "swiglu": F.silu,
    "geglu": F.gelu,
    "geglu_tanh": lambda g: F.gelu(g, approximate="tanh"),
    "geglu_quick": lambda g: g * torch.sigmoid(1.702 * g),
    "reglu": F.relu,
    "bilinear": lambda g: g,
}


def block(x, w_up, w_down, act):
    v, g = F.linear(x, w_up).chunk(2, -1)
    return F.linear(act(g) * v, w_down)


def blas_threads():
    """OpenBLAS keeps its own thread count, apart from torch.set_num_threads;
    Debian's torch calls it through libblas.so.3. Returns its setter."""
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            return ctypes.CDLL(name).openblas_set_num_threads
        except (OSError, AttributeError):
            pass
    return lambda n: None


def median_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1e3 * times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="512x1024x2816,64x256x704")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--act", default="swiglu", choices=sorted(ACTS))
    a = ap.parse_args()
    act = ACTS[a.act]
    set_blas_threads = blas_threads()
    print(f"PyTorch {torch.__version__} composition, f32, {a.act}")
    for shape in a.shapes.split(","):
        t, d, h = (int(n) for n in shape.split("x"))
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(t, d, generator=gen)
        w_up = torch.randn(2 * h, d, generator=gen) / 32  # nn.Linear layout
        w_down = torch.randn(d, h, generator=gen) / 32
        dy = torch.randn(t, d, generator=gen)
        extra_mib = 4 * t * h * 4 / 2**20
        for n in (int(s) for s in a.threads.split(",")):
            torch.set_num_threads(n)
            set_blas_threads(n)
            with torch.no_grad():
                fwd = median_ms(lambda: block(x, w_up, w_down, act), a.reps)
            xs, wu, wd = (p.clone().requires_grad_() for p in (x, w_up, w_down))
            fwd_ag = median_ms(lambda: block(xs, wu, wd, act), a.reps)
            both = median_ms(lambda: block(xs, wu, wd, act).backward(dy), a.reps)
            print(f"{shape:<16} {n:3d} {'torch':<8} {fwd:10.2f} "
                  f"{both - fwd_ag:10.2f} {extra_mib:14.3f}", flush=True)


if __name__ == "__main__":
    main()
