#!/usr/bin/env bash
# Reproduces bench/RESULTS-cpu.md on this machine:
#     bench/run_cpu.sh BUILD_DIR
# runs `glukit bench` (default shapes, dtypes, variants, 1 and all threads)
# and bench/torch_compare.py, keeps their JSON in bench/results/, and writes
# the tables. Run it on a quiet machine: both compare medians of timings
# taken in the same run, but a busy core still skews them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: bench/run_cpu.sh BUILD_DIR}" && pwd)"
out="$root/bench/results"
mkdir -p "$out"
"$build/tools/glukit" bench --json "$out/cpu-bench.json"
PYTHONPATH="$root/python" GLUKIT_LIBRARY="$build/libglukit.so" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 "$root/bench/torch_compare.py" --json "$out/cpu-torch.json"
/usr/bin/python3 "$root/bench/results_md.py" "$out/cpu-bench.json" "$out/cpu-torch.json" \
  > "$out/cpu-tables.md"
echo "wrote bench/results/cpu-tables.md"
