/* The watchdog's door to the engine (see watchdog-engine.h). */
#define _GNU_SOURCE
#include "watchdog-engine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "watchdog-json.h"

#define SOCKET_PATH "/var/run/docker.sock"
#define BODY_CAP (1 << 20)

static char body[BODY_CAP];

static const char *socket_path(void) {
  const char *s = getenv("GAMEDAY_WATCHDOG_SOCKET");
  return s && *s ? s : SOCKET_PATH;
}

/* the body (de-chunked) goes to `body`, NUL-terminated */
int docker_call(const char *method, const char *path, size_t *body_len) {
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

long long rfc3339_ms(const char *s) {
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


int inspect(const char *target, struct target_state *st) {
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
