#!/usr/bin/env python3
"""glukit's CUDA kernels against PyTorch on the same tensors, in one process.

glukit is called through ctypes (libglukit.so, GLUKIT_LIBRARY or
build-device/libglukit.so) with device pointers of torch tensors and
torch's current stream. Timed with CUDA events: each measurement is a
batch of calls captured in a CUDA graph (launch overhead of Python, ctypes
and eager PyTorch excluded alike; eager batches if capture fails), the
median of --reps replays after warm-up. Inputs: fresh torch.randn (never
exactly zero in practice). Compared, on the last axis of R x C:
  glu     glukit  vs  F.glu(x, -1)                   (and a copy of the same bytes)
  swiglu  glukit  vs  F.silu(x[..., H:]) * x[..., :H] (eager)
  geglu   glukit  vs  F.gelu(x[..., H:]) * x[..., :H] (eager)
  glu backward: glukit vs torch.ops.aten.glu_backward
Usage: torch_compare.py [--shape RxC]... [--dtypes bf16,f16,f32] [--reps N]
                        [--json FILE]
"""
import argparse
import ctypes
import json
import os
import statistics
import sys

import torch
import torch.nn.functional as F

MAX_RANK = 8
DTYPES = {"f32": (0, torch.float32), "f64": (1, torch.float64),
          "f16": (2, torch.float16), "bf16": (3, torch.bfloat16)}
ACTS = {"glu": 0, "swiglu": 1, "geglu": 2}
DEVICE_CUDA = 1


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.c_int64 * MAX_RANK),
                ("strides", ctypes.c_int64 * MAX_RANK)]


class Options(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("act", ctypes.c_int),
                ("layout", ctypes.c_int), ("gate", ctypes.c_int),
                ("dim", ctypes.c_int32), ("accumulate", ctypes.c_int32),
                ("alpha", ctypes.c_double), ("limit", ctypes.c_double),
                ("isa", ctypes.c_int), ("num_threads", ctypes.c_int32),
                ("device", ctypes.c_int), ("cuda_stream", ctypes.c_void_p)]


def load_lib():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.environ.get("GLUKIT_LIBRARY") or os.path.join(
        here, "..", "..", "build-device", "libglukit.so")
    lib = ctypes.CDLL(path)
    P = ctypes.POINTER
    lib.glk_options_init_sized.argtypes = [P(Options), ctypes.c_size_t]
    lib.glk_forward.argtypes = [P(Tensor), P(Tensor), P(Options)]
    lib.glk_backward.argtypes = [P(Tensor), P(Tensor), P(Tensor), P(Options)]
    lib.glk_last_error.restype = ctypes.c_char_p
    lib.glk_cuda_available.restype = ctypes.c_int
    return lib, path


def tensor_of(t, code):
    d = Tensor()
    d.data = t.data_ptr()
    d.dtype = code
    d.rank = t.dim()
    for i, (n, s) in enumerate(zip(t.shape, t.stride())):
        d.shape[i] = n
        d.strides[i] = s
    return d


