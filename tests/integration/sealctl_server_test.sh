#!/bin/sh
# sealctl_server_test.sh - sealctl against a real sealdb: login and the token
# file, status with the server's FIPS headers, databases created with
# `database create --tx-header-version 0|1` and every KV/tx/state subcommand
# on each (JSON parsed, the tx header version checked in `tx`), user and
# database administration, then a replaced history (the server restarted on
# another defaultdb with as many txs): audit, check-consistency and safeget
# exit 3. Last, `verify` of the stopped server's data directory (every
# database) and of a copy with one flipped value-log byte (exit 3).
. "$SEAL_SRC_DIR/tests/integration/sealctl_lib.sh"

sdb_start "$T/data"
C="$CTL -p $SPORT --state-dir $T/st --tokenfile $T/tok"
J="$C -o json"

# --- login, token file, status with the server's FIPS status
printf '%s\n' "$ADMINPW" >"$T/pw"
expect_in 0 "$T/pw" $C login immudb --password-stdin && out_has "Successfully logged in" "login"
[ "$(stat -c %a "$T/tok")" = 600 ] || fail "token file mode $(stat -c %a "$T/tok")"
expect 0 $J status
check "server fips" "(d['server']['fips']['reported'], d['server']['fips']['status'], d['server']['fips']['selftest'])" \
    "(True, 'active', 'passed')"
check "server fips module" "d['server']['fips']['module'].startswith('OpenSSL FIPS Provider')" true
check "local fips" "d['local_fips']['fips_enabled'] and d['local_fips']['selftest_ok']" true
expect 0 $C status && out_has "server FIPS:" "status text" && out_has "local FIPS module:" "local"
expect 0 $J health && check "health" "d['status'] and len(d['server_uuid']) == 20" true
UUID=$(jv "d['server_uuid']")
expect 0 $J info && check "info" "d['version'] != '' and d['started_at'] > 0" true

# --- one database per tx header version
for V in 0 1; do
    expect 0 $J database create "db$V" --tx-header-version "$V"
    check "create db$V" "(d['created'], d['settings']['write_tx_header_version'])" "(True, $V)"
done
expect 0 $J database list
check "database list" "sorted((e['name'], e['settings']['write_tx_header_version']) for e in L)" \
    "[('db0', 0), ('db1', 1), ('defaultdb', 1)]"

for V in 0 1; do
    DB=db$V
    expect 0 $J use "$DB" && check "use" "d['database']" "$DB"
    grep -q "^database $DB\$" "$T/tok" || fail "the token file does not name $DB"
    expect 0 $J safeset k1 v1
    check "$DB safeset" "(d['tx'], d['verified'], d['trust'])" "(1, True, 'first_use')"
    expect 0 $J set k2 v2 && check "$DB set" "d['tx']" 2
    expect 0 $J get k2 && check "$DB get" "(d['value'], d['revision'])" "('v2', 1)"
    expect 0 $J safeget k1 && check "$DB safeget" "(d['value'], d['verified'], d['trust'])" \
        "('v1', True, 'stored')"
    expect 0 $J safeset k1 v1b
    expect 0 $J get k1@1 && check "$DB KEY@1" "d['value']" v1
    expect 0 $J safeget k1 --at-revision -1 && check "$DB revision -1" "d['value']" v1
    expect 0 $J history k1 && check "$DB history" "[e['value'] for e in L]" "['v1', 'v1b']"
    expect 0 $J scan k && check "$DB scan" "[(e['key'], e['value']) for e in L]" \
        "[('k1', 'v1b'), ('k2', 'v2')]"
    expect 0 $J count k && check "$DB count" "d['count']" 2
    head -c 2048 /dev/urandom >"$T/bin"
    expect 0 $J safeset bin --file "$T/bin"
    expect 0 $C safeget bin --raw && cmp -s "$T/o" "$T/bin" || fail "$DB binary value differs"
    expect 0 $J zadd set1 10 k1 && check "$DB zadd" "d['score']" 10
    expect 0 $J safezadd set1 20 k2 && check "$DB safezadd" "d['verified']" true
    expect 0 $J zscan set1 && check "$DB zscan" "[(e['key'], e['score']) for e in L]" \
        "[('k1', 10), ('k2', 20)]"
    expect 0 $J zscan set1 --min-score 15 && check "$DB zscan --min-score" "[e['key'] for e in L]" \
        "['k2']"
    expect 0 $J reference ref1 k1 && check "$DB reference" "d['referenced_key']" k1
    expect 0 $J safereference ref2 k2 && check "$DB safereference" "d['verified']" true
    expect 0 $J get ref1 && check "$DB get ref" "(d['value'], d['referenced_by']['key'])" \
        "('v1b', 'ref1')"
    expect 0 $J tx 1 && check "$DB tx 1" "(d['version'], d['entries'][0]['key'])" "($V, 'k1')"
    expect 0 $J safetx 2 && check "$DB safetx" "(d['version'], d['verified'])" "($V, True)"
    expect 0 $C safetx 2 && out_has "version:  $V" "$DB safetx text"
    expect 0 $J current && check "$DB current" "(d['database'], d['tx'])" "('$DB', 8)"
    expect 0 $J check-consistency && check "$DB consistent" "(d['consistent'], d['server_tx'])" \
        "(True, 8)"
    if [ "$V" = 1 ]; then
        expect 0 $J delete k2 && check "delete" "d['tx']" 9
        expect 1 $C get k2 && err_has "key not found" "deleted key"
    else
        expect 1 $C delete k2 && err_has "metadata is unsupported" "delete on header version 0"
    fi
    expect 0 $J audit --once && check "$DB audit" "d['ok']" true
