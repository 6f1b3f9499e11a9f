#!/bin/sh
# sealctl_cli_test.sh - sealctl without a server: --help on every command and
# subcommand, usage errors (exit 2), the local FIPS status (text and JSON), a
# token file that others can read is refused, verify on a directory with no
# store, and an unreachable server (exit 1).
. "$SEAL_SRC_DIR/tests/integration/sealctl_lib.sh"

# --- help everywhere (exit 0, usage line naming the command path)
expect 0 "$CTL" --help && out_has "usage: sealctl [global options] COMMAND" "top help"
expect 0 "$CTL" help && out_has "commands:" "sealctl help"
for cmd in login logout use set get safeset safeget delete reference safereference zadd \
    safezadd zscan scan count history tx safetx current check-consistency health info status \
    verify audit user database; do
    expect 0 "$CTL" "$cmd" --help && out_has "usage: sealctl $cmd" "help of $cmd"
    expect 0 "$CTL" "$cmd" -h && out_has "usage: sealctl $cmd" "-h of $cmd"
done
for sub in list create changepassword permission activate deactivate; do
    expect 0 "$CTL" user "$sub" --help && out_has "usage: sealctl user $sub" "help of user $sub"
done
for sub in list create use load unload delete update; do
    expect 0 "$CTL" database "$sub" --help &&
        out_has "usage: sealctl database $sub" "help of database $sub"
done
expect 0 "$CTL" database create --help && out_has "--tx-header-version" "create settings"
expect 0 "$CTL" --help && out_has "exit codes: 0 success, 1 server or transport error, 2 usage error" "exit codes in help"

# --- usage errors: exit 2, nothing on stdout
expect 2 "$CTL"
expect 2 "$CTL" nosuchcommand && err_has "unknown command 'nosuchcommand'" "unknown command"
expect 2 "$CTL" get && err_has "wrong number of arguments" "get without key"
expect 2 "$CTL" get a b
expect 2 "$CTL" set
expect 2 "$CTL" zadd s notanumber k && err_has "SCORE must be a number" "bad score"
expect 2 "$CTL" tx 0 && err_has "not a tx id" "tx 0"
expect 2 "$CTL" tx abc
expect 2 "$CTL" get k --bogus && err_has "unknown option --bogus" "unknown option"
expect 2 "$CTL" get k --at-tx && err_has "needs a value" "option without value"
expect 2 "$CTL" get k --at-tx=-3 && err_has "non-negative integer" "negative tx"
expect 2 "$CTL" -o yaml status --local && err_has "text or json" "bad --output"
expect 2 "$CTL" -p 70000 health && err_has "invalid port" "bad port"
expect 2 "$CTL" user
expect 2 "$CTL" user frobnicate x && err_has "unknown user subcommand" "unknown subcommand"
expect 2 "$CTL" database
expect 2 "$CTL" user permission allow bob read db && err_has "grant or revoke" "permission verb"
expect 2 "$CTL" user create bob superuser && err_has "read, readwrite, admin or sysadmin" "bad perm"
expect 2 "$CTL" database create x --tx-header-version 7 && err_has "0 or 1" "bad header version"
expect 2 "$CTL" database create x --autoload maybe && err_has "true or false" "bad bool"
expect 2 "$CTL" database update x && err_has "nothing to update" "update without settings"
expect 2 "$CTL" database delete x && err_has "yes-i-know-what-i-am-doing" "delete safety flag"
expect 2 "$CTL" audit --interval=-1 && err_has "must not be negative" "negative interval"
expect 2 "$CTL" set k v --file /dev/null && err_has "not both" "value twice"
expect 2 "$CTL" get --hex zz && err_has "not hex" "bad hex"
expect 2 "$CTL" --cert c.pem health && err_has "--cert needs --key" "cert without key"
[ -s "$T/o" ] && fail "a usage error printed on stdout"

# --- the local FIPS status (no server)
expect 0 "$CTL" status --local && out_has "local FIPS module:" "status --local text" &&
    out_has "self-tests passed" "self-tests" && out_has "enabled" "fips mode"
expect 0 "$CTL" status --local -o json
check "local fips" "d['local_fips']['fips_enabled']" true
check "local fips" "d['local_fips']['selftest_ok']" true
check "local fips" "d['local_fips']['initialized']" true
check "local fips" "'server' in d" false
check "local fips" "d['local_fips']['name'].startswith('OpenSSL FIPS')" true
# a broken FIPS config: sealctl refuses to run (exit 1)
expect 1 "$CTL" --fips-config "$T/nonexistent.cnf" status --local &&
    err_has "FIPS crypto module did not start" "broken FIPS config"

# --- an unreachable server: exit 1 with the address
expect 1 "$CTL" -p 1 health && err_has "cannot connect to 127.0.0.1:1" "unreachable"
expect 1 "$CTL" -p 1 -o json get k && [ -s "$T/o" ] && fail "an error printed on stdout"
python3 -c "import json,sys; d=json.loads(open('$T/e').readline()); assert d['exit_code']==1 and 'cannot connect' in d['error']" ||
    fail "JSON error object on stderr"
expect 1 "$CTL" -p 1 status && out_has "unreachable" "status of an unreachable server" &&
    out_has "local FIPS module:" "local status still shown"

# --- token file: refused when others can read it; logout without one
mkdir -p "$T/tok"
printf 'sealctl-token 1\nserver 127.0.0.1:1\nuser u\ndatabase defaultdb\ntoken abc\n' >"$T/tok/t"
chmod 0644 "$T/tok/t"
expect 1 "$CTL" --tokenfile "$T/tok/t" -p 1 logout && err_has "readable by others" "0644 token"
chmod 0600 "$T/tok/t"
expect 0 "$CTL" --tokenfile "$T/tok/t" -p 1 logout
[ -e "$T/tok/t" ] && fail "logout left the token file"
expect 0 "$CTL" --tokenfile "$T/tok/t" logout && out_has "Not logged in" "logout twice"
expect 1 "$CTL" --tokenfile "$T/tok/t" use db && err_has "not logged in" "use without login"

# --- verify on directories without a store
mkdir -p "$T/empty/sub"
expect 1 "$CTL" verify "$T/empty" && err_has "no SealDB store" "verify of an empty dir"
expect 1 "$CTL" verify "$T/nonexistent" && err_has "not a directory" "verify of nothing"

# --- sealctl uses only the public headers (include/seal/) and its own header
for f in "$S"/src/cli/sealctl*.c "$S"/src/cli/sealctl.h; do
    bad=$(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        grep -v -E '"(seal/seal(_client|_common|_fips)?\.h|cli/sealctl\.h)"')
    [ -z "$bad" ] || fail "$f includes a non-public header: $bad"
done

finish
