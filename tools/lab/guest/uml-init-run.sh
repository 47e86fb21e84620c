#!/bin/sh
# PID 1 of a one-shot lab guest: boot, run the payload in GD_LAB_DIR, record its exit code and
# output there, power off. Used by runInUml() (tools/lab/uml.ts).
#
#   GD_LAB_DIR/payload.sh   the payload, run by /bin/sh with GD_LAB_DIR as working directory
#   GD_LAB_DIR/env          NUL-separated KEY=VALUE words for the payload's environment
#   -> GD_LAB_DIR/stdout, stderr, exit-code, guest.log (or boot-error when the boot failed)
. "$(dirname "$0")/uml-guest-lib.sh"

[ -n "$GD_LAB_DIR" ] && [ -d "$GD_LAB_DIR" ] || { echo "GD_LAB_DIR missing" >&2; exec busybox poweroff -f; }
lab_mount_basics
lab_load_modules
lab_log "booted"

cd "$GD_LAB_DIR" || lab_fail "cd $GD_LAB_DIR"
touch env
rm -f exit-code.tmp
# The environment travels as NUL-separated words and is handed to env(1) as separate
# arguments, so no value is ever parsed by a shell. The inner shell records the payload's exit
# code itself: xargs folds every failure into 123.
xargs -0 -a env sh -c 'env "$@" /bin/sh "$0"; echo $? >"$GD_LAB_DIR/exit-code.tmp"' "$GD_LAB_DIR/payload.sh" >stdout 2>stderr </dev/null &
payload=$!
wait "$payload"
[ -s exit-code.tmp ] || echo 255 >exit-code.tmp # the payload never ran
code=$(cat exit-code.tmp)
mv exit-code.tmp exit-code
lab_log "payload exited with $code"
lab_poweroff
