# GameDay helper, the stress kind's part (sourced by gameday-helper): the target's cgroup found by
# its container ID, and the plan handed to gameday-stress, which runs stress-ng in that cgroup from
# T0 to T1. Uses the helper's common functions (get, put, open_plan, S).

# The engine's cgroup filesystem, as the stress helper mounts it (cgroup namespace of the host).
CGROOT=${GAMEDAY_CGROUP_ROOT:-/gameday/cgroup}

# A line of the summary gameday-stress rewrites (key=value), builtins only.
sget() {
  if [ -s "$S/stress.summary" ]; then
    while IFS='=' read -r k v; do
      if [ "$k" = "$1" ]; then
        printf '%s' "$v"
        return
      fi
    done <"$S/stress.summary"
  fi
  printf '%s' "${2:-}"
}

# stress-ng was started at T0 (gameday-stress wrote its summary and woke us): the fault is applied.
stress_applied_mark() {
  t=$(sget started_at 0)
  if [ "$(get state)" = armed ] && is_num "$t" && [ "$t" -gt 0 ]; then
    put apply_started_at "$(get apply_at 0)"
    put applied_at "$t"
    put state applied
    log "stress-ng started at T0 in $(get stress_cgroup)"
  fi
}

# A stress: gameday-stress holds the whole window (stress-ng in the target's cgroup from T0 to T1,
# or the expiry); the timer waits for it holding the lock, as for a process kill. A revert or an
# abort stops it through the daemon (on_abort), a TERM through on_term.
timed_stress() {
  put applying_step 1
  set --
  while IFS= read -r w; do set -- "$@" "$w"; done <"$S/stress.plan"
  s_path=$1 s_workers=$2 s_load=$3 s_mb=$4 s_io=$5 s_io_mb=$6
  s_end=$(get revert_at 0) s_reason=scheduled
  if [ "$s_end" = 0 ] || [ "$s_end" -gt "$(get expire_at 0)" ]; then s_end=$(get expire_at 0) s_reason=expired; fi
  AT_KIND=stress
  gameday-stress run "$(get apply_at 0)" "$s_end" "$S" "$CGROOT" "$s_path" "$s_workers" "$s_load" "$s_mb" "$s_io" "$s_io_mb" \
    2>"$S/last_err" >/dev/null &
  AT_PID=$!
  put at_kind stress
  put at_pid "$AT_PID"
  [ "$ABORT_NOW" = 1 ] && kill "$AT_PID" 2>/dev/null
  while :; do
    wait "$AT_PID"
    rc=$?
    stress_applied_mark
    [ $rc -le 128 ] && break
    kill -0 "$AT_PID" 2>/dev/null || break
  done
  AT_PID=
  put at_pid ''
  stress_applied_mark
  by=''
  end=$(sget end_reason)
  if [ "$end" = stopped ] && [ -s "$S/cancel" ]; then
    s_reason=$(get cancel) by=$(get cancel_by)
  fi
  ABORT_NOW=0
  put applying_step 0
  ended=$(sget ended_at 0)
  is_num "$ended" && [ "$ended" != 0 ] || ended=$(now_ms)
  if [ "$(get state)" = applied ]; then
    # stress-ng ended before T1 by itself (its error is in stress.log): the window was not held
    if [ "$end" = exited ]; then
      s_reason=exited
      put error "stress-ng exited before the end of the window (wait status $(sget exit)): $(tail -c 300 "$S/stress.log" 2>/dev/null | tr '\n' ' ')"
    fi
    put reverted_at "$ended"
    put revert_reason "$s_reason"
    put state reverted
    put undone_count 1
    put reverted_for "$by"
    log "stress ended ($s_reason) at $ended"
  elif [ -s "$S/cancel" ]; then
    put revert_reason "$(get cancel)"
    put state cancelled
    log "stress cancelled before T0 ($(get cancel))"
  else
    put error "gameday-stress ($end): $(head -c 300 "$S/last_err" | tr '\n' ' ')$(tail -c 200 "$S/stress.log" 2>/dev/null | tr '\n' ' ')"
    put state apply_failed
    log "stress failed: $(get error)"
  fi
  put done_at "$(now_ms)"
}

