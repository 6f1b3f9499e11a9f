#!/bin/sh
# fips_startup_test.sh - start-up refusal: fips_probe (seal_fips_init) must
# start with a good copy of the FIPS module and refuse, with a clear message
# and a non-zero exit, when fips.so is missing or altered, when the module MAC
# in fipsmodule.cnf is altered, when another provider is configured, with the
# system openssl.cnf, and with a config that does not exist.
set -u
: "${SEAL_FIPS_DIR:?}" "${SEAL_BUILD_DIR:?}"
PROBE="$SEAL_BUILD_DIR/tests/fips_probe"
[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/fipsstart.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# A private copy of the module and its configs, paths rewritten to the copy.
copy() { # dir
    d=$1
    rm -rf "$d"
    mkdir -p "$d/lib/ossl-modules"
    cp "$SEAL_FIPS_DIR/lib/ossl-modules/fips.so" "$d/lib/ossl-modules/fips.so"
    for f in fipsmodule.cnf openssl-fips.cnf; do
        sed "s|$SEAL_FIPS_DIR|$d|g" "$SEAL_FIPS_DIR/$f" >"$d/$f"
    done
    grep -q "$SEAL_FIPS_DIR" "$d/openssl-fips.cnf" && { echo "FAIL: path rewrite"; exit 1; }
}

run() { # config -> sets OUT and RC
    OUT=$(SEALDB_FIPS_CONFIG=$1 "$PROBE" 2>&1)
    RC=$?
}

expect_refused() { # label config [message]
    run "$2"
    if [ "$RC" -eq 0 ]; then
        bad "$1: started (output: $OUT)"
    elif [ -n "${3:-}" ] && ! printf '%s' "$OUT" | grep -q "$3"; then
        bad "$1: refused but without \"$3\": $OUT"
    else
        ok "$1: refused: $(printf '%s' "$OUT" | grep 'refused' | head -n 1)"
    fi
}

# 1. A good copy starts, in FIPS mode, from the copy.
copy "$T/good"
run "$T/good/openssl-fips.cnf"
if [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q '"fips_enabled":true' &&
   printf '%s' "$OUT" | grep -q "\"module\":\"$T/good/lib/ossl-modules/fips.so\""; then
    ok "good copy starts: $OUT"
else
    bad "good copy: rc=$RC $OUT"
fi

# 2. fips.so missing.
copy "$T/missing"
rm "$T/missing/lib/ossl-modules/fips.so"
expect_refused "fips.so missing" "$T/missing/openssl-fips.cnf" "FIPS provider is not available"

# 3. fips.so with one flipped byte (in the middle of the file).
copy "$T/flipped"
so="$T/flipped/lib/ossl-modules/fips.so"
size=$(wc -c <"$so")
off=$((size / 2))
byte=$(od -An -tu1 -j "$off" -N 1 "$so" | tr -d ' ')
new=$((byte ^ 1))
# shellcheck disable=SC2059
printf "$(printf '\\%03o' "$new")" | dd of="$so" bs=1 seek="$off" conv=notrunc 2>/dev/null
cmp -s "$so" "$SEAL_FIPS_DIR/lib/ossl-modules/fips.so" && bad "byte flip did not change fips.so"
[ "$(wc -c <"$so")" -eq "$size" ] || bad "byte flip changed the size"
expect_refused "fips.so with a flipped byte" "$T/flipped/openssl-fips.cnf" "FIPS provider is not available"

# 4. module-mac altered in fipsmodule.cnf (first hex digit changed).
copy "$T/mac"
first=$(sed -n 's/^module-mac[[:space:]]*=[[:space:]]*\(.\).*/\1/p' "$T/mac/fipsmodule.cnf")
[ -n "$first" ] || bad "no module-mac line in fipsmodule.cnf"
if [ "$first" = 0 ]; then repl=1; else repl=0; fi
sed "s/^\(module-mac[[:space:]]*=[[:space:]]*\)./\1$repl/" "$T/mac/fipsmodule.cnf" >"$T/mac/x" &&
    mv "$T/mac/x" "$T/mac/fipsmodule.cnf"
cmp -s "$T/mac/fipsmodule.cnf" "$T/good/fipsmodule.cnf" && bad "module-mac was not altered"
expect_refused "module-mac altered" "$T/mac/openssl-fips.cnf" "FIPS provider is not available"

# 5. The default provider activated next to fips: a non-FIPS path exists.
copy "$T/extra"
sed 's/^base = base_sect$/base = base_sect\ndefault = default_sect/' "$T/extra/openssl-fips.cnf" \
    >"$T/extra/x"
printf '\n[default_sect]\nactivate = 1\n' >>"$T/extra/x"
mv "$T/extra/x" "$T/extra/openssl-fips.cnf"
grep -q '^default = default_sect' "$T/extra/openssl-fips.cnf" || bad "could not add the default provider"
expect_refused "default provider also active" "$T/extra/openssl-fips.cnf" "provider other than fips"

# 6. The system OpenSSL config (Debian: /usr/lib/ssl/openssl.cnf).
sysdir=$(openssl version -d 2>/dev/null | sed 's/^OPENSSLDIR: "\(.*\)"$/\1/')
syscnf="${sysdir:-/usr/lib/ssl}/openssl.cnf"
if [ -f "$syscnf" ]; then
    expect_refused "system config $syscnf" "$syscnf" "FIPS provider is not available"
else
    bad "no system openssl.cnf found at $syscnf"
fi

# 7. A config that does not exist.
expect_refused "nonexistent config" "$T/nonexistent/openssl-fips.cnf" "cannot read FIPS OpenSSL config"

if [ "$fails" -ne 0 ]; then
    echo "FAILED: $fails check(s)"
    exit 1
fi
echo "PASSED"
