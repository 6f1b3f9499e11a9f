#!/bin/sh
# sealctl_tty_test.sh - sealctl on a terminal (a pseudo-terminal made by
# script(1)): passwords are prompted for with echo off (the typed password
# never appears in the terminal output), a new password is asked twice and a
# mismatch is refused, and `verify` draws its progress bar on a terminal
# only.
. "$SEAL_SRC_DIR/tests/integration/sealctl_lib.sh"

command -v script >/dev/null || {
    fail "script(1) (util-linux) is needed for the terminal tests"
    finish
}
sdb_start "$T/data"
C="$CTL -p $SPORT --state-dir $T/st --tokenfile $T/tok"

# tty CMD INPUT-LINES...: runs CMD on a pseudo-terminal, typing each line after
# a pause (once the prompt is up); the terminal output is in $T/o
tty() {
    cmd=$1
    shift
    (
        for l in "$@"; do
            sleep 1
            printf '%s\n' "$l"
        done
        sleep 1
    ) | timeout 60 script -qec "$cmd" /dev/null >"$T/o" 2>"$T/e"
    RC=$?
}

tty "$C login immudb" "$ADMINPW"
[ "$RC" = 0 ] || fail "login on a terminal exited $RC"
out_has "Password:" "the prompt"
out_has "Successfully logged in as immudb" "login on a terminal"
grep -q -F -- "$ADMINPW" "$T/o" && fail "the password was echoed on the terminal"
[ -f "$T/tok" ] || fail "no token file after a terminal login"

tty "$C user create carol read defaultdb" 'Car0l-pass!x' 'Car0l-pass!x'
[ "$RC" = 0 ] || fail "user create on a terminal exited $RC"
out_has "Choose a password for carol:" "new password prompt"
out_has "Confirm password:" "confirmation prompt"
out_has "Created user carol" "user created"
grep -q -F 'Car0l-pass!x' "$T/o" && fail "the new password was echoed"

tty "$C user create dave read defaultdb" 'Dav3-pass!x' 'Dav3-pass!y'
[ "$RC" = 2 ] || fail "mismatched passwords: exit $RC, wanted 2"
out_has "do not match" "mismatch refused"
expect 0 $C -o json user list
check "dave not created" "'dave' in [e['user'] for e in L]" false

expect 0 $C safeset k v
sdb_stop
# progress bar on a terminal, none through a pipe
tty "$CTL verify $T/data"
[ "$RC" = 0 ] || fail "verify on a terminal exited $RC"
out_has "verifying defaultdb [" "progress bar on a terminal"
out_has "100%" "progress bar reaches 100%"
expect 0 $CTL verify "$T/data"
grep -q verifying "$T/e" "$T/o" && fail "a progress bar without a terminal"
tty "$CTL verify --no-progress $T/data"
grep -q "verifying" "$T/o" && fail "--no-progress drew a progress bar"

finish
