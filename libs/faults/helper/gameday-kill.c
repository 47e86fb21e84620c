/*
 * gameday-kill run APPLY_AT_MS END_AT_MS EVERY_MS SIGNAL NAME DIR
 * gameday-kill list NAME
 *
 * The process-kill fault's clock and hands, in a helper that shares the target's PID namespace
 * (PidMode container:<target>): it sees only the processes of that namespace, and signals those
 * whose /proc/PID/comm is exactly NAME, at APPLY_AT and then every EVERY_MS (0: once) until
 * END_AT, on the realtime clock with absolute timers (a late wake-up is not added to), with no
 * process created on the way from the instant to kill(2).
 *
 * Never signalled: PID 1 of the namespace (the target's init: from inside its namespace the kernel
 * drops SIGKILL to it, and it dying would kill every process of the namespace, this helper too),
 * this process and its parent, and every process outside the target's cgroup: a process is the
 * target's only when its /proc/PID/cgroup is PID 1's (the target's init). So this helper's own
 * processes (its shell, its sleeps, what is exec'd into it) and those of any other container
 * sharing the namespace (another sidecar, an earlier helper still stopping) are never signalled.
 * Unreadable means skipped, never signalled.
 *
 * `run` appends to DIR/kill.log, one line per event:
 *   kill AT_MS PID SIGNAL ok|ERRNO COMM
 *   tick START_MS DONE_MS MATCHED SIGNALLED PID1    (PID1: 1 when PID 1 has the name, skipped)
 *   end AT_MS window_end|stopped
 * and rewrites DIR/kill.summary (key=value lines, by rename: readers never see half of it) after
 * every tick. After the first tick it sends USR1 to its parent (the helper's daemon records the
 * fault as applied); it stops when that parent dies (PR_SET_PDEATHSIG). TERM, INT, USR1 or USR2
 * stop it at once ("end ... stopped"). The log keeps at most MAX_KILL_LINES kill lines; the
 * counts go on.
 *
 * `list` prints "PID COMM" per process that `run` would signal now, and "pid1 COMM cgroup=same|other"
 * first: the helper's probe (PID 1 in another cgroup shows it shares the target's namespace).
 *
 * Which processes those are (the name, the cgroup, the ones never signalled) is kill-procs.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "gameday-common.h"
#include "kill-procs.h"

#define MAX_KILL_LINES 2000

static const struct {
  const char *name;
  int sig;
} SIGNALS[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},
               {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};

static const char *dir;
static const char *signame;
static int log_fd = -1;
static long long kill_lines = 0;

static void log_line(const char *line) {
  if (log_fd < 0) return;
  size_t len = strlen(line), off = 0;
  while (off < len) {
    ssize_t w = write(log_fd, line + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    off += (size_t)w;
  }
}

static struct {
  long long ticks, kills, first_at, first_matched, first_signalled, last_at, last_signalled, pid1_matched,
      ended_at;
  const char *end_reason;
} sum;

static void write_summary(void) {
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "ticks=%lld\nkills=%lld\nfirst_tick_at=%lld\nfirst_tick_matched=%lld\nfirst_tick_signalled=%lld\n"
                   "last_tick_at=%lld\nlast_tick_signalled=%lld\npid1_matched=%lld\nended_at=%lld\nend_reason=%s\n",
                   sum.ticks, sum.kills, sum.first_at, sum.first_matched, sum.first_signalled, sum.last_at,
                   sum.last_signalled, sum.pid1_matched, sum.ended_at, sum.end_reason ? sum.end_reason : "");
  write_record(dir, "kill.summary", text, n);
}

/* a kill line per signal, up to MAX_KILL_LINES (the counts go on) */
static void log_kill(const char *pid, const char *comm, int rc, int err) {
  if (kill_lines >= MAX_KILL_LINES) return;
  char line[400];
  snprintf(line, sizeof line, "kill %lld %s %s %s %s\n", now_ms(), pid, signame, rc == 0 ? "ok" : strerrorname_np(err),
           comm);
  log_line(line);
  kill_lines++;
}

static int cmd_list(const char *name) {
  if (!valid_name(name)) {
    fprintf(stderr, "gameday-kill: not a process name: %s\n", name);
    return 2;
  }
  char comm[64], cg[4096];
  if (!comm_of("1", comm, sizeof comm) || read_small("/proc/1/cgroup", cg, sizeof cg) < 0) {
    fprintf(stderr, "gameday-kill: cannot read /proc/1: %s\n", strerror(errno));
    return 3;
  }
  printf("pid1 %s cgroup=%s\n", comm, own_cgroup(cg) ? "same" : "other");
  long long signalled;
  int pid1;
  scan(name, 0, log_kill, &signalled, &pid1);
  return 0;
}

