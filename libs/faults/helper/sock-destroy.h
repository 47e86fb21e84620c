/* A blackhole's reset of established connections, done in gameday-at's own process. */
#ifndef GAMEDAY_SOCK_DESTROY_H
#define GAMEDAY_SOCK_DESTROY_H
#include <stdio.h>

/*
 * WORDS: the `ss -K ...` argv the blackhole compiler writes. Destroys the netns' established TCP
 * sockets it matches (IPv4, and IPv6 ones by their IPv4-mapped addresses), writing a line for
 * each to OUT. Returns how many, -2 when the argv is not of the shape it understands (run ss
 * then), or a negative errno (-EOPNOTSUPP: the kernel lacks CONFIG_INET_DIAG_DESTROY).
 */
int sock_destroy(char **words, FILE *out);

#endif
