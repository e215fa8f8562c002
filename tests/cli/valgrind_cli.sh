#!/usr/bin/env bash
# valgrind memcheck over the glukit CLI on a few real .npy files: forward
# and backward, f32/f64/f16, C and Fortran order, big-endian, an error path.
# Usage: tests/cli/valgrind_cli.sh BUILD_DIR   (needs valgrind and numpy)
set -euo pipefail
cli=$(realpath "$1")/tools/glukit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
/usr/bin/python3 - <<'PY'
import numpy as np
r = np.random.default_rng(5)
np.save("x32.npy", r.standard_normal((3, 16)).astype("<f4"))
np.save("dy32.npy", r.standard_normal((3, 8)).astype("<f4"))
np.save("x64f.npy", np.asfortranarray(r.standard_normal((6, 4))))
np.save("x16.npy", r.standard_normal((2, 10)).astype(np.float16))
np.save("xbe.npy", r.standard_normal((4, 4)).astype(">f4"))
open("bad.npy", "wb").write(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'")
PY
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
run() { # expected status, then the CLI arguments
  local want=$1 rc=0; shift
  "${vg[@]}" "$cli" "$@" >/dev/null 2>"err.txt" || rc=$?
  if [[ $rc == 99 || ($want == 0 && $rc != 0) || ($want != 0 && $rc == 0) ]]; then
    echo "valgrind_cli: glukit $* exited $rc" >&2; cat err.txt >&2; exit 1
  fi
}
run 0 forward --act swiglu x32.npy y.npy
run 0 backward --act geglu x32.npy dy32.npy dx.npy
run 0 forward --act glu --dim 0 x64f.npy y64.npy
run 0 forward --act geglu_tanh x16.npy y16.npy
run 0 forward xbe.npy ybe.npy
run 1 forward bad.npy ybad.npy
run 1 forward missing.npy ymissing.npy
echo "valgrind_cli: 7 runs clean"
