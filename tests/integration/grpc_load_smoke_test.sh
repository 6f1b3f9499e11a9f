#!/bin/sh
# grpc_load_smoke_test.sh - the server load generator (bench/grpc_load_bench)
# must not break silently: against a real sealdb on a temporary directory it
# runs each workload (set, vset, vget) for about a second with 4 clients,
# in the default epoll mode (2 threads) and in the --blocking mode, with
# --verify (every answer's tx id chain checked); each workload line must
# report calls > 0 and 0 errors, and the program must exit 0. A server that
# cannot be reached must be reported as "nothing measured" (exit 0).
set -u
SRC_DIR=${SEAL_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${SEAL_BUILD_DIR:-$SRC_DIR/build}
SEALDB=$BUILD_DIR/sealdb
LOAD=$BUILD_DIR/bench/grpc_load_bench
T=$(mktemp -d "${TMPDIR:-/tmp}/grpc-load-smoke.XXXXXX")
SPID=
FAILS=0
PW="smoke-Pw-$$"
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

[ -x "$SEALDB" ] || { echo "sealdb not built: $SEALDB" >&2; exit 1; }
[ -x "$LOAD" ] || { echo "grpc_load_bench not built: $LOAD" >&2; exit 1; }

# Empty the output here, in the parent: the child's redirection truncates it
# only once it runs, so an old "serving on" line could otherwise be read.
: >"$T/sdb.out"
"$SEALDB" --dir "$T/data" --port 0 --address 127.0.0.1 --admin-password "$PW" \
    --log-level warn >"$T/sdb.out" 2>"$T/sdb.err" &
SPID=$!
i=0
while ! grep -q '^sealdb: serving on' "$T/sdb.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 400 ] || ! kill -0 "$SPID" 2>/dev/null; then
        echo "FAIL: sealdb did not start" >&2
        cat "$T/sdb.out" "$T/sdb.err" >&2
        exit 1
    fi
    sleep 0.05
done
PORT=$(awk '/^sealdb: serving on/{n = split($4, a, ":"); print a[n]}' "$T/sdb.out")

# check_run NAME ARGS...: runs the generator, then checks its table.
check_run() {
    name=$1
    shift
    "$LOAD" --addr 127.0.0.1 --port "$PORT" --user immudb --password "$PW" --clients 4 \
        --seconds 1 --verify --workloads set,vset,vget "$@" >"$T/$name.out" 2>"$T/$name.err"
    st=$?
    [ "$st" -eq 0 ] || fail "$name: exit status $st"
    for w in set vset vget; do
        line=$(awk -v w="$w" '$1 == w' "$T/$name.out")
        if [ -z "$line" ]; then
            fail "$name: no $w line"
            continue
        fi
        # load calls/s p50 p99 calls errors
        echo "$line" | awk '{ exit !($2 > 0 && $5 > 0 && $6 == 0 && NF == 6) }' ||
            fail "$name: $w line wants calls > 0 and errors 0: $line"
    done
    if [ "$FAILS" -ne 0 ]; then
        sed 's/^/    stdout: /' "$T/$name.out" >&2
        sed 's/^/    stderr: /' "$T/$name.err" | head -20 >&2
    else
        echo "ok   $name"
        cat "$T/$name.out"
    fi
}

check_run epoll --threads 2 --db smoke1 --create-db
grep -q "driven by 2 threads (epoll)" "$T/epoll.out" || fail "epoll: description line"
check_run blocking --blocking --db smoke2 --create-db
grep -q "thread each, blocking client" "$T/blocking.out" || fail "blocking: description line"

# --conns without --blocking is refused (usage, exit 2).
"$LOAD" --port "$PORT" --clients 4 --conns 2 >/dev/null 2>"$T/conns.err"
st=$?
[ "$st" -eq 2 ] && grep -q -- "--conns needs --blocking" "$T/conns.err" ||
    fail "--conns without --blocking: status $st"

kill -TERM "$SPID"
wait "$SPID" || fail "sealdb exited with an error: $(tail -n 3 "$T/sdb.err")"
SPID=

# No server any more on that port: nothing measured, exit 0.
"$LOAD" --addr 127.0.0.1 --port "$PORT" --seconds 1 >"$T/none.out" 2>&1
st=$?
[ "$st" -eq 0 ] && grep -q "nothing measured" "$T/none.out" ||
    fail "no server: status $st, $(cat "$T/none.out")"

if [ "$FAILS" -eq 0 ]; then
    echo "PASSED"
    exit 0
fi
echo "$FAILS failure(s)" >&2
exit 1
