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
# STEPS: COUNT, then per step: N word1..wordN M undo1..undoM (M may be 0).
# Times are Unix epoch milliseconds.
set -u
S=${GAMEDAY_HELPER_STATE:-/var/lib/gameday}
LINGER_S=${GAMEDAY_HELPER_LINGER_S:-600}
IDLE_S=${GAMEDAY_HELPER_IDLE_S:-86400}
# Wake this long before a planned apply: sleep(1) and the timer pass cost a few ms each.
LEAD_MS=${GAMEDAY_HELPER_LEAD_MS:-40}

now_ms() { date +%s%3N; }
HOLD=0
die() {
  echo "gameday-helper: $*" >&2
  [ "$HOLD" = 1 ] && unlock
  exit 2
}
is_num() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
# Builtins only (no fork+exec): these run on the path between T0 and the fault taking effect.
get() {
  if [ -s "$S/$1" ]; then
    IFS= read -r v <"$S/$1" || true
    printf '%s' "$v"
  else
    printf '%s' "${2:-}"
  fi
}
put() { printf '%s\n' "$2" >"$S/$1"; }
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >&2; }
wake_daemon() { [ "$$" = 1 ] || kill -USR1 1 2>/dev/null || true; }

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

# Stores the steps as one word per line (the worker refuses words containing a newline).
write_steps() {
  is_num "${1:-}" || die "step count expected"
  n=$1
  shift
  rm -rf "$S/steps.new" && mkdir -p "$S/steps.new"
  i=0
  while [ $i -lt "$n" ]; do
    i=$((i + 1))
    f=$(printf '%s/steps.new/%03d' "$S" $i)
    for part in apply undo; do
      is_num "${1:-}" || die "word count expected for step $i $part"
      c=$1
      shift
      : >"$f.$part"
      while [ "$c" -gt 0 ]; do
        [ $# -gt 0 ] || die "step $i $part is short"
        printf '%s\n' "$1" >>"$f.$part"
        shift
        c=$((c - 1))
      done
    done
  done
  [ $# -eq 0 ] || die "unexpected words after the steps"
  rm -rf "$S/steps" && mv "$S/steps.new" "$S/steps"
  put step_count "$n"
}

# Runs one step file as an argv (read back word by word: no shell evaluation).
run_step() {
  step=$1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$step"
  [ $# -gt 0 ] || return 0
  "$@" 2>"$S/last_err" >/dev/null
}

step_file() { printf '%s/steps/%03d' "$S" "$1"; }

# Undo the applied steps newest first; failures are recorded (deleting what is already gone fails).
undo_applied() {
  k=$(get applied_steps 0)
  p=$(get applying_step 0)
  [ "$p" -gt "$k" ] && k=$p
  put applying_step 0
  UNDONE=0
  : >"$S/undo_errors"
  while [ "$k" -gt 0 ]; do
    f=$(step_file "$k")
    if [ ! -s "$f.undo" ]; then
      :
    elif run_step "$f.undo"; then
      UNDONE=$((UNDONE + 1))
    else
      printf 'step %s: %s\n' "$k" "$(head -c 300 "$S/last_err" | tr '\n' ' ')" >>"$S/undo_errors"
    fi
    k=$((k - 1))
    put applied_steps "$k"
  done
}

do_apply() {
  put apply_started_at "$(now_ms)"
  put applied_steps 0
  put state applying
  n=$(get step_count 0)
  i=0
  while [ $i -lt "$n" ]; do
    i=$((i + 1))
    f=$(step_file $i)
    # recorded before the kernel call: a crash right after it still knows this step may be in place
    put applying_step $i
    if ! run_step "$f.apply"; then
      put error "step $i ($(tr '\n' ' ' <"$f.apply" | head -c 200)) failed: $(head -c 500 "$S/last_err" | tr '\n' ' ')"
      undo_applied
      put state apply_failed
      put done_at "$(now_ms)"
      log "apply failed, rolled back: $(get error)"
      return 1
    fi
    put applied_steps $i
  done
  put applying_step 0
  put applied_at "$(now_ms)"
  put state applied
  log "applied $n steps"
  return 0
}

do_revert() {
  undo_applied
  put reverted_at "$(now_ms)"
  put revert_reason "$1"
  put state reverted
  put done_at "$(now_ms)"
  log "reverted ($1)"
}

new_plan() {
  rm -f "$S/applied_at" "$S/apply_started_at" "$S/reverted_at" "$S/revert_reason" "$S/error" "$S/undo_errors" "$S/done_at"
  put applied_steps 0
  put applying_step 0
}

cmd_apply() {
  is_num "${1:-}" || die "apply: EXPIRE_AT (epoch ms) expected"
  expire=$1
  shift
  lock
  state=$(get state idle)
  if [ "$state" = applied ] || [ "$state" = armed ] || [ "$state" = applying ]; then
    unlock
    die "a fault is already $state here: revert it first"
  fi
  write_steps "$@"
  new_plan
  put apply_at 0
  put revert_at 0
  put expire_at "$expire"
  if do_apply; then rc=0; else rc=1; fi
  unlock
  wake_daemon
  if [ $rc -ne 0 ]; then
    get error >&2
    exit 1
  fi
  echo "applied_at=$(get applied_at)"
}

cmd_schedule() {
  for v in "${1:-}" "${2:-}" "${3:-}"; do is_num "$v" || die "schedule: APPLY_AT REVERT_AT EXPIRE_AT (epoch ms) expected"; done
  apply_at=$1 revert_at=$2 expire=$3
  shift 3
  lock
  state=$(get state idle)
  if [ "$state" = applied ] || [ "$state" = armed ] || [ "$state" = applying ]; then
    unlock
    die "a fault is already $state here: revert it first"
  fi
  write_steps "$@"
  new_plan
  put apply_at "$apply_at"
  put revert_at "$revert_at"
  put expire_at "$expire"
  put state armed
  unlock
  wake_daemon
  echo "armed apply_at=$apply_at revert_at=$revert_at expire_at=$expire"
}

# The watchdog of a fault applied by someone else (the exec and nsenter strategies): the steps are
# taken as applied from now on, so every way this helper can end (expiry, TERM, a restart) undoes
# them. Armed before the fault goes in: undoing a step that never ran only fails harmlessly.
cmd_watch() {
  is_num "${1:-}" || die "watch: EXPIRE_AT (epoch ms) expected"
  expire=$1
  shift
  lock
  state=$(get state idle)
  if [ "$state" = applied ] || [ "$state" = armed ] || [ "$state" = applying ]; then
    unlock
    die "a fault is already $state here: revert it first"
  fi
  write_steps "$@"
  new_plan
  put apply_at 0
  put revert_at 0
  put expire_at "$expire"
  put applied_steps "$(get step_count 0)"
  put applied_at "$(now_ms)"
  put state applied
  unlock
  wake_daemon
  echo "watching expire_at=$expire"
}

cmd_revert() {
  reason=${1:-manual}
  lock
  state=$(get state idle)
  echo "was=$state"
  case "$state" in
    applied | applying)
      do_revert "$reason"
      # 0 means every undo failed: someone else (or a restart) had already removed it.
      echo "undone=$UNDONE"
      ;;
    armed)
      put state cancelled
      put done_at "$(now_ms)"
      put revert_reason "$reason"
      ;;
    *) : ;; # already gone: success
  esac
  unlock
  wake_daemon
  echo "state=$(get state idle)"
}

