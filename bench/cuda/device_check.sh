#!/usr/bin/env bash
# One call on a GPU machine (H100/H200; CMake, nvcc, PyTorch, no network):
#   1. configure + build (Release, nvcc, sm_90 + PTX) in build-device/
#   2. the CUDA tests, including the > 2^31-element bf16 case
#   3. compute-sanitizer memcheck over a reduced test run (when present)
#   4. the benchmark (glukit vs a device-to-device copy)
#   5. the PyTorch comparison (when python3 can import torch)
# and prints a short markdown summary last. Every step has a time limit and
# the whole script stays under ~9 minutes (usually about 4). Logs, JSON and
# summary.md go to $OUT (or build-device/out). Exit status: 0 when the
# tests (and memcheck, when run) passed, 1 otherwise.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${GLUKIT_DEVICE_BUILD:-$root/build-device}
out=${OUT:-$build/out}
mkdir -p "$out"
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
[ -x "$nvcc" ] || nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
jobs=${GLUKIT_DEVICE_JOBS:-$(nproc 2>/dev/null || echo 8)}
t0=$(date +%s)
budget=${GLUKIT_DEVICE_BUDGET_S:-540}

left() { echo $((budget - ($(date +%s) - t0))); }
# step NAME LIMIT_S LOG CMD...: runs CMD with the smaller of LIMIT_S and the
# time left, output to LOG; records "NAME status seconds" in steps.txt.
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local l
  l=$(left)
  [ "$l" -lt "$limit" ] && limit=$l
  if [ "$limit" -le 5 ]; then
    echo "$name skipped (no time left)" | tee -a "$out/steps.txt"
    return 124
  fi
  local s=$(date +%s)
  echo "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
  local rc=$?
  echo "$name rc=$rc $(( $(date +%s) - s ))s" | tee -a "$out/steps.txt"
  return $rc
}

: >"$out/steps.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (dirty)')"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1
  "$nvcc" --version 2>&1 | tail -2
  cmake --version | head -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1
} >"$out/machine.txt"
cat "$out/machine.txt"

# 1. build: the shared library (for torch_compare), the test, the benchmark
step configure 120 "$out/configure.log" \
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGLUKIT_CUDA=ON \
    -DCMAKE_CUDA_COMPILER="$nvcc" "-DCMAKE_CUDA_ARCHITECTURES=90-real;90-virtual" \
    -DGLUKIT_BUILD_TESTS=ON
step build 300 "$out/build.log" \
  cmake --build "$build" -j "$jobs" --target glukit test_cuda glukit_cuda_bench
build_rc=$?
if [ $build_rc -ne 0 ]; then
  tail -40 "$out/build.log"
  echo "BUILD FAILED: see $out/build.log"
  exit 1
fi
test_bin=$build/tests/cuda/test_cuda
bench_bin=$build/bench/cuda/glukit_cuda_bench

# 2. the tests, the big case included
GLUKIT_CUDA_TEST_BIG=1 step test_cuda 300 "$out/test_cuda.log" "$test_bin"
test_rc=$?
tail -25 "$out/test_cuda.log"

# 3. memcheck on the reduced list
san=$(command -v compute-sanitizer || true)
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$san" ] && [ -x "$c" ] && san=$c
done
san_rc=skipped
if [ -n "$san" ]; then
  GLUKIT_CUDA_TEST_QUICK=1 step memcheck 180 "$out/memcheck.log" \
    "$san" --tool memcheck --leak-check no --error-exitcode 99 "$test_bin"
  san_rc=$?
  tail -5 "$out/memcheck.log"
else
  echo "compute-sanitizer not found: memcheck skipped" | tee -a "$out/steps.txt"
fi

# 4. the benchmark
step bench 180 "$out/bench.md" "$bench_bin" --json "$out/bench.json"
bench_rc=$?

# 5. PyTorch in the same process as glukit
torch_rc=skipped
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  GLUKIT_LIBRARY=$build/libglukit.so step torch_compare 180 "$out/torch.md" \
    python3 "$root/bench/cuda/torch_compare.py" --json "$out/torch.json"
  torch_rc=$?
else
  echo "python3 cannot use torch with CUDA: torch_compare skipped" | tee -a "$out/steps.txt"
fi

# summary, last
python3 - "$out" "$test_rc" "$san_rc" "$bench_rc" "$torch_rc" <<'EOF' >"$out/summary.md" 2>&1 || true
import json, os, sys
out, test_rc, san_rc, bench_rc, torch_rc = sys.argv[1:6]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception:
        return None
def verdict(rc):
    return {"0": "pass", "skipped": "skipped", "77": "skipped (77)", "124": "TIMEOUT"}.get(rc, f"FAIL (rc {rc})")
machine = open(os.path.join(out, "machine.txt")).read().splitlines()
print("## glukit CUDA device check\n")
for line in machine[:3]:
    print(f"    {line}")
print(f"\ntest_cuda (incl. bf16 65537x32768): {verdict(test_rc)}; memcheck: {verdict(san_rc)}; "
      f"bench: {verdict(bench_rc)}; torch_compare: {verdict(torch_rc)}\n")
b = load("bench.json")
if b:
    print(f"Bandwidth as % of a device-to-device copy of the same bytes ({b['device']}); "
          "target fwd >= 90%, bwd >= 85%:\n")
    print("| shape | dtype | layout | glu fwd | swiglu fwd | geglu fwd | glu bwd | swiglu bwd | geglu bwd | copy TB/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    keys = {}
    for r in b["results"]:
        keys.setdefault((r["rows"], r["cols"], r["dtype"], r["layout"]), {})[(r["act"], r["dir"])] = r
    for (R, C, dt, lay), d in keys.items():
        cells = []
        for dr in ("fwd", "bwd"):
            for act in ("glu", "swiglu", "geglu"):
                r = d.get((act, dr))
                cells.append(f"{100 * r['ratio_to_copy']:.0f}%" if r else "-")
        copy = max(r["copy_tbps"] for r in d.values())
        print(f"| {R}x{C} | {dt} | {lay} | " + " | ".join(cells) + f" | {copy:.2f} |")
t = load("torch.json")
if t:
    print(f"\nglukit vs PyTorch {t['torch']} (speed-up = torch time / glukit time); "
          "targets: bf16 glu >= 1.9x F.glu, 4096x512 f32 glu >= 3x:\n")
    print("| shape | dtype | op | glukit us | torch us | torch op | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for r in t["results"]:
        print(f"| {r['rows']}x{r['cols']} | {r['dtype']} | {r['op']} | {r['glukit_us']:.1f} | "
              f"{r['torch_us']:.1f} | {r['torch_op']} | {r['speedup']:.2f}x |")
EOF
echo "total $(( $(date +%s) - t0 ))s; files in $out"
echo
cat "$out/summary.md"
ok=1
[ "$test_rc" = 0 ] || ok=0
case $san_rc in 0|skipped) ;; *) ok=0 ;; esac
[ $ok = 1 ] && exit 0 || exit 1
