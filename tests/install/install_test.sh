#!/usr/bin/env bash
# Install a built glukit into a scratch prefix, check the installed tree, then
# consume it the ways a user would: CMake find_package (shared and static
# targets) and pkg-config (shared, and static through --static).
#
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
# Exit status: 0 pass, 77 skipped (sanitizer build), anything else failure.
set -euo pipefail

me=install_test
die() { echo "$me: FAIL: $*" >&2; exit 1; }
step() { echo "$me: $*"; }

[ $# -eq 2 ] || die "usage: $0 BUILD_DIR SOURCE_DIR"
build=$(cd "$1" 2>/dev/null && pwd -P) || die "no build dir '$1'"
src=$(cd "$2" 2>/dev/null && pwd -P) || die "no source dir '$2'"
example=$src/examples/swiglu_example.c
[ -f "$example" ] || die "missing $example"
[ -f "$build/CMakeCache.txt" ] || die "$build is not a configured CMake build"
cc=${CC:-cc}

# A sanitizer build installs instrumented libraries that plain consumers
# cannot link (and ASan cannot link -static): skip, as ctest code 77.
if grep -qiE '^GLUKIT_SANITIZE:BOOL=(ON|1|TRUE|YES|Y)$' "$build/CMakeCache.txt"; then
  echo "$me: SKIP: $build is a GLUKIT_SANITIZE build"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/glukit-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)
prefix=$tmp/prefix

# Run a command quietly; on failure show its output and stop.
quiet() {
  local what=$1; shift
  if ! "$@" >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    die "$what failed: $*"
  fi
}

# Run an example binary; show its output either way, fail on non-zero exit.
run_example() {
  local what=$1; shift
  step "run $what"
  "$@" || die "$what exited with status $? (output above)"
}

# ---- install --------------------------------------------------------------
step "cmake --install $build --prefix $prefix"
quiet "cmake --install" cmake --install "$build" --prefix "$prefix"

# ---- installed tree -------------------------------------------------------
header=$prefix/include/glukit.h
[ -f "$header" ] || die "installed tree lacks include/glukit.h"
version=$(sed -n 's/^#define GLK_VERSION_STRING "\(.*\)"$/\1/p' "$header")
major=$(sed -n 's/^#define GLK_VERSION_MAJOR \([0-9]*\)$/\1/p' "$header")
[[ -n $version && -n $major ]] || die "no version macros in $header"

# GNUInstallDirs puts libraries in lib, lib64 or lib/<multiarch>.
mapfile -t found < <(find "$prefix" -name libglukit.so)
[ "${#found[@]}" -eq 1 ] ||
  die "expected one libglukit.so under $prefix, found ${#found[@]}"
libdir=$(dirname "${found[0]}")
case $libdir in
  "$prefix"/lib*) ;;
  *) die "libglukit.so installed outside lib*: $libdir" ;;
esac
step "library dir: ${libdir#"$prefix"/}"

for f in libglukit.a libglukit.so.$major libglukit.so.$version \
         pkgconfig/glukit.pc cmake/glukit/glukitConfig.cmake \
         cmake/glukit/glukitConfigVersion.cmake \
         cmake/glukit/glukitTargets.cmake; do
  [ -e "$libdir/$f" ] || die "installed tree lacks ${libdir#"$prefix"/}/$f"
done
soname=$(readelf -d "$libdir/libglukit.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libglukit.so.$major" ] ||
  die "SONAME is '$soname', expected libglukit.so.$major"

# ---- (a) CMake: find_package(glukit), shared and static targets -----------
step "configure examples/ with find_package(glukit)"
ex=$tmp/build-examples
quiet "configuring examples/" \
  cmake -S "$src/examples" -B "$ex" -DCMAKE_PREFIX_PATH="$prefix"
config_dir=$(sed -n 's/^glukit_DIR:[A-Z]*=//p' "$ex/CMakeCache.txt")
config_dir=$(cd "$config_dir" && pwd -P)
[ "$config_dir" = "$libdir/cmake/glukit" ] ||
  die "find_package used $config_dir, not the scratch install"
quiet "building examples/" cmake --build "$ex" -j 2

# Each tool's output is read whole before grep: with pipefail, grep -q
# closing the pipe early would kill the writer and fail the pipeline.
dyn=$(readelf -d "$ex/swiglu_example")
grep -q "NEEDED.*libglukit.so.$major" <<<"$dyn" ||
  die "swiglu_example does not depend on libglukit.so.$major"
deps=$(LD_LIBRARY_PATH=$libdir ldd "$ex/swiglu_example")
grep -q "libglukit.so.$major => $libdir/" <<<"$deps" ||
  die "swiglu_example does not load libglukit from $libdir"
run_example "cmake shared example" \
  env LD_LIBRARY_PATH="$libdir" "$ex/swiglu_example"

dyn=$(readelf -d "$ex/swiglu_example_static")
! grep -q 'NEEDED.*libglukit' <<<"$dyn" ||
  die "swiglu_example_static depends on the shared libglukit"
run_example "cmake static example" env -u LD_LIBRARY_PATH \
  "$ex/swiglu_example_static"

# ---- (b) pkg-config --------------------------------------------------------
# PKG_CONFIG_LIBDIR (not _PATH) so that no system-wide glukit.pc can answer.
export PKG_CONFIG_LIBDIR=$libdir/pkgconfig
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
pc_version=$(pkg-config --modversion glukit) || die "pkg-config cannot read glukit.pc"
[ "$pc_version" = "$version" ] ||
  die "glukit.pc version $pc_version != header version $version"
pc_prefix=$(pkg-config --variable=prefix glukit)
# Compare canonical paths: a relocatable .pc gives ${pcfiledir}/../..
[ "$(cd "$pc_prefix" 2>/dev/null && pwd -P)" = "$prefix" ] ||
  die "glukit.pc says prefix=$pc_prefix but was installed into $prefix" \
      "(the .pc must be written at install time or be relocatable)"

read -ra pc_shared <<<"$(pkg-config --cflags --libs glukit)"
step "cc swiglu_example.c ${pc_shared[*]} -lm"
# -lm: the example itself calls exp().
quiet "pkg-config shared link" \
  "$cc" -o "$tmp/pc_example" "$example" "${pc_shared[@]}" -lm
run_example "pkg-config shared example" \
  env LD_LIBRARY_PATH="$libdir" "$tmp/pc_example"

read -ra pc_static <<<"$(pkg-config --static --cflags --libs glukit)"
step "cc -static swiglu_example.c ${pc_static[*]} -lm"
[ "$("$cc" -print-file-name=libc.a)" != libc.a ] ||
  die "no static libc (libc.a) for the -static link (Debian: libc6-dev)"
quiet "pkg-config static link (are Libs.private complete?)" \
  "$cc" -static -o "$tmp/pc_example_static" "$example" "${pc_static[@]}" -lm
dyn=$(readelf -d "$tmp/pc_example_static" 2>/dev/null || true)
! grep -q NEEDED <<<"$dyn" ||
  die "the -static pkg-config build still has dynamic dependencies"
run_example "pkg-config static example" env -u LD_LIBRARY_PATH \
  "$tmp/pc_example_static"

step "PASS"
