#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "msg.h"

/* The command, for the signal handlers: its pid (and process group), and
 * whether it runs; the stop signals received, and the last of them. */
static volatile sig_atomic_t cmd_pid, cmd_running, stops, last_stop;

static int lookup_groups(struct ot_identity *id, const char *name)
{
	int n = 64;

	for (;;) {
		gid_t *g = ot_xreallocarray(id->groups, n, sizeof(gid_t));
		int want = n;

		id->groups = g;
		if (getgrouplist(name, id->gid, g, &want) >= 0) {
			id->ngroups = want;
			return 0;
		}
		if (want <= n || want > 65536) {
			ot_error_msg("cannot list the groups of user %s", ot_quote(name));
			return 1;
		}
		n = want;
	}
}

/* A decimal ID, digits only: no sign, no blanks, not (uid_t)-1. */
static int parse_id(const char *var, const char *s, unsigned *out)
{
	unsigned long v;

	errno = 0;
	v = strtoul(s, NULL, 10);
	if (!*s || strspn(s, "0123456789") != strlen(s) || errno || v >= UINT_MAX) {
		ot_error_msg("%s=%s is not a numeric ID; unset it or use --user USER", var, ot_quote(s));
		return OT_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

/* Who runs the command: 0, or opentrace's exit status with a message.
 * Everything that reads /etc/passwd or /etc/group happens here, in
 * opentrace, so the held child opens nothing of its own before exec. */
static int resolve_identity(const char *run_as, struct ot_identity *id)
{
	const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	struct passwd *pw;
	int rc;

	memset(id, 0, sizeof(*id));
	if (run_as) {
		unsigned uid;

		pw = getpwnam(run_as);
		if (!pw && run_as[0] >= '0' && run_as[0] <= '9' &&
		    !parse_id("--user", run_as, &uid))
			pw = getpwuid(uid);
		if (!pw) {
			ot_error_msg("--user: no user named %s", ot_quote(run_as));
			return OT_EXIT_USAGE;
		}
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
	} else if (geteuid() == 0 && (sudo_uid || sudo_gid)) {
		unsigned uid, gid;

		/* one without the other is not sudo's doing: running the
		 * command as root then would be a guess */
		if (!sudo_uid || !sudo_gid) {
			ot_error_msg("%s is set but %s is not; set both, or neither, or use "
				     "--user USER", sudo_uid ? "SUDO_UID" : "SUDO_GID",
				     sudo_uid ? "SUDO_GID" : "SUDO_UID");
			return OT_EXIT_USAGE;
		}
		rc = parse_id("SUDO_UID", sudo_uid, &uid);
		if (!rc)
			rc = parse_id("SUDO_GID", sudo_gid, &gid);
		if (rc)
			return rc;
		id->uid = uid;
		id->gid = gid;
		pw = getpwuid(uid);
	} else {
		return 0;	/* the caller's own identity, unchanged */
	}
	id->change = true;
	if (pw)
		return lookup_groups(id, pw->pw_name);
	/* a SUDO_UID with no passwd entry: its primary group only */
	id->groups = ot_xmalloc(sizeof(gid_t));
	id->groups[0] = id->gid;
	id->ngroups = 1;
	return 0;
}

/* Job control: the command has no terminal of its own, so Ctrl-Z (and a
 * background opentrace that reads or writes the terminal) stops
 * opentrace alone. Stop the command's group with it, and continue it
 * with opentrace. SIGSTOP, because the group is orphaned (its session's
 * leader has no parent in the session), and the kernel drops SIGTSTP
 * for orphaned groups. */
static void on_job_stop(int sig)
{
	pid_t pid = cmd_pid;

	(void)sig;
	ot_spawn_kill(pid, SIGSTOP);
	kill(getpid(), SIGSTOP);
	ot_spawn_kill(pid, SIGCONT);
}

static void install_job_control(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_job_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
	sigaction(SIGTTOU, &sa, NULL);
}

/* What the child reported, in the words a shell uses; the exit status. */
static int report_failure(const struct ot_spawn *sp, const char *name,
			  const struct ot_identity *id)
{
	errno = sp->error;
	switch (sp->failed) {
	case OT_SPAWN_SEARCH:
	case OT_SPAWN_EXEC:
		if (sp->error == ENOENT) {
			ot_error_msg("%s: command not found", ot_quote(name));
			return 127;
		}
		ot_perror_msg("cannot run %s", ot_quote(name));
		return 126;
	case OT_SPAWN_IDENTITY:
		ot_perror_msg("cannot run %s as uid %u, gid %u", ot_quote(name), (unsigned)id->uid,
			      (unsigned)id->gid);
		return 126;
	case OT_SPAWN_SETUP:
		ot_perror_msg("cannot start %s", ot_quote(name));
		return 126;
	case OT_SPAWN_OK:
		break;
	}
	return 1;
}

int ot_command_start(const struct ot_plan *plan, struct ot_command *cmd)
{
	struct ot_identity id;
	struct ot_spawn_opts o = {
		.argv = plan->argv,
		.in = OT_SPAWN_INHERIT,
		/* no controlling terminal: the command, often run for a user
		 * other than root, cannot push input into root's terminal
		 * (TIOCSTI), nor open it through /dev/tty */
		.session = true,
		.hold = true,
		.id = &id,
	};
	int rc;

	rc = resolve_identity(plan->run_as, &id);
	if (rc) {
		free(id.groups);
		return rc;
	}
	if (ot_spawn_start(&cmd->sp, &o))
		rc = report_failure(&cmd->sp, plan->argv[0], &id);
	free(id.groups);
	if (rc)
		return rc;
	cmd_pid = cmd->sp.pid;
	install_job_control();
	return 0;
}

int ot_command_release(void *arg)
{
	struct ot_command *cmd = arg;

	/* A stop signal before the probes were ready: the trace ends before
	 * it began, and the command must not run untraced after it. */
	if (stops)
		return 0;
	cmd_running = 1;
	if (ot_spawn_release(&cmd->sp) && errno != EPIPE)
		ot_perror_msg("releasing the command");
	return 0;
}

void ot_command_on_signal(int sig)
{
	if (!stops++ && cmd_running)
		ot_spawn_kill(cmd_pid, sig);
	last_stop = sig;
}

int ot_command_wait(struct ot_command *cmd, const char *name)
{
	int status;

	if (!cmd->sp.released) {
		/* held: it gives up at EOF on its hold pipe; make sure */
		ot_spawn_kill(cmd->sp.pid, SIGKILL);
		ot_spawn_wait(&cmd->sp, NULL);
		return last_stop ? 128 + last_stop : 1;
	}
	status = ot_spawn_wait(&cmd->sp, &stops);
	cmd_running = 0;
	cmd_pid = 0;
	if (cmd->sp.failed)
		return report_failure(&cmd->sp, name, NULL);
	if (status < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
