# GameDay helper, the netns kinds' part (sourced by gameday-helper): when every step is a tc
# command, or an iptables command of one variant on the filter table, the timer applies and
# reverts them as one batch held by gameday-at (tc -batch lines, or one iptables-restore block).
# Uses the helper's common functions (get, put, S).

# When every step is a tc command, or every step a command of one iptables variant on one table
# (filter, or nat with `-t nat` in every step), made of plain words, the timer applies and reverts
# them through gameday-at: as `tc -batch` lines (one per step, undo newest first), or as one
# `*filter|*nat ... COMMIT` block fed to that variant's iptables-restore --noflush (one line per
# step; the kernel takes the block at its COMMIT as one change: all of it lands, or none). A step
# with anything else keeps the per-step path.
# Writes apply.batch/undo.batch, the programs reading them (apply.prog/undo.prog, a word a line) and
# how many undo lines there are (undo.count).
# A last step with nothing to undo that is a reset (`ss -K ...`) or a helper command (a dns fault's
# `gameday-helper dnsflush`) stays out of the batch: gameday-at runs it right after the batch's
# program has put the rules in (apply.post, a word a line). A first step that is a helper command
# with an undo (a dns fault's `gameday-helper dnsready`, undone by `dnsstop`) stays out too: the
# timer runs it before it starts gameday-at (apply.pre) and its undo after the undo batch
# (undo.post).
write_batches() {
  nb=$1 first=1
  rm -f "$S/steps.new/apply.post" "$S/steps.new/apply.pre" "$S/steps.new/undo.post"
  [ "$nb" -ge 1 ] && is_post_step "$(printf '%s/steps.new/%03d' "$S" "$nb")" && nb=$((nb - 1))
  [ "$nb" -ge 2 ] && is_pre_step "$S/steps.new/001" && first=2
  if [ "$nb" = 0 ] && [ "$1" = 1 ]; then
    # a reset alone (the reset kind): nothing to feed a program, gameday-at only keeps the instant
    : >"$S/steps.new/apply.batch"
    : >"$S/steps.new/undo.batch"
    printf 'true\n' >"$S/steps.new/apply.prog"
    printf 'true\n' >"$S/steps.new/undo.prog"
    printf '0\n' >"$S/steps.new/undo.count"
    cp "$S/steps.new/001.apply" "$S/steps.new/apply.post"
  elif [ "$nb" -gt 0 ] && { tc_batches "$first" "$nb" || ipt_batches "$first" "$nb"; }; then
    [ "$nb" = "$1" ] || cp "$(printf '%s/steps.new/%03d' "$S" "$1").apply" "$S/steps.new/apply.post"
    if [ "$first" = 2 ]; then
      cp "$S/steps.new/001.apply" "$S/steps.new/apply.pre"
      cp "$S/steps.new/001.undo" "$S/steps.new/undo.post"
    fi
  else
    rm -f "$S/steps.new/apply.batch" "$S/steps.new/undo.batch"
  fi
}

# The first word of a step file ($1), in w.
first_word() {
  w=''
  IFS= read -r w <"$1" || true
}

# A step that may follow the batch: ss (a reset) or a helper command, with nothing to undo.
is_post_step() {
  first_word "$1.apply"
  { [ "$w" = ss ] || [ "$w" = gameday-helper ]; } && [ ! -s "$1.undo" ]
}

# A step that may precede the batch: a helper command with an undo (run after the undo batch).
is_pre_step() {
  first_word "$1.apply"
  [ "$w" = gameday-helper ] && first_word "$1.undo" && [ "$w" = gameday-helper ]
}

# A step whose program is ss and that has no undo: a reset of established connections.
is_reset_step() {
  w=''
  IFS= read -r w <"$1.apply" || true
  [ "$w" = ss ] && [ ! -s "$1.undo" ]
}

# Records a reset: when it ended, ss's exit code and how many sockets it destroyed (a line each in
# its output). Builtins only.
record_reset() {
  put reset_at "$1"
  put reset_status "$2"
  c=0
  if [ -f "$3" ]; then
    while IFS= read -r _l; do c=$((c + 1)); done <"$3"
  fi
  put reset_count "$c"
  [ "$2" = 0 ] || log "reset of established connections failed (ss exit $2)"
}

