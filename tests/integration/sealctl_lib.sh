# sealctl_lib.sh - helpers shared by the sealctl_*_test.sh shell tests (not a
# test itself): running sealctl and checking its exit code, JSON output parsed
# with python3, the fake server tool (tests/tools/sealctl_fakesrv.c) driven
# through a fifo, and a real sealdb on a free port.
set -u
B=${SEAL_BUILD_DIR:?SEAL_BUILD_DIR must point at the build directory}
S=${SEAL_SRC_DIR:?SEAL_SRC_DIR must point at the source directory}
CTL=$B/sealctl
T=$(mktemp -d "${TMPDIR:-/tmp}/sealctl-test.XXXXXX")
FAILS=0
FPID=
SPID=
# keep every default location (token file, trusted state) inside the test dir
HOME=$T/home
export HOME
mkdir -p "$HOME"
unset SEALDB_PASSWORD SEALDB_NEW_PASSWORD SEALDB_OLD_PASSWORD SEALDB_TOKENFILE SEALDB_PORT \
    SEALDB_ADDRESS 2>/dev/null || true

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

# run CMD...: stdout in $T/o, stderr in $T/e, exit code in RC
run() {
    "$@" >"$T/o" 2>"$T/e"
    RC=$?
}

# expect RC CMD...: runs CMD and checks its exit code
expect() {
    want=$1
    shift
    run "$@"
    if [ "$RC" != "$want" ]; then
        fail "exit $RC, wanted $want: $*"
        sed 's/^/    stderr: /' "$T/e" | head -20 >&2
        sed 's/^/    stdout: /' "$T/o" | head -20 >&2
        return 1
    fi
    return 0
}

# expect_in RC STDIN-FILE CMD...
expect_in() {
    want=$1
    inp=$2
    shift 2
    "$@" <"$inp" >"$T/o" 2>"$T/e"
    RC=$?
    if [ "$RC" != "$want" ]; then
        fail "exit $RC, wanted $want: $* < $inp"
        sed 's/^/    stderr: /' "$T/e" | head -20 >&2
        return 1
    fi
    return 0
}

# jv EXPR: a Python expression over the JSON lines of the last stdout
# (L = every object, d = the first); booleans print as true/false.
jv() {
    python3 -I -S - "$1" "$T/o" <<'PYEOF'
import base64, json, sys
L = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
d = L[0] if L else None
v = eval(sys.argv[1])
print(('true' if v else 'false') if isinstance(v, bool) else v)
PYEOF
}

# check DESC EXPR WANT: the JSON expression must print WANT
check() {
    got=$(jv "$2" 2>&1)
    [ "$got" = "$3" ] || fail "$1: $2 = '$got', wanted '$3'"
}

# out_has TEXT DESC / err_has TEXT DESC
out_has() {
    grep -q -F -- "$1" "$T/o" || {
        fail "$2: stdout lacks '$1'"
        sed 's/^/    stdout: /' "$T/o" | head -20 >&2
    }
}
err_has() {
    grep -q -F -- "$1" "$T/e" || {
        fail "$2: stderr lacks '$1'"
        sed 's/^/    stderr: /' "$T/e" | head -20 >&2
    }
}

sum() {
    cksum <"$1" | cut -d' ' -f1
}

# ------------------------------------------------------------ fake server
# fake_start VERSION [--sign] [--auth]: sets FPORT, FPUB, FDIR (its store)
fake_start() {
    FDIR=$T/fake$$.$1.$(date +%s%N)
    mkdir -p "$FDIR"
    rm -f "$T/fk.in"
    mkfifo "$T/fk.in"
    # Empty the output here, in the parent: the child truncates it only after
    # its fifo is open, and a previous fake server's READY/PORT lines would
    # otherwise be read first.
    : >"$T/fk.out"
    TMPDIR=$FDIR "$B/tests/sealctl_fakesrv" "$@" <"$T/fk.in" >"$T/fk.out" 2>"$T/fk.err" &
    FPID=$!
    exec 7>"$T/fk.in"
    i=0
    while ! grep -q '^READY' "$T/fk.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 200 ]; then
            fail "the fake server did not start"
            cat "$T/fk.err" >&2
            finish
        fi
        sleep 0.05
    done
    FPORT=$(awk '/^PORT/{print $2}' "$T/fk.out")
    FPUB=$(awk '/^PUBKEY/{print $2}' "$T/fk.out")
    FSTORE=$(ls -d "$FDIR"/sealtest-*/srv)
}

# fake_cmd LINE: sends a command and waits for its answer
fake_cmd() {
    n=$(grep -c '^OK\|^ERR' "$T/fk.out")
    echo "$*" >&7
    i=0
    while [ "$(grep -c '^OK\|^ERR' "$T/fk.out")" -le "$n" ]; do
        i=$((i + 1))
        [ $i -gt 600 ] && {
            fail "the fake server did not answer '$*'"
            return 1
        }
        sleep 0.05
    done
    tail -n 1 "$T/fk.out" | grep -q '^OK' || fail "fake server: $* -> $(tail -n 1 "$T/fk.out")"
}

fake_stop() {
    if [ -n "$FPID" ]; then
        echo quit >&7
        exec 7>&-
        wait "$FPID" || fail "the fake server exited with an error: $(tail -n 3 "$T/fk.err")"
        FPID=
    fi
}

# ------------------------------------------------------------ real sealdb
ADMINPW='Adm1n-Test-pw!'
# sdb_start DIR [flags...]: sets SPORT, SPID
sdb_start() {
    d=$1
    shift
    # Empty the output here, in the parent: the child's redirection truncates
    # it only once it runs, so a previous server's "serving on" line could
    # otherwise be read (with its old port) before that.
    : >"$T/sdb.out"
    "$B/sealdb" --dir "$d" --port 0 --address 127.0.0.1 --admin-password "$ADMINPW" \
        --log-level warn "$@" >"$T/sdb.out" 2>"$T/sdb.err" &
    SPID=$!
    i=0
    while ! grep -q '^sealdb: serving on' "$T/sdb.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 400 ] || ! kill -0 "$SPID" 2>/dev/null; then
            fail "sealdb did not start"
            cat "$T/sdb.out" "$T/sdb.err" >&2
            SPID=
            finish
        fi
        sleep 0.05
    done
    SPORT=$(awk '/^sealdb: serving on/{n = split($4, a, ":"); print a[n]}' "$T/sdb.out")
}

sdb_stop() {
    if [ -n "$SPID" ]; then
        kill -TERM "$SPID"
        wait "$SPID" || fail "sealdb exited with an error: $(tail -n 3 "$T/sdb.err")"
        SPID=
    fi
}

finish() {
    [ -n "$FPID" ] && {
        echo quit >&7 2>/dev/null
        kill "$FPID" 2>/dev/null
        wait "$FPID" 2>/dev/null
    }
    [ -n "$SPID" ] && {
        kill -TERM "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
    }
    if [ "$FAILS" -eq 0 ]; then
        rm -rf "$T"
        echo "PASSED"
        exit 0
    fi
    echo "FAILED: $FAILS check(s); files kept in $T" >&2
    exit 1
}
