#!/bin/sh
# sealctl_readme_test.sh - runs the README's "Using sealctl" commands exactly
# as written (with ./build/ pointing at this build) against a sealdb started
# as `make run` starts it (default superuser password immudb), the password
# given through SEALDB_PASSWORD in place of the prompt, and checks that each
# one succeeds and that the verified reads say so.
. "$SEAL_SRC_DIR/tests/integration/sealctl_lib.sh"

ADMINPW=immudb
sdb_start "$T/data"
awk '/<!-- sealctl-readme-test:begin/{on=1; next} /<!-- sealctl-readme-test:end/{on=0} on && /^\.\/build\/sealctl /' \
    "$S/README.md" >"$T/cmds"
[ "$(wc -l <"$T/cmds")" -ge 5 ] || fail "the README's sealctl block was not found"
grep -q '^\./build/sealctl login immudb' "$T/cmds" || fail "the README does not start with login"

SEALDB_PORT=$SPORT
SEALDB_PASSWORD=immudb
export SEALDB_PORT SEALDB_PASSWORD
n=0
while IFS= read -r line; do
    n=$((n + 1))
    cmd=$(printf '%s\n' "$line" | sed "s#^\./build/#$B/#")
    sh -c "$cmd" >"$T/o" 2>"$T/e" </dev/null
    rc=$?
    [ "$rc" = 0 ] || {
        fail "README command $n exited $rc: $line"
        sed 's/^/    /' "$T/e" >&2
    }
    case "$line" in
    *"safeget greeting"*) out_has "value:    hello" "$line" && out_has "verified: true" "$line" ;;
    *"-o json safeget k"*) check "$line" "(d['key'], d['value'], d['verified'])" "('k', 'v', True)" ;;
    *"status"*) out_has "server FIPS:            active" "$line" ;;
    *"login immudb"*) [ -f "$HOME/.sealdb/token" ] || fail "no ~/.sealdb/token after login" ;;
    *logout*) [ -e "$HOME/.sealdb/token" ] && fail "logout kept ~/.sealdb/token" ;;
    esac
done <"$T/cmds"
[ -d "$HOME/.sealdb/state" ] || fail "no trusted state in ~/.sealdb/state"
sdb_stop
finish
