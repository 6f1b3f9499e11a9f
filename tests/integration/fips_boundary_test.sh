#!/bin/sh
# fips_boundary_test.sh - the FIPS boundary: no C/C++ source outside
# src/crypto/ includes an OpenSSL header, except test files whose
# path contains "crypto" (they attempt forbidden things on purpose).
set -u
: "${SEAL_SRC_DIR:?}"
cd "$SEAL_SRC_DIR" || exit 1

# Prints "path:line" for every OpenSSL include in the given files.
find_includes() {
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]openssl/' "$@" 2>/dev/null
}

# The detector must work: try it on a file we write.
T=$(mktemp -d "${TMPDIR:-/tmp}/boundary.XXXXXX")
trap 'rm -rf "$T"' EXIT
printf '#include <stdio.h>\n  #  include "openssl/evp.h"\n' >"$T/probe.c"
if [ -z "$(find_includes "$T/probe.c")" ]; then
    echo "FAIL: the include detector does not detect an OpenSSL include"
    exit 1
fi

files=$(find . -path ./build -prune -o -path './build-*' -prune -o -path ./.git -prune -o \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.cpp' -o -name '*.hpp' \) \
    -print | sort)
[ -n "$files" ] || { echo "FAIL: no sources found under $SEAL_SRC_DIR"; exit 1; }
n=0
inside=0
bad=""
for f in $files; do
    n=$((n + 1))
    case "$f" in
    ./src/crypto/*) inside=$((inside + 1)); continue ;;
    ./tests/*crypto*) continue ;;
    esac
    hits=$(find_includes "$f")
    if [ -n "$hits" ]; then
        bad="$bad
$f: $(printf '%s' "$hits" | tr '\n' ' ')"
    fi
done
[ "$inside" -gt 0 ] || { echo "FAIL: no files found in src/crypto"; exit 1; }
if [ -n "$bad" ]; then
    echo "FAIL: OpenSSL headers included outside the FIPS boundary (use src/crypto/cry.h):$bad"
    exit 1
fi
echo "PASSED: $n source files checked, only src/crypto/ ($inside files) and crypto tests include OpenSSL"
