# GameDay helper, the daemon (sourced by gameday-helper): PID 1's start (a revert after a crash),
# its signal handlers (TERM stops, USR2 aborts), the plan's abort nonce and the stdin reader that acts on it (gameday-abort), and
# the loop that runs the timer. Uses the helper's common functions (get, put, S).

# USR2 (docker kill --signal USR2): an abort that needs no exec. A gameday-at waiting for T0 is
# stopped (the plan is cancelled); one holding the undo writes it now; otherwise the next tick
# (this signal ends the daemon's sleep) undoes or cancels.
on_abort() {
  [ -s "$S/cancel" ] || {
    put cancel signal
    put cancel_by signal
  }
  ABORT_NOW=1
  if [ -n "$AT_PID" ]; then
    if [ "$AT_KIND" = revert ]; then kill -USR1 "$AT_PID" 2>/dev/null || true; else kill "$AT_PID" 2>/dev/null || true; fi
  fi
}

# The plan's abort nonce, from the exec that handed the plan over (16 hex digits, or none: then no
# stdin line aborts this plan; USR2 still does).
record_abort_nonce() {
  nonce=${GAMEDAY_ABORT_NONCE:-}
  case "$nonce" in *[!0-9a-f]*) nonce='' ;; esac
  if [ "${#nonce}" = 16 ]; then put abort_nonce "$nonce"; else rm -f "$S/abort_nonce"; fi
}

# The plan's heartbeat timeout (ms), from the exec that handed it over (GAMEDAY_BEAT_TIMEOUT_MS,
# 1..3600000; none: the plan begins on its clock alone). With one, the plan begins only if the
# worker's `beat NONCE` line (gameday-abort records its arrival in beat_at) came within the timeout
# when the timer readies the apply (AT_LEAD_MS ahead of T0 at most): a step not begun does not
# begin once no worker drives its run. The hand-over itself counts as the first beat.
record_heartbeat() {
  t=${GAMEDAY_BEAT_TIMEOUT_MS:-}
  if is_num "$t" && [ "$t" -ge 1 ] && [ "$t" -le 3600000 ]; then
    put beat_timeout_ms "$t"
    put beat_at "$(now_ms)"
  else
    rm -f "$S/beat_timeout_ms" "$S/beat_at"
  fi
}

# 0 (true) when the plan wants a heartbeat and the last one is older than its timeout.
heartbeat_lost() {
  t=$(get beat_timeout_ms 0)
  [ "$t" -gt 0 ] || return 1
  [ $(($1 - $(get beat_at 0))) -gt "$t" ]
}

# Started by the daemon: gameday-abort (compiled, no shell between the line and the kernel) alone
# holds stdin and reads the worker's `abort NONCE [BY]` lines: it records who asked, makes a
# gameday-at holding the undo write it (USR1), then sends USR2 to the daemon (on_abort does the
# rest, as for `docker kill --signal USR2`); other lines are counted and ignored; EOF ends it and
# nothing else. A background list's stdin would be /dev/null, hence fd 3; PID 1's own children
# never read a line meant for it. $$ is the daemon's PID: PID 1 in a helper with a PID namespace
# of its own, another PID in one sharing its target's (a process kill), whose PID 1 is the
# target's init and never ours to signal.
start_abort_reader() {
  exec 3<&0 </dev/null
  gameday-abort "$S" "$$" <&3 3<&- &
  exec 3<&-
}

on_term() {
  # gameday-at kills and reaps its child (tc, iptables-restore) before it exits: after this wait nothing it wrote can still
  # reach the kernel, and the record below says what may be in place
  if [ -n "$AT_PID" ]; then
    kill "$AT_PID" 2>/dev/null || true
    wait "$AT_PID" 2>/dev/null || true
  fi
  seize_lock
  case "$(state_now)" in
    applied | applying) do_revert terminated ;;
    armed)
      put state cancelled
      put done_at "$(now_ms)"
      ;;
  esac
  unlock
  exit 0
}

cmd_daemon() {
  mkdir -p "$S"
  # first: the commands exec'd into this helper wake and abort the daemon at this PID
  put daemon_pid "$$"
  # Nobody else runs at PID 1 start: a lock left by a killed process is stale.
  rmdir "$S/lock" 2>/dev/null || true
  [ -f "$S/started_at" ] || put started_at "$(now_ms)"
  put starts $(($(get starts 0) + 1))
  log "helper up (start $(get starts), state $(get state idle))"
  # Restarted (OOM, a kill from outside) while a fault was, or may have been, in place: whoever
  # drove it is not guarding it through us any more. Revert what the record says is applied.
  case "$(state_now)" in
    applied | applying) do_revert restarted ;;
  esac
  trap on_term TERM INT
  trap ':' USR1
  trap on_abort USR2
  start_abort_reader
  EXIT_NOW=0
  while :; do
    tick
    if [ "$EXIT_NOW" = 1 ]; then
      log "nothing left to guard: exiting"
      exit 0
    fi
    [ "$NEXT_MS" -gt 0 ] || continue
    # an abort (USR2, or the stdin line) that came while tick ran, after its check: act on it now,
    # not at the next wake (up to a minute away before T0)
    [ "$ABORT_NOW" = 1 ] && continue
    [ "$NEXT_MS" -le 60000 ] || NEXT_MS=60000
    sleep "$((NEXT_MS / 1000)).$(printf '%03d' $((NEXT_MS % 1000)))" &
    SLEEP_PID=$!
    [ "$ABORT_NOW" = 1 ] || wait $SLEEP_PID 2>/dev/null || true
    kill $SLEEP_PID 2>/dev/null || true
  done
}
