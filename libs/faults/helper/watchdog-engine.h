/*
 * The watchdog's door to the engine: HTTP/1.1 over its unix socket (/var/run/docker.sock, or
 * GAMEDAY_WATCHDOG_SOCKET), one request per connection, and the little it reads of an inspection.
 * The caller builds the request path (a checked 64-hex ID and a fixed word): nothing else can
 * reach a request line.
 */
#ifndef WATCHDOG_ENGINE_H
#define WATCHDOG_ENGINE_H
#include <stddef.h>

/* One request, Connection: close. Returns the HTTP status (-1: no answer); *BODY_LEN (unless NULL)
 * the length of the answer's body (de-chunked), which `inspect` reads. */
int docker_call(const char *method, const char *path, size_t *body_len);

/* RFC 3339 UTC ("2026-12-05T19:50:01.123456789Z", as the engine writes it) to epoch ms; LLONG_MIN
 * when unreadable. */
long long rfc3339_ms(const char *s);

/* What the watchdog reads of its target: its ID and the state it compares with the armed one. */
struct target_state {
  int found;
  char id[80];
  int running, paused;
  char started_at[64], finished_at[64];
};

/* GET /containers/TARGET/json: -1 no answer from the engine; 0 read (found=0 when the target is gone) */
int inspect(const char *target, struct target_state *st);

#endif
