#!/bin/sh
# fips-check.sh - check that a SealDB binary gets all its cryptography from
# the system libcrypto (and so from the FIPS provider it loads at start-up),
# with no second crypto implementation linked in and no banned legacy API;
# or that a running process has the recorded FIPS module mapped.
#
# usage: scripts/fips-check.sh [--info provider.info] BINARY...
#        scripts/fips-check.sh [--info provider.info] --pid PID
#
#   BINARY   readelf NEEDED / ldd: libcrypto.so.3 from a system directory (and
#            a Debian package when dpkg knows it); no other crypto library
#            (gcrypt, sodium, nettle, gnutls, mbedtls, wolfssl, BoringSSL,
#            OpenSSL 1.x), no crypto-library strings, no SHA-256/MD5
#            implementation compiled in (symbol names and SHA-256 constant
#            tables), no banned symbol (the PKCS#5 PBKDF2 helper, MD5, RC4,
#            DES, RAND_pseudo_bytes, low-level SHA/HMAC), and the FIPS
#            start-up API (OSSL_PROVIDER_available, ...) is referenced.
#   --pid    /proc/PID/maps: exactly one fips.so mapped, not deleted, whose
#            SHA-256 equals module_sha256 in provider.info (the build's record,
#            default $SEAL_FIPS_DIR/provider.info), one system libcrypto, no
#            legacy.so and no other crypto library; then the checks above on
#            /proc/PID/exe.
#
# Prints one line per check and exits 0 when everything holds, 1 otherwise
# (2 for bad usage). Needs binutils (readelf, nm, strings) and GNU grep.
set -u

