/*
 * gameday-at [-p POST_FILE] AT_MS LINES_FILE PROG [ARG...]
 *   (prints "WRITTEN_MS DONE_MS STATUS EARLY", then "POST_DONE_MS POST_STATUS")
 *
 * The helper's timed kernel calls without process creation at the planned instant. In a small
 * guest one fork+exec of tc or iptables costs 100+ ms and several times that when the CPU is busy,
 * so the shell helper's apply and revert landed 1-5 s late. This starts PROG now, reading its
 * standard input from a pipe (`tc -batch -`, `iptables-legacy-restore --noflush`: both act on
 * each line or block as it arrives, so loading them happens before the instant), sleeps until
 * just before AT_MS on the realtime clock (absolute, so a late wake-up is not added to), spins to
 * AT_MS, writes every line at once, closes the pipe and waits for PROG to finish.
 *
 * Prints "WRITTEN_MS DONE_MS STATUS EARLY" (epoch ms; STATUS is PROG's exit code, 128+N when killed
 * by signal N) as soon as PROG has finished, before any post step: a gameday-at stopped during
 * that step has still told its caller that the lines were written (they are in the kernel, and
 * the caller must undo them, not record a plan that never began). A second line follows. PROG's stderr is this process's stderr (tc -batch names each failed line as
 * "Command failed -:N"; iptables-restore names the line it stopped at).
 *
 * On USR1 it writes at once instead of waiting for AT_MS: the helper holds its undo ready like this
 * for the whole fault, so an abort (a signal through the Docker API, or a revert command) reaches
 * the kernel with no process created. EARLY is 1 when USR1 made it write before AT_MS.
 *
 * -p POST_FILE: an argv, a word a line, run once PROG has finished with status 0 (a blackhole's
 * reset of the established connections, which must follow its rules). Its stdout goes to
 * POST_FILE.out. A reset (`ss -K` of the compiler's shape) is done in this process through
 * sock_diag (sock-destroy.c): no process on that path either. Any other argv is started then, and
 * its fork+exec is the cost (POST_DONE_MS - DONE_MS). POST_STATUS is -1 (and POST_DONE_MS 0) when
 * it did not run; for an in-process reset 0, or 100 + the errno it failed with. They are the second
 * line, missing when this process was stopped during the post step.
 *
 * On TERM/INT before the write nothing reaches the kernel (PROG reads EOF and exits; an
 * iptables-restore block without its COMMIT is never committed). After the write the child is
 * killed and reaped before this process exits, so once the caller has waited for it no line can
 * still be applied behind the caller's back.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gameday-common.h"
#include "sock-destroy.h"

static volatile pid_t child = -1;

static void on_stop(int sig) {
  (void)sig;
  if (child > 0) {
    int st;
    kill(child, SIGKILL);
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(143);
}

/*
 * The timer fires SPIN_MS ahead and the last milliseconds are spun on the clock: a guest's timer
 * wake-up is late by a varying 1-3 ms (its one vCPU idles in the host), a spin by microseconds.
 */
#define SPIN_MS 3

/* Spins until AT_MS on the realtime clock; 1 when a signal on SFD (USR1: now) came first. */
static int spin_until(long long at_ms, int sfd) {
  struct pollfd sig = {.fd = sfd, .events = POLLIN};
  for (;;) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec >= at_ms * 1000000LL) return 0;
    if (poll(&sig, 1, 0) > 0) return 1;
  }
}

static char *read_all(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  *len = n;
  return buf;
}

/* A file of words, one a line, as a NULL-terminated argv (NULL when it cannot be read). */
static char **read_words(const char *path) {
  size_t len;
  char *text = read_all(path, &len);
  if (!text) return NULL;
  text = realloc(text, len + 1);
  text[len] = '\0';
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') n++;
  char **words = calloc(n + 2, sizeof *words);
  size_t k = 0;
  char *save = NULL;
  for (char *w = strtok_r(text, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) words[k++] = w;
  words[k] = NULL;
  return words;
}

/*
 * Runs the post argv with its stdout in PATH.out; its exit code, 128+N when killed by signal N. A
 * reset is done in this process: 0, or 100 + the errno it failed with.
 */
static int run_post(char **words, const char *path) {
  char out[4096];
  snprintf(out, sizeof out, "%s.out", path);
  FILE *f = fopen(out, "w");
  int r = f ? sock_destroy(words, f) : -2;
  if (f) fclose(f);
  if (r >= 0) return 0;
  if (r != -2) {
    fprintf(stderr, "gameday-at: reset of established connections: %s\n", strerror(-r));
    return 100 + (-r > 155 ? 155 : -r);
  }
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t pid = fork();
  if (pid < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    perror("gameday-at: fork");
    return 255;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 1);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execvp(words[0], words);
    fprintf(stderr, "gameday-at: exec %s: %s\n", words[0], strerror(errno));
    _exit(127);
  }
  child = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  child = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  /* first: USR1's default action would end this process; from here on it is read from sfd below */
  sigset_t now_set;
  sigemptyset(&now_set);
  sigaddset(&now_set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &now_set, NULL);
  const char *post_file = NULL;
  if (argc >= 3 && strcmp(argv[1], "-p") == 0) {
    post_file = argv[2];
    argv += 2;
    argc -= 2;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: gameday-at [-p POST_FILE] AT_MS LINES_FILE PROG [ARG...]\n");
    return 2;
  }
  char **post = NULL;
  if (post_file && !(post = read_words(post_file))) {
    fprintf(stderr, "gameday-at: cannot read %s: %s\n", post_file, strerror(errno));
    return 2;
  }
  long long at;
  if (!parse_num(argv[1], LLONG_MAX, &at)) {
    fprintf(stderr, "gameday-at: AT_MS must be epoch milliseconds\n");
    return 2;
  }
  size_t len;
  char *lines = read_all(argv[2], &len);
  if (!lines) {
    fprintf(stderr, "gameday-at: cannot read %s: %s\n", argv[2], strerror(errno));
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* the instant and the signal, waited for together: no window where a USR1 could be missed */
  int sfd, tfd;
  if (signal_timer(&now_set, NULL, &sfd, &tfd) != 0) {
    perror("gameday-at: signalfd/timerfd");
    return 2;
  }
  if (arm_at(tfd, at - SPIN_MS) != 0) {
    perror("gameday-at: timerfd_settime");
    return 2;
  }

  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    perror("gameday-at: pipe");
    return 2;
  }
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t pid = fork();
  if (pid < 0) {
    perror("gameday-at: fork");
    return 2;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    dup2(p[0], 0);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "gameday-at: exec %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  child = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(p[0]);

  /* the realtime timer is absolute (a late wake-up is not added to, a clock step is followed) */
  int early = 0;
  struct pollfd fds[2] = {{.fd = tfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) perror("gameday-at: poll"); /* write now rather than never */
    else if (fds[1].revents & POLLIN) early = 1;
    else early = spin_until(at, sfd);
    break;
  }

  long long written = now_ms();
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(p[1], lines + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break; /* tc died early: its status says so */
    off += (size_t)w;
  }
  close(p[1]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  long long done = now_ms();
  child = -1;
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("%lld %lld %d %d\n", written, done, status, early);
  fflush(stdout);
  long long post_done = 0;
  int post_status = -1;
  if (post && post[0] && status == 0) {
    post_status = run_post(post, post_file);
    post_done = now_ms();
  }
  printf("%lld %d\n", post_done, post_status);
  return 0;
}
