# GameDay helper, the dns kind's part (sourced by gameday-helper; dnsdist, conntrack and setpriv
# are in the dns image only). The resolver is dnsdist, run as uid 53530 so that the nat rules can
# let its own queries through (owner match); its configuration is written here from words checked
# again against the schema's charsets, and is the same text the worker compiled (dnsdistConfig).
DNS_UID=53530
DNS_DIR="$S/dns"

# dnsprobe: the target's nameservers (its /etc/resolv.conf, shared with this helper), a free port
# for the resolver, and which iptables variant holds Docker's nat rules. key=value lines.
cmd_dnsprobe() {
  ns=''
  if [ -r /etc/resolv.conf ]; then
    while read -r k v _rest; do
      [ "$k" = nameserver ] || continue
      case "$v" in '' | *[!0-9A-Fa-f.:]*) continue ;; esac
      ns="${ns:+$ns,}$v"
    done </etc/resolv.conf
  fi
  echo "nameservers=$ns"
  port=$((20000 + $$ % 40000))
  tries=0
  while [ $tries -lt 50 ]; do
    if ! ss -Hlnu "sport = :$port" | grep -q . && ! ss -Hlnt "sport = :$port" | grep -q .; then break; fi
    port=$((port + 1))
    tries=$((tries + 1))
  done
  echo "port=$port"
  # nft first: reading the legacy nat table instantiates it in the netns (an empty table of ours
  # left behind), so it is read only when nf_tables does not hold Docker's rules
  for t in iptables-nft iptables-legacy; do
    if out=$("$t" -w -t nat -S 2>/dev/null); then
      case "$out" in
        *DOCKER_OUTPUT*)
          echo "${t#iptables-}_nat=docker"
          break
          ;;
        *) echo "${t#iptables-}_nat=ok" ;;
      esac
    else
      echo "${t#iptables-}_nat=no"
    fi
  done
  command -v dnsdist >/dev/null && command -v conntrack >/dev/null && command -v setpriv >/dev/null &&
    echo "tools=ok" || echo "tools=missing"
}

dns_word_ok() {
  case "$1" in
    '' | *[!A-Za-z0-9_.-]*) return 1 ;;
    .* | *. | *..*) return 1 ;;
  esac
  [ "${#1}" -le 253 ]
}
dns_ip_ok() { case "$1" in '' | *[!0-9a-f.:]*) return 1 ;; *) return 0 ;; esac; }

# dnsstart ID PORT ACTION DELAY_MS NSCOUNT NS... ADDRCOUNT ADDR... PATTERN...
dns_write_config() {
  id=$1 port=$2 action=$3 delay=$4
  shift 4
  case "$id" in *[!0-9a-f]* | '') die "dnsstart: bad id" ;; esac
  [ "${#id}" = 8 ] || die "dnsstart: bad id"
  is_num "$port" && [ "$port" -ge 20000 ] && [ "$port" -le 60999 ] || die "dnsstart: bad port"
  is_num "$delay" && [ "$delay" -le 30000 ] || die "dnsstart: bad delay"
  is_num "${1:-}" || die "dnsstart: nameserver count expected"
  c=$1
  shift
  servers=''
  while [ "$c" -gt 0 ]; do
    dns_ip_ok "${1:-}" || die "dnsstart: bad nameserver"
    case "$1" in *:*) servers="$servers
newServer({address='[$1]:53'}):setUp()" ;; *) servers="$servers
newServer({address='$1:53'}):setUp()" ;; esac
    shift
    c=$((c - 1))
  done
  [ -n "$servers" ] || die "dnsstart: no nameserver"
  is_num "${1:-}" || die "dnsstart: address count expected"
  c=$1
  shift
  addrs=''
  while [ "$c" -gt 0 ]; do
    dns_ip_ok "${1:-}" || die "dnsstart: bad address"
    addrs="${addrs:+$addrs, }'$1'"
    shift
    c=$((c - 1))
  done
  case "$action" in
    nxdomain) act='RCodeAction(DNSRCode.NXDOMAIN)' ;;
    servfail) act='RCodeAction(DNSRCode.SERVFAIL)' ;;
    timeout) act='DropAction()' ;;
    delay) [ "$delay" -ge 1 ] || die "dnsstart: delay needs DELAY_MS"; act="DelayAction($delay)" ;;
    address) [ -n "$addrs" ] || die "dnsstart: address needs addresses"; act="SpoofAction({$addrs})" ;;
    *) die "dnsstart: unknown action" ;;
  esac
  [ $# -ge 1 ] && [ $# -le 32 ] || die "dnsstart: 1-32 name patterns expected"
  rules=''
  for p in "$@"; do
    case "$p" in
      '*.'*) dns_word_ok "${p#\*.}" || die "dnsstart: bad name pattern"; r="below('${p#\*.}')" ;;
      *) dns_word_ok "$p" || die "dnsstart: bad name pattern"; r="within('$p')" ;;
    esac
    rules="${rules:+$rules, }$r"
  done
  mkdir -p "$DNS_DIR"
  {
    printf '%s\n' "-- gameday dns fault $id" "setLocal('127.0.0.1:$port')" "setACL({'0.0.0.0/0', '::/0'})" \
      "setSecurityPollSuffix('')"
    printf '%s\n' "${servers#?}"
    printf '%s\n' 'local function within(n) local s = newSuffixMatchNode() s:add(n) return SuffixMatchNodeRule(s, true) end' \
      'local function below(n) return AndRule({within(n), NotRule(QNameRule(n))}) end' \
      "addAction(OrRule({$rules}), $act)"
  } >"$DNS_DIR/dnsdist.conf"
  chmod 0644 "$DNS_DIR/dnsdist.conf"
  put dns/port "$port"
}

