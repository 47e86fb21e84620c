/*
 * What the helper's C timers (gameday-at, gameday-kill, gameday-stress, gameday-fill) and the
 * container-fault watchdog share: the clock, their number words, the set-up that waits for a stop
 * signal and an instant together, and a record rewritten by rename. One copy, compiled into each.
 */
#ifndef GAMEDAY_COMMON_H
#define GAMEDAY_COMMON_H
#include <signal.h>

/* Now on the realtime clock in epoch ms: the helper's clock, whose offset the worker measures. */
long long now_ms(void);

/*
 * A number word: the whole of S read as decimal (strtoll's reading), in 0..MAX, no overflow.
 * 1 with *OUT set, or 0.
 */
int parse_num(const char *s, long long max, long long *out);

/*
 * Blocks SIGNALS (the mask before them in *OLD unless NULL), then opens a signalfd that reads them
 * and a realtime timerfd: a stop and the instant are waited for together, in one poll, and no
 * signal can be missed between two polls. 0, or -1 with errno (either may be -1 then).
 */
int signal_timer(const sigset_t *signals, sigset_t *old, int *sfd, int *tfd);

/*
 * Arms TFD for AT_MS on the realtime clock, absolute: a late wake-up is not added to, a clock step
 * is followed, and an instant in the past fires at once. timerfd_settime's result.
 */
int arm_at(int tfd, long long at_ms);

/* Rewrites DIR/NAME with LEN bytes of TEXT through DIR/NAME.tmp and a rename: never half read. */
void write_record(const char *dir, const char *name, const char *text, int len);

#endif
