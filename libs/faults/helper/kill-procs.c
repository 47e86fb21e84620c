/* The processes gameday-kill may signal (see kill-procs.h). */
#define _GNU_SOURCE
#include "kill-procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char self_cgroup[4096];
/* the target's cgroup: PID 1 of the shared namespace is the target's init */
static char pid1_cgroup[4096];

/* -1: the process is gone, or not ours to read */
ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, cap - 1 - (size_t)n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += r;
    if ((size_t)n >= cap - 1) break;
  }
  close(fd);
  buf[n] = '\0';
  return n;
}

int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 15 || s[0] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("_.+:@-", s[i])) return 0;
  return 1;
}

int comm_of(const char *pid, char *out, size_t cap) {
  char path[300];
  snprintf(path, sizeof path, "/proc/%s/comm", pid);
  ssize_t n = read_small(path, out, cap);
  if (n <= 0) return 0;
  if (out[n - 1] == '\n') out[n - 1] = '\0';
  return 1;
}

/* 1: in the target's cgroup (PID 1's) and not ours; 0: any other, or unreadable (never signalled) */
static int target_cgroup(const char *pid) {
  char path[300], cg[4096];
  snprintf(path, sizeof path, "/proc/%s/cgroup", pid);
  if (read_small(path, cg, sizeof cg) <= 0) return 0;
  return strcmp(cg, pid1_cgroup) == 0 && strcmp(cg, self_cgroup) != 0;
}

int read_cgroups(void) {
  if (read_small("/proc/self/cgroup", self_cgroup, sizeof self_cgroup) <= 0) {
    fprintf(stderr, "gameday-kill: cannot read /proc/self/cgroup: %s\n", strerror(errno));
    return 3;
  }
  if (read_small("/proc/1/cgroup", pid1_cgroup, sizeof pid1_cgroup) <= 0) {
    fprintf(stderr, "gameday-kill: cannot read /proc/1/cgroup: %s\n", strerror(errno));
    return 3;
  }
  return 0;
}

int own_cgroup(const char *cg) { return strcmp(cg, self_cgroup) == 0; }

long long scan(const char *name, int sig, kill_seen seen, long long *signalled, int *pid1) {
  char self[32], parent[32];
  snprintf(self, sizeof self, "%d", (int)getpid());
  snprintf(parent, sizeof parent, "%d", (int)getppid());
  long long matched = 0;
  *signalled = 0;
  *pid1 = 0;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  struct dirent *e;
  char comm[64];
  while ((e = readdir(d)) != NULL) {
    const char *p = e->d_name;
    if (!isdigit((unsigned char)p[0]) || strspn(p, "0123456789") != strlen(p)) continue;
    if (!comm_of(p, comm, sizeof comm) || strcmp(comm, name) != 0) continue;
    if (strcmp(p, "1") == 0) {
      *pid1 = 1;
      continue;
    }
    if (strcmp(p, self) == 0 || strcmp(p, parent) == 0 || !target_cgroup(p)) continue;
    matched++;
    if (sig == 0) {
      printf("%s %s\n", p, comm);
      continue;
    }
    int rc = kill((pid_t)atoi(p), sig);
    int err = errno;
    if (rc == 0) (*signalled)++;
    seen(p, comm, rc, err);
  }
  closedir(d);
  return matched;
}
