/* Running the traced command: started held until the probes are attached
 * and filtering on its pid, as the invoking user, in a session of its own
 * whose process group the stop signals reach. */
#ifndef OPENTRACE_FRONTEND_COMMAND_H
#define OPENTRACE_FRONTEND_COMMAND_H

#include "plan.h"
#include "spawn.h"

struct ot_command {
	struct ot_spawn sp;	/* sp.pid is the command's pid and process group */
};

/* Resolves who runs the command (--user, else SUDO_UID and SUDO_GID when
 * root, else unchanged), forks it held, and returns once it is ready to
 * exec: its program found on PATH as that user finds it. 0, or the exit
 * status for opentrace with a message: 2 for SUDO_UID and SUDO_GID that
 * are not both decimal IDs, 127 when the program is not found, 126 when
 * it cannot be run, 1 otherwise. */
int ot_command_start(const struct ot_plan *plan, struct ot_command *cmd);
/* For struct ot_sink's on_ready: lets the command exec, unless a stop
 * signal has come, in which case it stays held, to be killed. */
int ot_command_release(void *cmd);
/* For opentrace's handler of SIGINT, SIGTERM and SIGHUP (async-signal-
 * safe): the first is passed on to the released command's process group;
 * ot_command_wait escalates on the others. */
void ot_command_on_signal(int sig);
/* Waits for the command and returns opentrace's exit status for it: its
 * own, 128+N for signal N, 127 when exec found nothing, 126 when it could
 * not run it. A command never released is killed, and counts as ended by
 * the stop signal that kept it held. */
int ot_command_wait(struct ot_command *cmd, const char *name);

#endif
