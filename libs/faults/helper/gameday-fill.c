/*
 * gameday-fill run APPLY_AT END_AT HARD_AT DIR PATH ID MODE VALUE FLOOR_BYTES
 * gameday-fill probe PATH
 * gameday-fill check PATH ID
 * gameday-fill rm PATH ID
 *
 * The disk-fill fault's clock and hands, in a helper that shares the target's PID namespace
 * (PidMode container:<target>): the target's filesystem view is /proc/1/root (PID 1 of that
 * namespace is the target's init). PATH is walked from there one component at a time with
 * O_NOFOLLOW: a symlink anywhere in it is refused, so nothing resolves outside the target's tree
 * (an absolute symlink read through /proc/1/root would resolve in this helper's root).
 *
 * `run` waits for APPLY_AT on an absolute realtime timer, then creates PATH/.gameday-fill-ID
 * (O_EXCL) and fallocate()s it to its size, computed now from statfs: MODE mb → VALUE MiB;
 * MODE percent → until the filesystem is VALUE % used as df shows it (used / (used + avail)).
 * FLOOR_BYTES > 0 (a filesystem shared with the engine): never leave less free than that; the
 * size is clipped to it (clipped=1), as to the free space of a filesystem of the target's own.
 * A filesystem that refuses fallocate is written with zeros instead (method=write). It removes
 * the file at min(END_AT, HARD_AT) (HARD_AT: the fault's expiry, a second clock), on TERM, INT,
 * USR1 or USR2 (an abort or a revert, through the helper's daemon), or when that daemon dies
 * (PR_SET_PDEATHSIG), then exits. DIR/fill.summary (key=value, rewritten by rename) records the
 * instants and sizes; after the file is in place it sends USR1 to its parent (the daemon).
 *
 * `probe` prints pid1=other|same (PID 1 in another cgroup: this helper shares the target's
 * namespace), PID 1's UID and GID and this process's UID, the statfs numbers of PATH in the target, and whether that filesystem is the
 * target's own (own=1: a tmpfs, or a device none of this helper's mounts is on) or shared with
 * the engine (own=0: an overlay layer, a bind mount or a volume on the engine's storage).
 * `check` prints whether the file exists, its size and allocated bytes, and statfs. `rm` removes
 * the file (gone already: success too) and prints removed=1|0.
 *
 * The walk to PATH is fill-target.c's; probe, check and rm are fill-commands.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fill-commands.h"
#include "fill-target.h"
#include "gameday-common.h"

#define MIB 1048576LL

static const char *dir;
static char name[64];

static struct {
  long long created_at, applied_at, removed_at, planned_bytes, bytes, clipped, free_before, free_after;
  const char *method, *end_reason, *error;
} sum = {0, 0, 0, 0, 0, 0, -1, -1, "", "", ""};

/* bytes to create: the plan's, from statfs now; *allowed: what the floor or the free space lets */
static long long size_now(const struct statfs *st, const char *mode, long long value, long long floor_bytes,
                          long long *allowed) {
  long long frsize = st->f_frsize ? (long long)st->f_frsize : (long long)st->f_bsize;
  long long used = ((long long)st->f_blocks - (long long)st->f_bfree) * frsize;
  long long avail = (long long)st->f_bavail * frsize;
  long long want = strcmp(mode, "mb") == 0 ? value * MIB : (value * (used + avail) + 99) / 100 - used;
  *allowed = avail - floor_bytes;
  if (*allowed < 0) *allowed = 0;
  return want < 0 ? 0 : want;
}

static void write_summary(void) {
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "created_at=%lld\napplied_at=%lld\nremoved_at=%lld\nplanned_bytes=%lld\nbytes=%lld\nclipped=%lld\n"
                   "method=%s\nfree_before=%lld\nfree_after=%lld\nend_reason=%s\nerror=%s\n",
                   sum.created_at, sum.applied_at, sum.removed_at, sum.planned_bytes, sum.bytes, sum.clipped,
                   sum.method, sum.free_before, sum.free_after, sum.end_reason, sum.error);
  write_record(dir, "fill.summary", text, n);
}

/* zeros, for a filesystem without fallocate; 0 or -1 */
static int write_zeros(int fd, long long bytes) {
  static char zeros[1 << 20];
  while (bytes > 0) {
    size_t chunk = bytes > (long long)sizeof zeros ? sizeof zeros : (size_t)bytes;
    ssize_t w = write(fd, zeros, chunk);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    bytes -= w;
  }
  return fsync(fd);
}

/* Creates the file at its size; a full filesystem takes a little less (clipped), up to 8 tries. */
static int create_fill(int dfd, long long bytes) {
  int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  sum.method = "fallocate";
  for (int i = 0; i < 8 && bytes > 0; i++) {
    int rc = fallocate(fd, 0, 0, bytes);
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
      sum.method = "write";
      rc = write_zeros(fd, bytes);
    }
    if (rc == 0) break;
    if (errno != ENOSPC) {
      /* nothing half-made stays behind: the file is removed with its error */
      int e = errno;
      close(fd);
      unlinkat(dfd, name, 0);
      errno = e;
      return -1;
    }
    if (ftruncate(fd, 0) != 0) break;
    bytes -= bytes / 64 + MIB;
    if (bytes < 0) bytes = 0;
    sum.clipped = 1;
  }
  struct stat st;
  sum.bytes = fstat(fd, &st) == 0 ? (long long)st.st_size : bytes;
  close(fd);
  return 0;
}

