# GameDay helper, the disk-fill kind's part (sourced by gameday-helper): the plan handed to
# gameday-fill, which holds the whole window in the target's PID namespace (it creates the file
# at T0 and removes it at T1 by its own clock), and the undo every other way out of a plan runs.
# Uses the helper's common functions (get, put, open_plan, S).

# A line of the summary gameday-fill rewrites (key=value), builtins only.
fget() {
  if [ -s "$S/fill.summary" ]; then
    while IFS='=' read -r k v; do
      if [ "$k" = "$1" ]; then
        printf '%s' "$v"
        return
      fi
    done <"$S/fill.summary"
  fi
  printf '%s' "${2:-}"
}

# The file is in place at its size (gameday-fill wrote its summary and woke us): applied.
fill_applied_mark() {
  t=$(fget applied_at 0)
  if [ "$(get state)" = armed ] && is_num "$t" && [ "$t" -gt 0 ]; then
    put apply_started_at "$(fget created_at 0)"
    put applied_at "$t"
    put state applied
    log "fill file of $(fget bytes 0) bytes in place ($(fget method))"
  fi
}

# Called by do_revert (a revert, a TERM, a restart after a crash): removes the file of the plan,
# whoever created it. gameday-fill removes it itself on every end it sees; this is for the ends
# it does not (the helper killed with it, then restarted).
fill_undo() {
  [ -s "$S/fill.plan" ] || return 0
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$S/fill.plan"
  gameday-fill rm "$1" "$2" >/dev/null 2>>"$S/undo_errors" || true
}

# A disk fill: gameday-fill holds the whole window; the timer waits for it holding the lock, as
# for a process kill. A revert or an abort stops it through the daemon (on_abort), a TERM through
# on_term; either way it removes the file before it exits.
timed_fill() {
  # from here on the file may exist: a stop or a restart removes it (state_now says applying)
  put applying_step 1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$S/fill.plan"
  f_path=$1 f_id=$2 f_mode=$3 f_value=$4 f_floor=$5
  f_end=$(get revert_at 0) f_reason=scheduled
  if [ "$f_end" = 0 ] || [ "$f_end" -gt "$(get expire_at 0)" ]; then f_end=$(get expire_at 0) f_reason=expired; fi
  AT_KIND=fill
  gameday-fill run "$(get apply_at 0)" "$f_end" "$(get expire_at 0)" "$S" "$f_path" "$f_id" "$f_mode" "$f_value" "$f_floor" \
    2>"$S/last_err" >/dev/null &
  AT_PID=$!
  put at_kind fill
  put at_pid "$AT_PID"
  [ "$ABORT_NOW" = 1 ] && kill "$AT_PID" 2>/dev/null
  while :; do
    wait "$AT_PID"
    rc=$?
    fill_applied_mark
    [ $rc -le 128 ] && break
    kill -0 "$AT_PID" 2>/dev/null || break
  done
  AT_PID=
  put at_pid ''
  fill_applied_mark
  by=''
  end=$(fget end_reason)
  if [ "$end" = stopped ] && [ -s "$S/cancel" ]; then
    f_reason=$(get cancel) by=$(get cancel_by)
  fi
  ABORT_NOW=0
  # gameday-fill ended without recording its end (killed): the file may be there, remove it now
  case "$end" in window_end | expired | stopped) ;; *) fill_undo ;; esac
  put applying_step 0
  removed=$(fget removed_at 0)
  is_num "$removed" && [ "$removed" != 0 ] || removed=$(now_ms)
  if [ "$(get state)" = applied ]; then
    [ -z "$(fget error)" ] || put undo_errors "$(fget error)"
    put reverted_at "$removed"
    put revert_reason "$f_reason"
    put state reverted
    put undone_count 1
    put reverted_for "$by"
    log "fill file removed ($f_reason) at $removed"
  elif [ -s "$S/cancel" ]; then
    put revert_reason "$(get cancel)"
    put state cancelled
    log "disk fill cancelled before T0 ($(get cancel))"
  else
    put error "gameday-fill ($end): $(fget error)$(head -c 300 "$S/last_err" | tr '\n' ' ')"
    put state apply_failed
    log "disk fill failed: $(get error)"
  fi
  put done_at "$(now_ms)"
}

# fillplan APPLY_AT REVERT_AT EXPIRE_AT PATH ID MODE VALUE FLOOR_BYTES: the path checked as the
# spec does (gameday-fill checks every word again), numbers only for the rest.
cmd_fillplan() {
  for v in "${1:-}" "${2:-}" "${3:-}" "${7:-}" "${8:-}"; do
    is_num "$v" || die "fillplan: APPLY_AT REVERT_AT EXPIRE_AT PATH ID MODE VALUE FLOOR_BYTES expected"
  done
  case "${4:-}" in /*) ;; *) die "fillplan: not an absolute path: ${4:-}" ;; esac
  case "$4" in */../* | */.. | */./* | */. | *[!A-Za-z0-9._/-]*) die "fillplan: not a plain path: $4" ;; esac
  [ ${#4} -le 255 ] || die "fillplan: a path has at most 255 characters"
  case "${5:-}" in *[!0-9a-f]* | '') die "fillplan: an id of 8 hex digits expected" ;; esac
  [ ${#5} -eq 8 ] || die "fillplan: an id of 8 hex digits expected"
  case "${6:-}" in mb | percent) ;; *) die "fillplan: mode is mb or percent" ;; esac
  [ $# -eq 8 ] || die "fillplan: unexpected words"
  f_plan=$(printf '%s\n%s\n%s\n%s\n%s' "$4" "$5" "$6" "$7" "$8")
  open_plan "$1" "$2" "$3" 0
  printf '%s\n' "$f_plan" >"$S/fill.plan"
  put state armed
  unlock
  wake_daemon
  echo "armed apply_at=$1 revert_at=$2 expire_at=$3"
}