# stressplan APPLY_AT REVERT_AT EXPIRE_AT CGPATH CPU_WORKERS CPU_LOAD VM_MB IO_WORKERS IO_MB: numbers
# only (and the path stressprobe reported); gameday-stress builds stress-ng's words from them.
cmd_stressplan() {
  for v in "${1:-}" "${2:-}" "${3:-}" "${5:-}" "${6:-}" "${7:-}" "${8:-}" "${9:-}"; do
    is_num "$v" || die "stressplan: APPLY_AT REVERT_AT EXPIRE_AT CGPATH CPU_WORKERS CPU_LOAD VM_MB IO_WORKERS IO_MB expected"
  done
  case "${4:-}" in /*) ;; *) die "stressplan: not a cgroup path: ${4:-}" ;; esac
  case "$4" in *..* | *[!A-Za-z0-9/_.:@-]*) die "stressplan: not a cgroup path: $4" ;; esac
  [ $# -eq 9 ] || die "stressplan: unexpected words"
  [ "$5" -le 64 ] && [ "$6" -le 100 ] && [ "$7" -le 65536 ] || die "stressplan: workers <= 64, load <= 100, MB <= 65536"
  [ "$8" -le 16 ] && [ "$9" -le 1024 ] || die "stressplan: IO workers <= 16, IO MB <= 1024"
  [ "$5" -gt 0 ] || [ "$7" -gt 0 ] || [ "$8" -gt 0 ] || die "stressplan: nothing to stress"
  [ "$5" = 0 ] || [ "$6" -gt 0 ] || die "stressplan: a CPU load of 0"
  [ "$8" = 0 ] || [ "$9" -gt 0 ] || die "stressplan: IO workers of 0 MB"
  s_plan=$(printf '%s\n%s\n%s\n%s\n%s\n%s' "$4" "$5" "$6" "$7" "$8" "$9")
  open_plan "$1" "$2" "$3" 0
  printf '%s\n' "$s_plan" >"$S/stress.plan"
  put stress_cgroup "$4"
  put state armed
  unlock
  wake_daemon
  echo "armed apply_at=$1 revert_at=$2 expire_at=$3"
}

# stressprobe CONTAINER_ID: the target's own cgroup (cgroupfs: .../<id>, systemd: .../docker-<id>.scope),
# found in the v2 hierarchy or v1's memory one; exactly one, else refused. Then a child of
# gameday-stress joins it and shows where it landed.
cmd_stressprobe() {
  id=${1:-}
  case "$id" in *[!0-9a-f]* | '') die "stressprobe: a container ID (64 hex digits) expected" ;; esac
  [ ${#id} -eq 64 ] || die "stressprobe: a container ID (64 hex digits) expected"
  [ -d "$CGROOT" ] || die "stressprobe: the engine's cgroup filesystem is not at $CGROOT"
  if [ -f "$CGROOT/cgroup.controllers" ]; then v=2 base=$CGROOT; else v=1 base=$CGROOT/memory; fi
  found=$(find "$base" -maxdepth 8 -type d \( -name "$id" -o -name "docker-$id.scope" \) 2>/dev/null)
  n=$(printf '%s' "$found" | grep -c .)
  [ "$n" = 1 ] || die "stressprobe: the target has no cgroup of its own ($n found for $id)"
  echo "cgroup_version=$v"
  echo "cgroup_path=${found#"$base"}"
  out=$(gameday-stress probe "$CGROOT" "${found#"$base"}" 2>&1) ||
    die "stressprobe: cannot run in the target's cgroup: $(printf '%s' "$out" | tr '\n' ' ')"
  printf '%s\n' "$out" | sed 's/^/joined=/'
}

# What runs now: the stress-ng processes, how many in the target's cgroup, and its counters.
cmd_stresscheck() {
  p=$(get stress_cgroup)
  [ -n "$p" ] || die "stresscheck: no stress plan here"
  gameday-stress check "$CGROOT" "$p"
}
