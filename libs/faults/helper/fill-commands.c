/* gameday-fill's commands outside a run: probe, check, rm (see fill-commands.h). */
#define _GNU_SOURCE
#include "fill-commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fill-target.h"

#define TMPFS_MAGIC_ 0x01021994

/* 1 when a mount of this helper is on the device `dev` (the engine's storage, seen from here) */
static int helper_has_device(dev_t dev) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return 1; /* unknown: judged shared, the safe side */
  char line[4096];
  unsigned maj, min;
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%*s %*s %u:%u", &maj, &min) == 2 && maj == major(dev) && min == minor(dev)) found = 1;
  fclose(f);
  return found;
}

int cmd_probe(const char *path) {
  char self[4096] = "", pid1[4096] = "";
  int a = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC), b = open("/proc/1/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t na = a >= 0 ? read(a, self, sizeof self - 1) : -1, nb = b >= 0 ? read(b, pid1, sizeof pid1 - 1) : -1;
  if (a >= 0) close(a);
  if (b >= 0) close(b);
  if (na < 0 || nb < 0) {
    fprintf(stderr, "gameday-fill: cannot read /proc/1/cgroup: %s\n", strerror(errno));
    return 3;
  }
  printf("pid1=%s\n", strcmp(self, pid1) == 0 ? "same" : "other");
  /* the init's real UID and GID (status is readable without ptrace's access check): a helper of
     another user cannot open its root, so arming starts one as this user */
  FILE *f = fopen("/proc/1/status", "re");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    unsigned id;
    if (sscanf(line, "Uid: %u", &id) == 1) printf("pid1_uid=%u\n", id);
    if (sscanf(line, "Gid: %u", &id) == 1) printf("pid1_gid=%u\n", id);
  }
  if (f) fclose(f);
  printf("self_uid=%u\n", (unsigned)getuid());
  fflush(stdout);
  int dfd = open_target_dir(path);
  if (dfd < 0) {
    fprintf(stderr, "gameday-fill: cannot open %s in the target: %s\n", path,
            errno == ENOTDIR ? "not a directory (or a symlink on the way)" : strerror(errno));
    return 4;
  }
  struct statfs st;
  struct stat sb;
  if (fstatfs(dfd, &st) != 0 || fstat(dfd, &sb) != 0) {
    fprintf(stderr, "gameday-fill: cannot statfs %s: %s\n", path, strerror(errno));
    return 4;
  }
  const char *own = "0", *why;
  if ((unsigned long)st.f_type == TMPFS_MAGIC_)
    own = "1", why = "tmpfs";
  else if (major(sb.st_dev) == 0)
    why = "anonymous_device";
  else if (helper_has_device(sb.st_dev))
    why = "engine_device";
  else
    own = "1", why = "own_device";
  printf("fs_type=0x%lx\nfrsize=%ld\nblocks=%llu\nbfree=%llu\nbavail=%llu\ndev=%u:%u\nreadonly=%d\nown=%s\nown_why=%s\n",
         (unsigned long)st.f_type, (long)(st.f_frsize ? st.f_frsize : st.f_bsize), (unsigned long long)st.f_blocks,
         (unsigned long long)st.f_bfree, (unsigned long long)st.f_bavail, major(sb.st_dev), minor(sb.st_dev),
         (st.f_flags & ST_RDONLY) ? 1 : 0, own, why);
  return 0;
}

int cmd_check(const char *path, const char *name) {
  int dfd = open_target_dir(path);
  if (dfd < 0) {
    printf("exists=0\ndir=0\n");
    return 0;
  }
  struct statfs st;
  struct stat sb;
  int exists = fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
  printf("exists=%d\ndir=1\nsize=%lld\nallocated=%lld\n", exists, exists ? (long long)sb.st_size : 0,
         exists ? (long long)sb.st_blocks * 512 : 0);
  if (fstatfs(dfd, &st) == 0)
    printf("frsize=%ld\nblocks=%llu\nbfree=%llu\nbavail=%llu\n", (long)(st.f_frsize ? st.f_frsize : st.f_bsize),
           (unsigned long long)st.f_blocks, (unsigned long long)st.f_bfree, (unsigned long long)st.f_bavail);
  return 0;
}

int cmd_rm(const char *path, const char *name) {
  int dfd = open_target_dir(path);
  if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    printf("removed=0\n");
    return 0;
  }
  int rc = dfd < 0 ? -1 : unlinkat(dfd, name, 0);
  if (rc != 0 && (dfd < 0 || errno != ENOENT)) {
    fprintf(stderr, "gameday-fill: cannot remove %s/%s: %s\n", path, name, strerror(errno));
    return 3;
  }
  printf("removed=%d\n", rc == 0);
  return 0;
}