cmd_status() {
  for k in state apply_at revert_at expire_at apply_started_at applied_at reverted_at revert_reason applied_steps applying_step step_count starts; do
    echo "$k=$(get $k)"
  done
  echo "error=$(cat "$S/error" 2>/dev/null | tr '\n' ' ')"
  echo "undo_errors=$(cat "$S/undo_errors" 2>/dev/null | tr '\n' ' ')"
  echo "now=$(now_ms)"
}

# One pass of the timer: what is due now, and when to look again (ms from now).
tick() {
  lock
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
      elif [ $((apply_at - now)) -le "$LEAD_MS" ]; then
        # Woken just ahead of T0: wait out the last milliseconds, then apply at once.
        while [ "$(now_ms)" -lt "$apply_at" ]; do :; done
        do_apply || true
        next=0
      else
        next=$((apply_at - now - LEAD_MS))
      fi
      ;;
    applied)
      revert_at=$(get revert_at 0) expire=$(get expire_at 0)
      due=$expire reason=expired
      if [ "$revert_at" -gt 0 ] && [ "$revert_at" -lt "$expire" ]; then due=$revert_at reason=scheduled; fi
      if [ $((due - now)) -le "$LEAD_MS" ]; then
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

on_term() {
  seize_lock
  case "$(get state idle)" in
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
  # Nobody else runs at PID 1 start: a lock left by a killed process is stale.
  rmdir "$S/lock" 2>/dev/null || true
  [ -f "$S/started_at" ] || put started_at "$(now_ms)"
  put starts $(($(get starts 0) + 1))
  log "helper up (start $(get starts), state $(get state idle))"
  # Restarted (OOM, a kill from outside) while a fault was, or may have been, in place: whoever
  # drove it is not guarding it through us any more. Revert what the record says is applied.
  case "$(get state idle)" in
    applied | applying) do_revert restarted ;;
  esac
  trap on_term TERM INT
  trap ':' USR1
  EXIT_NOW=0
  while :; do
    tick
    if [ "$EXIT_NOW" = 1 ]; then
      log "nothing left to guard: exiting"
      exit 0
    fi
    [ "$NEXT_MS" -gt 0 ] || continue
    [ "$NEXT_MS" -le 60000 ] || NEXT_MS=60000
    sleep "$((NEXT_MS / 1000)).$(printf '%03d' $((NEXT_MS % 1000)))" &
    SLEEP_PID=$!
    wait $SLEEP_PID 2>/dev/null || true
    kill $SLEEP_PID 2>/dev/null || true
  done
}

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
  *) die "unknown command $cmd" ;;
esac
