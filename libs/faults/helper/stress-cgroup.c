/* The target's cgroup for gameday-stress (see stress-cgroup.h). */
#define _GNU_SOURCE
#include "stress-cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *cgroot, *cgpath;
static int v2;

int valid_cgpath(const char *p) {
  if (p[0] != '/' || strlen(p) > 512 || strstr(p, "..")) return 0;
  for (const char *c = p; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("/_.:@-", *c)))
      return 0;
  return 1;
}

void use_cgroup(const char *root, const char *path) {
  char p[1024];
  cgroot = root;
  cgpath = path;
  snprintf(p, sizeof p, "%s/cgroup.controllers", cgroot);
  v2 = access(p, F_OK) == 0;
}

int cgroup_v2(void) { return v2; }

ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  return n;
}

/* a file of the target's cgroup in hierarchy `h` (v1; ignored on v2) */
static void cg_file(char *out, size_t cap, const char *h, const char *file) {
  if (v2)
    snprintf(out, cap, "%s%s/%s", cgroot, cgpath, file);
  else
    snprintf(out, cap, "%s/%s%s/%s", cgroot, h, cgpath, file);
}

/* the value after `key ` in a flat-keyed cgroup file, -1 when absent */
static long long keyed(const char *path, const char *key) {
  char buf[4096];
  if (read_small(path, buf, sizeof buf) <= 0) return -1;
  size_t k = strlen(key);
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, key, k) == 0 && line[k] == ' ') return strtoll(line + k + 1, NULL, 10);
  return -1;
}

static long long single(const char *path) {
  char buf[64];
  if (read_small(path, buf, sizeof buf) <= 0) return -1;
  return strtoll(buf, NULL, 10);
}

long long oom_kills(void) {
  char p[1024];
  cg_file(p, sizeof p, "memory", v2 ? "memory.events" : "memory.oom_control");
  return keyed(p, "oom_kill");
}

long long memory_bytes(void) {
  char p[1024];
  cg_file(p, sizeof p, "memory", v2 ? "memory.current" : "memory.usage_in_bytes");
  return single(p);
}

long long cpu_ns(void) {
  char p[1024];
  if (v2) {
    cg_file(p, sizeof p, "", "cpu.stat");
    long long us = keyed(p, "usage_usec");
    return us < 0 ? -1 : us * 1000;
  }
  cg_file(p, sizeof p, "cpuacct", "cpuacct.usage");
  return single(p);
}

static int write_pid(const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char s[32];
  int n = snprintf(s, sizeof s, "%d\n", (int)getpid());
  ssize_t w = write(fd, s, (size_t)n);
  int e = errno;
  close(fd);
  errno = e;
  return w == n ? 0 : -1;
}

int join_target(void) {
  char p[1024];
  if (v2) {
    cg_file(p, sizeof p, "", "cgroup.procs");
    if (write_pid(p) == 0) return 0;
    fprintf(stderr, "gameday-stress: cannot join %s: %s\n", p, strerror(errno));
    return -1;
  }
  DIR *d = opendir(cgroot);
  if (!d) {
    fprintf(stderr, "gameday-stress: cannot read %s: %s\n", cgroot, strerror(errno));
    return -1;
  }
  int memory = 0, cpuacct = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s%s/cgroup.procs", cgroot, e->d_name, cgpath);
    if (access(p, F_OK) != 0) continue;
    if (write_pid(p) != 0) {
      fprintf(stderr, "gameday-stress: cannot join %s: %s\n", p, strerror(errno));
      closedir(d);
      return -1;
    }
    if (strcmp(e->d_name, "memory") == 0) memory = 1;
    if (strstr(e->d_name, "cpuacct")) cpuacct = 1;
  }
  closedir(d);
  if (memory && cpuacct) return 0;
  fprintf(stderr, "gameday-stress: the target has no cgroup of its own in the %s hierarchy\n",
          memory ? "cpuacct" : "memory");
  return -1;
}

int in_target(const char *pid) {
  char p[300], buf[8192];
  snprintf(p, sizeof p, "/proc/%s/cgroup", pid);
  if (read_small(p, buf, sizeof buf) <= 0) return 0;
  size_t k = strlen(cgpath);
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    const char *c1 = memchr(line, ':', len);
    const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2) continue;
    int want = v2 ? (c1 == line + 1 && line[0] == '0' && c2 == c1 + 1) : (c2 - c1 - 1 == 6 && !strncmp(c1 + 1, "memory", 6));
    if (want) return (size_t)(line + len - (c2 + 1)) == k && !strncmp(c2 + 1, cgpath, k);
  }
  return 0;
}
