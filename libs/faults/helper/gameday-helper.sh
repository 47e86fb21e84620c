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
# The daemon is PID 1 of a helper with its own PID namespace, and some other PID in a helper
# sharing its target's (a process kill): PID 1 there is the target's init, never ours to signal.
wake_daemon() {
  dp=$(get daemon_pid)
  is_num "$dp" && [ "$dp" != "$$" ] && kill -USR1 "$dp" 2>/dev/null || true
}

# Each kind's kernel-facing part is its own file beside this one (the common machinery is here):
# tc and iptables batches for the netns kinds, gameday-kill's plan for a process kill.
LIB=${GAMEDAY_HELPER_LIB:-/usr/local/lib/gameday}
. "$LIB/netns-batch.sh"
. "$LIB/process-kill.sh"
. "$LIB/stress.sh"
. "$LIB/dns.sh"
. "$LIB/disk-fill.sh"

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
  write_batches "$n"
  rm -rf "$S/steps" && mv "$S/steps.new" "$S/steps"
  put step_count "$n"
}

# Runs one step file as an argv (read back word by word: no shell evaluation).
run_step() {
  step=$1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$step"
  [ $# -gt 0 ] || return 0
  out=/dev/null
  [ "$1" = ss ] && out="$S/reset.out"
  "$@" 2>"$S/last_err" >"$out"
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
    is_reset_step "$f" && record_reset "$(now_ms)" 0 "$S/reset.out"
  done
  put applying_step 0
  put applied_at "$(now_ms)"
  put state applied
  log "applied $n steps"
  return 0
}

do_revert() {
  undo_applied
  fill_undo
  put reverted_at "$(now_ms)"
  put revert_reason "$1"
  put state reverted
  put done_at "$(now_ms)"
  log "reverted ($1)"
}

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
  put apply_at "$plan_apply_at"
  put revert_at "$plan_revert_at"
  put expire_at "$plan_expire"
}

cmd_apply() {
  is_num "${1:-}" || die "apply: EXPIRE_AT (epoch ms) expected"
  expire=$1
  shift
  open_plan 0 0 "$expire" "$@"
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
  open_plan "$apply_at" "$revert_at" "$expire" "$@"
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
  open_plan 0 0 "$expire" "$@"
  put applied_steps "$(get step_count 0)"
  put applied_at "$(now_ms)"
  put state applied
  unlock
  wake_daemon
  echo "watching expire_at=$expire"
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

cmd_revert() {
  reason=${1:-manual}
  lock_for_revert "$reason"
  state=$(get state idle)
  if [ "$state" = reverted ] && [ "$(get reverted_for)" = "$$" ]; then
    echo "was=applied"
    echo "undone=$(get undone_count 0)"
  else
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
  fi
  unlock
  wake_daemon
  echo "state=$(get state idle)"
  echo "reverted_at=$(get reverted_at)"
  echo "revert_reason=$(get revert_reason)"
}

cmd_status() {
  for k in state apply_at revert_at expire_at apply_started_at applied_at reverted_at revert_reason applied_steps applying_step step_count starts \
    reset_at reset_status reset_count; do
    echo "$k=$(get $k)"
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
  : >"$S/at_pid"
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

# The recorded state, except that an armed plan whose steps are marked may be in place: gameday-at
# holds the batch and may have written it.
state_now() {
  st=$(get state idle)
  if [ "$st" = armed ] && [ "$(get applying_step 0)" != 0 ]; then st=applying; fi
  printf '%s' "$st"
}

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

# Reads the worker's lines on stdin (a background list: its own process, so PID 1 keeps its
# timers). `abort NONCE [BY]` for the current plan: record who asked, then USR2 to the daemon with the
# kill builtin (no process created); on_abort does the rest, as for `docker kill --signal USR2`.
# Anything else is ignored and counted. EOF (the worker detached or died, or no stdin was ever
# opened) changes nothing about the fault, whose clock stays here: the reader just ends.
abort_reader() {
  while IFS= read -r line; do
    want=''
    [ -s "$S/abort_nonce" ] && IFS= read -r want <"$S/abort_nonce"
    case "$line" in
      "abort $want" | "abort $want "*)
        if [ -n "$want" ]; then
          by=${line#"abort $want"}
          by=${by# }
          case "$by" in '' | *[!A-Za-z0-9_.-]*) by=unnamed ;; esac
          [ "${#by}" -le 40 ] || by=unnamed
          [ -s "$S/cancel" ] || {
            put cancel stdin
            put cancel_by "stdin:$by"
          }
          # $$ is the daemon's PID in this background list too: PID 1 in a helper with a PID
          # namespace of its own, another PID in one sharing its target's (a process kill), where
          # PID 1 is the target's init and never ours to signal
          kill -USR2 "$$" 2>/dev/null || true
          echo "gameday-helper: abort line on stdin ($by): USR2 to the daemon" >&2
          continue
        fi
        ;;
    esac
    put stdin_ignored $(($(get stdin_ignored 0) + 1))
    echo "gameday-helper: ignored a stdin line of ${#line} characters: not this plan's abort" >&2
  done
  echo "gameday-helper: stdin closed: abort lines end here, the fault's own clock does not" >&2
}

# Started by the daemon: the reader alone holds stdin (a background list's stdin would be
# /dev/null, hence fd 3), and PID 1's own children never read a line meant for it.
start_abort_reader() {
  exec 3<&0 </dev/null
  abort_reader <&3 3<&- &
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

# One probe step as an argv read back word by word (no shell evaluation), its stderr kept apart
# from the fault steps' last_err.
probe_run() {
  pfile=$1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$pfile"
  "$@" 2>"$S/probe_err" >/dev/null
}

cmd_probe() {
  is_num "${1:-}" || die "step count expected"
  n=$1
  shift
  i=0
  while [ $i -lt "$n" ]; do
    i=$((i + 1))
    is_num "${1:-}" || die "word count expected for probe step $i"
    c=$1
    shift
    : >"$S/probe_step"
    while [ "$c" -gt 0 ]; do
      [ $# -gt 0 ] || die "probe step $i is short"
      printf '%s\n' "$1" >>"$S/probe_step"
      shift
      c=$((c - 1))
    done
    probe_run "$S/probe_step"
    rc=$?
    err=''
    [ -s "$S/probe_err" ] && IFS= read -r err <"$S/probe_err"
    printf 'step%d=%d\nstep%d_err=%s\n' "$i" "$rc" "$i" "$err"
  done
  [ $# -eq 0 ] || die "unexpected words after the probe steps"
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
