/* The helper's C timers' shared part (see gameday-common.h). */
#define _GNU_SOURCE
#include "gameday-common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int parse_num(const char *s, long long max, long long *out) {
  char *end;
  if (*s == '\0') return 0;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end != '\0' || v < 0 || v > max || errno) return 0;
  *out = v;
  return 1;
}

int signal_timer(const sigset_t *signals, sigset_t *old, int *sfd, int *tfd) {
  sigprocmask(SIG_BLOCK, signals, old);
  *sfd = signalfd(-1, signals, SFD_CLOEXEC);
  *tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
  return *sfd < 0 || *tfd < 0 ? -1 : 0;
}

int arm_at(int tfd, long long at_ms) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = at_ms / 1000;
  its.it_value.tv_nsec = (at_ms % 1000) * 1000000;
  /* an all-zero value disarms a timer; any instant in the past fires at once */
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void write_record(const char *dir, const char *name, const char *text, int len) {
  char tmp[4096], path[4096];
  snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, text, (size_t)len);
  close(fd);
  if (w == len) rename(tmp, path);
}
