#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "msg.h"

struct identity {
	bool change;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char name[64];
};

static int lookup_groups(struct identity *id, const char *name)
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
			return -1;
		}
		n = want;
	}
}

static int parse_id(const char *var, const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v >= UINT_MAX) {
		ot_error_msg("%s=%s is not a numeric ID; unset it or use --user USER", var, ot_quote(s));
		return -1;
	}
	*out = v;
	return 0;
}

/* Who runs the command. Everything that reads /etc/passwd or /etc/group
 * happens here, in opentrace, so the held child opens nothing of its own
 * before exec. */
static int resolve_identity(const char *run_as, struct identity *id)
{
	const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	struct passwd *pw;

	memset(id, 0, sizeof(*id));
	if (run_as) {
		unsigned uid;

		pw = getpwnam(run_as);
		if (!pw && run_as[0] >= '0' && run_as[0] <= '9' &&
		    !parse_id("--user", run_as, &uid))
			pw = getpwuid(uid);
		if (!pw) {
			ot_error_msg("--user: no user named %s", ot_quote(run_as));
			return -1;
		}
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
	} else if (geteuid() == 0 && sudo_uid) {
		unsigned uid, gid;

		if (parse_id("SUDO_UID", sudo_uid, &uid))
			return -1;
		if (!sudo_gid) {
			ot_error_msg("SUDO_UID is set but SUDO_GID is not; set both or use --user USER");
			return -1;
		}
		if (parse_id("SUDO_GID", sudo_gid, &gid))
			return -1;
		id->uid = uid;
		id->gid = gid;
		pw = getpwuid(uid);
	} else {
		return 0;	/* the caller's own identity, unchanged */
	}
	id->change = true;
	if (pw) {
		snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
		return lookup_groups(id, pw->pw_name);
	}
	/* a SUDO_UID with no passwd entry: its primary group only */
	id->groups = malloc(sizeof(gid_t));
	if (!id->groups)
		return -1;
	id->groups[0] = id->gid;
	id->ngroups = 1;
	return 0;
}

static void child(const struct ot_plan *plan, const struct identity *id, int hold_fd, int err_fd)
{
	ssize_t r;
	char c;
	int err;

	/* If opentrace dies before releasing us, do not run untraced. The
	 * signal alone is not enough: a dying process closes its files before
	 * it signals its children, so EOF on the hold pipe comes first, and
	 * must mean "give up", never "go". */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	do
		r = read(hold_fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(127);
	if (id->change &&
	    (setgroups(id->ngroups, id->groups) || setgid(id->gid) || setuid(id->uid))) {
		err = errno;
		if (write(err_fd, &err, sizeof(err)) < 0)
			_exit(127);
		_exit(126);
	}
	prctl(PR_SET_PDEATHSIG, 0);
	signal(SIGPIPE, SIG_DFL);
	execvp(plan->argv[0], plan->argv);
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(err == ENOENT ? 127 : 126);
}

int ot_command_start(const struct ot_plan *plan, struct ot_command *cmd)
{
	struct identity id;
	int hold[2], err[2];

	memset(cmd, 0, sizeof(*cmd));
	cmd->release_fd = cmd->error_fd = -1;
	if (resolve_identity(plan->run_as, &id))
		return -1;
	if (pipe2(hold, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		ot_perror_msg("pipe");
		free(id.groups);
		return -1;
	}
	fflush(NULL);
	cmd->pid = fork();
	if (cmd->pid < 0) {
		ot_perror_msg("fork");
		free(id.groups);
		return -1;
	}
	if (cmd->pid == 0) {
		close(hold[1]);
		close(err[0]);
		child(plan, &id, hold[0], err[1]);
	}
	close(hold[0]);
	close(err[1]);
	free(id.groups);
	cmd->release_fd = hold[1];
	cmd->error_fd = err[0];
	return 0;
}

int ot_command_release(void *arg)
{
	struct ot_command *cmd = arg;

	/* A byte on the hold pipe is the go signal; EOF means abort. A write
	 * that fails finds the child already gone, which the wait reports. */
	if (!cmd->released) {
		if (write(cmd->release_fd, "g", 1) < 0)
			ot_perror_msg("releasing the command");
		close(cmd->release_fd);
		cmd->release_fd = -1;
		cmd->released = true;
	}
	return 0;
}

int ot_command_wait(struct ot_command *cmd, const char *name)
{
	int status, err = 0;
	ssize_t n;

	if (!cmd->released)
		close(cmd->release_fd);	/* never released: EOF tells the child to give up */
	while (waitpid(cmd->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ot_perror_msg("waitpid");
			return 1;
		}
	}
	n = read(cmd->error_fd, &err, sizeof(err));
	close(cmd->error_fd);
	if (n == (ssize_t)sizeof(err) && cmd->released) {
		if (err == ENOENT) {
			ot_error_msg("%s: command not found", ot_quote(name));
			return 127;
		}
		errno = err;
		ot_perror_msg("cannot run %s", ot_quote(name));
		return 126;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
