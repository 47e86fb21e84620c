# GameDay helper, the steps (sourced by gameday-helper): stored one word a line, run as argv (never
# evaluated by a shell), applied in order and undone newest first, step by step. The timer's batch
# path is in helper-timer.sh. Uses the helper's common functions (get, put, S).

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
