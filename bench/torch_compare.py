#!/usr/bin/python3
"""glukit against PyTorch, in one process, on the same tensors and threads.

    PYTHONPATH=python GLUKIT_LIBRARY=build/libglukit.so \\
        /usr/bin/python3 bench/torch_compare.py [--shape 4096x8192] [--json F]

For each shape, dtype, variant, direction and thread count, times glukit
through the Python package (out= preallocated, num_threads=n) and PyTorch's
ways of computing the same thing (torch.set_num_threads(n)), alternately,
and prints the median time per call and glukit's speedup over each.

What is timed on the PyTorch side (last axis, value first, gate second):
  glu fwd      aten.glu.out(x, -1, out=y)       preallocated, one kernel
               F.glu(x, -1)                     allocates y
  glu bwd      aten.glu_backward.grad_input(dy, x, -1, grad_input=dx)
               autograd of F.glu                torch.autograd.grad on a
                                                retained graph: the backward
                                                only, allocating as training does
  swiglu/geglu fwd
               act(g) * v                       the usual way: two allocations
               mul(act(g), v, out=y)            one temporary
               act.out(g, out=t); mul.out       no allocation (t preallocated)
               (an in-place act_(g) would overwrite X, so it is not the same
               operation; the .out form saves the same allocation)
  swiglu/geglu bwd
               autograd of act(g) * v           as above
               act.out, mul.out, act_backward.grad_input into the halves of a
               preallocated dx: PyTorch's own kernels, no allocation
  reglu        as swiglu/geglu with relu; its "relu.out" is clamp_min.out
               (relu has no out= form) and its backward threshold_backward
  bilinear fwd g * v; mul(g, v, out=y)
  bilinear bwd autograd of g * v; mul.out(dy, g), mul.out(dy, v) into dx
Contenders that allocate (F.glu, act(g)*v, mul(act(g),v,out=y), autograd)
are timed in a rotation of their own, the others (glukit among them) in
another: see run_case.
GB/s counts the bytes of X + Y (forward) or X + dY + dX (backward) for
every contender, whatever extra traffic its temporaries cause. Python call
overhead is in every number, so for tiny shapes (8x64) these measure call
overhead; `glukit bench` gives the C-level times.

PyTorch's OpenMP team (libgomp) spins, by default, for 300000 rounds (some
milliseconds here) after each parallel call before it sleeps. Timed
alternately, those spinning threads hold the cores that glukit's workers
need in the next batch (on 2 cores, glukit's two threads then ran no faster
than one). Unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set, or
--keep-omp-spin is given, this script sets GOMP_SPINCOUNT=10000 before
importing torch: a spin still long enough to bridge the gaps between
PyTorch's own back-to-back calls within a batch, short enough to end
before the next contender's batch. The setting is printed and recorded.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
import typing

if ("--keep-omp-spin" not in sys.argv and "OMP_WAIT_POLICY" not in os.environ
        and "GOMP_SPINCOUNT" not in os.environ):
    os.environ["GOMP_SPINCOUNT"] = "10000"

import torch  # noqa: E402  (after the OpenMP setting, which libgomp reads on load)
import torch.nn.functional as F  # noqa: E402

import glukit  # noqa: E402

aten = torch.ops.aten
DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16,
          "f64": torch.float64}
ACT_FNS = {"swiglu": (F.silu, aten.silu.out, aten.silu_backward.grad_input),
           "geglu": (F.gelu, aten.gelu.out, aten.gelu_backward.grad_input),
           # relu has no out= form: clamp_min.out is the same function
           "reglu": (F.relu, lambda g, out: torch.clamp_min(g, 0, out=out),
                     lambda t, g, grad_input: aten.threshold_backward.grad_input(
                         t, g, 0, grad_input=grad_input))}
BATCH_S = 0.002       # a repetition lasts about this long
ROW_BUDGET_S = 0.4    # automatic repetitions: about this per contender


class Contender(typing.NamedTuple):
    """One timed form: its name, the call, and whether the call allocates
    (and frees) a tensor of X's order (timed in a rotation of its own)."""
    name: str
    fn: typing.Callable
    allocates: bool = False


def allocating(name, fn):
    return Contender(name, fn, True)


