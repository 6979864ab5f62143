/* Starting the programs opentrace runs: the traced command, and stap or
 * staprun. Pipes, a process group or session of the child's own, the
 * parent-death signal, dropping privileges, holding a child until it may
 * exec, and waiting for it are written here once. */
#ifndef OPENTRACE_FRONTEND_SPAWN_H
#define OPENTRACE_FRONTEND_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Who a child runs as: opentrace's own identity unless change is set. */
struct ot_identity {
	bool change;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

enum ot_spawn_stdin {
	OT_SPAWN_INHERIT,	/* opentrace's own */
	OT_SPAWN_PIPE,		/* a pipe, whose write end is sp->in */
	OT_SPAWN_DEVNULL,
};

struct ot_spawn_opts {
	char *const *argv;
	const char *path;		/* the program; NULL: argv[0] */
	const char *dir;		/* its working directory; NULL: ours */
	enum ot_spawn_stdin in;
	bool pipe_out, pipe_err;	/* stdout, stderr on pipes (else ours) */
	/* Its own session (setsid: no controlling terminal, so nothing it
	 * runs can type into ours with TIOCSTI), else its own process group.
	 * Either way one kill() of the group reaches all it starts. */
	bool session;
	/* The parent-death signal once it runs; 0 for none. A held child
	 * always has SIGKILL until released. */
	int deathsig;
	/* Held: the child gets ready (its identity changed, its program
	 * found on PATH as that identity sees it, as execvp would) and
	 * waits for ot_spawn_release before it execs. */
	bool hold;
	const struct ot_identity *id;
};

/* Where a child failed, as it reported it. */
enum ot_spawn_stage {
	OT_SPAWN_OK,
	OT_SPAWN_IDENTITY,	/* setgroups, setgid or setuid */
	OT_SPAWN_SEARCH,	/* the program is not there, or not executable */
	OT_SPAWN_EXEC,		/* execve itself */
	OT_SPAWN_SETUP,		/* its pipes, directory or parent-death signal */
};

struct ot_spawn {
	pid_t pid;
	int in, out, err;		/* our ends of its pipes, or -1 */
	int go;				/* held: a byte releases it, EOF ends it */
	int report;			/* what it says of a failure */
	bool released;
	enum ot_spawn_stage failed;	/* with the errno in error */
	int error;
};

/* Starts the child; for a held one, returns once it is ready. 0; -1 when
 * it could not start (a message printed, or sp->failed set to what the
 * child reported, for the caller to put in its words). */
int ot_spawn_start(struct ot_spawn *sp, const struct ot_spawn_opts *o);
/* Lets a held child exec. 0, or -1 when it is already gone. */
int ot_spawn_release(struct ot_spawn *sp);
/* Sends sig to the child's process group (to the child alone if it has
 * not made the group yet). Async-signal-safe. */
void ot_spawn_kill(pid_t pid, int sig);
/* Waits for the child and returns its wait status, or -1 on an error.
 * With stops (a count of stop signals that a handler increments), the
 * wait escalates as more arrive: the first is passed on to the group,
 * the second becomes SIGTERM and, OT_SPAWN_GRACE_MS later, SIGKILL; a
 * third is SIGKILL at once. Stop signals that arrive during the wait are
 * counted here, never lost between a check and a blocking call. Closes
 * our pipe ends and reads the child's report of a failed exec. */
#define OT_SPAWN_GRACE_MS 2000
int ot_spawn_wait(struct ot_spawn *sp, const volatile sig_atomic_t *stops);

#endif