static int cmd_run(char **a) {
  long long apply_at, end_at, hard_at, value, floor_bytes;
  dir = a[3];
  const char *path = a[4], *id = a[5], *mode = a[6];
  int mb = strcmp(mode, "mb") == 0;
  if (!parse_num(a[0], 1LL << 50, &apply_at) || !parse_num(a[1], 1LL << 50, &end_at) ||
      !parse_num(a[2], 1LL << 50, &hard_at) || !valid_path(path) || !valid_id(id) ||
      (!mb && strcmp(mode, "percent") != 0) || !parse_num(a[7], mb ? 1048576 : 100, &value) || value < 1 ||
      !parse_num(a[8], 1LL << 60, &floor_bytes) || end_at <= apply_at) {
    fprintf(stderr, "gameday-fill: bad instants, path, id or size\n");
    return 2;
  }
  if (hard_at && hard_at < end_at) end_at = hard_at;
  snprintf(name, sizeof name, ".gameday-fill-%s", id);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigaddset(&stop, SIGUSR2);
  int sfd, tfd;
  if (signal_timer(&stop, NULL, &sfd, &tfd) != 0) {
    perror("gameday-fill: signalfd/timerfd");
    return 2;
  }
  /* the daemon is woken at the PID it had; this process removes the file and stops should it die */
  pid_t daemon_pid = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != daemon_pid || daemon_pid <= 1) {
    fprintf(stderr, "gameday-fill: no helper daemon above this process\n");
    return 2;
  }
  /* the directory is opened ahead (a walk of /proc is not on the path from T0 to the file) */
  int dfd = open_target_dir(path);
  if (dfd < 0) {
    fprintf(stderr, "gameday-fill: cannot open %s in the target: %s\n", path, strerror(errno));
    return 3;
  }
  sum.end_reason = "";
  write_summary();
  struct pollfd fds[2] = {{.fd = tfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  int placed = 0;
  arm_at(tfd, apply_at);
  for (;;) {
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (fds[1].revents & POLLIN)) {
      sum.end_reason = "stopped";
      break;
    }
    unsigned long long x;
    if (read(tfd, &x, sizeof x) < 0) continue;
    if (placed) {
      sum.end_reason = end_at == hard_at ? "expired" : "window_end";
      break;
    }
    struct statfs st;
    long long allowed;
    if (fstatfs(dfd, &st) != 0) {
      sum.error = "statfs failed at T0";
      sum.end_reason = "failed";
      break;
    }
    long long frsize = st.f_frsize ? (long long)st.f_frsize : (long long)st.f_bsize;
    sum.free_before = (long long)st.f_bavail * frsize;
    sum.planned_bytes = size_now(&st, mode, value, floor_bytes, &allowed);
    long long bytes = sum.planned_bytes;
    if (bytes > allowed) bytes = allowed, sum.clipped = 1;
    sum.created_at = now_ms();
    /* the directory fd is O_PATH: it names the directory for *at() calls without reading it */
    if (create_fill(dfd, bytes) != 0) {
      sum.error = strerror(errno);
      sum.end_reason = "failed";
      break;
    }
    placed = 1;
    sum.applied_at = now_ms();
    if (fstatfs(dfd, &st) == 0) sum.free_after = (long long)st.f_bavail * frsize;
    write_summary();
    if (getppid() == daemon_pid) kill(daemon_pid, SIGUSR1);
    arm_at(tfd, end_at);
  }
  if (placed) {
    if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT) sum.error = strerror(errno);
    sum.removed_at = now_ms();
  }
  write_summary();
  return placed || strcmp(sum.end_reason, "stopped") == 0 ? 0 : 4;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "probe") == 0 && valid_path(argv[2])) return cmd_probe(argv[2]);
  if (argc == 4 && valid_path(argv[2]) && valid_id(argv[3])) {
    snprintf(name, sizeof name, ".gameday-fill-%s", argv[3]);
    errno = 0;
    if (strcmp(argv[1], "check") == 0) return cmd_check(argv[2], name);
    if (strcmp(argv[1], "rm") == 0) return cmd_rm(argv[2], name);
  }
  if (argc == 11 && strcmp(argv[1], "run") == 0) return cmd_run(argv + 2);
  fprintf(stderr, "usage: gameday-fill run APPLY_AT END_AT HARD_AT DIR PATH ID mb|percent VALUE FLOOR_BYTES | "
                  "probe PATH | check PATH ID | rm PATH ID (PATH: absolute, [A-Za-z0-9._/-], no . or ..)\n");
  return 2;
}
