#!/bin/sh
# bench.sh - run every benchmark program in BUILD/bench and print its output.
# usage: scripts/bench.sh BUILD_DIR [args passed to each program]
set -eu
B=${1:?usage: bench.sh BUILD_DIR [args]}
shift
[ -d "$B/bench" ] || { echo "bench.sh: $B/bench does not exist (build first)" >&2; exit 1; }
: "${SEALDB_FIPS_CONFIG:=}"
export SEALDB_FIPS_CONFIG
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm), $(nproc) cores"
grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/^model name[[:space:]]*:/# cpu:/' || true
found=0
for p in "$B"/bench/*; do
    [ -f "$p" ] && [ -x "$p" ] || continue
    found=1
    echo "## $(basename "$p")"
    "$p" "$@"
done
[ "$found" = 1 ] || { echo "bench.sh: no bench programs in $B/bench" >&2; exit 1; }
