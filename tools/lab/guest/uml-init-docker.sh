#!/bin/sh
# PID 1 of a lab guest that runs its own Docker Engine, reachable from the host over a tap link.
# Used by startUmlDocker() (tools/lab/uml-docker.ts). Everything the engine writes lives on
# tmpfs mounts inside the guest, so it never touches the host's engine or its files.
#
#   GD_LAB_GUEST_IP, GD_LAB_NET (e.g. 10.199.0.2 and 10.199.0.0/30)  address of the guest's vec0
#   GD_LAB_DOCKER_PORT                                              engine API port (plain HTTP)
#   -> GD_LAB_DIR/dockerd.log, guest.log; the guest powers off once GD_LAB_DIR/stop exists.
. "$(dirname "$0")/uml-guest-lib.sh"

[ -n "$GD_LAB_DIR" ] && [ -d "$GD_LAB_DIR" ] || { echo "GD_LAB_DIR missing" >&2; exec busybox poweroff -f; }
lab_mount_basics
lab_load_modules
lab_log "booted"

mount -t cgroup2 cgroup2 /sys/fs/cgroup || lab_fail "mount cgroup2"
# /dev is the guest kernel's own devtmpfs (not the host's), so creating mount points is safe.
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || lab_fail "mount devpts"
mount -t tmpfs tmpfs /dev/shm || lab_fail "mount /dev/shm"
for d in /var/lib/docker /etc/docker; do
  [ -d "$d" ] || mkdir -p "$d"
  mount -t tmpfs -o mode=0711 tmpfs "$d" || lab_fail "mount tmpfs on $d"
done

# The lab kernel has no nf_tables for IPv4: dockerd must drive the legacy iptables backend.
legacy="$(command -v xtables-legacy-multi)" || lab_fail "xtables-legacy-multi not found (package iptables)"
mkdir -p /run/gd-lab/xtables
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -s "$legacy" "/run/gd-lab/xtables/$t"
done
export PATH="/run/gd-lab/xtables:$PATH"
echo 1 >/proc/sys/net/ipv4/ip_forward

ip link set vec0 up || lab_fail "no vec0 device (tap link to the host)"
ip addr add "$GD_LAB_GUEST_IP/${GD_LAB_NET#*/}" dev vec0 || lab_fail "address vec0"
# Short minimum RTO on the host link: rare lost segments otherwise stall requests ~200 ms.
ip route replace "$GD_LAB_NET" dev vec0 proto kernel scope link src "$GD_LAB_GUEST_IP" rto_min 10ms || lab_fail "route on vec0"

# --tls=false: with a plain TCP listener and no explicit choice, dockerd waits 15 s on purpose.
# --live-restore: containers (targets, helpers) keep running while the engine restarts, as on a
# production host configured for it; a test restarts the engine during a fault to see who reverts.
start_dockerd() {
  dockerd \
    --data-root /var/lib/docker --exec-root /run/docker-uml --pidfile /run/docker-uml.pid \
    -H unix:///run/docker-uml.sock -H "tcp://$GD_LAB_GUEST_IP:$GD_LAB_DOCKER_PORT" --tls=false \
    --bip 10.200.0.1/24 --default-address-pool base=10.201.0.0/16,size=24 \
    --storage-driver overlay2 --shutdown-timeout 3 --live-restore \
    >>"$GD_LAB_DIR/dockerd.log" 2>&1 </dev/null &
  dockerd=$!
  lab_log "dockerd started (pid $dockerd)"
}
start_dockerd

# Shell builtins but for one sleep a second: every process start costs the guest's one virtual CPU
# tens to hundreds of milliseconds, taken from the system under test (this loop used to fork a
# grep and a sleep five times a second).
alive() {
  [ -r "/proc/$1/status" ] || return 1
  while read -r key value _; do
    [ "$key" = State: ] && { [ "$value" != Z ]; return; }
  done <"/proc/$1/status"
  return 1
}
# The harness asks for an engine restart with a file; GD_LAB_DIR/dockerd-restarts counts them.
restarts=0
while [ ! -e "$GD_LAB_DIR/stop" ]; do
  if [ -e "$GD_LAB_DIR/restart-dockerd" ]; then
    lab_log "restarting dockerd"
    kill -TERM "$dockerd" 2>/dev/null
    wait "$dockerd"
    lab_log "dockerd stopped for a restart"
    start_dockerd
    restarts=$((restarts + 1))
    echo "$restarts" >"$GD_LAB_DIR/dockerd-restarts"
    rm -f "$GD_LAB_DIR/restart-dockerd"
  fi
  alive "$dockerd" || { lab_log "dockerd exited on its own"; break; }
  sleep 1
done
lab_log "stopping"
# Everything the engine holds is on tmpfs and vanishes at power-off: give dockerd a moment to
# stop its containers, then go.
kill -TERM "$dockerd" 2>/dev/null
( sleep 3; kill -KILL "$dockerd" 2>/dev/null ) &
killer=$!
wait "$dockerd"
kill "$killer" 2>/dev/null
lab_log "dockerd stopped"
lab_poweroff
