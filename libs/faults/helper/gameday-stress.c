/*
 * gameday-stress run APPLY_AT_MS END_AT_MS DIR CGROOT CGPATH CPU_WORKERS CPU_LOAD VM_MB IO_WORKERS IO_MB
 * gameday-stress probe CGROOT CGPATH
 * gameday-stress check CGROOT CGPATH
 *
 * The stress fault's clock and hands, in a helper with a PID namespace of its own that sees the
 * engine's cgroup filesystem at CGROOT (cgroup namespace of the host). CGPATH is the target's
 * cgroup below each hierarchy's root (/docker/<id>, say).
 *
 * `run` forks at once a child that moves itself into the target's cgroup (every v1 hierarchy that
 * has CGPATH, or the v2 one: cgroup.procs of a leaf, so v2's "no internal processes" rule never
 * comes into it), waits for APPLY_AT on an absolute realtime timer and execs stress-ng then: no
 * fork between the instant and the exec. Its own `--timeout` (END_AT - APPLY_AT + 2 s) is the
 * second clock. The parent (in the helper's cgroup) waits for APPLY_AT, records the start and sends
 * USR1 to its parent (the helper's daemon), then waits for END_AT, a stop (TERM, INT, USR1, USR2)
 * or the child's end, kills the child's process group and every stress-ng left in this PID
 * namespace (nothing else of ours is named so; the namespace is the helper's own), reaps them (it
 * is their subreaper), and records the end. Should the parent die, the child gets SIGKILL
 * (PR_SET_PDEATHSIG); should the helper die, the kernel kills its whole PID namespace.
 *
 * DIR/stress.summary (key=value, rewritten by rename): pid, started_at, ended_at, end_reason
 * (window_end | stopped | exited | failed), exit (the child's wait status), oom_kill_before/after
 * (the target cgroup's memory oom_kill counter). stress-ng's output goes to DIR/stress.log.
 *
 * `probe` forks a child that joins the target's cgroup, prints its /proc/self/cgroup and exits:
 * exit 0 when the memory line (v1) or the v2 line names CGPATH. `check` prints the stress-ng
 * processes of this PID namespace (`procs`), how many are in the target's cgroup (`in_target`),
 * and the target's memory and CPU counters read from its cgroup.
 *
 * The target's cgroup (its counters, joining it, whether a process is in it) is stress-cgroup.c's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gameday-common.h"
#include "stress-cgroup.h"

static const char *dir;

static struct {
  long long pid, started_at, ended_at, exit_status, oom_before, oom_after;
  const char *end_reason;
} sum = {0, 0, 0, -1, -1, -1, ""};

static int is_stress(const char *pid) {
  char p[300], comm[64];
  snprintf(p, sizeof p, "/proc/%s/comm", pid);
  return read_small(p, comm, sizeof comm) > 0 && strncmp(comm, "stress-ng", 9) == 0;
}

/* every stress-ng of this PID namespace (the helper's own): counted, or killed */
static int each_stress(int sig, int *inside) {
  int n = 0;
  if (inside) *inside = 0;
  DIR *d = opendir("/proc");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9' || !is_stress(e->d_name)) continue;
    n++;
    if (inside && in_target(e->d_name)) (*inside)++;
    if (sig) kill(atoi(e->d_name), sig);
  }
  closedir(d);
  return n;
}

/*
 * The IO workers' files: stress-ng keeps each in a directory tmp-stress-ng-* of --temp-path until
 * it ends, so one SIGKILLed at T1 leaves them behind. Removed here (this helper's own /tmp; the
 * names are stress-ng's, never the target's files).
 */
static void remove_io_files(void) {
  DIR *d = opendir("/tmp");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "tmp-stress-ng-", 14) != 0) continue;
    int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      unlinkat(dirfd(d), e->d_name, 0);
      continue;
    }
    DIR *s = fdopendir(sub);
    struct dirent *f;
    while (s && (f = readdir(s)))
      if (f->d_name[0] != '.' || (f->d_name[1] && (f->d_name[1] != '.' || f->d_name[2]))) unlinkat(sub, f->d_name, 0);
    if (s) closedir(s);
    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
  }
  closedir(d);
}

