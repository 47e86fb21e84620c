/*
 * The target's cgroup as gameday-stress reaches it: the engine's cgroup filesystem at a root of
 * the helper's (CGROOT, cgroup namespace of the host) and the target's path below each
 * hierarchy's root (CGPATH, /docker/<id> say), v1 or v2. Reading its counters, joining it, and
 * telling whether a process is in it.
 */
#ifndef STRESS_CGROUP_H
#define STRESS_CGROUP_H
#include <sys/types.h>

/* a cgroup path as the helper's shell found it: absolute, no "..", no odd characters */
int valid_cgpath(const char *p);

/* The target's cgroup from now on: ROOT and PATH (checked by the caller), v2 when ROOT is one. */
void use_cgroup(const char *root, const char *path);

/* Whether the engine's cgroups are v2 (use_cgroup found a cgroup.controllers at the root). */
int cgroup_v2(void);

/* A small file into BUF (NUL-terminated, at most CAP - 1 bytes, one read); -1 when unreadable. */
ssize_t read_small(const char *path, char *buf, size_t cap);

/* The target's counters: memory oom_kill, memory in use, CPU time in ns; -1 when unreadable. */
long long oom_kills(void);
long long memory_bytes(void);
long long cpu_ns(void);

/* Moves this process into the target's cgroup; 0, or -1 with a message on stderr. */
int join_target(void);

/* whether /proc/PID/cgroup names the target's path where it counts (v1 memory, or the v2 line) */
int in_target(const char *pid);

#endif
