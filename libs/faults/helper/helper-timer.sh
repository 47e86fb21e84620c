# GameDay helper, the timer (sourced by gameday-helper): one pass (tick) applies or reverts what is
# due, through gameday-at for the batchable steps, step by step otherwise, or hands the instant to a
# kind's own program (gameday-kill, gameday-stress, gameday-fill). Uses the helper's common
# functions (get, put, S).

# Runs gameday-at KIND AT FILE PROG... (PROG's words from PROGFILE) and waits for it; sets
# AT_WRITTEN AT_DONE AT_STATUS AT_EARLY, and AT_POST_DONE AT_POST_STATUS (143: stopped during the
# step after the batch, whose batch line says the batch is in). KIND (apply | revert) tells a revert command or an abort
# whether to stop it or make it write now. A signal (USR1 from a command, USR2 an abort, TERM
# handled by on_term) interrupts wait, not gameday-at.
run_at() {
  AT_KIND=$1
  at=$2 lines=$3 progfile=$4
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$progfile"
  if [ "$AT_KIND" = apply ] && [ -s "$S/steps/apply.post" ]; then
    rm -f "$S/steps/apply.post.out"
    set -- -p "$S/steps/apply.post" "$at" "$lines" "$@"
  else
    set -- "$at" "$lines" "$@"
  fi
  : >"$S/at_out"
  gameday-at "$@" >"$S/at_out" 2>"$S/last_err" &
  AT_PID=$!
  # a revert command cannot take the lock while we wait: it acts on gameday-at through these
  put at_kind "$AT_KIND"
  put at_pid "$AT_PID"
  # an abort that came just before AT_PID was set found nothing to signal: act on it now
  if [ "$ABORT_NOW" = 1 ]; then
    if [ "$AT_KIND" = revert ]; then kill -USR1 "$AT_PID" 2>/dev/null || true; else kill "$AT_PID" 2>/dev/null || true; fi
  fi
  while :; do
    wait "$AT_PID"
    [ $? -le 128 ] && break
    kill -0 "$AT_PID" 2>/dev/null || break
  done
  AT_PID=
  put at_pid ''
  AT_WRITTEN='' AT_DONE='' AT_STATUS='' AT_EARLY='' AT_POST_DONE='' AT_POST_STATUS=''
  { read -r AT_WRITTEN AT_DONE AT_STATUS AT_EARLY && read -r AT_POST_DONE AT_POST_STATUS; } <"$S/at_out" || true
  if ! is_num "$AT_STATUS"; then
    AT_STATUS=255 AT_DONE=$(now_ms)
    AT_WRITTEN=$AT_DONE
  fi
  if [ -z "$AT_POST_STATUS" ]; then
    AT_POST_STATUS=143 AT_POST_DONE=$(now_ms)
  fi
}

