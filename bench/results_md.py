#!/usr/bin/python3
"""Markdown tables and the ISSUE 4 target checks from the JSON of
`glukit bench --json` and `bench/torch_compare.py --json`.

    /usr/bin/python3 bench/results_md.py BENCH.json TORCH.json > RESULTS.md
    /usr/bin/python3 bench/results_md.py --summary BENCH.json TORCH.json

--summary prints only the short tables for the README.
"""
import json
import sys

LARGE = ([4096, 8192], [8192, 28672])
L2_SHAPE = [256, 4096]
ACTS = ("glu", "swiglu", "geglu")


def shape_text(shape):
    return "×".join(map(str, shape))


def dir_text(direction):
    return "bwd" if direction == "backward" else "fwd"


def fmt_time(ns):
    return ("%.0f ns" % ns if ns < 1e3 else "%.1f µs" % (ns / 1e3) if ns < 1e6
            else "%.2f ms" % (ns / 1e6))


def bench_table(rows, only=None):
    out = ["| shape | dtype | act | dir | threads | time/call | GB/s | stream GB/s, "
           "plain / streaming stores | of the faster stream |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if only and not only(r):
            continue
        nt = r["stream_nt_gbps"]
        out.append("| %s | %s | %s | %s | %d | %s | %.1f | %.1f / %s | %.0f%% |" % (
            shape_text(r["shape"]), r["dtype"], r["act"], dir_text(r["direction"]),
            r["threads"], fmt_time(r["time_ns"]), r["gbps"], r["stream_plain_gbps"],
            "-" if nt is None else "%.1f" % nt, 100 * r["ratio_to_stream"]))
    return out


def torch_groups(rows):
    """{(shape, dtype, act, direction, threads): {impl: row}}"""
    groups = {}
    for r in rows:
        key = (tuple(r["shape"]), r["dtype"], r["act"], r["direction"], r["threads"])
        groups.setdefault(key, {})[r["impl"]] = r
    return groups


def torch_table(rows, only=None):
    out = ["| shape | dtype | act | dir | threads | glukit | PyTorch, usual form | "
           "speedup | PyTorch, fastest form | speedup |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for key, impls in torch_groups(rows).items():
        if only and not only(key):
            continue
        ours = impls["glukit"]
        theirs = [r for name, r in impls.items() if name != "glukit"]
        usual, best = theirs[0], min(theirs, key=lambda r: r["time_s"])
        out.append("| %s | %s | %s | %s | %d | %s | `%s` %s | %.2f× | `%s` %s | %.2f× |" % (
            shape_text(key[0]), key[1], key[2], dir_text(key[3]), key[4],
            fmt_time(ours["time_s"] * 1e9), usual["impl"], fmt_time(usual["time_s"] * 1e9),
            usual["glukit_speedup"], best["impl"], fmt_time(best["time_s"] * 1e9),
            best["glukit_speedup"]))
    return out


def verdict(ok):
    return "**met**" if ok else "**not met**"


def targets(bench, torch_rows):
    """One line per ISSUE 4 target: what it asks, what was measured."""
    lines = ["| target | measured | |", "|---|---|---|"]

    def ratios(direction):
        return [r for r in bench if r["shape"] in LARGE and r["act"] in ACTS
                and r["direction"] == direction and r["dtype"] in ("f32", "bf16")]
    for direction, goal in (("forward", 0.90), ("backward", 0.85)):
        rs = ratios(direction)
        if rs:
            worst = min(rs, key=lambda r: r["ratio_to_stream"])
            met = sum(r["ratio_to_stream"] >= goal for r in rs)
            # Against the ordinary-store stream too: the part of the gap that
            # streaming stores would close.
            plain = min(r["gbps"] / r["stream_plain_gbps"] for r in rs)
            lines.append("| large shapes, %s, glu/swiglu/geglu, f32+bf16, 1 and all "
                         "threads: ≥ %.0f%% of the stream | %d of %d rows; lowest %.0f%% "
                         "(%s %s %s, %d thr); lowest %.0f%% of the plain-store stream "
                         "| %s |" % (
                             direction, 100 * goal, met, len(rs),
                             100 * worst["ratio_to_stream"], shape_text(worst["shape"]),
                             worst["dtype"], worst["act"], worst["threads"], 100 * plain,
                             verdict(met == len(rs))))
    groups = torch_groups(torch_rows)

    def speedups(shapes, dtype, act, impl):
        return [(k, g[impl]["glukit_speedup"]) for k, g in groups.items()
                if list(k[0]) in shapes and k[1] == dtype and k[2] == act
                and k[3] == "forward" and k[4] == 1 and impl in g]
    checks = (("f32 forward glu, 1 thread, vs `glu.out`", LARGE, "f32", "glu", "glu.out", 2.2),
              ("bf16 forward glu, 1 thread, vs `glu.out`", LARGE, "bf16", "glu", "glu.out", 4),
              ("swiglu f32 forward, 1 thread, vs `silu(g)*v`", LARGE, "f32", "swiglu",
               "silu(g)*v", 7),
              ("256×4096 f32 forward glu, 1 thread, vs `glu.out`", [L2_SHAPE], "f32", "glu",
               "glu.out", 3))
    for what, shapes, dtype, act, impl, goal in checks:
        got = speedups(shapes, dtype, act, impl)
        if got:
            lo = min(s for _, s in got)
            lines.append("| %s: ≥ %g× | %s | %s |" % (
                what, goal, ", ".join("%.2f× (%s)" % (s, shape_text(k[0])) for k, s in got),
                verdict(lo >= goal)))
    small = [r for r in bench if r["shape"] == [8, 64]]
    if small:
        slow = max(small, key=lambda r: r["time_ns"])
        fast = min(small, key=lambda r: r["time_ns"])
        lines.append("| 8×64 calls under 150 ns | %s to %s (slowest: %s %s %s) | %s |" % (
            fmt_time(fast["time_ns"]), fmt_time(slow["time_ns"]), slow["dtype"],
            slow["act"], dir_text(slow["direction"]),
            verdict(slow["time_ns"] < 150)))
    return lines


def main(argv):
    summary = argv[:1] == ["--summary"]
    paths = argv[1:] if summary else argv
    if len(paths) != 2:
        sys.exit(__doc__)
    with open(paths[0]) as f:
        bench = json.load(f)
    with open(paths[1]) as f:
        torch_doc = json.load(f)
    m, t = bench["machine"], torch_doc["machine"]
    out = ["Machine: %s, %d cores; glukit %s, kernels `%s`; PyTorch %s. "
           "`glukit bench` %s, torch_compare %s (PyTorch's OpenMP: %s)." % (
               m["cpu"], m["cores"], m["glukit_version"], m["isa"], t["torch"], m["date"],
               t["date"], t.get("openmp", "libgomp defaults")), ""]
    out += targets(bench["results"], torch_doc["results"]) + [""]
    if summary:
        big = lambda r: r["shape"] in LARGE[1:] or r["shape"] == [8, 64] and r["threads"] == 1
        out += bench_table(bench["results"], big) + [""]
        out += torch_table(torch_doc["results"],
                           lambda k: k[4] == 1 and list(k[0]) in (LARGE[1], L2_SHAPE)
                           and k[3] == "forward")
    else:
        out += ["### `%s`" % m["command"], ""] + bench_table(bench["results"]) + [""]
        out += ["### `bench/torch_compare.py`", ""] + torch_table(torch_doc["results"])
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
