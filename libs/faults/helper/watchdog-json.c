/* The watchdog's JSON reader (see watchdog-json.h). */
#include "watchdog-json.h"

#include <string.h>

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

const char *obj_get(const char *p, const char *e, const char *key, const char **vend) {
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

int str_field(const char *obj, const char *e, const char *key, char *out, size_t cap) {
  const char *ve = NULL;
  const char *vs = obj_get(obj, e, key, &ve);
  return vs ? get_string(vs, ve, out, cap) : -1;
}

int bool_field(const char *obj, const char *e, const char *key) {
  const char *ve = NULL;
  const char *vs = obj_get(obj, e, key, &ve);
  return vs ? get_bool(vs, ve) : -1;
}