timed_apply() {
  n=$(get step_count 0)
  # a first step kept out of the batch (a dns fault's check that its resolver runs) goes now, ahead
  # of the instant; failing, nothing else is put in and its undo runs
  if [ -s "$S/steps/apply.pre" ] && ! run_step "$S/steps/apply.pre"; then
    put error "step 1 ($(tr '\n' ' ' <"$S/steps/apply.pre" | head -c 200)) failed: $(head -c 500 "$S/last_err" | tr '\n' ' ')"
    put applying_step 1
    undo_applied
    put state apply_failed
    put done_at "$(now_ms)"
    log "apply failed ahead of T0, rolled back: $(get error)"
    return 1
  fi
  # from the write on, any step may be in place: a stop or restart undoes them all (the state
  # stays armed until T0, so readers see the plan, not a fault in progress; see state_now)
  put applied_steps 0
  put applying_step "$n"
  run_at apply "$1" "$S/steps/apply.batch" "$S/steps/apply.prog"
  if [ "$AT_STATUS" != 0 ] && [ -s "$S/cancel" ]; then
    # a revert or an abort came while we waited for T0: gameday-at was stopped (before its write,
    # or its tc killed mid-batch); undo whatever may have landed and record the cancel
    ABORT_NOW=0
    undo_applied
    put revert_reason "$(get cancel)"
    put state cancelled
    put done_at "$(now_ms)"
    log "apply cancelled before T0 ($(get cancel))"
    return 1
  fi
  put apply_started_at "$AT_WRITTEN"
  if [ "$AT_STATUS" = 0 ]; then
    put applied_steps "$n"
    put applying_step 0
    put applied_at "$AT_DONE"
    put state applied
    if [ -s "$S/steps/apply.post" ]; then
      first_word "$S/steps/apply.post"
      if [ "$w" = ss ]; then
        record_reset "$AT_POST_DONE" "$AT_POST_STATUS" "$S/steps/apply.post.out"
      elif [ "$AT_POST_STATUS" != 0 ]; then
        log "the step after the batch failed (status $AT_POST_STATUS): $(tr '\n' ' ' <"$S/steps/apply.post")"
      fi
    fi
    log "applied $n steps (batch written at $AT_WRITTEN)"
    return 0
  fi
  batch_failures
  if [ "$FAILED" -gt 0 ]; then
    put applied_steps $((FAILED - 1))
    put applying_step "$FAILED"
  fi
  # the same words as the per-step path: the step's argv and tc's own message
  if [ "$FAILED" -gt 0 ]; then
    f=$(step_file "$FAILED")
    put error "step $FAILED ($(tr '\n' ' ' <"$f.apply" | head -c 200)) failed: $(grep -v '^Command failed' "$S/last_err" | head -c 500 | tr '\n' ' ')"
  else
    IFS= read -r prog <"$S/steps/apply.prog" || prog=batch
    put error "the batch failed ($prog exit $AT_STATUS): $(head -c 500 "$S/last_err" | tr '\n' ' ')"
  fi
  undo_applied
  put state apply_failed
  put done_at "$(now_ms)"
  log "apply failed, rolled back: $(get error)"
  return 1
}

# Holds the undo batch from the apply on and writes it at $1, or at once when a revert command or
# an abort makes gameday-at write early (the reason and the asker are in cancel / cancel_by).
timed_revert() {
  run_at revert "$1" "$S/steps/undo.batch" "$S/steps/undo.prog"
  reason=$2 by=''
  if [ -s "$S/cancel" ] && { [ "$AT_EARLY" = 1 ] || [ "$AT_STATUS" != 0 ]; }; then
    reason=$(get cancel) by=$(get cancel_by)
  fi
  ABORT_NOW=0
  batch_failures
  UNDONE=$(($(get steps/undo.count 0) - FAILURES))
  if [ "$AT_STATUS" = 0 ] || [ "$FAILURES" -gt 0 ]; then
    cp "$S/last_err" "$S/undo_errors"
    # the first step's undo kept out of the batch (a dns fault's resolver stopped), after it
    if [ -s "$S/steps/undo.post" ] && ! run_step "$S/steps/undo.post"; then
      printf 'step 1: %s\n' "$(head -c 300 "$S/last_err" | tr '\n' ' ')" >>"$S/undo_errors"
    fi
    put applied_steps 0
    put applying_step 0
    put reverted_at "$AT_DONE"
    put revert_reason "$reason"
    put state reverted
    put done_at "$(now_ms)"
    log "reverted ($reason, batch written at $AT_WRITTEN)"
  else
    # tc did not run the batch (killed, missing), or iptables-restore refused its block as a whole
    # (someone removed one of our rules already): the per-step path undoes what is applied
    do_revert "$reason"
  fi
  put undone_count "$UNDONE"
  put reverted_for "$by"
}

# Both timed paths need every step in the batch files and every step applied.
batchable() {
  { [ -s "$S/steps/apply.batch" ] || [ -s "$S/steps/apply.post" ]; } && [ -s "$S/steps/apply.prog" ] && command -v gameday-at >/dev/null
}

