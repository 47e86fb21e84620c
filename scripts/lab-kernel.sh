#!/usr/bin/env bash
# Builds the lab's user-mode-linux kernel from Debian's Linux sources when the packaged one
# cannot run on this host, and installs it where the lab looks first:
#   /usr/local/lib/gameday-uml/linux.uml  and its modules in /usr/lib/uml/modules/<release>
#
#   lab-kernel.sh check   exit 0 if the packaged kernel (or an installed build) boots here
#   lab-kernel.sh build   build and install (10-20 min on 2 CPUs); nothing if already installed
#   lab-kernel.sh build --always   build even where the packaged 6.1 boots: 7.x runs the guest's
#                                  Docker ~3x faster (the demo's arming 2 s instead of 26-43 s)
#
# Why: Debian bookworm's user-mode-linux (6.1) writes a guest's FPU registers with a fixed 832-byte
# XSTATE buffer; a host whose XSAVE area is larger (AVX-512, AMX) refuses it and every guest's init
# dies ("ptrace set fp regs failed, errno = 14"). Kernels from 6.13 size it from the host, but
# Debian builds their user-mode-linux without legacy iptables (and without the nf_tables ip
# family): no IPv4 firewall, which Docker and the blackhole faults need. The config here is
# Debian's user-mode-linux 7.2 config with the legacy iptables tables added, as 6.1 had them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest=/usr/local/lib/gameday-uml
config="$root/tools/lab/kernel/uml-lab.config"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work=""
# first the version the config was made with, then any newer one the mirror still has
versions=(7.2.8)
log() { printf '[lab-kernel] %s\n' "$*"; }
die() { printf '[lab-kernel] ERROR: %s\n' "$*" >&2; exit 1; }

# boots KERNEL with init=/bin/true; fails if its FPU register writes are refused by this host
boots() {
  local dir out
  dir="$(mktemp -d)"
  out="$(timeout 60 "$1" mem=64M root=/dev/root rootfstype=hostfs hostfs=/ rw init=/bin/true \
    "uml_dir=$dir" con=null con0=fd:0,fd:1 </dev/null 2>&1 || true)"
  rm -rf "$dir"
  ! grep -q 'set fp regs failed' <<<"$out"
}

check() {
  if [ -x "$dest/linux.uml" ]; then
    # a build from an older config is rebuilt (its copy of the config differs)
    cmp -s "$config" "$dest/lab.config" && boots "$dest/linux.uml" && return 0
    return 1
  fi
  boots /usr/bin/linux.uml
}

newer_versions() { # versions of Debian's Linux sources on the mirror, newest first
  curl -fsS --max-time 60 "$mirror/dists/sid/main/source/Sources.xz" | xz -dc |
    grep -o 'linux_[0-9][0-9.]*\.orig\.tar\.xz' | sed 's/^linux_//; s/\.orig\.tar\.xz$//' | sort -uVr
}

build() {
  # a build of the config in the repository (the installed kernel keeps a copy of the one it was made from)
  if [ -x "$dest/linux.uml" ] && cmp -s "$config" "$dest/lab.config" && boots "$dest/linux.uml"; then
    log "a build of this config is installed: nothing to build"
    return 0
  fi
  if [ "${1:-}" != --always ] && check; then log "the lab kernel boots on this host: nothing to build"; return 0; fi
  local pkg
  for pkg in make gcc flex bison bc xz-utils curl libelf-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || { log "installing $pkg"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null; }
  done
  local version="" tarball
  # global, not local: the EXIT trap runs after build() returned (a local was unbound there under
  # set -u, and a successful build exited 1 with its 2.4 GB tree left behind)
  work="$(mktemp -d /var/tmp/gameday-uml-build.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  for v in "${versions[@]}" $(newer_versions | awk -F. '$1 > 6 || ($1 == 6 && $2 >= 13)'); do
    tarball="linux_$v.orig.tar.xz"
    if curl -fsS --max-time 900 -o "$work/$tarball" "$mirror/pool/main/l/linux/$tarball"; then version=$v; break; fi
  done
  [ -n "$version" ] || die "no Linux source of 6.13 or later on $mirror"
  log "building user-mode-linux $version for the lab"
  tar -C "$work" -xf "$work/$tarball"
  local src="$work/linux-$version"
  cp "$config" "$src/.config"
  make -C "$src" ARCH=um olddefconfig >/dev/null
  local t0=$SECONDS
  make -C "$src" ARCH=um -j"$(($(nproc) + 1))" all >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "kernel build failed"; }
  local release
  release="$(make -s -C "$src" ARCH=um kernelrelease)"
  rm -rf "/usr/lib/uml/modules/$release"
  make -C "$src" ARCH=um INSTALL_MOD_PATH="$work/mods" modules_install >/dev/null
  mkdir -p /usr/lib/uml/modules "$dest"
  mv "$work/mods/lib/modules/$release" "/usr/lib/uml/modules/$release"
  rm -f "/usr/lib/uml/modules/$release/build" "/usr/lib/uml/modules/$release/source"
  install -m 0755 "$src/linux" "$dest/linux.uml"
  install -m 0644 "$config" "$dest/lab.config"
  boots "$dest/linux.uml" || die "the kernel built ($release) does not boot here either"
  log "user-mode-linux $release built in $((SECONDS - t0)) s: $dest/linux.uml, modules in /usr/lib/uml/modules/$release"
}

case "${1:-build}" in
  check) check ;;
  build) build "${2:-}" ;;
  *) die "usage: lab-kernel.sh check|build [--always]" ;;
esac
