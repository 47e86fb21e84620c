/*
 * gameday-watchdog watch TARGET_ID ARMING_ID DEADLINE_MS pause|stop STARTED_AT
 * gameday-watchdog now                                  (prints this clock, epoch ms)
 *
 * The per-fault watchdog of a container fault (pause, stop, kill). A paused or stopped container
 * cannot be undone from inside it, so when every worker is gone and Postgres is down nothing
 * else would bring it back: this process, armed before the fault is applied, does it at
 * DEADLINE_MS (the fault's planned end, in this clock: the engine's) by itself. It is the one
 * part of GameDay besides the worker that holds the Docker socket, so it is kept as small as
 * it can be: one target, two calls (unpause, start), and only while the target is still as this
 * fault left it.
 *
 * It speaks HTTP/1.1 to the engine over the unix socket /var/run/docker.sock (the only mount of
 * its container; it has no network and a read-only root) and makes exactly these requests:
 *   GET  /containers/TARGET_ID/json
 *   POST /containers/TARGET_ID/unpause    (pause: at the deadline)
 *   POST /containers/TARGET_ID/start      (stop/kill: at the deadline)
 * TARGET_ID must be a full 64-hex container ID: nothing else can reach a request line.
 *
 * At start it inspects the target: it must be that very container, running, not paused, started at
 * STARTED_AT (what the worker saw when it armed the fault). Otherwise it refuses and exits.
 * At the deadline it acts only when the target still is as this fault left it:
 *   pause: same ID, same State.StartedAt, paused             -> unpause
 *   stop:  same ID, same State.StartedAt, not running, State.FinishedAt after this arming -> start
 * Anything else (removed, restarted, already unpaused or started by a person or a later fault)
 * and it stands down without a call. USR1, TERM, INT or HUP at any moment before its call makes
 * it stand down (the normal revert and a fault armed later on the same target send USR1).
 *
 * Its record is its standard output (the container's log), one line per event, read back by the
 * worker: "armed …", "refused reason=…", "stood_down by=… reason=…", "acted call=… status=… at=…
 * called=…", "failed call=… status=… at=… called=…". Instants are epoch ms by this clock.
 *
 * Its requests and what it reads of the answers are watchdog-engine.c's (with watchdog-json.c).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "gameday-common.h"
#include "watchdog-engine.h"

static const char *arming = "";

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf(" arming=%s now=%lld\n", arming, now_ms());
  fflush(stdout);
}

static int valid_id(const char *s) {
  if (strlen(s) != 64) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

static int valid_word(const char *s, size_t max) {
  if (!*s || strlen(s) > max) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || strchr(":.+-_", *s)))
      return 0;
  return 1;
}

/* The signal that asks for a stand-down, if one is pending (0 otherwise); waits up to timeout_ms. */
static int stand_down_signal(int sfd, int tfd, int timeout_ms, int *deadline) {
  struct pollfd fds[2] = {{sfd, POLLIN, 0}, {tfd, POLLIN, 0}};
  int n = poll(fds, tfd >= 0 ? 2 : 1, timeout_ms);
  if (n < 0) return 0;
  if (fds[0].revents & POLLIN) {
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) == sizeof si) return (int)si.ssi_signo;
  }
  if (tfd >= 0 && (fds[1].revents & POLLIN) && deadline) *deadline = 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "now") == 0) {
    printf("%lld\n", now_ms());
    return 0;
  }
  if (argc != 7 || strcmp(argv[1], "watch") != 0) {
    fprintf(stderr, "usage: gameday-watchdog watch TARGET_ID ARMING_ID DEADLINE_MS pause|stop STARTED_AT | now\n");
    return 64;
  }
  const char *target = argv[2], *action = argv[5], *armed_started = argv[6];
  arming = valid_word(argv[3], 64) ? argv[3] : "invalid";
  long long deadline = 0;
  int pause = strcmp(action, "pause") == 0;
  if (!valid_id(target) || strcmp(arming, "invalid") == 0 || !parse_num(argv[4], LLONG_MAX, &deadline) ||
      deadline <= 0 || (!pause && strcmp(action, "stop") != 0) || !valid_word(armed_started, 40)) {
    record("refused reason=bad_arguments");
    return 64;
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int sfd, tfd;
  if (signal_timer(&set, NULL, &sfd, &tfd) != 0) {
    record("refused reason=no_timer");
    return 70;
  }
  long long armed_at = now_ms();
  if (deadline <= armed_at) {
    record("refused reason=deadline_passed deadline=%lld", deadline);
    return 65;
  }

  struct target_state st;
  if (inspect(target, &st) < 0) {
    record("refused reason=engine_unreadable");
    return 69;
  }
  if (!st.found || strcmp(st.id, target) != 0) {
    record("refused reason=target_gone");
    return 65;
  }
  if (st.running != 1 || st.paused != 0 || strcmp(st.started_at, armed_started) != 0) {
    record("refused reason=target_changed running=%d paused=%d started_at=%s", st.running, st.paused,
           st.started_at);
    return 65;
  }
  char armed_finished[64];
  strcpy(armed_finished, st.finished_at);
  record("armed target=%s action=%s deadline=%lld started_at=%s finished_at=%s", target, action, deadline,
         armed_started, armed_finished);

  arm_at(tfd, deadline);
  int due = 0, sig = 0;
  while (!due && !sig) sig = stand_down_signal(sfd, tfd, -1, &due);
  if (sig) {
    record("stood_down by=signal:%d reason=told", sig);
    return 0;
  }

  if (inspect(target, &st) < 0) {
    record("failed call=inspect status=-1 at=%lld", now_ms());
    return 69;
  }
  const char *why = NULL;
  if (!st.found || strcmp(st.id, target) != 0) why = "target_gone";
  else if (strcmp(st.started_at, armed_started) != 0) why = "restarted_since_arming";
  else if (pause && st.paused != 1) why = "not_paused";
  else if (!pause && (st.running != 0 || st.paused != 0)) why = "running";
  else if (!pause && (strcmp(st.finished_at, armed_finished) == 0 || rfc3339_ms(st.finished_at) < armed_at))
    why = "not_stopped_by_this_fault";
  if (why) {
    record("stood_down by=deadline reason=%s", why);
    return 0;
  }
  /* a stand-down that arrived while the target was read still wins */
  sig = stand_down_signal(sfd, -1, 0, NULL);
  if (sig) {
    record("stood_down by=signal:%d reason=told", sig);
    return 0;
  }
  char path[128];
  snprintf(path, sizeof path, "/containers/%s/%s", target, pause ? "unpause" : "start");
  long long called = now_ms();
  int status = docker_call("POST", path, NULL);
  long long done = now_ms();
  /* at: when the engine answered (the target is back); called: when the request went out */
  if (status == 204 || status == 304)
    record("acted call=%s status=%d at=%lld called=%lld deadline=%lld", pause ? "unpause" : "start", status, done,
           called, deadline);
  else
    record("failed call=%s status=%d at=%lld called=%lld", pause ? "unpause" : "start", status, done, called);
  return status == 204 || status == 304 ? 0 : 1;
}