done
# -d for one command, the token file's database unchanged
expect 0 $J -d db0 get k1 && check "-d db0" "d['value']" v1b
grep -q '^database db1$' "$T/tok" || fail "-d changed the token file"

# --- users
SEALDB_NEW_PASSWORD='Al1ce-pass!x' expect 0 $J user create alice readwrite db1
check "user create" "(d['created_user'], d['database'])" "('alice', 'db1')"
expect 0 $J user list
check "user list" "sorted(e['user'] for e in L)" "['alice', 'immudb']"
check "alice perms" "[(p['database'], p['permission']) for e in L if e['user'] == 'alice' for p in e['permissions']]" \
    "[('db1', 'readwrite')]"
expect 0 $J user permission grant alice read db0
expect 0 $J user list
check "grant" "sorted((p['database'], p['permission']) for e in L if e['user'] == 'alice' for p in e['permissions'])" \
    "[('db0', 'read'), ('db1', 'readwrite')]"
expect 0 $J user permission revoke alice read db0
expect 0 $J user deactivate alice
expect 0 $J user list && check "deactivated" "[e['active'] for e in L if e['user'] == 'alice']" "[False]"
printf 'Al1ce-pass!x\n' >"$T/apw"
expect_in 1 "$T/apw" $CTL -p "$SPORT" --tokenfile "$T/atok" login alice --password-stdin
expect 0 $J user activate alice
expect_in 0 "$T/apw" $CTL -p "$SPORT" --tokenfile "$T/atok" login alice --password-stdin -d db1
A="$CTL -p $SPORT --tokenfile $T/atok --state-dir $T/ast -o json"
expect 0 $A safeget k1 && check "alice reads db1" "d['value']" v1b
expect 1 $A database create nope && err_has "does not have permissions" "alice cannot create databases"
# her own password: old, then new (twice on a terminal; once per line here)
printf 'Al1ce-pass!x\nAl1ce-pass!y\n' >"$T/apw2"
expect_in 0 "$T/apw2" $A user changepassword alice --password-stdin
printf 'Al1ce-pass!y\n' >"$T/apw3"
expect_in 0 "$T/apw3" $CTL -p "$SPORT" --tokenfile "$T/atok2" login alice --password-stdin
expect 0 $A logout
[ -e "$T/atok" ] && fail "logout kept alice's token file"

# --- databases: update, unload/load, delete
expect 0 $J database update db0 --sync-frequency 30 --autoload false
check "update" "(d['settings']['sync_frequency_ms'], d['settings']['autoload'])" "(30, False)"
expect 0 $J database create scratch && expect 0 $J database unload scratch
expect 0 $J database list
check "unloaded" "[e['loaded'] for e in L if e['name'] == 'scratch']" "[False]"
expect 0 $J database load scratch && expect 0 $J database unload scratch
expect 0 $J database delete scratch --yes-i-know-what-i-am-doing
expect 0 $J database list && check "deleted" "'scratch' in [e['name'] for e in L]" false
expect 0 $C database use defaultdb && out_has "Now using database 'defaultdb'" "database use"

# --- a replaced history: three txs here, three others on a second server
for i in 1 2 3; do expect 0 $C safeset "h$i" "real$i"; done
expect 0 $J audit --once && check "audit before" "(d['ok'], d['server_tx'])" "(True, 3)"
sdb_stop
sdb_start "$T/data2"
C2="$CTL -p $SPORT --state-dir $T/st2 --tokenfile $T/tok2"
expect_in 0 "$T/pw" $C2 login immudb --password-stdin
for i in 1 2 3; do expect 0 $C2 safeset "h$i" "forged$i"; done
sdb_stop
rm -rf "$T/data/defaultdb"
cp -r "$T/data2/defaultdb" "$T/data/defaultdb"
sdb_start "$T/data"
export SEALDB_PASSWORD="$ADMINPW"
C="$CTL -p $SPORT --state-dir $T/st -u immudb"
expect 0 $C -o json health && check "same server" "d['server_uuid']" "$UUID"
expect 3 $C audit --once && err_has "forked" "audit after the history was replaced"
expect 3 $C check-consistency && err_has "VERIFICATION FAILED" "check-consistency"
expect 3 $C safeget h1 && err_has "VERIFICATION FAILED" "safeget on the replaced history"
expect 0 $C get h1 && out_has "forged1" "the unverified get sees the forgery"
unset SEALDB_PASSWORD
sdb_stop

# --- offline verify of the data directory
expect 0 $CTL -o json verify "$T/data"
check "verify data dir" "sorted((e['dir'].split('/')[-1], e['ok']) for e in L)" \
    "[('db0', True), ('db1', True), ('defaultdb', True), ('systemdb', True)]"
rm -rf "$T/bad"
cp -r "$T/data/db1" "$T/bad"
python3 - "$T/bad" <<'PYEOF' || fail "no value to flip"
import os, sys
d = sys.argv[1]
for root, _, files in os.walk(d):
    for f in sorted(files):
        p = os.path.join(root, f)
        if '/val' in p[len(d):]:
            b = bytearray(open(p, 'rb').read())
            i = b.find(b'v1b')
            if i >= 0:
                b[i] ^= 0x20
                open(p, 'wb').write(b)
                sys.exit(0)
sys.exit(1)
PYEOF
expect 3 $CTL verify "$T/bad" && out_has "VERIFICATION FAILED" "flipped byte" &&
    out_has "tx:     3" "names tx 3 (where v1b was written)" && out_has "file:   $T/bad/val" "file"

finish
