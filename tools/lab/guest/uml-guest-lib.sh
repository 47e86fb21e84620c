# Shared boot steps for the user-mode-linux lab guests (sourced by uml-init-*.sh, which run as
# PID 1 of the lab kernel). The guest sees the host filesystem through hostfs, read-write, so
# everything it creates for itself lives on tmpfs mounts that exist only inside the guest.
#
# Environment (kernel command line words KEY=VAL reach PID 1 as variables):
#   GD_LAB_DIR      host directory owned by the harness for this run (results, logs, stop file)
#   GD_LAB_MODULES  comma-separated kernel modules to load (dependencies resolved by modprobe)

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

lab_now_ms() { date +%s%3N; }

# Status lines go to the console (captured by the harness) and to a file the harness reads.
lab_log() { printf '[lab-guest] %s\n' "$*"; printf '%s %s\n' "$(lab_now_ms)" "$*" >>"$GD_LAB_DIR/guest.log"; }

# Letting PID 1 exit panics the kernel, so every way out ends in an immediate power-off.
lab_poweroff() {
  sync
  exec busybox poweroff -f
}

lab_fail() {
  lab_log "FATAL: $*"
  printf '%s\n' "$*" >"$GD_LAB_DIR/boot-error"
  lab_poweroff
}

lab_mount_basics() {
  mount -t proc proc /proc || lab_fail "mount /proc"
  mount -t sysfs sysfs /sys || lab_fail "mount /sys"
  # /run shadows the host's /run inside the guest only: network namespaces, sockets and pid
  # files of the guest land here instead of on the host.
  mount -t tmpfs -o mode=0755 tmpfs /run || lab_fail "mount tmpfs on /run"
  mkdir -p /run/gd-lab
  ip link set lo up || lab_fail "ip link set lo up"
}

# modprobe (not bare insmod) so dependencies come from the UML kernel's own modules.dep. The
# same wrapper is registered as the kernel's module helper so on-demand loads (e.g. a netfilter
# match dockerd asks for) resolve against the UML modules too, never the host's.
lab_load_modules() {
  local kver root
  kver="$(uname -r)"
  root=/run/gd-lab/modroot
  [ -d "/usr/lib/uml/modules/$kver" ] || lab_fail "no modules for the lab kernel in /usr/lib/uml/modules/$kver"
  mkdir -p "$root/lib/modules"
  ln -s "/usr/lib/uml/modules/$kver" "$root/lib/modules/$kver"
  printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$root" >/run/gd-lab/modprobe
  chmod 0755 /run/gd-lab/modprobe
  echo /run/gd-lab/modprobe >/proc/sys/kernel/modprobe
  local IFS=,
  for m in $GD_LAB_MODULES; do
    [ -n "$m" ] || continue
    # a module built into the kernel (ipv6 in 7.x) is not in modules.builtin but is in /sys/module
    /sbin/modprobe -d "$root" "$m" 2>>"$GD_LAB_DIR/guest.log" || [ -d "/sys/module/$m" ] \
      || lab_fail "cannot load kernel module $m"
  done
}
