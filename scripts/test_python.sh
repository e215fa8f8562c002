#!/usr/bin/env bash
# The CLI and Python tests (pytest + hypothesis, against PyTorch) for a
# build folder:   scripts/test_python.sh BUILD_DIR
# Uses Debian's /usr/bin/python3: the python3 first on PATH may be another
# build that does not see python3-numpy, python3-torch, python3-pytest and
# python3-hypothesis.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: scripts/test_python.sh BUILD_DIR}" && pwd)"

lib="$build/libglukit.so"
[[ -e $lib ]] || lib="$(find "$build" -name libglukit.so -print -quit)"
cli="$build/tools/glukit"
for f in "$lib" "$cli"; do
  [[ -n $f && -e $f ]] || { echo "error: no ${f:-libglukit.so} in $build; build it first" >&2; exit 1; }
done

cd "$root"
export PYTHONPATH="$root/python" GLUKIT_LIBRARY="$lib" GLUKIT_CLI="$cli"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python tests/cli
