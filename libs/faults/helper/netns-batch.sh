# GameDay helper, the netns kinds' part (sourced by gameday-helper): when every step is a tc
# command, or an iptables command of one variant on the filter table, the timer applies and
# reverts them as one batch held by gameday-at (tc -batch lines, or one iptables-restore block).
# Uses the helper's common functions (get, put, S).

# When every step is a tc command, or every step a command of one iptables variant on the filter
# table, made of plain words, the timer applies and reverts them through gameday-at: as `tc -batch`
# lines (one per step, undo newest first), or as one `*filter ... COMMIT` block fed to that
# variant's iptables-restore --noflush (one line per step; the kernel takes the block at its COMMIT
# as one change: all of it lands, or none). A step with anything else keeps the per-step path.
# Writes apply.batch/undo.batch, the programs reading them (apply.prog/undo.prog, a word a line) and
# how many undo lines there are (undo.count).
write_batches() {
  tc_batches "$1" || ipt_batches "$1" || rm -f "$S/steps.new/apply.batch" "$S/steps.new/undo.batch"
}

# Sets BATCH_APPLY and BATCH_UNDO (undo newest first) and BATCH_UNDOS from every step's batch line.
collect_lines() {
  BATCH_APPLY='' BATCH_UNDO='' BATCH_UNDOS=0 i=0
  while [ $i -lt "$2" ]; do
    i=$((i + 1))
    f=$(printf '%s/steps.new/%03d' "$S" $i)
    batch_line "$1" "$f.apply" || return 1
    [ -n "$line" ] || return 1
    BATCH_APPLY="$BATCH_APPLY$line
"
    batch_line "$1" "$f.undo" || return 1
    if [ -n "$line" ]; then
      BATCH_UNDO="$line
$BATCH_UNDO"
      BATCH_UNDOS=$((BATCH_UNDOS + 1))
    fi
  done
}

tc_batches() {
  collect_lines tc "$1" || return 1
  printf '%s' "$BATCH_APPLY" >"$S/steps.new/apply.batch"
  printf '%s' "$BATCH_UNDO" >"$S/steps.new/undo.batch"
  printf 'tc\n-batch\n-\n' >"$S/steps.new/apply.prog"
  printf 'tc\n-force\n-batch\n-\n' >"$S/steps.new/undo.prog"
  printf '%s\n' "$BATCH_UNDOS" >"$S/steps.new/undo.count"
}

# The restore takes the xtables lock only from its *filter line to its COMMIT (never while it
# waits for T0): -w 5 waits out a concurrent read (verify's iptables -S) rather than failing.
ipt_batches() {
  IPT=''
  [ "$1" -gt 0 ] || return 1
  IFS= read -r IPT <"$S/steps.new/001.apply" || return 1
  case "$IPT" in iptables-legacy | iptables-nft) ;; *) return 1 ;; esac
  command -v "$IPT-restore" >/dev/null || return 1
  collect_lines ipt "$1" || return 1
  printf '*filter\n%sCOMMIT\n' "$BATCH_APPLY" >"$S/steps.new/apply.batch"
  : >"$S/steps.new/undo.batch"
  [ "$BATCH_UNDOS" = 0 ] || printf '*filter\n%sCOMMIT\n' "$BATCH_UNDO" >"$S/steps.new/undo.batch"
  printf '%s-restore\n--noflush\n-w\n5\n' "$IPT" >"$S/steps.new/apply.prog"
  cp "$S/steps.new/apply.prog" "$S/steps.new/undo.prog"
  printf '%s\n' "$BATCH_UNDOS" >"$S/steps.new/undo.count"
}

# Sets line to the step's words after `tc`, or after `$IPT -w` (kind ipt: the command must be one
# a restore line may hold, on the filter table: no -t); fails when the step is another program or
# a word is not plain ('!' is plain to iptables). An empty step file is an empty line.
batch_line() {
  line='' wn=0
  while IFS= read -r w; do
    wn=$((wn + 1))
    case "$1:$wn" in
      tc:1)
        [ "$w" = tc ] || return 1
        continue
        ;;
      ipt:1)
        [ "$w" = "$IPT" ] || return 1
        continue
        ;;
      ipt:2)
        [ "$w" = -w ] || return 1
        continue
        ;;
      ipt:3) case "$w" in -N | -A | -I | -D | -F | -X) ;; *) return 1 ;; esac ;;
      ipt:*) case "$w" in -t | --table | -w | --wait) return 1 ;; esac ;;
    esac
    if [ "$1" != ipt ] || [ "$w" != '!' ]; then
      case "$w" in '' | *[!A-Za-z0-9._:/%+,=-]*) return 1 ;; esac
    fi
    line="${line:+$line }$w"
  done <"$2"
  [ "$wn" = 0 ] || [ "$1" = tc ] || [ "$wn" -ge 3 ]
}

# Sets FAILED to the first batch line tc reported as failed (0 when none is named) and FAILURES
# to how many it named. iptables-restore names none: its block failed as a whole.
batch_failures() {
  FAILED=0 FAILURES=0
  while IFS= read -r l; do
    case "$l" in
      "Command failed -:"*)
        FAILURES=$((FAILURES + 1))
        [ "$FAILED" = 0 ] && is_num "${l#Command failed -:}" && FAILED=${l#Command failed -:}
        ;;
    esac
  done <"$S/last_err"
}
