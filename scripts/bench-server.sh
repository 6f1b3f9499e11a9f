#!/bin/sh
# bench-server.sh - server benchmark: starts sealdb (durable commits) on a
# temporary directory, runs bench/grpc_load_bench against it (Set of one
# key/value per tx, VerifiableSet, VerifiableGet, from N concurrent
# clients driven by a few epoll threads, as pgbench drives its clients),
# then the same write workload on PostgreSQL when it is
# installed (pgbench, one single-row INSERT per transaction, synchronous
# commit, same client count) and prints the figures and the ratio.
#
# usage: scripts/bench-server.sh BUILD_DIR [SECONDS] [CLIENTS] [THREADS]
#   CLIENTS (default 100) connections with one call in flight each, driven
#   by THREADS (default 2) epoll threads of the load generator; pgbench gets
#   the same numbers (-c CLIENTS -j THREADS).
# LOAD_FLAGS adds flags to the load generator, e.g. LOAD_FLAGS=--blocking
# (a thread per client) or LOAD_FLAGS="--blocking --conns 10" (the clients'
# calls multiplexed as HTTP/2 streams on 10 connections).
# SEAL_DEPS_EXTRA=1 lets scripts/deps.sh install PostgreSQL when missing.
set -eu
B=${1:?usage: bench-server.sh BUILD_DIR [SECONDS] [CLIENTS] [THREADS]}
SECS=${2:-10}
CLIENTS=${3:-100}
THREADS=${4:-2}
LOAD_FLAGS=${LOAD_FLAGS:-}
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(cd "$B" && pwd)
SEALDB="$B/sealdb"
LOAD="$B/bench/grpc_load_bench"
[ -x "$SEALDB" ] && [ -x "$LOAD" ] || { echo "bench-server.sh: build sealdb and grpc_load_bench first" >&2; exit 1; }
: "${SEALDB_FIPS_CONFIG:=}"
export SEALDB_FIPS_CONFIG

T=$(mktemp -d "${TMPDIR:-/tmp}/sealbench.XXXXXX")
SPID=""
PGBIN=""
PGDATA=""
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
    if [ -n "$PGBIN" ] && [ -n "$PGDATA" ] && [ -f "$PGDATA/postmaster.pid" ]; then
        pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

# PostgreSQL refuses to run as root: use its own account then.
pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    p=$(( 20000 + ($$ * 7 + $1) % 20000 ))
    echo "$p"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/^model name[[:space:]]*:/# cpu:/' || true

# ------------------------------------------------------------------ sealdb
PORT=$(free_port 1)
PW="bench-Pw-$$"
"$SEALDB" --dir "$T/data" --address 127.0.0.1 --port "$PORT" --admin-password "$PW" \
    --log-level warn >"$T/sealdb.log" 2>&1 &
SPID=$!
i=0
until grep -q "serving on" "$T/sealdb.log" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$SPID" 2>/dev/null; then
        echo "bench-server.sh: sealdb did not start:" >&2
        cat "$T/sealdb.log" >&2
        exit 1
    fi
    sleep 0.1
done
case " $LOAD_FLAGS " in
*" --blocking "*) GEN="a load generator thread per connection, $LOAD_FLAGS" ;;
*) GEN="$THREADS load generator threads${LOAD_FLAGS:+, $LOAD_FLAGS}" ;;
esac
echo "## sealdb (durable commits, header version 1, no signing key; $CLIENTS clients, $GEN)"
# The generator's own CPU (it shares the cores with the server), when
# /usr/bin/time is there.
run_load() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -o "$T/loadcpu.txt" -f '%U %S %e %w %c' "$@"
    else
        "$@"
    fi
}
# shellcheck disable=SC2086 # LOAD_FLAGS is a list of flags
run_load "$LOAD" --addr 127.0.0.1 --port "$PORT" --user immudb --password "$PW" --db bench \
    --create-db --clients "$CLIENTS" --threads "$THREADS" --seconds "$SECS" \
    --workloads set,vset,vget $LOAD_FLAGS | tee "$T/seal.txt"
