#!/bin/sh
# Install the Debian packages SealDB needs to build and test, only when missing.
# Safe to run repeatedly; does nothing when everything is present.
set -eu

PKGS="build-essential cmake pkg-config openssl libssl-dev libnghttp2-dev \
libprotobuf-c-dev protobuf-c-compiler liblmdb-dev dpkg-dev ca-certificates"

# Node.js runs the real-client tests (immudb's Node SDK, grpc-js); machines of
# this kind ship it, Debian's nodejs/npm are the fallback.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

# Optional extras: only if the caller asks for them (SEAL_DEPS_EXTRA=1 for
# clang and PostgreSQL, SEAL_DEPS_CLANG=1 for clang alone).
if [ "${SEAL_DEPS_EXTRA:-0}" = 1 ]; then
    PKGS="$PKGS clang postgresql"
elif [ "${SEAL_DEPS_CLANG:-0}" = 1 ]; then
    PKGS="$PKGS clang"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
fi
