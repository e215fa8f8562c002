#!/usr/bin/env bash
# The shared library's dynamic symbol table must be exactly the API: every
# symbol starts with glk_, and it equals the set of GLK_API functions
# declared in include/glukit.h (nothing missing, nothing internal leaked).
#
# Usage: exports_test.sh LIBPATH [HEADER]
#   HEADER defaults to include/glukit.h next to this script's tests/ dir.
set -euo pipefail

me=exports_test
die() { echo "$me: FAIL: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || die "usage: $0 LIBPATH [HEADER]"
lib=$1
header=${2:-$(cd "$(dirname "$0")/../.." && pwd)/include/glukit.h}
[ -f "$lib" ] || die "no library '$lib'"
[ -f "$header" ] || die "no header '$header'"

# Defined dynamic symbols, minus version-node entries (type A) and any
# @VERSION suffix.
exported=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
           sed 's/@.*//' | sort -u) || die "nm -D failed on $lib"
[ -n "$exported" ] || die "$lib exports no symbols"

# A build without CBLAS has no GLU layer: its header block is not expected.
header_text=$(cat "$header")
if ! grep -qx 'glk_glu_forward' <<<"$exported"; then
  header_text=$(sed '/^\/\* ---- GLU layer/,/^\/\* ---- end of GLU layer ---- \*\//d' <<<"$header_text")
fi

# API functions: the identifier before '(' on each line starting GLK_API.
declared=$(grep -E '^GLK_API ' <<<"$header_text" |
           sed -nE 's/^[^(]*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*/\1/p' |
           sort -u)
n_lines=$(grep -cE '^GLK_API ' <<<"$header_text")
n_declared=$(printf '%s\n' "$declared" | grep -c .)
[ "$n_declared" -gt 0 ] || die "no GLK_API declarations found in $header"
[ "$n_declared" -eq "$n_lines" ] ||
  die "parsed $n_declared names from $n_lines GLK_API lines in $header;" \
      "keep each declaration's name on its GLK_API line"

status=0
# complain TITLE LIST: print a non-empty newline-separated LIST under TITLE.
complain() {
  [ -n "$2" ] || return 0
  echo "$me: $1:" >&2
  printf '%s\n' "$2" | while read -r sym; do echo "  $sym" >&2; done
  status=1
}
complain "exported symbols without the glk_ prefix" \
  "$(printf '%s\n' "$exported" | grep -v '^glk_' || true)"
complain "declared GLK_API in the header but not exported" \
  "$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))"
complain "exported glk_ symbols that the header does not declare" \
  "$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported") |
     grep '^glk_' || true)"
[ "$status" -eq 0 ] || die "export table of $lib does not match $header"
echo "$me: PASS: $lib exports exactly the $n_declared API functions"
