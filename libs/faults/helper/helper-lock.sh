# GameDay helper, the lock (sourced by gameday-helper): a directory under the state, taken by one
# command or the timer at a time; taken over at stop; and for a revert, acted on through the
# gameday-at or the kind's program that holds it. Uses the helper's common functions (get, put, S).

lock() {
  i=0
  until mkdir "$S/lock" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 600 ] && die "lock held for 30s"
    sleep 0.05
  done
  HOLD=1
}

# On stop there is no time to wait (docker stop kills after 10 s): this process may hold the lock
# itself (the timer was interrupted mid-step), or an exec'd command may; take it within ~1 s.
seize_lock() {
  [ "$HOLD" = 1 ] && return 0
  i=0
  until mkdir "$S/lock" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 20 ]; then
      log "lock still held after 1s at stop: taking it over to revert"
      break
    fi
    sleep 0.05
  done
  HOLD=1
}
unlock() {
  HOLD=0
  rmdir "$S/lock" 2>/dev/null || true
}

# The lock, for a revert: the timer holds it while gameday-at waits for an instant (for the whole
# fault once applied). Waiting for T0: stop it (the fault then never lands). Holding the undo until
# T1: make it write now, the fastest undo there is; the timer records that it did so for this
# command ($$). Looked at on every try: a gameday-at may start while we wait.
lock_for_revert() {
  nudged='' i=0
  until mkdir "$S/lock" 2>/dev/null; do
    at_pid=$(get at_pid)
    if is_num "$at_pid" && [ "$at_pid" != "$nudged" ]; then
      # the first to ask made it happen: an abort signal that came first keeps its name
      [ -s "$S/cancel" ] || {
        put cancel "$1"
        put cancel_by "$$"
      }
      case "$(get at_kind)" in
        revert) kill -USR1 "$at_pid" 2>/dev/null || true ;;
        # gameday-kill is stopped by the daemon, whose child it is (not reaped yet, so its PID
        # cannot belong to a process of the target): the daemon's abort handler does it
        kill | stress | fill) wake_abort ;;
        *) kill "$at_pid" 2>/dev/null || true ;;
      esac
      nudged=$at_pid
    fi
    i=$((i + 1))
    [ $i -gt 600 ] && die "lock held for 30s"
    sleep 0.05
  done
  HOLD=1
}

wake_abort() {
  dp=$(get daemon_pid)
  is_num "$dp" && [ "$dp" != "$$" ] && kill -USR2 "$dp" 2>/dev/null || true
}
