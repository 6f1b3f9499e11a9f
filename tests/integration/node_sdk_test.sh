#!/bin/sh
# node_sdk_test.sh - immudb's official Node.js SDK (npm immudb-node 1.1.1) end to end against
# sealdb: installs the SDK (npm ci) if needed, starts sealdb on a fresh data dir and a free
# port, runs tests/integration/node/sdk_test.js, stops sealdb with SIGTERM and requires a
# clean exit (status 0).
#
# Environment (set by ctest): SEAL_BUILD_DIR (where sealdb is), SEAL_SRC_DIR (the source tree),
# SEALDB_FIPS_CONFIG (read by sealdb). Optional: SEALDB_NODE_TEST_TIMEOUT (seconds, default 600).
set -u

SRC_DIR=${SEAL_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${SEAL_BUILD_DIR:-$SRC_DIR/build}
NODE_DIR=$SRC_DIR/tests/integration/node
SEALDB=$BUILD_DIR/sealdb
ADMIN_PW='Node-Sdk-Admin1!'
TEST_TIMEOUT=${SEALDB_NODE_TEST_TIMEOUT:-600}

fail() {
    echo "node_sdk_test: FAIL: $*" >&2
    exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed (Node.js >= 18 is needed to run the immudb-node SDK)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (it installs the pinned immudb-node SDK)"
[ -x "$SEALDB" ] || fail "$SEALDB not found or not executable (build first)"

# 1. The SDK, exactly as pinned by package-lock.json.
if [ ! -f "$NODE_DIR/node_modules/immudb-node/package.json" ]; then
    echo "node_sdk_test: installing the Node dependencies (npm ci in $NODE_DIR)"
    if ! (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error); then
        fail "npm ci failed in $NODE_DIR: is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null))"
    fi
fi
installed=$(node -p "require('$NODE_DIR/node_modules/immudb-node/package.json').version" 2>/dev/null)
[ "$installed" = "1.1.1" ] || fail "immudb-node $installed installed in $NODE_DIR, 1.1.1 expected (remove node_modules and rerun)"

# 2. A fresh data dir and a free port.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sealdb-node-sdk.XXXXXX") || fail "mktemp failed"
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

show_log() {
    echo "---- sealdb log (last 40 lines) ----" >&2
    tail -n 40 "$TMP/sealdb.log" >&2
    echo "------------------------------------" >&2
}

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})") ||
    fail "could not find a free port"

# 3. Start sealdb (immudb-style flags).
"$SEALDB" --dir "$TMP/data" --port "$PORT" --admin-password "$ADMIN_PW" >"$TMP/sealdb.log" 2>&1 &
SERVER_PID=$!

port_open() {
    node -e "const c=require('net').connect($PORT,'127.0.0.1');c.on('connect',()=>process.exit(0));c.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1000)" 2>/dev/null
}

waited=0
until port_open; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        wait "$SERVER_PID"
        st=$?
        SERVER_PID=
        show_log
        fail "sealdb exited (status $st) before listening on port $PORT: it does not serve gRPC yet, or rejected its flags (--dir --port --admin-password)"
    fi
    waited=$((waited + 1))
    if [ "$waited" -gt 300 ]; then
        show_log
        fail "sealdb did not listen on port $PORT within 30 s"
    fi
    sleep 0.1
done
echo "node_sdk_test: sealdb (pid $SERVER_PID) listening on 127.0.0.1:$PORT"

# 4. The SDK test.
SEALDB_ADDR=127.0.0.1 SEALDB_PORT=$PORT SEALDB_ADMIN_PASSWORD=$ADMIN_PW \
    timeout "$TEST_TIMEOUT" node "$NODE_DIR/sdk_test.js"
rc=$?
[ "$rc" -eq 124 ] && echo "node_sdk_test: sdk_test.js timed out after $TEST_TIMEOUT s" >&2

# 5. Stop sealdb: SIGTERM, clean exit within 20 s.
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID"
    st=$?
    SERVER_PID=
    show_log
    fail "sealdb died during the test (status $st)"
fi
kill -TERM "$SERVER_PID"
# Watchdog: SIGKILL after 20 s (its output detached so nothing waits for its sleep).
(sleep 20 && kill -KILL "$SERVER_PID") >/dev/null 2>&1 &
WATCHDOG=$!
wait "$SERVER_PID"
st=$?
kill "$WATCHDOG" 2>/dev/null
SERVER_PID=
if [ "$st" -eq 137 ]; then
    show_log
    fail "sealdb did not exit within 20 s of SIGTERM (killed)"
fi
if [ "$st" -ne 0 ]; then
    show_log
    fail "sealdb exited with status $st after SIGTERM (0 expected)"
fi

if [ "$rc" -ne 0 ]; then
    show_log
    fail "sdk_test.js failed (status $rc); its FAIL lines above name the steps"
fi
echo "node_sdk_test: PASS"
exit 0