if [ -s "$T/loadcpu.txt" ]; then
    CALLS=$(awk '$1 == "set" || $1 == "vset" || $1 == "vget" {n += $5} END {print n + 0}' "$T/seal.txt")
    tail -n 1 "$T/loadcpu.txt" | awk -v n="$CALLS" '{
        c = n ? n : 1
        printf "# load generator CPU: %.2f s user + %.2f s sys in %.1f s (%.0f %% of one core), ", $1, $2, $3, ($1 + $2) * 100 / $3
        printf "about %.1f us and %.2f context switches per measured call (warm-up included)\n", ($1 + $2) * 1e6 / c, ($4 + $5) / c }'
fi
kill "$SPID"
wait "$SPID" || true
SPID=""
SET=$(awk '$1 == "set" {print $2}' "$T/seal.txt")
VSET=$(awk '$1 == "vset" {print $2}' "$T/seal.txt")
VGET=$(awk '$1 == "vget" {print $2}' "$T/seal.txt")

# -------------------------------------------------------------- PostgreSQL
find_pg() {
    for d in $(pg_config --bindir 2>/dev/null) /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pgbench" ]; then
            echo "$d"
            return
        fi
    done
}
PGBIN=$(find_pg || true)
if [ -z "$PGBIN" ] && [ "${SEAL_DEPS_EXTRA:-0}" = 1 ]; then
    "$HERE/deps.sh" || true
    PGBIN=$(find_pg || true)
fi
if [ -z "$PGBIN" ]; then
    echo "## PostgreSQL baseline: not installed (SEAL_DEPS_EXTRA=1 scripts/deps.sh installs it)"
    printf "summary: set %s tx/s, vset %s/s, vget %s/s\n" "$SET" "$VSET" "$VGET"
    exit 0
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "## PostgreSQL baseline: running as root without a 'postgres' account; skipped"
    exit 0
fi
PGDATA="$T/pg"
mkdir -p "$PGDATA"
chmod 755 "$T"
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U bench >"$T/initdb.log" 2>&1 || { cat "$T/initdb.log" >&2; exit 1; }
PGPORT=$(free_port 2)
pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses='' -c max_connections=$((CLIENTS + 20)) \
        -c synchronous_commit=on -c fsync=on -c shared_buffers=256MB" start >/dev/null
pg "$PGBIN/psql" -q -h "$PGDATA" -p "$PGPORT" -U bench -d postgres \
    -c "CREATE TABLE kv (k text PRIMARY KEY, v bytea NOT NULL)" >/dev/null
cat >"$T/insert.sql" <<'EOF'
\set r random(1, 1000000000000)
INSERT INTO kv (k, v) VALUES ('k' || :client_id || '-' || :r, '\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f') ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v;
EOF
chmod 644 "$T/insert.sql"
echo "## PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (pgbench, one INSERT per transaction, synchronous_commit=on, $CLIENTS clients, -j $THREADS)"
(cd "$PGDATA" && pg "$PGBIN/pgbench" -n -h "$PGDATA" -p "$PGPORT" -U bench -c "$CLIENTS" -j "$THREADS" \
    -T "$SECS" -f "$T/insert.sql" -l --log-prefix=pgb postgres) >"$T/pgbench.txt" 2>&1 || {
    cat "$T/pgbench.txt" >&2
    exit 1
}
PGTPS=$(awk '/^tps = / {print $3; exit}' "$T/pgbench.txt")
# per-transaction logs: field 3 is the latency in microseconds
cat "$PGDATA"/pgb.* | awk '{print $3}' | sort -n >"$T/lat.txt"
N=$(wc -l <"$T/lat.txt")
P50=$(awk -v n="$N" 'NR == int(n * 0.5) + 1 {printf "%.2f", $1 / 1000}' "$T/lat.txt")
P99=$(awk -v n="$N" 'NR == int(n * 0.99) + 1 {printf "%.2f", $1 / 1000}' "$T/lat.txt")
printf "%-6s %12.0f %10s %10s %10s\n" "insert" "$PGTPS" "$P50" "$P99" "$N"
echo "## ratios"
awk -v s="$SET" -v p="$PGTPS" 'BEGIN {printf "sealdb Set / PostgreSQL INSERT: %.2f\n", s / p}'
awk -v s="$VSET" -v p="$PGTPS" 'BEGIN {printf "sealdb VerifiableSet / PostgreSQL INSERT: %.2f\n", s / p}'
printf "targets: Set >= 25000 (%s), VerifiableSet >= 15000 (%s), VerifiableGet >= 15000 (%s)\n" \
    "$SET" "$VSET" "$VGET"
