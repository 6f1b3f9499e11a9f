#!/bin/sh
# Find or build the OpenSSL FIPS provider (fips.so) and write a project-local
# OpenSSL configuration that loads only the fips and base providers with
# default_properties = fips=yes.
#
# usage: scripts/fips-provider.sh OUTDIR
#
# Where the module comes from, in this order:
#   1. SEAL_FIPS_MODULE=/path/to/fips.so   a module you already have
#      SEAL_FIPS_SOURCE=/path/to/openssl-X.tar.gz   an OpenSSL source tarball
#      (for example the validated 3.1.2) to build the provider from
#   2. a module shipped by the operating system (RHEL, Ubuntu Pro, ...)
#   3. Debian's OpenSSL source package (apt-get source), built here: ~30 s
#
# The result is cached in OUTDIR and rebuilt only when it is missing or no
# longer passes `openssl fipsinstall -verify`.
#
# OUTDIR/
#   lib/ossl-modules/fips.so   the module
#   fipsmodule.cnf             written by `openssl fipsinstall` (module MAC)
#   openssl-fips.cnf           the config SealDB loads (SEALDB_FIPS_CONFIG)
#   provider.info              origin, version, tarball and module SHA-256
set -eu

OUT=${1:?usage: fips-provider.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
KNOWN="$HERE/fips-known.txt"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
MOD="$OUT/lib/ossl-modules/fips.so"
CNF="$OUT/openssl-fips.cnf"
MODCNF="$OUT/fipsmodule.cnf"
INFO="$OUT/provider.info"

say() { echo "fips-provider: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v openssl >/dev/null 2>&1 || die "the openssl command is missing (apt-get install openssl)"

# Cached and still valid?
if [ -f "$MOD" ] && [ -f "$MODCNF" ] && [ -f "$CNF" ] && [ -f "$INFO" ]; then
    if openssl fipsinstall -verify -module "$MOD" -in "$MODCNF" >/dev/null 2>&1; then
        exit 0
    fi
    say "cached module in $OUT does not verify; rebuilding"
fi

tarball_status() { # sha256 -> status or "unknown"
    st=$(awk -v h="$1" '$1 == h { print $3 }' "$KNOWN" 2>/dev/null | head -n 1)
    echo "${st:-unknown}"
}

build_from_tarball() { # tarball workdir
    tb=$1; wd=$2
    rm -rf "$wd/src"; mkdir -p "$wd/src"
    say "unpacking $(basename "$tb")"
    tar -xzf "$tb" -C "$wd/src"
    srcdir=$(find "$wd/src" -mindepth 1 -maxdepth 1 -type d -name 'openssl-*' | head -n 1)
    [ -n "$srcdir" ] || die "no openssl-* directory in $tb"
    say "building only the FIPS provider in $srcdir (about 30 s)"
    (
        cd "$srcdir"
        ./Configure enable-fips --prefix="$wd/prefix" --libdir=lib >"$wd/configure.log" 2>&1
        make -j"$(nproc)" build_generated >"$wd/make.log" 2>&1
        make -j"$(nproc)" providers/fips.so >>"$wd/make.log" 2>&1
    ) || die "provider build failed; see $wd/*.log"
    install -d "$OUT/lib/ossl-modules"
    install -m 0755 "$srcdir/providers/fips.so" "$MOD"
    VERSION=$(basename "$srcdir" | sed 's/^openssl-//')
}

ORIGIN=""; VERSION=""; TARBALL=""; TARSHA=""; STATUS=""

# 1. Given by the user.
if [ -n "${SEAL_FIPS_MODULE:-}" ]; then
    [ -f "$SEAL_FIPS_MODULE" ] || die "SEAL_FIPS_MODULE=$SEAL_FIPS_MODULE does not exist"
    install -d "$OUT/lib/ossl-modules"
    install -m 0755 "$SEAL_FIPS_MODULE" "$MOD"
    ORIGIN="user-module:$SEAL_FIPS_MODULE"
elif [ -n "${SEAL_FIPS_SOURCE:-}" ]; then
    [ -f "$SEAL_FIPS_SOURCE" ] || die "SEAL_FIPS_SOURCE=$SEAL_FIPS_SOURCE does not exist"
    TARBALL=$(basename "$SEAL_FIPS_SOURCE")
    TARSHA=$(sha256sum "$SEAL_FIPS_SOURCE" | cut -d' ' -f1)
    STATUS=$(tarball_status "$TARSHA")
    build_from_tarball "$SEAL_FIPS_SOURCE" "$OUT/work"
    ORIGIN="user-source"
fi

# 2. Shipped by the operating system.
if [ -z "$ORIGIN" ]; then
    for m in /usr/lib64/ossl-modules/fips.so /usr/lib/x86_64-linux-gnu/ossl-modules/fips.so \
             /usr/lib/aarch64-linux-gnu/ossl-modules/fips.so /usr/lib/ossl-modules/fips.so; do
        if [ -f "$m" ]; then
            install -d "$OUT/lib/ossl-modules"
            install -m 0755 "$m" "$MOD"
            ORIGIN="os:$m"
            break
        fi
    done
fi

# 3. Debian's OpenSSL source package.
if [ -z "$ORIGIN" ]; then
    wd="$OUT/work"
    mkdir -p "$wd"
    tb=$(ls "$wd"/openssl_*.orig.tar.gz 2>/dev/null | head -n 1 || true)
    if [ -z "$tb" ]; then
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO=sudo
        if ! apt-get indextargets 2>/dev/null | grep -q '^Identifier: Sources'; then
            say "no deb-src entry: adding one next to the existing deb sources"
            if [ -f /etc/apt/sources.list.d/debian.sources ]; then
                sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
                    | $SUDO tee /etc/apt/sources.list.d/sealdb-deb-src.sources >/dev/null
            elif [ -f /etc/apt/sources.list ]; then
                grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
                    | $SUDO tee /etc/apt/sources.list.d/sealdb-deb-src.list >/dev/null
            else
                die "no apt sources found to derive a deb-src entry from"
            fi
            $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
        fi
        say "downloading Debian's OpenSSL source (apt verifies it against the signed index)"
        # The Debian patch files can be missing from the mirror (non-zero exit);
        # only the upstream orig tarball is needed.
        (cd "$wd" && apt-get source --download-only openssl >"$wd/apt-source.log" 2>&1) || true
        tb=$(ls "$wd"/openssl_*.orig.tar.gz 2>/dev/null | head -n 1 || true)
        [ -n "$tb" ] || die "apt-get source openssl gave no orig tarball; see $wd/apt-source.log"
    fi
    TARBALL=$(basename "$tb")
    TARSHA=$(sha256sum "$tb" | cut -d' ' -f1)
    STATUS=$(tarball_status "$TARSHA")
    build_from_tarball "$tb" "$wd"
    ORIGIN="debian-source"
fi

if [ -n "$TARSHA" ] && [ "$STATUS" = unknown ]; then
    say "WARNING: $TARBALL (sha256 $TARSHA) is not in scripts/fips-known.txt;"
    say "WARNING: it came through apt's signed index, but check it before relying on it"
fi

say "running openssl fipsinstall (integrity check and self-tests)"
openssl fipsinstall -quiet -module "$MOD" -out "$MODCNF" >"$OUT/fipsinstall.log" 2>&1 \
    || die "openssl fipsinstall failed; see $OUT/fipsinstall.log"

cat >"$CNF" <<CNF
# SealDB's OpenSSL configuration: the FIPS provider and the base provider
# (encoders/decoders only), nothing else, and fips=yes for every fetch.
# Written by scripts/fips-provider.sh; do not edit.
config_diagnostics = 1
openssl_conf = openssl_init

.include $MODCNF

[fips_sect]
module = $MOD

[openssl_init]
providers = provider_sect
alg_section = algorithm_sect

[provider_sect]
fips = fips_sect
base = base_sect

[base_sect]
activate = 1

[algorithm_sect]
default_properties = fips=yes
CNF

MODSHA=$(sha256sum "$MOD" | cut -d' ' -f1)
if [ -z "$VERSION" ]; then
    VERSION=$(OPENSSL_CONF="$CNF" openssl list -providers 2>/dev/null \
        | awk '/^  fips/ { f = 1 } f && /version:/ { print $2; exit }')
fi
cat >"$INFO" <<INFO
origin=$ORIGIN
version=${VERSION:-unknown}
tarball=${TARBALL:-}
tarball_sha256=${TARSHA:-}
tarball_status=${STATUS:-}
module=$MOD
module_sha256=$MODSHA
INFO

OPENSSL_CONF="$CNF" openssl list -providers 2>/dev/null | grep -q 'OpenSSL FIPS Provider\|fips' \
    || die "the FIPS provider does not load with $CNF"
say "ready: $MOD (version ${VERSION:-unknown}, sha256 $MODSHA)"