# One pass of the timer: what is due now, and when to look again (ms from now).
tick() {
  lock
  if [ "$ABORT_NOW" = 1 ]; then
    # an abort signal while no gameday-at was waiting: undo now, or cancel the plan
    ABORT_NOW=0
    case "$(state_now)" in
      applied | applying) do_revert "$(get cancel signal)" ;;
      armed)
        put state cancelled
        put done_at "$(now_ms)"
        put revert_reason "$(get cancel signal)"
        ;;
    esac
  fi
  now=$(now_ms)
  state=$(get state idle)
  next=60000
  case "$state" in
    armed)
      apply_at=$(get apply_at 0) expire=$(get expire_at 0)
      if [ "$now" -ge "$expire" ]; then
        put state skipped_expired
        put done_at "$now"
        log "planned apply at $apply_at is past the expiry $expire: not applied"
      elif [ $((apply_at - now)) -le "$AT_LEAD_MS" ] && heartbeat_lost "$now"; then
        # readied without a worker driving the run: it does not begin (the record says why)
        put state cancelled
        put done_at "$now"
        put revert_reason no_heartbeat
        log "no heartbeat since $(get beat_at) (timeout $(get beat_timeout_ms) ms): the plan for $apply_at does not begin"
      elif [ -s "$S/kill.plan" ] && [ $((apply_at - now)) -le "$AT_LEAD_MS" ]; then
        timed_kill
        next=0
      elif [ -s "$S/kill.plan" ]; then
        next=$((apply_at - now - AT_LEAD_MS))
      elif [ -s "$S/stress.plan" ] && [ $((apply_at - now)) -le "$AT_LEAD_MS" ]; then
        timed_stress
        next=0
      elif [ -s "$S/stress.plan" ]; then
        next=$((apply_at - now - AT_LEAD_MS))
      elif [ -s "$S/fill.plan" ] && [ $((apply_at - now)) -le "$AT_LEAD_MS" ]; then
        timed_fill
        next=0
      elif [ -s "$S/fill.plan" ]; then
        next=$((apply_at - now - AT_LEAD_MS))
      elif batchable && [ $((apply_at - now)) -le "$AT_LEAD_MS" ]; then
        timed_apply "$apply_at" || true
        next=0
      elif ! batchable && [ $((apply_at - now)) -le "$LEAD_MS" ]; then
        # Woken just ahead of T0: wait out the last milliseconds, then apply at once.
        while [ "$(now_ms)" -lt "$apply_at" ]; do :; done
        do_apply || true
        next=0
      elif batchable; then
        next=$((apply_at - now - AT_LEAD_MS))
      else
        next=$((apply_at - now - LEAD_MS))
      fi
      ;;
    applied)
      revert_at=$(get revert_at 0) expire=$(get expire_at 0)
      due=$expire reason=expired
      if [ "$revert_at" -gt 0 ] && [ "$revert_at" -lt "$expire" ]; then due=$revert_at reason=scheduled; fi
      all_applied=0
      [ "$(get applied_steps 0)" = "$(get step_count 0)" ] && [ "$(get applying_step 0)" = 0 ] && all_applied=1
      if [ $all_applied = 1 ] && batchable && [ -s "$S/steps/undo.batch" ]; then
        # from the apply on, not AT_LEAD_MS ahead: an abort then needs no process either
        timed_revert "$due" "$reason"
      elif [ $((due - now)) -le "$LEAD_MS" ]; then
        while [ "$(now_ms)" -lt "$due" ]; do :; done
        do_revert "$reason"
      else
        next=$((due - now - LEAD_MS))
      fi
      ;;
    idle)
      started=$(get started_at "$now")
      if [ $((now - started)) -ge $((IDLE_S * 1000)) ]; then EXIT_NOW=1; fi
      ;;
    *)
      done_at=$(get done_at "$now")
      if [ $((now - done_at)) -ge $((LINGER_S * 1000)) ]; then EXIT_NOW=1; fi
      ;;
  esac
  unlock
  NEXT_MS=$next
}
