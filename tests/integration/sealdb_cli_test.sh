#!/bin/sh
# sealdb_cli_test.sh - the sealdb program: --help, refusals of bad flags and
# unusable data directories (exit 1 with a clear message), SEALDB_* env
# variables (the flag wins), an enc: (base64) admin password, the banner
# (durability, TLS, FIPS), the pid file, a port already in use, and a
# graceful stop on SIGTERM (exit 0). RPCs go through tests/tools/srv_probe.
set -u
SRC_DIR=${SEAL_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${SEAL_BUILD_DIR:-$SRC_DIR/build}
SEALDB=$BUILD_DIR/sealdb
PROBE=$BUILD_DIR/tests/srv_probe
[ -x "$PROBE" ] || PROBE=$BUILD_DIR/srv_probe
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sealdb-cli.XXXXXX")
PIDS=""
FAILS=0
PASSES=0
cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASSES=$((PASSES + 1)); echo "ok   $1"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $1" >&2; }
check() { # name command...
    name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

[ -x "$SEALDB" ] || { echo "sealdb not built: $SEALDB" >&2; exit 1; }
[ -x "$PROBE" ] || { echo "srv_probe not built" >&2; exit 1; }

# expect_fail <name> <text in stderr> <args...>: exit status 1, message shown.
expect_fail() {
    name=$1; text=$2; shift 2
    "$SEALDB" "$@" >"$TMP/out" 2>"$TMP/err"
    st=$?
    if [ "$st" -eq 1 ] && grep -q -- "$text" "$TMP/err"; then
        ok "$name"
    else
        bad "$name (status $st, stderr: $(head -c 300 "$TMP/err"))"
    fi
}

# start <log> <args...>: starts sealdb in the background, waits for
# "serving on", sets SPID and SPORT.
start() {
    log=$1; shift
    : >"$log" # in the parent, so an old "serving on" line is never read
    "$SEALDB" "$@" >"$log" 2>&1 &
    SPID=$!
    PIDS="$PIDS $SPID"
    SPORT=
    i=0
    while [ $i -lt 300 ]; do
        if grep -q "serving on" "$log" 2>/dev/null; then
            SPORT=$(sed -n 's/^sealdb: serving on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -1)
            return 0
        fi
        kill -0 "$SPID" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# stop_ok <name>: SIGTERM, exit 0 within 20 s.
stop_ok() {
    kill -TERM "$SPID"
    (sleep 20 && kill -KILL "$SPID") >/dev/null 2>&1 &
    wd=$!
    wait "$SPID"
    st=$?
    kill "$wd" 2>/dev/null
    if [ "$st" -eq 0 ]; then ok "$1"; else bad "$1 (status $st)"; fi
}

# 1. Help and refusals.
"$SEALDB" --help >"$TMP/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help lists immudb's flags" grep -q -- "--admin-password" "$TMP/help"
check "--help lists the env variables" grep -q "SEALDB_" "$TMP/help"
expect_fail "unknown flag" "unknown or incomplete option" --no-such-flag
expect_fail "port not a number" "invalid value" --port abc
expect_fail "port out of range" "invalid port" --port 70000
expect_fail "header version 2" "must be 0 or 1" --default-tx-header-version 2
expect_fail "log format" "text or json" --logformat xml
expect_fail "log level" "error, warn, info or debug" --log-level loud
expect_fail "bad bool" "invalid value" --synced=maybe
expect_fail "bad duration" "invalid value" --session-timeout 5x
expect_fail "stray argument" "unexpected argument" --dir "$TMP/x" extra
SEALDB_MAX_SESSIONS=lots "$SEALDB" --dir "$TMP/x" --port 0 >/dev/null 2>"$TMP/err"
st=$?
check "bad env value refused" [ "$st" -eq 1 ]
check "bad env value named" grep -q "SEALDB_MAX_SESSIONS" "$TMP/err"
expect_fail "bad enc: password" "error decoding password" --admin-password 'enc:%%%'
expect_fail "empty admin password" "cannot be empty" --admin-password '   '
: >"$TMP/afile"
expect_fail "dir is a file" "not a directory" --dir "$TMP/afile" --port 0
expect_fail "dir under a file" "Not a directory" --dir "$TMP/afile/sub" --port 0
expect_fail "mtls without certificate" "--mtls needs" --dir "$TMP/m" --port 0 --mtls
expect_fail "missing signing key" "signing key" --dir "$TMP/s" --port 0 --signingKey "$TMP/nokey"

# 2. A server from env variables and flags.
PW_B64=$(printf 'Env-Pw1!' | base64)
export SEALDB_ADMIN_PASSWORD="enc:$PW_B64"
export SEALDB_PORT=1
if start "$TMP/s1.log" --dir "$TMP/data" --address 127.0.0.1 --port 0 --pidfile "$TMP/sealdb.pid"; then
    ok "server starts"
else
    bad "server starts"; cat "$TMP/s1.log" >&2; exit 1
fi
unset SEALDB_ADMIN_PASSWORD SEALDB_PORT
check "the flag wins over SEALDB_PORT" [ -n "$SPORT" ] && [ "$SPORT" != 1 ]
check "banner: durability" grep -q "Durability *: synced" "$TMP/s1.log"
check "banner: TLS off" grep -q "TLS *: off" "$TMP/s1.log"
check "banner: FIPS" grep -q "FIPS module *: OpenSSL FIPS Provider" "$TMP/s1.log"
check "banner: data dir" grep -q "Data directory *: $TMP/data" "$TMP/s1.log"
check "no default-password warning" sh -c "! grep -q 'DEFAULT password' '$TMP/s1.log'"
check "pid file" [ "$(cat "$TMP/sealdb.pid" 2>/dev/null)" = "$SPID" ]
check "identifier file" [ "$(wc -c <"$TMP/data/immudb.identifier")" -eq 12 ]
out=$("$PROBE" "$SPORT" health)
check "Health" [ "${out#OK status=1}" != "$out" ]
out=$("$PROBE" "$SPORT" login immudb 'Env-Pw1!')
check "login with the enc: password (env)" [ "${out#OK token=}" != "$out" ]
out=$("$PROBE" "$SPORT" login immudb immudb)
check "login with the default password refused" [ "${out#ERR 2 invalid user name or password}" != "$out" ]
out=$("$PROBE" "$SPORT" serverinfo)
check "ServerInfo" [ "${out#OK version=}" != "$out" ]
# Port in use: a second server on the same port exits 1.
"$SEALDB" --dir "$TMP/data2" --address 127.0.0.1 --port "$SPORT" >"$TMP/s2.log" 2>&1
st=$?
check "port in use: exit 1" [ "$st" -eq 1 ]
check "port in use: message" grep -q "cannot listen on 127.0.0.1:$SPORT" "$TMP/s2.log"
stop_ok "SIGTERM: exit 0"
check "stop logged" grep -q "sealdb: stopped" "$TMP/s1.log"
check "pid file removed" [ ! -e "$TMP/sealdb.pid" ]

# 3. Restart on the same dir: the password stays; --synced=false and the
# default password warning are shown plainly.
if start "$TMP/s3.log" --dir "$TMP/data" --address 127.0.0.1 --port 0 --synced=false \
    --admin-password 'Other-Pw1!'; then
    ok "restart"
else
    bad "restart"; cat "$TMP/s3.log" >&2
fi
check "banner: not synced" grep -q "Durability *: NOT SYNCED" "$TMP/s3.log"
check "admin password mismatch reported" grep -q "admin password was not updated" "$TMP/s3.log"
out=$("$PROBE" "$SPORT" login immudb 'Env-Pw1!')
check "stored password kept" [ "${out#OK token=}" != "$out" ]
kill -INT "$SPID"
wait "$SPID"
check "SIGINT: exit 0" [ $? -eq 0 ]
if start "$TMP/s4.log" --dir "$TMP/fresh/a/b" --address 127.0.0.1 --port 0 --logformat json; then
    ok "fresh nested dir with defaults"
else
    bad "fresh dir with defaults"; cat "$TMP/s4.log" >&2
fi
check "loud default-password warning" grep -q "DEFAULT password 'immudb'" "$TMP/s4.log"
check "json log lines" grep -q '^{.*"level"' "$TMP/s4.log"
out=$("$PROBE" "$SPORT" login immudb immudb)
check "default password login warns" [ "${out#*warning=immudb user has the default password}" != "$out" ]
stop_ok "SIGTERM after json logs: exit 0"

echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
