#!/bin/sh
# crypto_banned_api_test.sh - legacy or non-approved OpenSSL APIs must not be
# used anywhere in src/: the PKCS#5 PBKDF2 helper (switches the provider's
# PBKDF2 bounds off), the KDF's PKCS#5 parameter, MD5 and the other
# low-level digest APIs, RAND_pseudo_bytes, ChaCha20, the Ed/X25519 and
# Ed/X448 key types, and the implicit-fetch digest/cipher getters.
set -u
: "${SEAL_SRC_DIR:?}"

# Calls of legacy/low-level or implicit-fetch functions.
FUNCS='\b(PKCS5_PBKDF2_HMAC[A-Za-z0-9_]*|EVP_(md5|md5_sha1|md4|sha1|sha224|sha256|sha384|sha512|aes_[a-z0-9_]+|des_[a-z0-9_]+|chacha20[a-z0-9_]*)|MD[45](_[A-Za-z]+)?|SHA(1|224|256|384|512)(_[A-Za-z]+)?|HMAC(_[A-Za-z_]+)?|RAND_(pseudo_bytes|bytes|priv_bytes)|EC_KEY_[a-z_]+|ECDSA_(do_)?sign[a-z_]*|RSA_[a-z_]+|DES_[a-z_]+|RC4[a-z_]*|AES_[a-z_]+|CRYPTO_gcm128_[a-z_]+)[[:space:]]*\('
# Constants: the KDF's PKCS#5 switch, the Edwards/Montgomery key types.
CONSTS='\b(OSSL_KDF_PARAM_PKCS5|EVP_PKEY_(X25519|ED25519|X448|ED448)|NID_(X25519|ED25519|X448|ED448))\b'
# String literals naming refused algorithms or the PKCS#5 switch. A line
# that must name one (the start-up check that MD5 is NOT available) carries
# the marker "banned-api: negative check".
STRS='"(pkcs5|MD5|MD4|SHA1|SHA-1|X25519|X448|ED25519|ED448|ChaCha20[^"]*|SCRYPT)"'

scan() { # dir -> prints offending lines
    grep -rnE --include='*.c' --include='*.h' "$FUNCS|$CONSTS" "$1" 2>/dev/null
    grep -rniE --include='*.c' --include='*.h' "$STRS" "$1" 2>/dev/null |
        grep -v 'banned-api: negative check'
}

# The scanner must catch each kind of offence.
T=$(mktemp -d "${TMPDIR:-/tmp}/banned.XXXXXX")
trap 'rm -rf "$T"' EXIT
for line in 'PKCS5_PBKDF2_HMAC(pw, n, s, 1, 1, md, 8, out);' \
            'EVP_Digest(p, n, out, NULL, EVP_md5(), NULL);' \
            'SHA256_Init(&c);' \
            'RAND_pseudo_bytes(b, 8);' \
            'p[1] = OSSL_PARAM_construct_int("pkcs5", &one);' \
            'k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");' \
            'HMAC(EVP_sha256(), k, 4, p, n, out, NULL);' \
            'EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);'; do
    printf 'void f(void) { %s }\n' "$line" >"$T/x.c"
    if [ -z "$(scan "$T")" ]; then
        echo "FAIL: the scanner misses: $line"
        exit 1
    fi
done
printf '%s\n' '/* HMAC-SHA256 and X25519 in prose are fine */' \
    'void f(void) { EVP_MD_fetch(NULL, "SHA2-256", NULL); RAND_bytes_ex(NULL, b, 8, 256); }' \
    'static const char s[] = "ECDSA+SHA256:RSA+SHA256";' >"$T/x.c"
if [ -n "$(scan "$T")" ]; then
    echo "FAIL: the scanner flags approved calls: $(scan "$T")"
    exit 1
fi

hits=$(scan "$SEAL_SRC_DIR/src")
if [ -n "$hits" ]; then
    echo "FAIL: banned crypto APIs in src/:"
    printf '%s\n' "$hits"
    exit 1
fi
echo "PASSED: no banned crypto API in $(find "$SEAL_SRC_DIR/src" -name '*.[ch]' | wc -l) files under src/"
