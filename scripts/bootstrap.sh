#!/usr/bin/env bash
# Makes a host ready for GameDay: Postgres and Redis reachable, Docker Engine running, local base
# images present, the user-mode-linux lab kernel installed. Idempotent: every step is skipped when
# it is already satisfied. Exits non-zero with a clear message when a step cannot be done.
#
#   scripts/bootstrap.sh            everything
#   scripts/bootstrap.sh services   only Postgres + Redis
#   scripts/bootstrap.sh docker     only Docker Engine + base images
#   scripts/bootstrap.sh lab        only the user-mode-linux lab packages
#   scripts/bootstrap.sh browser    only Chromium for the web UI's browser tests
#   scripts/bootstrap.sh demo       what `npm run demo` needs: everything but Chromium
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${GAMEDAY_STATE_DIR:-$root/.lab}"
mkdir -p "$state"
log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not available; install manually: $*"
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq || die "apt-get update failed"; apt_updated=1; fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$state/apt.log" 2>&1 \
    || { tail -20 "$state/apt.log" >&2; die "apt-get install $* failed (log: $state/apt.log)"; }
}
need_cmd() { # need_cmd COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ] || apt_install "$2"
}

# `bash -c "$detached" _ LOG COMMAND…` starts a daemon that outlives this script: in a session of its
# own, stdin from /dev/null, output to LOG, and none of its caller's other descriptors open (a lock
# a CI run held around this script stayed held by dockerd, and the next run waited 9 minutes on it)
# shellcheck disable=SC2016
detached='log=$1; shift
for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
setsid "$@" </dev/null >"$log" 2>&1 &'

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  die "$what did not come up within ${secs}s"
}

services() {
  local pg_host=127.0.0.1 pg_port=5432 redis_port=6379
  if tcp_open "$pg_host" "$pg_port"; then
    log "postgres: reachable on $pg_host:$pg_port"
  else
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
    local ver; ver="$(ls /etc/postgresql | sort -V | tail -1)"
    log "postgres: starting cluster $ver/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    wait_for 30 "postgres" tcp_open "$pg_host" "$pg_port"
  fi
  # the redis-cluster test tier starts its own nodes even when a Redis is already reachable
  need_cmd redis-server redis-server
  need_cmd redis-cli redis-tools
  if tcp_open 127.0.0.1 "$redis_port"; then
    log "redis: reachable on 127.0.0.1:$redis_port"
  else
    log "redis: starting"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
      --dir /tmp --logfile "$state/redis.log"
    wait_for 15 "redis" tcp_open 127.0.0.1 "$redis_port"
  fi
}

docker_engine() {
  if docker info >/dev/null 2>&1; then
    log "docker: engine reachable"
  else
    command -v dockerd >/dev/null 2>&1 || apt_install docker.io
    need_cmd iptables iptables
    log "docker: starting dockerd (log: $state/dockerd.log)"
    as_root bash -c "$detached" _ "$state/dockerd.log" dockerd
    wait_for 60 "dockerd (see $state/dockerd.log)" docker info >/dev/null 2>&1
  fi
  # images.sh builds missing Debian bases with debootstrap; the compose file is validated by a CLI
  need_cmd debootstrap debootstrap
  docker compose version >/dev/null 2>&1 || need_cmd docker-compose docker-compose
}

# Dockerfiles say FROM debian:bookworm-slim. Where no registry is reachable, build that base from
# Debian's own mirror with debootstrap and import it under the official name.
base_images() {
  if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    log "image debian:bookworm-slim: present"
    return
  fi
  if timeout 20 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    log "image debian:bookworm-slim: pulled"
    return
  fi
  need_cmd debootstrap debootstrap
  local dir="$state/rootfs-bookworm"
  log "image debian:bookworm-slim: no registry; building it with debootstrap"
  as_root rm -rf "$dir"
  as_root debootstrap --variant=minbase bookworm "$dir" >"$state/debootstrap.log" 2>&1 \
    || { tail -20 "$state/debootstrap.log" >&2; die "debootstrap failed (log: $state/debootstrap.log)"; }
  as_root rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
  as_root tar -C "$dir" -c . | docker import - debian:bookworm-slim >/dev/null
  as_root rm -rf "$dir"
  log "image debian:bookworm-slim: imported"
}

lab() {
  need_cmd linux.uml user-mode-linux
  need_cmd insmod kmod
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || apt_install busybox-static
  need_cmd ip iproute2
  need_cmd ping iputils-ping
  need_cmd dockerd docker.io
  need_cmd xtables-legacy-multi iptables
  local kver; kver="$(ls /usr/lib/uml/modules 2>/dev/null | sort -V | tail -1)"
  [ -n "$kver" ] || die "user-mode-linux is installed but /usr/lib/uml/modules is empty"
  [ -n "$(find "/usr/lib/uml/modules/$kver" -name 'sch_netem.ko*' -print -quit)" ] \
    || die "the user-mode-linux kernel $kver has no sch_netem module"
  log "lab: user-mode-linux $kver with sch_netem"
  # a host whose XSAVE area the packaged kernel cannot write (AVX-512, AMX) gets one built from
  # Debian's sources, once (scripts/lab-kernel.sh; 10-20 min on 2 CPUs)
  as_root bash "$root/scripts/lab-kernel.sh" build
}

prometheus_pkg() {
  need_cmd prometheus prometheus
  log "prometheus: $(prometheus --version 2>&1 | head -1)"
}

# The browser tests drive Debian's Chromium with playwright-core (no browser download from a CDN).
browser() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation
  log "browser: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
}

case "${1:-all}" in
  services) services ;;
  docker) docker_engine; base_images ;;
  lab) lab ;;
  prometheus) prometheus_pkg ;;
  browser) browser ;;
  demo) services; docker_engine; base_images; lab; prometheus_pkg ;;
  all) services; docker_engine; base_images; lab; prometheus_pkg; browser ;;
  *) die "unknown step '$1' (services|docker|lab|prometheus|browser|demo|all)" ;;
esac
log "ready"
