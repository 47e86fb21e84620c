/*
 * gameday-fill's commands outside a run, each printing key=value lines: `probe` (arming: who PID 1
 * is, its user, the filesystem at PATH and whether it is the target's own), `check` (verify: the
 * file NAME under PATH and the filesystem's numbers) and `rm` (a revert from the ledger's row:
 * the file removed, gone already being success too).
 */
#ifndef FILL_COMMANDS_H
#define FILL_COMMANDS_H

int cmd_probe(const char *path);
int cmd_check(const char *path, const char *name);
int cmd_rm(const char *path, const char *name);

#endif
