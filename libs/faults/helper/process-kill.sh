# GameDay helper, the process-kill kind's part (sourced by gameday-helper): the plan handed to
# gameday-kill, which holds the whole window in the target's PID namespace, and its record.
# Uses the helper's common functions (get, put, open_plan, S).

# A line of the kill summary gameday-kill rewrites after every tick (key=value), builtins only.
kget() {
  if [ -s "$S/kill.summary" ]; then
    while IFS='=' read -r k v; do
      if [ "$k" = "$1" ]; then
        printf '%s' "$v"
        return
      fi
    done <"$S/kill.summary"
  fi
  printf '%s' "${2:-}"
}

# The first tick is in (gameday-kill wrote its summary and woke us): the fault is applied.
kill_applied_mark() {
  t=$(kget ticks 0)
  if [ "$(get state)" = armed ] && is_num "$t" && [ "$t" -gt 0 ]; then
    put apply_started_at "$(get apply_at 0)"
    put applied_at "$(kget first_tick_at 0)"
    put state applied
    log "signalled $(kget first_tick_signalled 0) process(es) at T0"
  fi
}

# A process kill: gameday-kill holds the whole window, signalling by its own clock from T0 until
# T1 (or the expiry); the timer waits for it holding the lock, as it holds a batch's undo. A
# revert or an abort stops it through the daemon (on_abort), a TERM through on_term.
timed_kill() {
  # from here on it may signal: a stop or a restart ends the plan (state_now says applying)
  put applying_step 1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$S/kill.plan"
  k_sig=$1 k_name=$2 k_every=$3
  k_end=$(get revert_at 0) k_reason=scheduled
  if [ "$k_end" = 0 ] || [ "$k_end" -gt "$(get expire_at 0)" ]; then k_end=$(get expire_at 0) k_reason=expired; fi
  AT_KIND=kill
  gameday-kill run "$(get apply_at 0)" "$k_end" "$k_every" "$k_sig" "$k_name" "$S" 2>"$S/last_err" >/dev/null &
  AT_PID=$!
  put at_kind kill
  put at_pid "$AT_PID"
  [ "$ABORT_NOW" = 1 ] && kill "$AT_PID" 2>/dev/null
  while :; do
    wait "$AT_PID"
    rc=$?
    kill_applied_mark
    [ $rc -le 128 ] && break
    kill -0 "$AT_PID" 2>/dev/null || break
  done
  AT_PID=
  put at_pid ''
  kill_applied_mark
  by=''
  if [ "$(kget end_reason)" = stopped ] && [ -s "$S/cancel" ]; then
    k_reason=$(get cancel) by=$(get cancel_by)
  fi
  ABORT_NOW=0
  put applying_step 0
  ended=$(kget ended_at 0)
  is_num "$ended" && [ "$ended" != 0 ] || ended=$(now_ms)
  if [ "$(get state)" = applied ]; then
    put reverted_at "$ended"
    put revert_reason "$k_reason"
    put state reverted
    put undone_count 1
    put reverted_for "$by"
    log "process kill ended ($k_reason): $(kget kills 0) signal(s) in $(kget ticks 0) round(s)"
  elif [ -s "$S/cancel" ]; then
    put revert_reason "$(get cancel)"
    put state cancelled
    log "process kill cancelled before T0 ($(get cancel))"
  else
    put error "gameday-kill: $(head -c 500 "$S/last_err" | tr '\n' ' ')"
    put state apply_failed
    log "process kill failed: $(get error)"
  fi
  put done_at "$(now_ms)"
}

cmd_killplan() {
  for v in "${1:-}" "${2:-}" "${3:-}" "${4:-}"; do
    is_num "$v" || die "killplan: APPLY_AT REVERT_AT EXPIRE_AT EVERY_MS (epoch ms) expected"
  done
  case "${5:-}" in KILL | TERM | INT | HUP | QUIT | USR1 | USR2) ;; *) die "killplan: signal ${5:-} is not one of KILL TERM INT HUP QUIT USR1 USR2" ;; esac
  # the spec's rule for a comm (gameday-kill checks it again): never an option, path or space
  case "${6:-}" in '' | -* | *[!A-Za-z0-9_.+:@-]*) die "killplan: not a process name: ${6:-}" ;; esac
  [ ${#6} -le 15 ] || die "killplan: a process name has at most 15 characters"
  [ $# -eq 6 ] || die "killplan: unexpected words"
  apply_at=$1 revert_at=$2 expire=$3
  [ "$4" = 0 ] || [ "$4" -ge 1000 ] || die "killplan: EVERY_MS is 0 (once) or at least 1000"
  k_plan=$(printf '%s\n%s\n%s' "$5" "$6" "$4")
  # no tc or iptables steps: the plan is gameday-kill's
  open_plan "$apply_at" "$revert_at" "$expire" 0
  printf '%s\n' "$k_plan" >"$S/kill.plan"
  put state armed
  unlock
  wake_daemon
  echo "armed apply_at=$apply_at revert_at=$revert_at expire_at=$expire"
}

cmd_kills() {
  n=${1:-200}
  is_num "$n" || die "kills: N expected"
  [ -f "$S/kill.log" ] && tail -n "$n" "$S/kill.log"
  return 0
}
