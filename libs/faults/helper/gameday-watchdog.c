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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gameday-common.h"

#define SOCKET_PATH "/var/run/docker.sock"
#define BODY_CAP (1 << 20)

static const char *arming = "";
static char body[BODY_CAP];

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf(" arming=%s now=%lld\n", arming, now_ms());
  fflush(stdout);
}

static const char *socket_path(void) {
  const char *s = getenv("GAMEDAY_WATCHDOG_SOCKET");
  return s && *s ? s : SOCKET_PATH;
}

/* One request, Connection: close. Returns the HTTP status (-1: no answer); the body (de-chunked)
 * goes to `body`, NUL-terminated. */
static int docker_call(const char *method, const char *path, size_t *body_len) {
  static char raw[BODY_CAP];
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {10, 0}; /* a hung engine must not hold the watchdog forever */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, socket_path(), sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  char req[512];
  int n = snprintf(req, sizeof req,
                   "%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: gameday-watchdog\r\n"
                   "Content-Length: 0\r\nConnection: close\r\n\r\n",
                   method, path);
  if (n <= 0 || n >= (int)sizeof req || write(fd, req, (size_t)n) != n) {
    close(fd);
    return -1;
  }
  size_t len = 0;
  for (;;) {
    if (len >= sizeof raw - 1) break;
    ssize_t r = read(fd, raw + len, sizeof raw - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  raw[len] = 0;
  int status;
  if (sscanf(raw, "HTTP/1.%*d %d", &status) != 1) return -1;
  char *head_end = strstr(raw, "\r\n\r\n");
  if (!head_end) return -1;
  *head_end = 0;
  const char *p = head_end + 4;
  const char *end = raw + len;
  size_t out = 0;
  if (strcasestr(raw, "\r\ntransfer-encoding: chunked")) {
    while (p < end) {
      char *after;
      unsigned long size = strtoul(p, &after, 16);
      if (after == p || size == 0) break;
      const char *data = strstr(after, "\r\n");
      if (!data) break;
      data += 2;
      if (data + size > end || out + size >= BODY_CAP) break;
      memcpy(body + out, data, size);
      out += size;
      p = data + size + 2;
    }
  } else {
    out = (size_t)(end - p) < BODY_CAP - 1 ? (size_t)(end - p) : BODY_CAP - 1;
    memcpy(body, p, out);
  }
  body[out] = 0;
  if (body_len) *body_len = out;
  return status;
}

/* A minimal JSON reader: enough to find a key's value in an object and read strings and booleans. */
static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}

static const char *skip_string(const char *p, const char *e) {
  for (p++; p < e; p++) {
    if (*p == '\\') p++;
    else if (*p == '"') return p + 1;
  }
  return e;
}

static const char *skip_value(const char *p, const char *e) {
  p = skip_ws(p, e);
  if (p >= e) return e;
  if (*p == '"') return skip_string(p, e);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < e) {
      if (*p == '"') {
        p = skip_string(p, e);
        continue;
      }
      if (*p == '{' || *p == '[') depth++;
      if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
      p++;
    }
    return e;
  }
  while (p < e && *p != ',' && *p != '}' && *p != ']') p++;
  return p;
}

/* The value of `key` in the object starting at p ('{'), or NULL; *vend is set past it. */
static const char *obj_get(const char *p, const char *e, const char *key, const char **vend) {
  p = skip_ws(p, e);
  if (p >= e || *p != '{') return NULL;
  p++;
  size_t klen = strlen(key);
  for (;;) {
    p = skip_ws(p, e);
    if (p >= e || *p != '"') return NULL;
    const char *ks = p + 1;
    const char *kend = skip_string(p, e);
    int match = (size_t)(kend - 1 - ks) == klen && memcmp(ks, key, klen) == 0;
    p = skip_ws(kend, e);
    if (p >= e || *p != ':') return NULL;
    const char *vs = skip_ws(p + 1, e);
    const char *ve = skip_value(vs, e);
    if (match) {
      *vend = ve;
      return vs;
    }
    p = skip_ws(ve, e);
    if (p >= e || *p != ',') return NULL;
    p++;
  }
}

/* Copies a string value without escapes (IDs and timestamps have none); 0 on success. */
static int get_string(const char *vs, const char *ve, char *out, size_t cap) {
  if (!vs || *vs != '"' || ve - vs < 2 || (size_t)(ve - vs - 2) >= cap) return -1;
  if (memchr(vs + 1, '\\', (size_t)(ve - vs - 2))) return -1;
  memcpy(out, vs + 1, (size_t)(ve - vs - 2));
  out[ve - vs - 2] = 0;
  return 0;
}

/* 1 true, 0 false, -1 absent or not a boolean */
static int get_bool(const char *vs, const char *ve) {
  if (!vs) return -1;
  if (ve - vs >= 4 && memcmp(vs, "true", 4) == 0) return 1;
  if (ve - vs >= 5 && memcmp(vs, "false", 5) == 0) return 0;
  return -1;
}

/* RFC 3339 UTC ("2026-12-05T19:50:01.123456789Z", as the engine writes it) to epoch ms; LLONG_MIN
 * when unreadable. */
static long long rfc3339_ms(const char *s) {
  struct tm tm = {0};
  int used = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec, &used) != 6)
    return LLONG_MIN;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  long long ms = (long long)timegm(&tm) * 1000;
  const char *p = s + used;
  if (*p == '.') {
    int scale = 100;
    for (p++; *p >= '0' && *p <= '9'; p++) {
      ms += (*p - '0') * scale;
      scale /= 10;
    }
  }
  if (*p != 'Z') return LLONG_MIN; /* the engine reports UTC */
  return ms;
}

struct target_state {
  int found;
  char id[80];
  int running, paused;
  char started_at[64], finished_at[64];
};

static int str_field(const char *obj, const char *e, const char *key, char *out, size_t cap) {
  const char *ve = NULL;
  const char *vs = obj_get(obj, e, key, &ve);
  return vs ? get_string(vs, ve, out, cap) : -1;
}

static int bool_field(const char *obj, const char *e, const char *key) {
  const char *ve = NULL;
  const char *vs = obj_get(obj, e, key, &ve);
  return vs ? get_bool(vs, ve) : -1;
}

/* -1: no answer from the engine; 0: read (found=0 when the target is gone) */
static int inspect(const char *target, struct target_state *st) {
  char path[128];
  size_t len = 0;
  memset(st, 0, sizeof *st);
  snprintf(path, sizeof path, "/containers/%s/json", target);
  int status = docker_call("GET", path, &len);
  if (status == 404) return 0;
  if (status != 200) return -1;
  const char *e = body + len, *se = NULL;
  const char *state = obj_get(body, e, "State", &se);
  if (!state || str_field(body, e, "Id", st->id, sizeof st->id)) return -1;
  st->running = bool_field(state, se, "Running");
  st->paused = bool_field(state, se, "Paused");
  if (st->running < 0 || st->paused < 0 || str_field(state, se, "StartedAt", st->started_at, sizeof st->started_at) ||
      str_field(state, se, "FinishedAt", st->finished_at, sizeof st->finished_at))
    return -1;
  st->found = 1;
  return 0;
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
