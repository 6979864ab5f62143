/* Running the traced command: started held on a pipe, released once the
 * probes are attached and filtering on its pid, run as the invoking user. */
#ifndef OPENTRACE_FRONTEND_COMMAND_H
#define OPENTRACE_FRONTEND_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

#include "plan.h"

struct ot_command {
	pid_t pid;
	int release_fd;		/* write end: a byte lets the child exec, EOF
				 * makes it exit */
	int error_fd;		/* read end: the child's exec errno, if any */
	bool released;
};

/* Forks the held child. Resolves who it runs as first (--user, else
 * SUDO_UID/SUDO_GID when root, else unchanged). 0, or -1 with a message. */
int ot_command_start(const struct ot_plan *plan, struct ot_command *cmd);
/* Lets the child run; for struct ot_sink's on_ready. */
int ot_command_release(void *cmd);
/* Waits for the command and returns opentrace's exit status for it: its
 * own, 128+N for signal N, 127 when not found, 126 when not executable. */
int ot_command_wait(struct ot_command *cmd, const char *name);

#endif