static int cmd_run(char **argv) {
  long long apply_at, end_at, every;
  if (!parse_num(argv[0], LLONG_MAX, &apply_at) || !parse_num(argv[1], LLONG_MAX, &end_at) ||
      !parse_num(argv[2], LLONG_MAX, &every)) {
    fprintf(stderr, "gameday-kill: APPLY_AT END_AT EVERY (ms) expected\n");
    return 2;
  }
  int sig = 0;
  for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++)
    if (strcmp(argv[3], SIGNALS[i].name) == 0) sig = SIGNALS[i].sig;
  if (sig == 0 || !valid_name(argv[4]) || (every > 0 && every < 1000)) {
    fprintf(stderr, "gameday-kill: bad signal, name or repetition\n");
    return 2;
  }
  const char *name = argv[4];
  signame = argv[3];
  dir = argv[5];
  char path[4096];
  snprintf(path, sizeof path, "%s/kill.log", dir);
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    fprintf(stderr, "gameday-kill: cannot open %s: %s\n", path, strerror(errno));
    return 2;
  }

  /* a stop is read from a signalfd with the timer: none can be missed between two polls */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigaddset(&stop, SIGUSR2);
  int sfd, tfd;
  if (signal_timer(&stop, NULL, &sfd, &tfd) != 0) {
    perror("gameday-kill: signalfd/timerfd");
    return 2;
  }
  /*
   * Its parent is the helper's daemon. Should the daemon die, this process must not go on alone:
   * TERM then (read from the signalfd above like any stop). An orphan here would be adopted by PID
   * 1 of the target's namespace, so the daemon is only ever woken at the PID it had at start.
   */
  pid_t daemon_pid = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != daemon_pid || daemon_pid <= 1) {
    fprintf(stderr, "gameday-kill: no helper daemon above this process\n");
    return 2;
  }
  struct pollfd fds[2] = {{.fd = tfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  long long next = apply_at;
  sum.end_reason = "";
  write_summary();
  for (;;) {
    int at_end = next >= end_at;
    arm_at(tfd, at_end ? end_at : next);
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (fds[1].revents & POLLIN)) {
      sum.end_reason = "stopped";
      break;
    }
    unsigned long long expirations;
    if (read(tfd, &expirations, sizeof expirations) < 0 && errno == EAGAIN) continue;
    if (at_end) {
      sum.end_reason = "window_end";
      break;
    }
    long long start = now_ms(), signalled;
    int pid1;
    long long matched = scan(name, sig, log_kill, &signalled, &pid1);
    long long done = now_ms();
    char line[256];
    snprintf(line, sizeof line, "tick %lld %lld %lld %lld %d\n", start, done, matched, signalled, pid1);
    log_line(line);
    sum.ticks++;
    sum.kills += signalled;
    if (pid1) sum.pid1_matched = 1;
    if (sum.ticks == 1) {
      sum.first_at = done;
      sum.first_matched = matched;
      sum.first_signalled = signalled;
    }
    sum.last_at = done;
    sum.last_signalled = signalled;
    write_summary();
    if (sum.ticks == 1 && getppid() == daemon_pid) kill(daemon_pid, SIGUSR1);
    if (every == 0) {
      next = end_at;
      continue;
    }
    /* on the grid from APPLY_AT: a late tick does not shift the later ones, a missed one is skipped */
    next += every;
    while (next <= done) next += every;
  }
  sum.ended_at = now_ms();
  char line[128];
  snprintf(line, sizeof line, "end %lld %s\n", sum.ended_at, sum.end_reason);
  log_line(line);
  write_summary();
  return 0;
}

int main(int argc, char **argv) {
  int unread = read_cgroups();
  if (unread) return unread;
  if (argc == 3 && strcmp(argv[1], "list") == 0) return cmd_list(argv[2]);
  if (argc == 8 && strcmp(argv[1], "run") == 0) return cmd_run(argv + 2);
  fprintf(stderr, "usage: gameday-kill run APPLY_AT END_AT EVERY_MS SIGNAL NAME DIR | gameday-kill list NAME\n");
  return 2;
}