INFO=""
PID=""
BINS=""
fails=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; fails=$((fails + 1)); }
note() { echo "note  $*"; }
usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --info) [ $# -ge 2 ] || usage; INFO=$2; shift 2 ;;
    --pid) [ $# -ge 2 ] || usage; PID=$2; shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) BINS="$BINS $1"; shift ;;
    esac
done
[ -n "$PID" ] || [ -n "$BINS" ] || usage
for tool in readelf nm strings grep awk sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAIL  $tool is not installed"; exit 1; }
done

SYSDIRS='^(/usr)?/lib(64|32)?/'
OTHER_LIBS='lib(gcrypt|sodium|nettle|hogweed|gnutls|mbedcrypto|mbedtls|mbedx509|wolfssl|boringssl|botan[-0-9.]*|tomcrypt|crypto\.so\.1|ssl\.so\.1|crypto\.so\.10|k5crypto)'
OTHER_STRINGS='BoringSSL|LibreSSL|libsodium|wolfSSL|mbed TLS|Mbed TLS|Libgcrypt|GnuTLS|Nettle|Botan|OpenSSL 1\.[01]'
# Symbols that mean a crypto implementation lives inside the binary.
IMPL_SYMS='^(sha256_block_data_order|sha256_block|sha256_blocks|SHA256_Transform|sha256_transform|sha256_compress|sha256_process_block|sha256_init|sha256_update|sha256_final|SHA256_Init|SHA256_Update|SHA256_Final|SHA256|EVP_sha256|OSSL_PROVIDER_load|crypto_hash_sha256|crypto_hash_sha256_.*|sodium_.*|mbedtls_.*|wc_.*|wolfSSL_.*|gcry_.*|_gcry_.*|nettle_.*|gnutls_.*|BORINGSSL_.*|md5_block_data_order|md5_block|MD5Transform|MD5_Transform)$'
# Symbols nobody in SealDB may reference.
BANNED_SYMS='^(PKCS5_PBKDF2_HMAC|PKCS5_PBKDF2_HMAC_SHA1|PKCS5_PBKDF2_HMAC_.*|MD4|MD4_.*|MD5|MD5_.*|EVP_md4|EVP_md5|EVP_md5_sha1|RAND_pseudo_bytes|RC4|RC4_.*|EVP_rc4.*|DES_.*|EVP_des_.*|SHA1_Init|SHA1_Update|SHA1_Final|SHA256_Init|SHA256_Update|SHA256_Final|SHA512_Init|SHA512_Update|SHA512_Final|HMAC_Init|HMAC_Init_ex|HMAC_CTX_new|EVP_chacha20|EVP_chacha20_poly1305|EC_KEY_generate_key|ECDSA_sign|ECDSA_do_sign|RSA_generate_key)$'
# The FIPS start-up API seal_fips_init uses.
FIPS_API='^(OSSL_PROVIDER_available|EVP_default_properties_enable_fips|OSSL_LIB_CTX_load_config)$'

syms() { # binary -> "TYPE name" for every symbol, versions stripped
    { nm "$1" 2>/dev/null; nm -D "$1" 2>/dev/null; } |
        awk 'NF >= 2 { t = $(NF-1); n = $NF; sub(/@.*/, "", n); print t, n }' | sort -u
}

check_binary() { # path
    b=$1
    echo "== $b"
    if ! readelf -h "$b" >/dev/null 2>&1; then
        fail "$b is not an ELF file"
        return
    fi
    needed=$(readelf -d "$b" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    note "NEEDED: ${needed:-none}"
    S=$(syms "$b")
    if [ -z "$S" ]; then
        note "no symbols (stripped?): symbol checks limited to the dynamic table"
    fi
    defined=$(printf '%s\n' "$S" | awk '$1 ~ /^[TtWwVvDdBbRr]$/ { print $2 }')
    undefined=$(printf '%s\n' "$S" | awk '$1 == "U" || $1 == "w" { print $2 }')

    # 1. libcrypto: dynamic, from the system (directly, or through libseal).
    L=""
    command -v ldd >/dev/null 2>&1 && L=$(ldd "$b" 2>/dev/null)
    sealso=$(printf '%s\n' "$L" | awk '$1 ~ /^libseal\.so/ { print $3 }' | head -n 1)
    case " $needed " in
    *" libcrypto.so.3 "*)
        ok "links the shared libcrypto.so.3" ;;
    *)
        if printf '%s\n' "$defined" | grep -qx 'OSSL_PROVIDER_load'; then
            fail "libcrypto is linked statically (OSSL_PROVIDER_load is defined in the binary)"
        elif [ -n "$sealso" ] && printf '%s\n' "$L" | grep -q '^[[:space:]]*libcrypto\.so\.3 '; then
            ok "links the shared libcrypto.so.3 through $sealso"
        else
            fail "does not link libcrypto.so.3"
        fi ;;
    esac
    if [ -n "$L" ]; then
        cryptos=$(printf '%s\n' "$L" | awk '$1 ~ /^libcrypto\.so/ { print $3 }' | sort -u)
        n=$(printf '%s\n' "$cryptos" | grep -c .)
        if [ "$n" -gt 1 ]; then
            fail "more than one libcrypto: $(echo "$cryptos" | tr '\n' ' ')"
        fi
        for c in $cryptos; do
            real=$(readlink -f "$c")
            if printf '%s\n' "$real" | grep -qE "$SYSDIRS"; then
                pkg=""
                command -v dpkg >/dev/null 2>&1 &&
                    pkg=$(dpkg -S "$real" 2>/dev/null | head -n 1 | cut -d: -f1)
                [ -z "$pkg" ] && command -v dpkg >/dev/null 2>&1 &&
                    pkg=$(dpkg -S "$c" 2>/dev/null | head -n 1 | cut -d: -f1)
                ok "libcrypto resolves to $real${pkg:+ (package $pkg)}"
            else
                fail "libcrypto resolves to $real, outside the system library directories"
            fi
        done
        others=$(printf '%s\n' "$L" | awk '{ print $1 }' | grep -E "^$OTHER_LIBS" | sort -u)
        if [ -n "$others" ]; then
            fail "other crypto libraries are linked: $(echo "$others" | tr '\n' ' ')"
        else
            ok "no other crypto library among the shared dependencies"
        fi
    else
        note "ldd not available: dependency resolution not checked"
    fi
    # 2. No crypto-library identification strings.
    strs=$(strings -a "$b" | grep -E "$OTHER_STRINGS" | sort -u | head -n 5)
    if [ -n "$strs" ]; then
        fail "strings of another crypto library: $(echo "$strs" | tr '\n' '|')"
    else
        ok "no strings of another crypto library"
    fi
    # 3. No implementation compiled in.
    impl=$(printf '%s\n' "$defined" | grep -E "$IMPL_SYMS" | sort -u | tr '\n' ' ')
    if [ -n "$impl" ]; then
        fail "crypto implementation symbols defined in the binary: $impl"
    else
        ok "no SHA-256/MD5/other crypto implementation symbols defined"
    fi
    # SHA-256 round constants K[0..1] and initial values H[0..1], either byte order.
    if LC_ALL=C grep -qaP '\x98\x2f\x8a\x42\x91\x44\x37\x71|\x42\x8a\x2f\x98\x71\x37\x44\x91|\x67\xe6\x09\x6a\x85\xae\x67\xbb|\x6a\x09\xe6\x67\xbb\x67\xae\x85' "$b"; then
        fail "SHA-256 constant tables found in the binary (a SHA-256 implementation is compiled in)"
    else
        ok "no SHA-256 constant tables in the binary"
    fi
    # 4. Banned symbols, referenced or defined.
    banned=$(printf '%s\n%s\n' "$undefined" "$defined" | grep -E "$BANNED_SYMS" | sort -u |
        tr '\n' ' ')
    if [ -n "$banned" ]; then
        fail "banned symbols: $banned"
    else
        ok "no banned symbol (legacy PBKDF2, MD5, RC4, DES, RAND_pseudo_bytes, low-level SHA/HMAC)"
    fi
    # 5. The FIPS start-up API is there (in the binary or in libseal.so).
    api_syms=$(printf '%s\n%s\n' "$undefined" "$defined")
    [ -n "$sealso" ] && [ -r "$sealso" ] &&
        api_syms=$(printf '%s\n%s\n' "$api_syms" "$(syms "$sealso" | awk '{ print $2 }')")
    napi=$(printf '%s\n' "$api_syms" | sort -u | grep -cE "$FIPS_API")
    if [ "$napi" -ge 3 ]; then
        ok "uses the FIPS start-up API (OSSL_LIB_CTX_load_config, OSSL_PROVIDER_available, EVP_default_properties_enable_fips)"
    else
        fail "does not reference the FIPS start-up API: seal_fips_init is not linked in"
    fi
}

