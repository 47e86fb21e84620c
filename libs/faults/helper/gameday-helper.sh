#!/bin/sh
# GameDay netem helper. Runs as PID 1 of a sidecar container that shares the target's network
# namespace. It applies the fault steps it is given (argv words, never evaluated by a shell), and
# it is the last line of defence: it removes the fault at revert_at / expire_at by its own clock,
# when it is stopped (TERM), and at start after a crash, even if the worker, Redis and Postgres
# are all gone.
#
# Commands (the worker runs them with `docker exec`):
#   daemon                                   entrypoint: timers, TERM trap, expiry at start
#   apply EXPIRE_AT STEPS...                 apply now (one exec), arm the self-expiry
#   schedule APPLY_AT REVERT_AT EXPIRE_AT STEPS...   apply and revert later, by this clock
#   watch EXPIRE_AT STEPS...                 guard steps another process applies (exec, nsenter):
#                                            undo them at EXPIRE_AT, on TERM or after a restart
#   revert [REASON]                          undo every step that was applied (idempotent)
#   status                                   key=value lines (state, planned and actual times)
#   probe COUNT (N word1..wordN)...          run each argv, report stepI=EXIT and stepI_err=FIRST
#                                            STDERR LINE: the kernel probe in one exec, not one each
#   killplan APPLY_AT REVERT_AT EXPIRE_AT EVERY_MS SIGNAL NAME
#                                            a process kill (helper in the target's PID namespace):
#                                            gameday-kill signals the processes named NAME at
#                                            APPLY_AT, then every EVERY_MS (0: once) until REVERT_AT
#   kills [N]                                the last N lines (200) of the kill record
#   stressprobe CONTAINER_ID                 a stress (helper with the engine's cgroup filesystem):
#                                            find the target's cgroup, join it once from a child
#   stressplan APPLY_AT REVERT_AT EXPIRE_AT CGPATH CPU_WORKERS CPU_LOAD VM_MB IO_WORKERS IO_MB
#                                            gameday-stress runs stress-ng in CGPATH from APPLY_AT
#                                            until REVERT_AT
#   stresscheck                              the stress-ng processes now and the cgroup's counters
#   fillplan APPLY_AT REVERT_AT EXPIRE_AT PATH ID MODE VALUE FLOOR_BYTES
#                                            a disk fill (helper in the target's PID namespace):
#                                            gameday-fill creates PATH/.gameday-fill-ID at APPLY_AT
#                                            and removes it at REVERT_AT
#   resetprobe                               can the kernel destroy sockets (ss -K)? reset_probe=...
#   dnsprobe                                 a dns fault (dns image): nameservers, a free port, nat
#   dnsstart ID PORT ACTION DELAY NSC NS... AC ADDR... PATTERN...
#                                            write the resolver's config and start it (arming)
#   dnsready | dnscheck | dnsflush | dnsstop the resolver runs / answers; drop port-53 flows; stop it
# Signals to PID 1: TERM stops (undo what is applied, exit); USR2 is an abort through the Docker API
# (`docker kill --signal USR2`, no exec): undo now, or cancel a plan not applied yet.
# Stdin (held open by the worker that armed this helper, through a Docker attach): a line
# `abort NONCE [BY]` with the current plan's nonce (GAMEDAY_ABORT_NONCE in the environment of the
# apply, schedule or watch exec) is the same abort as USR2, without Docker's kill path.
# STEPS: COUNT, then per step: N word1..wordN M undo1..undoM (M may be 0).
# Times are Unix epoch milliseconds.
set -u
S=${GAMEDAY_HELPER_STATE:-/var/lib/gameday}
LINGER_S=${GAMEDAY_HELPER_LINGER_S:-600}
IDLE_S=${GAMEDAY_HELPER_IDLE_S:-86400}
# Wake this long before a planned apply: sleep(1) and the timer pass cost a few ms each.
LEAD_MS=${GAMEDAY_HELPER_LEAD_MS:-40}
# With gameday-at (tc steps, or iptables steps of one variant), wake this long before: it starts
# tc or iptables-restore ahead of the instant, so loading it (100+ ms, seconds on a busy small
# guest) is not on the path from T0 to the kernel.
# 1.5 s was once not enough in the lab guest while workers exec'd into it (a revert at T1+5 s).
AT_LEAD_MS=${GAMEDAY_HELPER_AT_LEAD_MS:-3000}
AT_PID=
AT_KIND=
ABORT_NOW=0
# 1 while this process holds the lock (die and a stop release or take it over)
HOLD=0

