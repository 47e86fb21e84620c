# GameDay helper, the plan's record (sourced by gameday-helper): a fresh plan opened under the lock,
# the state as readers should see it, and the `status` command's key=value lines. Uses the helper's
# common functions (get, put, S).

new_plan() {
  rm -f "$S/applied_at" "$S/apply_started_at" "$S/reverted_at" "$S/revert_reason" "$S/error" "$S/undo_errors" "$S/done_at" \
    "$S/cancel" "$S/cancel_by" "$S/reverted_for" "$S/undone_count" "$S/kill.plan" "$S/kill.log" "$S/kill.summary" \
    "$S/stress.plan" "$S/stress.summary" "$S/stress_cgroup" "$S/fill.plan" "$S/fill.summary" \
    "$S/reset_at" "$S/reset_status" "$S/reset_count" "$S/reset.out"
  put applied_steps 0
  put applying_step 0
}

# Before the lock too: the timer holds it for the whole of an applied fault (its undo waits in
# gameday-at), so a second fault is refused at once rather than after the lock's 30 s.
refuse_if_busy() {
  state=$(get state idle)
  case "$state" in applied | armed | applying) die "a fault is already $state here: revert it first" ;; esac
}

# What apply, schedule and watch open with: refuse a second fault (before the lock, then under it),
# record the steps and a fresh plan with its instants. Returns holding the lock.
open_plan() {
  refuse_if_busy
  lock
  refuse_if_busy
  plan_apply_at=$1 plan_revert_at=$2 plan_expire=$3
  shift 3
  write_steps "$@"
  new_plan
  record_abort_nonce
  record_heartbeat
  put apply_at "$plan_apply_at"
  put revert_at "$plan_revert_at"
  put expire_at "$plan_expire"
}

# The recorded state, except that an armed plan whose steps are marked may be in place: gameday-at
# holds the batch and may have written it.
state_now() {
  st=$(get state idle)
  if [ "$st" = armed ] && [ "$(get applying_step 0)" != 0 ]; then st=applying; fi
  printf '%s' "$st"
}

cmd_status() {
  for k in state apply_at revert_at expire_at apply_started_at applied_at reverted_at revert_reason applied_steps applying_step step_count starts \
    reset_at reset_status reset_count beat_at beat_timeout_ms; do
    if [ "$k" = state ]; then echo "state=$(get state)"; else echo "$k=$(get $k)"; fi
  done
  echo "error=$(cat "$S/error" 2>/dev/null | tr '\n' ' ')"
  if [ -s "$S/kill.summary" ]; then
    while IFS= read -r l; do echo "kill_$l"; done <"$S/kill.summary"
  fi
  if [ -s "$S/stress.summary" ]; then
    while IFS= read -r l; do echo "stress_$l"; done <"$S/stress.summary"
  fi
  if [ -s "$S/fill.summary" ]; then
    while IFS= read -r l; do echo "fill_$l"; done <"$S/fill.summary"
  fi
  echo "undo_errors=$(cat "$S/undo_errors" 2>/dev/null | tr '\n' ' ')"
  echo "now=$(now_ms)"
}
