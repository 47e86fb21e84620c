/*
 * The watchdog's JSON reader: just enough of an engine's answer to find a key's value in an
 * object and read a string (without escapes: IDs and timestamps have none) or a boolean. Every
 * reader is bounded by the end of the text E; nothing is allocated.
 */
#ifndef WATCHDOG_JSON_H
#define WATCHDOG_JSON_H
#include <stddef.h>

/* The value of `key` in the object starting at p ('{'), or NULL; *vend is set past it. */
const char *obj_get(const char *p, const char *e, const char *key, const char **vend);

/* The string value of `key` of the object OBJ copied to OUT (CAP bytes with its NUL); 0, or -1. */
int str_field(const char *obj, const char *e, const char *key, char *out, size_t cap);

/* The boolean value of `key` of the object OBJ: 1 true, 0 false, -1 absent or not a boolean. */
int bool_field(const char *obj, const char *e, const char *key);

#endif