# resetprobe: can this kernel destroy a socket (CONFIG_INET_DIAG_DESTROY)? Without it ss -K
# destroys nothing and says nothing, so the probe destroys a listener of its own on loopback (a
# busybox httpd on 127.0.0.1, for a few ms) and reads whether ss named it. Prints
# reset_probe=ok | unsupported | error:WHY.
cmd_resetprobe() {
  port=$((40000 + $$ % 20000))
  tries=0
  while [ $tries -lt 3 ]; do
    tries=$((tries + 1))
    port=$((port + 1))
    httpd -f -p "127.0.0.1:$port" -h /tmp 2>/dev/null &
    hp=$!
    n=0
    while [ $n -lt 100 ] && ! ss -Htln src 127.0.0.1 sport = ":$port" | grep -q .; do
      kill -0 $hp 2>/dev/null || break
      n=$((n + 1))
      sleep 0.01
    done
    if ! kill -0 $hp 2>/dev/null; then
      wait $hp 2>/dev/null
      continue
    fi
    killed=$(ss -K -Htln src 127.0.0.1 sport = ":$port" 2>"$S/probe_err")
    rc=$?
    kill $hp 2>/dev/null
    wait $hp 2>/dev/null
    if [ $rc -ne 0 ]; then
      echo "reset_probe=error:ss exit $rc $(head -c 200 "$S/probe_err" | tr '\n' ' ')"
    elif [ -n "$killed" ]; then
      echo "reset_probe=ok"
    else
      echo "reset_probe=unsupported"
    fi
    return 0
  done
  echo "reset_probe=error:no loopback listener could be started for the probe"
}

# Sets BATCH_APPLY and BATCH_UNDO (undo newest first) and BATCH_UNDOS from the batch lines of steps
# $2 to $3.
collect_lines() {
  BATCH_APPLY='' BATCH_UNDO='' BATCH_UNDOS=0 i=$(($2 - 1))
  while [ $i -lt "$3" ]; do
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
  collect_lines tc "$1" "$2" || return 1
  printf '%s' "$BATCH_APPLY" >"$S/steps.new/apply.batch"
  printf '%s' "$BATCH_UNDO" >"$S/steps.new/undo.batch"
  printf 'tc\n-batch\n-\n' >"$S/steps.new/apply.prog"
  printf 'tc\n-force\n-batch\n-\n' >"$S/steps.new/undo.prog"
  printf '%s\n' "$BATCH_UNDOS" >"$S/steps.new/undo.count"
}

# The restore takes the xtables lock only from its *filter (*nat) line to its COMMIT (never while
# it waits for T0): -w 5 waits out a concurrent read (verify's iptables -S) rather than failing.
ipt_batches() {
  IPT='' TABLE=filter
  [ "$2" -ge "$1" ] || return 1
  f=$(printf '%s/steps.new/%03d.apply' "$S" "$1")
  IFS= read -r IPT <"$f" || return 1
  case "$IPT" in iptables-legacy | iptables-nft) ;; *) return 1 ;; esac
  command -v "$IPT-restore" >/dev/null || return 1
  # the table of the first step's `-t nat`, if any: every step must then name it
  [ "$(sed -n 3,4p "$f" | tr '\n' ' ')" = "-t nat " ] && TABLE=nat
  collect_lines ipt "$1" "$2" || return 1
  printf '*%s\n%sCOMMIT\n' "$TABLE" "$BATCH_APPLY" >"$S/steps.new/apply.batch"
  : >"$S/steps.new/undo.batch"
  [ "$BATCH_UNDOS" = 0 ] || printf '*%s\n%sCOMMIT\n' "$TABLE" "$BATCH_UNDO" >"$S/steps.new/undo.batch"
  printf '%s-restore\n--noflush\n-w\n5\n' "$IPT" >"$S/steps.new/apply.prog"
  cp "$S/steps.new/apply.prog" "$S/steps.new/undo.prog"
  printf '%s\n' "$BATCH_UNDOS" >"$S/steps.new/undo.count"
}

# Sets line to the step's words after `tc`, or after `$IPT -w` (kind ipt: the command must be one
# a restore line may hold, on $TABLE: `-t nat` right after -w for nat, no other -t); fails when
# the step is another program or a word is not plain ('!' is plain to iptables). An empty step
# file is an empty line.
batch_line() {
  line='' wn=0 pos=0 skip=0
  # nat: words 3 and 4 are `-t nat`; the words after them count as on the filter table
  [ "$1" = ipt ] && [ "${TABLE:-filter}" = nat ] && skip=2
  while IFS= read -r w; do
    wn=$((wn + 1))
    if [ "$skip" = 2 ] && [ "$wn" -ge 3 ] && [ "$wn" -le 4 ]; then
      case "$wn:$w" in 3:-t | 4:nat) continue ;; *) return 1 ;; esac
    fi
    pos=$((wn > 4 ? wn - skip : wn))
    case "$1:$pos" in
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
  [ "$wn" = 0 ] || [ "$1" = tc ] || [ "$((wn - skip))" -ge 3 ]
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