check_pid() { # pid
    p=$1
    echo "== process $p"
    maps=/proc/$p/maps
    if [ ! -r "$maps" ]; then
        fail "cannot read $maps (no such process, or not ours)"
        return
    fi
    M=$(awk 'NF >= 6 { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' "$maps" | sort -u)
    fips=$(printf '%s\n' "$M" | grep -E '/fips\.so( \(deleted\))?$')
    nf=$(printf '%s\n' "$fips" | grep -c .)
    if [ "$nf" -eq 0 ]; then
        fail "no fips.so is mapped: the FIPS provider is not loaded"
    elif [ "$nf" -gt 1 ]; then
        fail "several fips.so are mapped: $(echo "$fips" | tr '\n' ' ')"
    elif printf '%s' "$fips" | grep -q '(deleted)$'; then
        fail "the mapped $fips was replaced or removed on disk"
    else
        ok "fips.so mapped: $fips"
        if [ -z "$INFO" ] && [ -n "${SEAL_FIPS_DIR:-}" ]; then
            INFO=$SEAL_FIPS_DIR/provider.info
        fi
        if [ -z "$INFO" ] || [ ! -r "$INFO" ]; then
            fail "no provider.info to compare with (pass --info BUILD/fips/provider.info)"
        else
            want=$(sed -n 's/^module_sha256=//p' "$INFO")
            ver=$(sed -n 's/^version=//p' "$INFO")
            origin=$(sed -n 's/^origin=//p' "$INFO")
            # Hash what is mapped (map_files) when we may, else the file.
            range=$(awk -v f="$fips" '$6 == f { print $1; exit }' "$maps")
            src=$fips
            [ -r "/proc/$p/map_files/$range" ] && src=/proc/$p/map_files/$range
            have=$(sha256sum "$src" 2>/dev/null | cut -d' ' -f1)
            if [ -z "$want" ]; then
                fail "$INFO has no module_sha256"
            elif [ "$have" = "$want" ]; then
                ok "fips.so sha256 $have matches $INFO (version $ver, origin $origin)"
            else
                fail "fips.so sha256 ${have:-unreadable} differs from the recorded $want ($INFO)"
            fi
        fi
    fi
    cryptos=$(printf '%s\n' "$M" | grep -E '/libcrypto\.so[^/]*$' | sort -u)
    nc=$(printf '%s\n' "$cryptos" | grep -c .)
    if [ "$nc" -ne 1 ]; then
        fail "expected one libcrypto mapped, found $nc: $(echo "$cryptos" | tr '\n' ' ')"
    elif printf '%s\n' "$cryptos" | grep -qE "$SYSDIRS"; then
        ok "libcrypto mapped: $cryptos"
    else
        fail "libcrypto mapped from outside the system directories: $cryptos"
    fi
    if printf '%s\n' "$M" | grep -qE '/legacy\.so$'; then
        fail "the legacy provider (legacy.so) is mapped"
    else
        ok "the legacy provider is not mapped"
    fi
    others=$(printf '%s\n' "$M" | awk -F/ '{ print $NF }' | grep -E "^$OTHER_LIBS" | sort -u)
    if [ -n "$others" ]; then
        fail "other crypto libraries mapped: $(echo "$others" | tr '\n' ' ')"
    else
        ok "no other crypto library mapped"
    fi
    check_binary "/proc/$p/exe"
}

[ -n "$PID" ] && check_pid "$PID"
for b in $BINS; do
    if [ -e "$b" ]; then
        check_binary "$b"
    else
        fail "$b does not exist"
    fi
done

if [ "$fails" -ne 0 ]; then
    echo "fips-check: FAILED ($fails problem(s))"
    exit 1
fi
echo "fips-check: PASSED"
