#!/bin/sh
# fips_check_test.sh - scripts/fips-check.sh passes on fips_probe (a binary
# built like every SealDB program) and on the running probe (--pid), and
# fails loudly on deliberately bad binaries compiled here: one calling MD5
# through the legacy API, one calling the PKCS#5 PBKDF2 helper, one with its
# own SHA-256 compiled in, one without libcrypto, one linked with libgcrypt
# (when the machine has it); and on processes without the recorded module.
set -u
: "${SEAL_SRC_DIR:?}" "${SEAL_BUILD_DIR:?}" "${SEAL_FIPS_DIR:?}"
CHECK="$SEAL_SRC_DIR/scripts/fips-check.sh"
PROBE="$SEAL_BUILD_DIR/tests/fips_probe"
CC=${CC:-cc}
T=$(mktemp -d "${TMPDIR:-/tmp}/fipscheck.XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

expect_pass() { # label args...
    label=$1; shift
    if out=$(sh "$CHECK" "$@" 2>&1); then
        ok "$label"
    else
        bad "$label: fips-check failed:"
        printf '%s\n' "$out"
    fi
}
expect_fail() { # label pattern args...
    label=$1; pat=$2; shift 2
    out=$(sh "$CHECK" "$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        bad "$label: fips-check passed"
        printf '%s\n' "$out"
    elif ! printf '%s\n' "$out" | grep '^FAIL' | grep -q "$pat"; then
        bad "$label: failed, but not with \"$pat\":"
        printf '%s\n' "$out"
    else
        ok "$label: $(printf '%s\n' "$out" | grep '^FAIL' | grep "$pat" | head -n 1)"
    fi
}

# Start a program in the background and remember its pid.
start_bg() { # outfile cmd...
    o=$1; shift
    "$@" >"$o" 2>&1 &
    pids="$pids $!"
    BG=$!
}

[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built"; exit 1; }

# 1. The probe binary passes.
expect_pass "fips_probe binary" "$PROBE"

# 2. The running probe: fips.so mapped and matching provider.info.
start_bg "$T/probe.out" "$PROBE" --sleep 30
i=0
while ! grep -q '"fips_enabled":true' "$T/probe.out" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q '"fips_enabled":true' "$T/probe.out" || bad "the probe did not start: $(cat "$T/probe.out")"
expect_pass "running fips_probe (--pid)" --pid "$BG" --info "$SEAL_FIPS_DIR/provider.info"
# ... but not against another module's record.
sed 's/^module_sha256=.*/module_sha256=0000000000000000000000000000000000000000000000000000000000000000/' \
    "$SEAL_FIPS_DIR/provider.info" >"$T/other.info"
expect_fail "running probe vs another module's record" "differs from the recorded" \
    --pid "$BG" --info "$T/other.info"
PROBE_PID=$BG

# 3. A process without the FIPS module.
start_bg /dev/null sleep 30
expect_fail "process without fips.so" "no fips.so is mapped" --pid "$BG" \
    --info "$SEAL_FIPS_DIR/provider.info"
kill "$PROBE_PID" 2>/dev/null
expect_fail "process that is gone" "cannot read" --pid 999999999

# 4. Deliberately bad binaries.
cat >"$T/md5.c" <<'C'
#include <stdio.h>
#include <openssl/md5.h>
int main(void)
{
    unsigned char d[16];
    MD5((const unsigned char *)"abc", 3, d);
    printf("%02x\n", d[0]);
    return 0;
}
C
cat >"$T/pbkdf2.c" <<'C'
#include <openssl/evp.h>
int main(void)
{
    unsigned char out[8];
    return !PKCS5_PBKDF2_HMAC("pw", 2, (const unsigned char *)"s", 1, 1, EVP_sha256(), 8, out);
}
C
cat >"$T/ownsha.c" <<'C'
#include <stdint.h>
#include <stdio.h>
/* A hand-rolled SHA-256 next to libcrypto: its tables and entry point. */
static const uint32_t K[8] = {0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
                              0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5};
static const uint32_t H[2] = {0x6a09e667, 0xbb67ae85};
void SHA256_Transform(uint32_t *s, const unsigned char *blk);
void SHA256_Transform(uint32_t *s, const unsigned char *blk)
{
    for (int i = 0; i < 8; i++)
        s[i] += K[i] ^ blk[i] ^ H[i & 1];
}
int main(void)
{
    uint32_t s[8] = {0};
    unsigned char b[64] = {1};
    SHA256_Transform(s, b);
    printf("%08x\n", (unsigned)s[0]);
    return 0;
}
C
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$T/plain.c"

"$CC" -o "$T/md5" "$T/md5.c" -Wno-deprecated-declarations -lcrypto ||
    bad "cannot compile the MD5 binary"
"$CC" -o "$T/pbkdf2" "$T/pbkdf2.c" -lcrypto || bad "cannot compile the PBKDF2 binary"
"$CC" -o "$T/ownsha" "$T/ownsha.c" -lcrypto -Wl,--no-as-needed -lcrypto ||
    bad "cannot compile the own-SHA-256 binary"
"$CC" -o "$T/plain" "$T/plain.c" || bad "cannot compile the plain binary"

expect_fail "legacy MD5 call" "banned symbols: .*MD5" "$T/md5"
expect_fail "PKCS#5 PBKDF2 helper" "banned symbols: .*PKCS5_PBKDF2_HMAC" "$T/pbkdf2"
expect_fail "own SHA-256 symbol" "implementation symbols defined.*SHA256_Transform" "$T/ownsha"
expect_fail "own SHA-256 tables" "SHA-256 constant tables" "$T/ownsha"
expect_fail "no libcrypto" "does not link libcrypto" "$T/plain"
expect_fail "no FIPS start-up" "FIPS start-up API" "$T/md5"
expect_fail "not a binary" "not an ELF" "$SEAL_SRC_DIR/scripts/fips-check.sh"
expect_fail "missing binary" "does not exist" "$T/nope"

# libgcrypt as a second crypto library, when this machine has it to link.
printf 'const char *gcry_check_version(const char *);\nint main(void) { return !gcry_check_version(0); }\n' \
    >"$T/gcry.c"
if "$CC" -o "$T/gcry" "$T/gcry.c" -lcrypto -Wl,--no-as-needed -lcrypto -lgcrypt 2>/dev/null; then
    expect_fail "linked with libgcrypt" "other crypto libraries are linked: libgcrypt" "$T/gcry"
else
    echo "note libgcrypt is not available to link here; that case was not run"
fi

if [ "$fails" -ne 0 ]; then
    echo "FAILED: $fails check(s)"
    exit 1
fi
echo "PASSED"
