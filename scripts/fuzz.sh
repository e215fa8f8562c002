#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (library instrumented too, under
# ASan + UBSan) in build-fuzz and runs each for SECONDS (default 60):
#   fuzz_api  the public API (tests/fuzz/fuzz_api.c), seeds tests/fuzz/corpus_api
#   fuzz_npy  the .npy reader (tools/fuzz_npy.c),    seeds tests/fuzz/corpus_npy
# New inputs go to build-fuzz/corpus_*, crashes to build-fuzz/crash-*; a crash
# is replayed with  build-fuzz/tests/fuzz/fuzz_api FILE  (GLUKIT_FUZZ_VERBOSE=1
# prints the call) and, once understood, committed to the seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
# README's known SIMD limits (see tests/fuzz/CMakeLists.txt).
export GLUKIT_FUZZ_WAIVE=${GLUKIT_FUZZ_WAIVE-product}

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLUKIT_CUDA=OFF \
  -DGLUKIT_FUZZ=ON -DGLUKIT_BUILD_LAYER=OFF \
  "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
  >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_api fuzz_npy

for t in api npy; do
  work=build-fuzz/corpus_$t
  mkdir -p "$work"
  bin=build-fuzz/tests/fuzz/fuzz_$t
  [[ $t == npy ]] && bin=build-fuzz/tools/fuzz_npy
  echo "== fuzz_$t for ${seconds}s"
  "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix=build-fuzz/crash-$t- "$work" tests/fuzz/corpus_$t 2>&1 |
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|ERROR|SUMMARY|fuzz_api:" || true
  # libFuzzer exits non-zero on a crash; the pipe hides it, so look again
  if compgen -G "build-fuzz/crash-$t-*" >/dev/null; then
    echo "fuzz_$t found a crash: $(ls build-fuzz/crash-$t-*)" >&2
    exit 1
  fi
done
