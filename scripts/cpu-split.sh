#!/usr/bin/env bash
# Gives the lab kernel a CPU of its own while the other test tiers run beside it.
#
#   cpu-split.sh on    every process of the machine (and Docker's containers) onto CPU 0; prints the
#                      cpuset directory whose CPUs (1…n-1) are left for the lab kernel alone
#   cpu-split.sh off   everything back onto every CPU, the two cpusets removed
#
# Why: the user-mode-linux guest has one vCPU that is one host thread; pinned with taskset it still
# shares its CPU with whatever the scheduler puts there, and beside the other tiers it starved (a
# guest Docker API up in 47 s instead of 6, HTTP inside the guest 100 ms instead of 2), niced or
# not. A cpuset keeps everything else off its CPU. cgroup v1 cpuset and 3 CPUs or more only;
# otherwise `on` prints nothing and exits 3, and the caller runs the tiers one after the other.
set -euo pipefail
root=/sys/fs/cgroup/cpuset
host="$root/gameday-host"
lab="$root/gameday-lab"
cpus="$(cat "$root/cpuset.cpus" 2>/dev/null || true)"
last="$(($(nproc --all) - 1))"

# moves every task of $1 into $2 (kernel threads and processes that exit meanwhile refuse; fine)
move_tasks() {
  local task
  while read -r task; do echo "$task" >"$2/tasks" 2>/dev/null || true; done <"$1/tasks"
}

# sets cpuset.cpus on a Docker cgroup tree: a child's CPUs must stay inside its parent's, so a
# shrink goes children first, a widening parent first
docker_cpus() {
  local dir="$root/docker" want="$1" d
  [ -d "$dir" ] || return 0
  if [ "$want" = "$cpus" ]; then
    echo "$want" >"$dir/cpuset.cpus"
    for d in "$dir"/*/; do [ -f "$d/cpuset.cpus" ] && echo "$want" >"$d/cpuset.cpus"; done
  else
    for d in "$dir"/*/; do [ -f "$d/cpuset.cpus" ] && echo "$want" >"$d/cpuset.cpus"; done
    echo "$want" >"$dir/cpuset.cpus"
  fi
}

case "${1:-}" in
on)
  # with 2 CPUs the other tiers are left one: measured, they took 2-3x as long (the browser file
  # 165 s instead of 60, fuzz 277 s instead of 89) while the guest still ran ~25% slower than alone
  # (its host side shares CPU 0), so the whole run got longer; the lab then runs after them
  if [ ! -w "$root/tasks" ] || [ "$last" -lt 2 ] || [ -z "$cpus" ]; then exit 3; fi
  mems="$(cat "$root/cpuset.mems")"
  mkdir -p "$host" "$lab"
  echo "$mems" >"$host/cpuset.mems"
  echo 0 >"$host/cpuset.cpus"
  echo "$mems" >"$lab/cpuset.mems"
  echo "1-$last" >"$lab/cpuset.cpus"
  docker_cpus 0
  move_tasks "$root" "$host"
  echo "$lab"
  ;;
off)
  [ -d "$host" ] || [ -d "$lab" ] || exit 0
  docker_cpus "$cpus"
  for d in "$host" "$lab"; do
    # a process forked while the tasks moved lands in $d: move again until it is empty
    for _ in 1 2 3 4 5; do
      [ -d "$d" ] || break
      move_tasks "$d" "$root"
      rmdir "$d" 2>/dev/null || true
    done
  done
  ;;
*)
  echo "usage: cpu-split.sh on|off" >&2
  exit 2
  ;;
esac
