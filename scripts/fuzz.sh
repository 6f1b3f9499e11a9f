#!/bin/sh
# Run every libFuzzer program in BUILD/fuzz for SECONDS each, with a corpus
# kept in BUILD/fuzz-corpus/<name> between runs. Fails if any finds a crash.
set -eu
BUILD=${1:?usage: fuzz.sh BUILD_DIR [SECONDS]}
SECS=${2:-60}
export SEALDB_FIPS_CONFIG="${SEALDB_FIPS_CONFIG:-$(cd "$BUILD/.." && pwd)/build/fips/openssl-fips.cnf}"
rc=0
for f in "$BUILD"/fuzz/*_fuzz; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus="$BUILD/fuzz-corpus/$name"
    mkdir -p "$corpus" "$BUILD/fuzz-artifacts"
    echo "== $name for ${SECS}s"
    if ! "$f" -max_total_time="$SECS" -artifact_prefix="$BUILD/fuzz-artifacts/$name-" \
        "$corpus" 2>"$BUILD/fuzz-artifacts/$name.log"; then
        echo "FAIL $name: see $BUILD/fuzz-artifacts/$name.log" >&2
        tail -30 "$BUILD/fuzz-artifacts/$name.log" >&2
        rc=1
    else
        grep -E '^(Done|#[0-9]+.*DONE)' "$BUILD/fuzz-artifacts/$name.log" | tail -1 || true
    fi
done
exit $rc
