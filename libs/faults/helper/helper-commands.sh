# GameDay helper, the commands that hand a plan over or end it (sourced by gameday-helper): apply,
# schedule, watch, revert, and the kernel probe. Uses the helper's common functions (get, put, S).

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
