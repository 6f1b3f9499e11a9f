#!/bin/sh
# sealctl_fake_test.sh - every sealctl subcommand against the fake server
# (tests/tools/sealctl_fakesrv: real transport, real store, real proofs, and
# switches to make it lie), for tx header versions 0 and 1, with JSON output
# parsed: values in and out (binary, stdin, files, hex), verified calls and
# the trusted state, login/logout and the token file, tampering answers
# (safeget/safetx/current exit 3 and the state file is unchanged), a rewound
# and a forked server (check-consistency and audit exit 3), then `verify` of
# the server's store: good (exit 0), busy (exit 1), one flipped value byte
# (exit 3 naming tx, file and offset).
. "$SEAL_SRC_DIR/tests/integration/sealctl_lib.sh"

statesum() {
    find "$1" -type f -exec cksum {} + 2>/dev/null | sort | cksum | cut -d' ' -f1
}

for V in 0 1; do
    if [ "$V" = 1 ]; then
        fake_start "$V" --sign --auth
    else
        fake_start "$V" --sign
    fi
    ST=$T/state$V
    TOK=$T/token$V
    C="$CTL -p $FPORT --state-dir $ST --tokenfile $TOK"
    J="$C -o json"

    # --- login (v1: the fake server wants one), token file mode 0600
    if [ "$V" = 1 ]; then
        expect 1 $J get nothing && err_has "not logged in" "call without login"
        echo wrong >"$T/pw"
        expect_in 1 "$T/pw" $J login alice --password-stdin && err_has "SEAL_EAUTH" "bad password"
        [ -e "$TOK" ] && fail "a failed login wrote a token file"
        echo secret >"$T/pw"
        expect_in 0 "$T/pw" $J login alice --password-stdin
        check "login" "d['logged_in'] and d['user'] == 'alice' and d['database'] == 'defaultdb'" true
        [ "$(stat -c %a "$TOK")" = 600 ] || fail "token file mode $(stat -c %a "$TOK")"
        grep -q '^token tok-db-defaultdb$' "$TOK" || fail "token file content (the UseDatabase token)"
        SEALDB_PASSWORD=secret expect 0 $J --tokenfile "$T/other" -u alice health
    fi

    # --- health, info, status
    expect 0 $J health
    check "health" "d['status'] and d['server_uuid'] == 'fake-srv-$V'" true
    expect 0 $C health && out_has "Health check OK" "health text"
    expect 0 $J info
    check "info" "d['version'] + ' ' + str(d['num_transactions'])" "fake-1.0 42"
    expect 0 $J status
    check "status" "d['server']['reachable'] and d['local_fips']['fips_enabled']" true
    check "status: no FIPS headers from the fake server" "d['server']['fips']['reported']" false

    # --- set / get, text and JSON
    expect 0 $J set k1 hello
    check "set" "(d['tx'], d['key'], d['value'], d['verified'], len(d['hash']))" \
        "(1, 'k1', 'hello', False, 64)"
    expect 0 $C get k1 && out_has "value:    hello" "get text" && out_has "rev:      1" "rev line"
    expect 0 $J get k1
    check "get" "(d['tx'], d['revision'], d['value'])" "(1, 1, 'hello')"
    expect 0 $C get k1 --value-only && [ "$(cat "$T/o")" = hello ] || fail "--value-only"
    expect 1 $J get missing && err_has "key not found" "missing key"

    # --- safeset / safeget and the trusted state
    expect 0 $J safeset k2 world
    check "safeset" "(d['tx'], d['verified'], d['trusted_tx'], d['trust'])" \
        "(2, True, 2, 'first_use')"
    [ -n "$(find "$ST" -type f)" ] || fail "no state file after safeset"
    expect 0 $J safeget k2
    check "safeget" "(d['value'], d['verified'], d['trust'], d['trusted_tx'])" \
        "('world', True, 'stored', 2)"
    expect 0 $C safeget k2 && out_has "verified: true" "safeget text"
    expect 0 $J --server-signing-pubkey "$FPUB" safeget k1
    check "safeget with the signing key" "(d['value'], d['verified'])" "('hello', True)"

    # --- values: stdin, file, binary, hex, revisions
    printf 'from stdin\nline 2' | $J set sk - >"$T/o" 2>"$T/e" || fail "set from stdin"
    expect 0 $C get sk --raw && [ "$(cat "$T/o")" = "$(printf 'from stdin\nline 2')" ] ||
        fail "stdin value round trip"
    printf 'no arg' | $C set sk2 >/dev/null 2>&1 || fail "set without VALUE reads stdin"
    expect 0 $C get sk2 --raw && [ "$(cat "$T/o")" = "no arg" ] || fail "stdin without -"
    head -c 3000 /dev/urandom >"$T/bin"
    printf '\000\001\377\n' >>"$T/bin"
    expect 0 $J safeset bin --file "$T/bin"
    check "binary set" "'value_base64' in d and 'value' not in d" true
    expect 0 $C safeget bin --raw && cmp -s "$T/o" "$T/bin" || fail "binary value --raw differs"
    expect 0 $J get bin
    python3 -c "import base64,json,sys; d=json.loads(open('$T/o').readline()); sys.exit(base64.b64decode(d['value_base64']) != open('$T/bin','rb').read())" ||
        fail "binary value in JSON (base64) differs"
    expect 0 $C get bin && out_has '\x00\x01\xff\x0a' "escaped binary in text"
    expect 0 $J set --hex 6b6b 0001ff
    expect 0 $J get --hex 6b6b
    check "hex" "(d['key'], d['value_base64'])" "('kk', 'AAH/')"
    expect 0 $J set k1 hello2
    expect 0 $J get k1@1
    check "KEY@1" "(d['revision'], d['value'])" "(1, 'hello')"
    expect 0 $J get k1 --at-revision 2
    check "--at-revision" "(d['revision'], d['value'])" "(2, 'hello2')"
    expect 0 $J get k1 --at-tx 1
    check "--at-tx" "d['value']" "hello"
    expect 0 $J history k1
    check "history" "[(e['revision'], e['value']) for e in L]" "[(1, 'hello'), (2, 'hello2')]"
    expect 0 $J history k1 --desc --limit 1
    check "history --desc" "[e['value'] for e in L]" "['hello2']"
    expect 1 $C history nokey && err_has "key not found" "history of a missing key"

    # --- scan, count
    expect 0 $J scan k
    check "scan" "[e['key'] for e in L]" "['k1', 'k2', 'kk']"
    expect 0 $J scan k --limit 1 --desc
    check "scan --desc" "[e['key'] for e in L]" "['kk']"
    expect 0 $J count k
    check "count" "d['count']" 3
    expect 0 $C count k && [ "$(cat "$T/o")" = 3 ] || fail "count text"
    expect 0 $C scan zzz && out_has "no entries" "empty scan"

    # --- sorted sets, references
    expect 0 $J zadd s 1.5 k1
    check "zadd" "(d['set'], d['key'], d['score'])" "('s', 'k1', 1.5)"
    expect 0 $J safezadd s 2.5 k2
    check "safezadd" "(d['score'], d['verified'])" "(2.5, True)"
    expect 0 $J zscan s
    check "zscan" "[(e['key'], e['score'], e['value']) for e in L]" \
        "[('k1', 1.5, 'hello2'), ('k2', 2.5, 'world')]"
    expect 0 $J zscan s --desc --limit 1
    check "zscan --desc --limit 1" "[e['key'] for e in L]" "['k2']"
    expect 0 $J reference r1 k1
    check "reference" "(d['key'], d['referenced_key'])" "('r1', 'k1')"
    expect 0 $J safereference r2 k2
    check "safereference" "(d['key'], d['verified'])" "('r2', True)"
    expect 0 $J get r1
    check "get through a reference" "(d['key'], d['value'], d['referenced_by']['key'])" \
        "('k1', 'hello2', 'r1')"

    # --- delete (logical: needs KV metadata, so header version 1)
    if [ "$V" = 1 ]; then
        expect 0 $J delete sk sk2
        check "delete" "[e['key'] for e in d['deleted']]" "['sk', 'sk2']"
        expect 1 $J get sk && err_has "not found" "deleted key"
    else
        expect 1 $J delete sk
    fi

    # --- txs
    expect 0 $J tx 1
    check "tx" "(d['tx'], d['version'], d['entries'][0]['key'], d['verified'])" \
        "(1, $V, 'k1', False)"
    expect 0 $J safetx 2
    check "safetx" "(d['tx'], d['version'], d['entries'][0]['key'], d['verified'])" \
        "(2, $V, 'k2', True)"
    expect 0 $C safetx 2 && out_has "verified: true" "safetx text" && out_has "entries:  1" "entries"
    expect 1 $J tx 999 && err_has "SEAL_ENOTFOUND" "missing tx"

    # --- state
    expect 0 $J current
    LAST=$(jv "d['tx']")
    check "current" "(d['database'], d['signed'], d['signature_verified'])" \
        "('defaultdb', True, False)"
    expect 0 $J --server-signing-pubkey "$FPUB" current
    check "current, signature checked" "d['signature_verified']" true
    expect 0 $C current && out_has "txID:      $LAST" "current text"
    expect 0 $J check-consistency
    check "check-consistency" "(d['consistent'], d['server_tx'])" "(True, $LAST)"
    expect 0 $J audit --once
    check "audit --once" "(d['ok'], d['server_tx'], d['trust'])" "(True, $LAST, 'stored')"
    expect 0 $J set k3 v3
    expect 0 $J audit --count 2 --interval 0.05
    check "audit --count 2" "[(e['ok'], e['server_tx']) for e in L]" \
        "[(True, $((LAST + 1))), (True, $((LAST + 1)))]"
    check "audit advanced" "(L[0]['advanced'], L[1]['advanced'])" "(True, False)"
    expect 0 $J --state-dir "$T/fresh$V" audit --once
    check "audit: first use" "d['trust']" first_use

    # --- users and databases (the fake server answers from fixed data)
    expect 0 $J user list
    check "user list" "(d['user'], [p['permission'] for p in d['permissions']])" \
        "('alice', ['readwrite', 'read'])"
    expect 0 $C user list && out_has "1 user(s)" "user list text"
    SEALDB_NEW_PASSWORD='N3w-pass!word' expect 0 $J user create bob readwrite defaultdb
    check "user create" "(d['created_user'], d['permission'])" "('bob', 'readwrite')"
    printf 'P4ss-w0rd!x\n' >"$T/pw2"
    expect_in 0 "$T/pw2" $J user changepassword bob --password-stdin
    check "changepassword" "d['password_changed']" bob
    expect 0 $J user permission grant bob read olddb
    check "permission" "(d['action'], d['permission'])" "('grant', 'read')"
    expect 0 $J user permission revoke bob read olddb
    expect 0 $J user deactivate bob && check "deactivate" "d['active']" false
    expect 0 $J user activate bob && check "activate" "d['active']" true
    expect 0 $J database list
    check "database list" "[(e['name'], e['current']) for e in L]" \
        "[('defaultdb', True), ('olddb', False)]"
    check "database list settings" "L[1]['settings']['write_tx_header_version']" 0
    expect 0 $C database list && out_has "*defaultdb" "current db marked"
    expect 0 $J database create newdb --tx-header-version 0 --max-key-len 512 --autoload false
    check "database create" "(d['created'], d['settings']['write_tx_header_version'], d['settings']['max_key_len'], d['settings']['autoload'])" \
        "(True, 0, 512, False)"
    expect 0 $J database create defaultdb --if-not-exists
    check "create --if-not-exists" "d['already_existed']" true
    expect 1 $J database create defaultdb && err_has "SEAL_EEXISTS" "create existing"
    expect 0 $J database update newdb --sync-frequency 15
    check "database update" "d['settings']['sync_frequency_ms']" 15
    expect 0 $J database unload newdb && check "unload" "d['unloaded']" true
    expect 0 $J database load newdb && check "load" "d['loaded']" true
    expect 0 $J database delete newdb --yes-i-know-what-i-am-doing && check "delete" "d['deleted']" true
    expect 1 $J database load missing && err_has "SEAL_ENOTFOUND" "load missing db"

    # --- tampering answers: exit 3, the trusted state is unchanged
    S0=$(statesum "$ST")
    fake_cmd tamper value
    expect 3 $C safeget k2 && err_has "VERIFICATION FAILED" "tampered value"
    expect 3 $C safetx 2
    expect 3 $C safeset k9 v9
    [ "$(statesum "$ST")" = "$S0" ] || fail "a failed verification changed the state file"
    expect 0 $C get k2 # not verified: the lie goes through, as documented
    fake_cmd tamper proof
    expect 3 $C safeget k2 && err_has "VERIFICATION FAILED" "tampered proof"
    fake_cmd tamper sig
    expect 3 $C --server-signing-pubkey "$FPUB" current
    expect 3 $C --server-signing-pubkey "$FPUB" safeget k2
    expect 0 $C safeget k2 # without the key the signature is not checked
    S0=$(statesum "$ST")
    fake_cmd tamper state
    expect 3 $J check-consistency && err_has "forked" "tampered state hash"
    check "check-consistency failure output" "d['consistent']" false
    expect 3 $C audit --once
    fake_cmd tamper none
    [ "$(statesum "$ST")" = "$S0" ] || fail "a failed check changed the state file"

    # --- a rewound, then a forked server
    fake_cmd rewind 2
    expect 3 $C check-consistency && err_has "VERIFICATION FAILED" "rewound server"
    expect 3 $C audit --once
    fake_cmd rewind 0
    expect 0 $C check-consistency
    S0=$(statesum "$ST")
    fake_cmd fork
    expect 3 $J audit --once && err_has "forked" "audit of a forked server"
    check "audit failure object" "(d['ok'], 'forked' in d['error'])" "(False, True)"
    expect 3 $C audit --interval 0.05 && err_has "forked" "audit loop stops at the fork"
    expect 3 $C safeget fork3 && err_has "VERIFICATION FAILED" "safeget on the fork"
    [ "$(statesum "$ST")" = "$S0" ] || fail "the fork changed the trusted state"

    # --- verify the served store: busy while the server has it open
    expect 1 $CTL verify "$FSTORE" && err_has "SEAL_EBUSY" "verify of an open store"
    if [ "$V" = 1 ]; then
        expect 0 $J logout && check "logout" "d['logged_out'] and d['server_confirmed']" true
        [ -e "$TOK" ] && fail "logout kept the token file"
        expect 1 $C get k1 && err_has "not logged in" "call after logout"
    fi
    fake_stop

    expect 0 $CTL -o json verify "$FSTORE"
    check "verify good store" "(d['ok'], d['txs_checked'] >= 12, d['values_checked'] >= 12)" \
        "(True, True, True)"
    expect 0 $CTL verify "$FSTORE" && out_has ": OK:" "verify text"
    # a sealdb-like data directory: every store below it
    expect 0 $CTL -o json verify "$(dirname "$FSTORE")"
    check "verify of the parent" "[(e['dir'].split('/')[-1], e['ok']) for e in L]" \
        "[('fork1', True), ('srv', True)]"
    # one flipped byte in the value log
    rm -rf "$T/bad"
    cp -r "$FSTORE" "$T/bad"
    OFF=$(python3 - "$T/bad" <<'PYEOF'
import os, sys
d = sys.argv[1]
for root, _, files in os.walk(d):
    for f in sorted(files):
        p = os.path.join(root, f)
        if '/val' not in p[len(d):]:
            continue
        b = bytearray(open(p, 'rb').read())
        i = b.find(b'world')
        if i >= 0:
            b[i + 2] ^= 0x01
            open(p, 'wb').write(b)
            print(p, i + 2)
            sys.exit(0)
sys.exit(1)
PYEOF
    ) || fail "no value log byte to flip"
    BADFILE=${OFF% *}
    expect 3 $CTL verify "$T/bad" && out_has "VERIFICATION FAILED" "flipped byte" &&
        out_has "tx:     2" "names the tx" && out_has "file:   $BADFILE" "names the file" &&
        out_has "offset:" "names the offset"
    expect 3 $CTL -o json verify "$T/bad"
    check "verify json" "(d['ok'], d['bad_tx'], d['file'])" "(False, 2, '$BADFILE')"
    check "verify json offset" "d['offset'] <= ${OFF#* }" true
done

finish