static void write_summary(void) {
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "pid=%lld\nstarted_at=%lld\nended_at=%lld\nend_reason=%s\nexit=%lld\noom_kill_before=%lld\n"
                   "oom_kill_after=%lld\n",
                   sum.pid, sum.started_at, sum.ended_at, sum.end_reason, sum.exit_status, sum.oom_before,
                   sum.oom_after);
  write_record(dir, "stress.summary", text, n);
}

/* The child: into the target's cgroup now, stress-ng at APPLY_AT. Never returns. */
static void child(pid_t parent, long long apply_at, char **argv, const sigset_t *old) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(4);
  if (join_target() != 0) _exit(3);
  char log[4096];
  snprintf(log, sizeof log, "%s/stress.log", dir);
  int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int null = open("/dev/null", O_RDONLY);
  if (fd < 0 || null < 0) _exit(5);
  dup2(null, 0);
  dup2(fd, 1);
  dup2(fd, 2);
  int tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
  arm_at(tfd, apply_at);
  unsigned long long x;
  while (read(tfd, &x, sizeof x) < 0 && errno == EINTR) {
  }
  sigprocmask(SIG_SETMASK, old, NULL);
  execvp(argv[0], argv);
  _exit(127);
}

static int cmd_run(char **a) {
  long long apply_at, end_at, workers, load, vm_mb, io, io_mb;
  dir = a[2];
  if (!parse_num(a[0], 1LL << 50, &apply_at) || !parse_num(a[1], 1LL << 50, &end_at) ||
      !parse_num(a[5], 64, &workers) || !parse_num(a[6], 100, &load) || !parse_num(a[7], 65536, &vm_mb) ||
      !parse_num(a[8], 16, &io) || !parse_num(a[9], 1024, &io_mb) || (workers && !load) || (io && !io_mb) ||
      (!workers && !vm_mb && !io) || end_at <= apply_at) {
    fprintf(stderr, "gameday-stress: bad instants or numbers\n");
    return 2;
  }
  char timeout[32], cpu[8], cpuload[8], bytes[32], hdd[8], hdd_bytes[32];
  snprintf(timeout, sizeof timeout, "%llds", (end_at - apply_at + 999) / 1000 + 2);
  snprintf(cpu, sizeof cpu, "%lld", workers);
  snprintf(cpuload, sizeof cpuload, "%lld", load);
  snprintf(bytes, sizeof bytes, "%lldm", vm_mb);
  snprintf(hdd, sizeof hdd, "%lld", io);
  snprintf(hdd_bytes, sizeof hdd_bytes, "%lldm", io_mb);
  char *argv[24];
  int n = 0;
  argv[n++] = "stress-ng";
  argv[n++] = "--timeout";
  argv[n++] = timeout;
  if (workers) {
    argv[n++] = "--cpu", argv[n++] = cpu, argv[n++] = "--cpu-load", argv[n++] = cpuload;
  }
  if (vm_mb) {
    argv[n++] = "--vm", argv[n++] = "1", argv[n++] = "--vm-bytes", argv[n++] = bytes;
    argv[n++] = "--vm-hang", argv[n++] = "0", argv[n++] = "--vm-keep";
  }
  if (io) {
    /* the helper's own /tmp: the engine's disk, writes charged to the target's cgroup */
    argv[n++] = "--hdd", argv[n++] = hdd, argv[n++] = "--hdd-bytes", argv[n++] = hdd_bytes;
    argv[n++] = "--temp-path", argv[n++] = "/tmp";
  }
  argv[n] = NULL;

  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigaddset(&stop, SIGUSR2);
  sigaddset(&stop, SIGCHLD);
  int sfd, tfd;
  if (signal_timer(&stop, &old, &sfd, &tfd) != 0) {
    perror("gameday-stress: signalfd/timerfd");
    return 2;
  }
  /* the daemon is woken at the PID it had; this process stops should it die */
  pid_t daemon_pid = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /* stress-ng's workers, orphaned when it is killed, are reparented here and reaped below */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (getppid() != daemon_pid || daemon_pid < 1) return 2;
  sum.oom_before = oom_kills();
  pid_t self = getpid();
  pid_t c = fork();
  if (c < 0) {
    perror("gameday-stress: fork");
    return 2;
  }
  if (c == 0) child(self, apply_at, argv, &old);
  sum.pid = c;
  write_summary();

  struct pollfd fds[2] = {{.fd = tfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  int status = 0, reaped = 0;
  arm_at(tfd, apply_at);
  for (;;) {
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (fds[1].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si) continue;
      if (si.ssi_signo == SIGCHLD) {
        if (waitpid(c, &status, WNOHANG) != c) continue; /* an orphaned worker: reaped at the end */
        reaped = 1;
        sum.end_reason = sum.started_at ? "exited" : "failed";
      } else
        sum.end_reason = "stopped";
      break;
    }
    unsigned long long x;
    if (read(tfd, &x, sizeof x) < 0) continue;
    if (sum.started_at) {
      sum.end_reason = "window_end";
      break;
    }
    sum.started_at = now_ms();
    write_summary();
    if (getppid() == daemon_pid) kill(daemon_pid, SIGUSR1);
    arm_at(tfd, end_at);
  }
  /* stop everything at once: stress-ng's group, then any stress-ng left (none is anybody else's here) */
  kill(-c, SIGKILL);
  kill(c, SIGKILL);
  each_stress(SIGKILL, NULL);
  sum.ended_at = now_ms();
  if (!reaped && waitpid(c, &status, 0) == c) reaped = 1;
  sum.exit_status = reaped ? status : -1;
  /* reap the orphans (a SIGKILLed process dies at once; bounded anyway) */
  for (int i = 0; i < 200; i++) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (each_stress(SIGKILL, NULL) <= 0) break;
    usleep(10000);
  }
  remove_io_files();
  sum.oom_after = oom_kills();
  write_summary();
  return 0;
}

