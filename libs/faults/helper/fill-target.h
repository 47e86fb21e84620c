/*
 * The disk fill's directory in the target, seen from a helper in its PID namespace: from
 * /proc/1/root (PID 1 is the target's init), one component at a time with O_NOFOLLOW, so a
 * symlink anywhere on the path is refused and nothing resolves outside the target's tree (an
 * absolute symlink read through /proc/1/root would resolve in the helper's root).
 */
#ifndef FILL_TARGET_H
#define FILL_TARGET_H

/* the spec's rule again: absolute, [A-Za-z0-9._/-], no "." or ".." component, at most 255 */
int valid_path(const char *p);

/* a fill's id: 8 lowercase hex digits (its file is PATH/.gameday-fill-ID) */
int valid_id(const char *id);

/* PATH in the target's view, as an O_PATH directory fd; -1 with errno (ENOTDIR for a symlink) */
int open_target_dir(const char *path);

#endif
