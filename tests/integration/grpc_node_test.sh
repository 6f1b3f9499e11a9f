#!/bin/sh
# grpc_node_test.sh - a real gRPC client against SealDB's transport: installs
# the pinned @grpc/grpc-js and @grpc/proto-loader (tests/integration/grpcjs,
# node_modules is not committed), starts tests/tools/grpc_test_server on an
# ephemeral port and runs grpc_smoke.js over h2c, then again over TLS (test
# certificates from grpc_certs.sh); each server is stopped with SIGTERM and
# must exit cleanly. Needs node and npm (and the npm registry on first run).
set -eu
SRC=${SEAL_SRC_DIR:?}
BUILD=${SEAL_BUILD_DIR:?}
NODEDIR="$SRC/tests/integration/grpcjs"
command -v node >/dev/null || { echo "node is required for this test" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required for this test" >&2; exit 1; }
if [ ! -d "$NODEDIR/node_modules/@grpc/grpc-js" ] || [ ! -d "$NODEDIR/node_modules/@grpc/proto-loader" ]; then
    (cd "$NODEDIR" && npm install --no-audit --no-fund --silent) || { echo "npm install failed" >&2; exit 1; }
fi
TMP=$(mktemp -d)
SERVER="$BUILD/tests/grpc_test_server"
PID=
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# run_phase <name> [ca cert key]: start a server, run the smoke test, stop it.
run_phase() {
    name=$1
    shift
    : >"$TMP/out" # in the parent: a previous phase's PORT line must not be read
    if [ $# -gt 0 ]; then
        "$SERVER" 0 "$2" "$3" >"$TMP/out" 2>"$TMP/err" &
    else
        "$SERVER" 0 >"$TMP/out" 2>"$TMP/err" &
    fi
    PID=$!
    i=0
    while ! grep -q '^PORT ' "$TMP/out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "server did not start" >&2; cat "$TMP/err" >&2; exit 1; }
        sleep 0.1
    done
    PORT=$(sed -n 's/^PORT //p' "$TMP/out")
    node "$NODEDIR/grpc_smoke.js" "$PORT" "$SRC/proto" ${1:-} || { cat "$TMP/err" >&2; exit 1; }
    if ! kill -TERM "$PID"; then
        echo "server died during the $name test" >&2
        cat "$TMP/err" >&2
        wait "$PID" || echo "server exit code $?" >&2
        exit 1
    fi
    RC=0
    wait "$PID" || RC=$?
    PID=
    [ "$RC" -eq 0 ] || { echo "server exit code $RC after SIGTERM" >&2; cat "$TMP/err" >&2; exit 1; }
}

run_phase h2c
sh "$SRC/tests/integration/grpc_certs.sh" "$TMP/certs"
run_phase tls "$TMP/certs/ca.pem" "$TMP/certs/server.pem" "$TMP/certs/server.key"
echo "grpc_node_test: passed"
