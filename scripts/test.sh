#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs the Debian
# packages it needs (as root), then
#   1. a release build: every C test under ctest (cmocka), packaging tests
#      (with GLUKIT_SCALE=1 also the 2^31-element test_scale, 11 GB);
#   2. a debug build under AddressSanitizer + UBSan: the C tests again;
#   3. the CLI and Python tests (pytest + hypothesis, against PyTorch);
#   4. an AArch64 cross build whose C tests run under qemu-aarch64 (NEON).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make gcc libc6-dev binutils pkgconf libcmocka-dev
          python3-numpy python3-torch python3-pytest python3-hypothesis
          libopenblas-dev zlib1g-dev python3-sklearn python3-scipy python3-mpmath
          gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libcmocka-dev:arm64 libmpfr-dev:arm64
          valgrind clang libclang-rt-14-dev libmpfr-dev libsleef-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages and not root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # arm64 packages (cmocka and MPFR for the cross-built tests) come from multiarch
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
# Each stage's heading says when it started: CI must stay under 30 minutes.
stage() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

stage "release build"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-test -j "$jobs"
(cd build-test && ctest --output-on-failure -j "$jobs")

stage "debug build with AddressSanitizer + UBSan"
# CUDA code is compiled once, in the release build; the sanitizer builds
# check the C library.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGLUKIT_SANITIZE=ON -DGLUKIT_CUDA=OFF >/dev/null
cmake --build build-asan -j "$jobs"
# The 4 GiB test ran in the release build; under ASan it would take minutes.
(cd build-asan && GLUKIT_SKIP_LARGE=1 ctest --output-on-failure -j "$jobs")

if [[ -x scripts/test_python.sh ]]; then
  stage "CLI and Python tests"
  scripts/test_python.sh build-test
fi

# test_numerics_neon and test_determinism_neon (against the AVX-512
# digests) run here too, as every registered per-ISA test does, and
# accuracy_reduced: NEON's errors against MPFR (libmpfr-dev:arm64), with
# --check, on every 17th f16/bf16 pattern (about a minute under qemu).
stage "AArch64 cross build, C tests under qemu-aarch64 (NEON)"
# GLUKIT_CUDA=OFF: CUDA's AUTO would find the host's nvcc and link the
# aarch64 tests with the host's g++.
cmake -S . -B build-arm64 -DCMAKE_BUILD_TYPE=Release -DGLUKIT_CUDA=OFF \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake >/dev/null
cmake --build build-arm64 -j "$jobs"
(cd build-arm64 && GLUKIT_SKIP_LARGE=1 ctest --output-on-failure -j "$jobs")

stage "ThreadSanitizer: the threaded paths"
# The scalar kernels alone (GLUKIT_SIMD=OFF): the pool and the walk are
# every ISA's, and the SIMD units took six minutes to build here.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLUKIT_CUDA=OFF -DGLUKIT_SIMD=OFF \
  -DCMAKE_C_FLAGS=-fsanitize=thread -DGLUKIT_BUILD_LAYER=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target test_threads test_matrix test_api
(cd build-tsan && ctest --output-on-failure -R 'test_threads|test_matrix$|test_api$')

stage "valgrind memcheck over the CLI"
tests/cli/valgrind_cli.sh build-test

stage "libFuzzer: each target for 60 s, then the seed corpora replayed"
scripts/fuzz.sh 60
(cd build-fuzz && ctest --output-on-failure -R 'fuzz_')
stage "done"