def time_us(fn, reps, warmup=3):
    """Median microseconds per call; ('graph'|'eager', us)."""
    stream = torch.cuda.current_stream()
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    # batch: enough calls for ~0.5 ms of device time
    batch = 1
    while True:
        start.record()
        for _ in range(batch):
            fn()
        end.record()
        end.synchronize()
        if start.elapsed_time(end) >= 0.5 or batch >= 1024:
            break
        batch *= 2
    mode, run = "eager", None
    try:
        side = torch.cuda.Stream()
        side.wait_stream(stream)
        with torch.cuda.stream(side):
            fn()  # warm-up on the side stream before capture
        stream.wait_stream(side)
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(batch):
                fn()
        run, mode = graph.replay, "graph"
    except Exception as exc:  # capture unsupported: eager batches
        print(f"  (graph capture failed: {exc}; eager timing)", file=sys.stderr)
        torch.cuda.synchronize()

        def run():
            for _ in range(batch):
                fn()
    for _ in range(warmup):
        run()
    times = []
    for _ in range(reps):
        start.record()
        run()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / batch)
    return mode, statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", action="append")
    ap.add_argument("--dtypes", default="bf16,f16,f32")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json")
    args = ap.parse_args()
    shapes = [tuple(int(v) for v in s.split("x")) for s in (args.shape or ["8192x28672", "4096x512"])]
    if not torch.cuda.is_available():
        print("torch_compare: torch sees no CUDA device", file=sys.stderr)
        return 77
    lib, path = load_lib()
    if not lib.glk_cuda_available():
        print(f"torch_compare: {path} has no usable CUDA backend", file=sys.stderr)
        return 77
    dev = torch.device("cuda")
    name = torch.cuda.get_device_name(dev)
    print(f"# glukit vs PyTorch {torch.__version__} on {name} (median of {args.reps})\n")
    print("| shape | dtype | op | glukit us | torch us | torch op | speed-up | glukit TB/s | copy TB/s | glukit % of copy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for (R, C) in shapes:
        H = C // 2
        for dname in args.dtypes.split(","):
            code, tdt = DTYPES[dname]
            es = torch.empty((), dtype=tdt).element_size()
            x = torch.randn(R, C, device=dev, dtype=tdt)
            y = torch.empty(R, H, device=dev, dtype=tdt)
            dy = torch.randn(R, H, device=dev, dtype=tdt)
            dx = torch.empty(R, C, device=dev, dtype=tdt)
            tx, ty, tdy, tdx = (tensor_of(t, code) for t in (x, y, dy, dx))
            fwd_bytes = (R * C + R * H) * es
            bwd_bytes = (2 * R * C + R * H) * es
            src = torch.empty(fwd_bytes // 2 // es + 1, device=dev, dtype=tdt)
            dst = torch.empty_like(src)
            src2 = torch.empty(bwd_bytes // 2 // es + 1, device=dev, dtype=tdt)
            dst2 = torch.empty_like(src2)
            _, copy_f = time_us(lambda: dst.copy_(src), args.reps)
            _, copy_b = time_us(lambda: dst2.copy_(src2), args.reps)
            copy_f_tbps = fwd_bytes / (copy_f * 1e-6) / 1e12
            copy_b_tbps = bwd_bytes / (copy_b * 1e-6) / 1e12
            for act, acode in ACTS.items():
                for backward in ((False, True) if act == "glu" else (False,)):
                    opt = Options()
                    lib.glk_options_init_sized(ctypes.byref(opt), ctypes.sizeof(Options))
                    opt.act = acode
                    opt.device = DEVICE_CUDA

                    def glukit_call(opt=opt, backward=backward):
                        opt.cuda_stream = torch.cuda.current_stream().cuda_stream
                        st = (lib.glk_backward(ctypes.byref(tx), ctypes.byref(tdy), ctypes.byref(tdx), ctypes.byref(opt))
                              if backward else
                              lib.glk_forward(ctypes.byref(tx), ctypes.byref(ty), ctypes.byref(opt)))
                        if st:
                            raise RuntimeError(f"glukit status {st}: {lib.glk_last_error().decode()}")

                    if backward:
                        torch_name = "aten.glu_backward"
                        torch_fn = lambda: torch.ops.aten.glu_backward(dy, x, -1)
                    elif act == "glu":
                        torch_name = "F.glu"
                        torch_fn = lambda: F.glu(x, -1)
                    elif act == "swiglu":
                        torch_name = "silu(g)*v"
                        torch_fn = lambda: F.silu(x[..., H:]) * x[..., :H]
                    else:
                        torch_name = "gelu(g)*v"
                        torch_fn = lambda: F.gelu(x[..., H:]) * x[..., :H]
                    # agreement (loose: PyTorch rounds differently)
                    glukit_call()
                    ref = torch_fn()
                    got = dx if backward else y
                    torch.cuda.synchronize()
                    err = ((got.float() - ref.float()).abs() / (ref.float().abs() + 1e-3)).max().item()
                    mode_g, us_g = time_us(glukit_call, args.reps)
                    mode_t, us_t = time_us(torch_fn, args.reps)
                    nbytes = bwd_bytes if backward else fwd_bytes
                    copy_tbps = copy_b_tbps if backward else copy_f_tbps
                    tbps = nbytes / (us_g * 1e-6) / 1e12
                    op = act + (" bwd" if backward else "")
                    print(f"| {R}x{C} | {dname} | {op} | {us_g:.1f} | {us_t:.1f} | {torch_name} | "
                          f"{us_t / us_g:.2f}x | {tbps:.3f} | {copy_tbps:.3f} | {100 * tbps / copy_tbps:.1f}% |",
                          flush=True)
                    rows.append(dict(rows=R, cols=C, dtype=dname, op=op, glukit_us=us_g, torch_us=us_t,
                                     torch_op=torch_name, speedup=us_t / us_g, glukit_tbps=tbps,
                                     copy_tbps=copy_tbps, ratio_to_copy=tbps / copy_tbps,
                                     timing=f"{mode_g}/{mode_t}", max_rel_diff_vs_torch=err))
            del x, y, dy, dx, src, dst, src2, dst2
            torch.cuda.empty_cache()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": name, "torch": torch.__version__, "library": path, "results": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
