#!/bin/sh
# Reaps a lab guest whose owner died without cleaning up (crashed or SIGKILLed test runner, a
# process.exit() deep inside a test): once OWNER_PID is gone, SIGKILL the guest's process group
# and delete its tap device. The harness starts one per guest, in its own session so that it
# outlives the owner, and kills it when the guest ends normally.
#
#   uml-watchdog.sh OWNER_PID GUEST_PGID [TAP]
owner=$1
group=$2
tap=${3:-}
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
kill -9 "-$group" 2>/dev/null
sleep 0.5
[ -n "$tap" ] && ip link del "$tap" 2>/dev/null
exit 0
