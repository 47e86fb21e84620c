/* The disk fill's directory in the target (see fill-target.h). */
#define _GNU_SOURCE
#include "fill-target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int valid_path(const char *p) {
  size_t n = strlen(p);
  if (n == 0 || n > 255 || p[0] != '/') return 0;
  for (const char *c = p; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._/-", *c)))
      return 0;
  const char *seg = p;
  while (*seg) {
    while (*seg == '/') seg++;
    size_t len = strcspn(seg, "/");
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
    seg += len;
  }
  return 1;
}

int valid_id(const char *id) { return strlen(id) == 8 && strspn(id, "0123456789abcdef") == 8; }

int open_target_dir(const char *path) {
  int fd = open("/proc/1/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  char copy[256];
  snprintf(copy, sizeof copy, "%s", path);
  for (char *save, *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
    int next = openat(fd, seg, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(fd);
    if (next < 0) {
      errno = e == ELOOP ? ENOTDIR : e; /* a symlink: refused like a file in the way */
      return -1;
    }
    fd = next;
  }
  return fd;
}