now_ms() { date +%s%3N; }
die() {
  echo "gameday-helper: $*" >&2
  [ "$HOLD" = 1 ] && unlock
  exit 2
}
is_num() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
# Builtins only (no fork+exec): these run on the path between T0 and the fault taking effect.
# put truncates, then writes in pieces (dash's printf): another process can find a file empty or
# holding part of its line. A value counts once its newline is in (put '' writes one: no file is
# left empty on purpose); until then it is read again: 200 times with builtins (what a writer on the
# other CPU needs), then every 5 ms for about a second, as a writer taken off the CPU between its
# truncate and its write (a loaded host) comes back only after others ran. No file reads as the
# default.
get() {
  g_n=0
  while [ -e "$S/$1" ] && [ "$g_n" -lt 400 ]; do
    if IFS= read -r v <"$S/$1"; then
      printf '%s' "$v"
      return 0
    fi
    g_n=$((g_n + 1))
    [ "$g_n" -le 200 ] || sleep 0.005
  done
  printf '%s' "${2:-}"
}
put() { printf '%s\n' "$2" >"$S/$1"; }
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >&2; }
# The daemon is PID 1 of a helper with its own PID namespace, and some other PID in a helper
# sharing its target's (a process kill): PID 1 there is the target's init, never ours to signal.
wake_daemon() {
  dp=$(get daemon_pid)
  is_num "$dp" && [ "$dp" != "$$" ] && kill -USR1 "$dp" 2>/dev/null || true
}

# The common machinery is in parts beside this one: the lock (helper-lock.sh), the plan's record
# and its steps (helper-record.sh, helper-steps.sh), the commands that hand a plan over or end it
# (helper-commands.sh), the timer (helper-timer.sh) and the daemon with its signals and stdin abort
# reader (helper-daemon.sh). Each kind's kernel-facing part is its own file too: tc and iptables
# batches for the netns kinds, gameday-kill's plan for a process kill, and so on.
LIB=${GAMEDAY_HELPER_LIB:-/usr/local/lib/gameday}
. "$LIB/helper-lock.sh"
. "$LIB/helper-record.sh"
. "$LIB/helper-steps.sh"
. "$LIB/helper-commands.sh"
. "$LIB/helper-timer.sh"
. "$LIB/helper-daemon.sh"
. "$LIB/netns-batch.sh"
. "$LIB/process-kill.sh"
. "$LIB/stress.sh"
. "$LIB/dns.sh"
. "$LIB/disk-fill.sh"

mkdir -p "$S"
cmd=${1:-daemon}
[ $# -gt 0 ] && shift
case "$cmd" in
  daemon) cmd_daemon ;;
  apply) cmd_apply "$@" ;;
  schedule) cmd_schedule "$@" ;;
  watch) cmd_watch "$@" ;;
  revert) cmd_revert "$@" ;;
  status) cmd_status ;;
  probe) cmd_probe "$@" ;;
  resetprobe) cmd_resetprobe ;;
  killplan) cmd_killplan "$@" ;;
  kills) cmd_kills "$@" ;;
  stressprobe) cmd_stressprobe "$@" ;;
  stressplan) cmd_stressplan "$@" ;;
  stresscheck) cmd_stresscheck ;;
  dnsprobe) cmd_dnsprobe ;;
  dnsstart) cmd_dnsstart "$@" ;;
  dnsready) cmd_dnsready ;;
  dnscheck) cmd_dnscheck ;;
  dnsflush) cmd_dnsflush ;;
  dnsstop) cmd_dnsstop ;;
  fillplan) cmd_fillplan "$@" ;;
  *) die "unknown command $cmd" ;;
esac