static int cmd_probe(const char *cgpath) {
  pid_t c = fork();
  if (c < 0) return 2;
  if (c == 0) {
    if (join_target() != 0) _exit(3);
    char buf[8192];
    if (read_small("/proc/self/cgroup", buf, sizeof buf) > 0) fputs(buf, stdout);
    fflush(stdout);
    _exit(in_target("self") ? 0 : 4);
  }
  int status;
  if (waitpid(c, &status, 0) != c || !WIFEXITED(status)) return 2;
  if (WEXITSTATUS(status) == 4) fprintf(stderr, "gameday-stress: joined, but not in %s\n", cgpath);
  return WEXITSTATUS(status);
}

static int cmd_check(void) {
  int inside;
  int procs = each_stress(0, &inside);
  printf("procs=%d\nin_target=%d\n", procs, inside);
  printf("memory_bytes=%lld\n", memory_bytes());
  printf("cpu_ns=%lld\n", cpu_ns());
  printf("oom_kill=%lld\n", oom_kills());
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) goto usage;
  const char *cgroot = argv[strcmp(argv[1], "run") == 0 ? 5 : 2];
  const char *cgpath = argv[strcmp(argv[1], "run") == 0 ? 6 : 3];
  if (strcmp(argv[1], "run") == 0 && argc != 12) goto usage;
  if (!valid_cgpath(cgpath) || cgroot[0] != '/') {
    fprintf(stderr, "gameday-stress: not a cgroup path: %s\n", cgpath);
    return 2;
  }
  use_cgroup(cgroot, cgpath);
  if (argc == 4 && strcmp(argv[1], "probe") == 0) return cmd_probe(cgpath);
  if (argc == 4 && strcmp(argv[1], "check") == 0) return cmd_check();
  if (strcmp(argv[1], "run") == 0) return cmd_run(argv + 2);
usage:
  fprintf(stderr, "usage: gameday-stress run APPLY_AT END_AT DIR CGROOT CGPATH CPU_WORKERS CPU_LOAD VM_MB IO_WORKERS IO_MB | "
                  "probe CGROOT CGPATH | check CGROOT CGPATH\n");
  return 2;
}