def autograd_backward(make_y, x, dy):
    """The backward of make_y(x) alone: the graph is built once, retained."""
    xr = x.detach().requires_grad_()
    y = make_y(xr)
    return lambda: torch.autograd.grad(y, xr, dy, retain_graph=True)


def torch_contenders(act, backward, x, y, dy, dx):
    """PyTorch's Contenders; the first is the usual way to write it."""
    if act == "glu":
        if backward:
            return [Contender("glu_backward.grad_input",
                              lambda: aten.glu_backward.grad_input(dy, x, -1, grad_input=dx)),
                    allocating("autograd F.glu",
                               autograd_backward(lambda t: F.glu(t, -1), x, dy))]
        return [Contender("glu.out", lambda: aten.glu.out(x, -1, out=y)),
                allocating("F.glu", lambda: F.glu(x, -1))]
    if act == "bilinear":
        return bilinear_contenders(backward, x, y, dy, dx)
    fn, fn_out, fn_backward = ACT_FNS[act]
    name = fn.__name__
    v, g = x.chunk(2, dim=-1)
    t = torch.empty_like(y)
    if backward:
        dv, dg = dx.chunk(2, dim=-1)

        def composed():
            fn_out(g, out=t)
            torch.mul(dy, t, out=dv)
            torch.mul(dy, v, out=t)
            fn_backward(t, g, grad_input=dg)
        return [allocating("autograd %s(g)*v" % name,
                           autograd_backward(lambda r: fn(r.chunk(2, -1)[1]) * r.chunk(2, -1)[0],
                                             x, dy)),
                Contender("%s_backward composed, out=" % name, composed)]
    return [allocating("%s(g)*v" % name, lambda: fn(g) * v),
            allocating("mul(%s(g),v,out=y)" % name, lambda: torch.mul(fn(g), v, out=y)),
            Contender("%s.out+mul.out" % name, lambda: (fn_out(g, out=t), torch.mul(t, v, out=y)))]


def bilinear_contenders(backward, x, y, dy, dx):
    """y = v*g: no activation, two products backward."""
    v, g = x.chunk(2, dim=-1)
    if backward:
        dv, dg = dx.chunk(2, dim=-1)
        return [allocating("autograd g*v",
                           autograd_backward(lambda r: r.chunk(2, -1)[1] * r.chunk(2, -1)[0],
                                             x, dy)),
                Contender("mul.out twice",
                          lambda: (torch.mul(dy, g, out=dv), torch.mul(dy, v, out=dg)))]
    return [allocating("g*v", lambda: g * v),
            Contender("mul(g,v,out=y)", lambda: torch.mul(g, v, out=y))]


def per_call(fn, batch):
    start = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - start) / batch


def time_alternately(contenders, reps):
    """Median seconds per call of each contender, timed in rotating order."""
    batches = []
    for c in contenders:
        c.fn()  # warm-up: allocator, pages, thread pools
        once = per_call(c.fn, 1)
        batches.append(max(1, int(BATCH_S / once)) if once < BATCH_S else 1)
    if reps == 0:
        slowest = max(per_call(c.fn, b) * b for c, b in zip(contenders, batches))
        reps = min(21, max(3, int(ROW_BUDGET_S / slowest)))
    samples = [[] for _ in contenders]
    n = len(contenders)
    for r in range(reps):
        for k in range(n):
            i = (r + k) % n
            samples[i].append(per_call(contenders[i].fn, batches[i]))
    return [statistics.median(s) for s in samples], reps


def check_same_result(act, backward, ours, theirs, dtype):
    tol = 2e-2 if dtype in (torch.bfloat16, torch.float16) else 1e-4
    if not torch.allclose(ours.double(), theirs.double(), rtol=tol, atol=tol):
        raise SystemExit("glukit and PyTorch disagree on %s %s" %
                         (act, "backward" if backward else "forward"))