# The resolver's PID when it runs (dnsdist's own process, not a zombie), else nothing.
dns_pid() {
  p=$(get dns/pid)
  dns_running "$p" || return 1
  IFS= read -r comm <"/proc/$p/comm" || return 1
  [ "$comm" = dnsdist ] || return 1
  printf '%s' "$p"
}

# Whether process $1 runs (not gone, not a zombie). Builtins and /proc only.
dns_running() {
  is_num "$1" && [ -r "/proc/$1/stat" ] || return 1
  IFS= read -r st <"/proc/$1/stat" || return 1
  st=${st##*) }
  case "$st" in Z* | X*) return 1 ;; esac
}

# One query of the target's own hostname (any answer code counts: the resolver answered; a name
# no pattern can match unless the fault names it) to the resolver; prints ok or none.
dns_answers() {
  h=$(cat /etc/hostname 2>/dev/null)
  dns_word_ok "$h" || h=localhost
  # an A query only (Docker may forward a container's AAAA query outside), three times before "none":
  # on a busy engine one answer can take longer than the client's 2 s (two tries were not enough
  # once beside CI's other lanes)
  for _try in 1 2 3; do
    out=$(nslookup -type=a -timeout=2 "$h" "127.0.0.1:$1" 2>&1)
    case "$out" in *"can't find"* | *Name:*)
      echo ok
      return 0
      ;;
    esac
  done
  echo none
}

cmd_dnsstart() {
  [ -z "$(dns_pid)" ] || die "dnsstart: a resolver already runs here"
  lock
  dns_write_config "$@"
  port=$(get dns/port)
  # as the resolver's uid from the start: sockets made before a privilege drop would keep uid 0
  # and loop back through our REDIRECT
  setpriv --reuid="$DNS_UID" --regid="$DNS_UID" --clear-groups --inh-caps=-all --bounding-set=-all \
    dnsdist --supervised --disable-syslog -C "$DNS_DIR/dnsdist.conf" </dev/null >"$DNS_DIR/dnsdist.log" 2>&1 &
  put dns/pid "$!"
  unlock
  # by the clock, not a count of tries: each try forks a probe, and dnsdist's start took over 3 s on
  # a host loaded by other work (it is armed ahead of T0, so waiting costs the lead, not the fault)
  deadline=$(($(now_ms) + 10000))
  while :; do
    # setpriv until it execs dnsdist: only a process gone (or a zombie) has failed
    if ! dns_running "$(get dns/pid)"; then
      die "dnsstart: the resolver exited: $(tail -c 400 "$DNS_DIR/dnsdist.log" | tr '\n' ' ')"
    fi
    if [ -n "$(dns_pid)" ] && ss -Hlnu "sport = :$port" | grep -q . && [ "$(dns_answers "$port")" = ok ]; then
      echo "dns_pid=$(dns_pid)"
      echo "dns_port=$port"
      return 0
    fi
    [ "$(now_ms)" -lt "$deadline" ] || break
    sleep 0.1
  done
  cmd_dnsstop >/dev/null
  die "dnsstart: the resolver did not answer a probe query within 10 s"
}

# dnsready: the resolver runs (the first apply step: no redirect to a resolver that is gone).
cmd_dnsready() {
  [ -n "$(dns_pid)" ] || die "dnsready: the resolver is not running"
}

# dnscheck: dns_resolver=alive|gone and dns_answer=ok|none (verify reads both).
cmd_dnscheck() {
  if [ -n "$(dns_pid)" ]; then
    echo "dns_resolver=alive"
    echo "dns_answer=$(dns_answers "$(get dns/port)")"
  else
    echo "dns_resolver=gone"
    echo "dns_answer=none"
  fi
}

# dnsflush: drops the netns' UDP port-53 flows: one from before T0 would bypass the new REDIRECT
# (a client reusing its socket), one redirected in the window would keep going to the resolver.
cmd_dnsflush() {
  conntrack -D -p udp --orig-port-dst 53 >/dev/null 2>"$S/dns_flush_err"
  rc=$?
  # conntrack says "0 flow entries" with status 0 on this version; 1 is also nothing to delete
  [ $rc -le 1 ] || {
    cat "$S/dns_flush_err" >&2
    return $rc
  }
}

# dnsstop: the flows go and the resolver stops (TERM, then KILL); idempotent: gone is success.
cmd_dnsstop() {
  command -v conntrack >/dev/null && cmd_dnsflush
  p=$(dns_pid) || p=''
  if [ -n "$p" ]; then
    kill "$p" 2>/dev/null
    i=0
    while [ $i -lt 20 ] && [ -n "$(dns_pid)" ]; do
      sleep 0.05
      i=$((i + 1))
    done
    [ -z "$(dns_pid)" ] || kill -9 "$p" 2>/dev/null
  fi
  rm -f "$DNS_DIR/pid"
  echo "dns_resolver=stopped"
}
