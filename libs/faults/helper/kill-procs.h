/*
 * The processes gameday-kill may signal: in the target's PID namespace (shared with this helper),
 * of one name (/proc/PID/comm), and the target's: in PID 1's cgroup (the target's init), never
 * in this process's own. Never PID 1, this process or its parent; unreadable means skipped.
 */
#ifndef KILL_PROCS_H
#define KILL_PROCS_H
#include <sys/types.h>

/* Reads this process's and PID 1's cgroup, which scan compares with; 0, or 3 with a message on stderr. */
int read_cgroups(void);

/* Reads a small /proc file (NUL-terminated, at most CAP - 1 bytes); -1 when it cannot. */
ssize_t read_small(const char *path, char *buf, size_t cap);

/* Whether CG (a /proc/PID/cgroup text) is this process's own cgroup. */
int own_cgroup(const char *cg);

/* The same name rule as the spec's schema: a comm, nothing a shell or parser reads otherwise. */
int valid_name(const char *s);

/* comm of PID without its newline; 0 when unreadable */
int comm_of(const char *pid, char *out, size_t cap);

/* Told of every kill(2) scan makes: the PID and comm, and kill's result and errno. */
typedef void (*kill_seen)(const char *pid, const char *comm, int rc, int err);

/*
 * One pass over /proc: signal SIG (0: print "PID COMM" instead, for `list`) to every process of
 * NAME that is the target's. Returns how many matched; *signalled counts the signals delivered,
 * *pid1 is 1 when PID 1 has the name (skipped).
 */
long long scan(const char *name, int sig, kill_seen seen, long long *signalled, int *pid1);

#endif