def run_case(shape, dtype_name, act, backward, threads, reps, tensors):
    x, y, dy, dx = tensors
    torch.set_num_threads(threads)
    if backward:
        ours = Contender("glukit",
                         lambda: glukit.backward(x, dy, act=act, out=dx, num_threads=threads))
    else:
        ours = Contender("glukit", lambda: glukit.forward(x, act=act, out=y, num_threads=threads))
    theirs = torch_contenders(act, backward, x, y, dy, dx)
    # Same operation? glukit writes y/dx; the first PyTorch form returns its own.
    ours.fn()
    mine = (dx if backward else y).clone()
    ref = theirs[0].fn()
    ref = ref[0] if isinstance(ref, tuple) else ref
    check_same_result(act, backward, mine, ref, x.dtype)
    everyone = [ours] + theirs
    timed = {}
    # The forms that allocate and free are timed apart from the rest: on
    # some machines (this project's VM) the calls right after a large tensor
    # is freed run several times slower, PyTorch's own kernels as much as
    # glukit's, and in one rotation that penalty lands on whichever
    # contender follows the allocating one. Apart, each allocating form
    # follows itself and pays its own, as it would in a training loop.
    for group in ([c for c in everyone if not c.allocates],
                  [c for c in everyone if c.allocates]):
        if group:
            times, group_reps = time_alternately(group, reps)
            for c, t in zip(group, times):
                timed[c.name] = (t, group_reps)
    nbytes = x.numel() * x.element_size() * (2.5 if backward else 1.5)
    rows = []
    for name in (c.name for c in everyone):
        t, r = timed[name]
        rows.append({"shape": list(shape), "dtype": dtype_name, "act": act,
                     "direction": "backward" if backward else "forward",
                     "threads": threads, "impl": name, "reps": r, "time_s": t,
                     "gbps": nbytes / t / 1e9, "glukit_speedup": t / timed["glukit"][0]})
    return rows


def fmt_time(s):
    return ("%.1f ns" % (s * 1e9) if s < 1e-6 else
            "%.2f us" % (s * 1e6) if s < 1e-3 else "%.2f ms" % (s * 1e3))


def print_rows(rows):
    for i, r in enumerate(rows):
        head = ("%-12s %-5s %-7s %-3s %3d" % ("x".join(map(str, r["shape"])), r["dtype"],
                r["act"], "bwd" if r["direction"] == "backward" else "fwd", r["threads"])) if i == 0 else " " * 34
        print("%s  %-32s %11s %7.1f %8s" % (head, r["impl"], fmt_time(r["time_s"]),
              r["gbps"], "-" if i == 0 else "%.2fx" % r["glukit_speedup"]), flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_list(text, conv=str):
    return [conv(t) for t in text.split(",") if t]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="8x64,256x4096,4096x8192,8192x28672",
                   help="comma list of RxC shapes of X")
    p.add_argument("--act", default="glu,swiglu,geglu")
    p.add_argument("--dtype", default="f32,bf16")
    p.add_argument("--threads", default="1,%d" % (os.cpu_count() or 1))
    p.add_argument("--direction", choices=("forward", "backward", "both"), default="both")
    p.add_argument("--reps", type=int, default=0, help="0: 3 to 21 by duration")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--keep-omp-spin", action="store_true",
                   help="leave libgomp's spin as it is (see the top of this file)")
    a = p.parse_args()
    shapes = [tuple(int(n) for n in s.split("x")) for s in parse_list(a.shape)]
    threads = sorted(set(parse_list(a.threads, int)))
    directions = [d for d in (False, True)
                  if a.direction == "both" or a.direction == ("backward" if d else "forward")]
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__,
               "glukit_version": glukit.version(),
               "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
               "openmp": " ".join("%s=%s" % (k, os.environ[k]) for k in
                                  ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ)
               or "libgomp defaults"}
    print("glukit %(glukit_version)s vs PyTorch %(torch)s, %(cpu)s, %(cores)d cores, "
          "%(date)s; PyTorch's OpenMP: %(openmp)s" % machine)
    print("GB/s: bytes of X + Y (fwd) or X + dY + dX (bwd) per second; last column: "
          "glukit's speedup over that row\n")
    results = []
    gen = torch.Generator().manual_seed(0)
    for shape in shapes:
        for dtype_name in parse_list(a.dtype):
            dtype = DTYPES[dtype_name]
            half = shape[:-1] + (shape[-1] // 2,)
            x = torch.randn(shape, generator=gen).to(dtype)
            y = torch.empty(half, dtype=dtype)
            dy = torch.randn(half, generator=gen).to(dtype)
            dx = torch.empty(shape, dtype=dtype)
            for backward in directions:
                for act in parse_list(a.act):
                    for n in threads:
                        rows = run_case(shape, dtype_name, act, backward, n, a.reps,
                                        (x, y, dy, dx))
                        print_rows(rows)
                        results += rows
            del x, y, dy, dx
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
