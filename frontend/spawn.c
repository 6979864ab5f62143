#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "spawn.h"

/* What a child writes on its report pipe: the stage that failed and the
 * errno, or OT_SPAWN_OK once a held child is ready. */
struct report {
	int stage;
	int error;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child, from here to exec: no allocation, nothing opened. */

static void child_say(int fd, enum ot_spawn_stage stage, int error)
{
	struct report r = { stage, error };

	if (write(fd, &r, sizeof(r)) < 0)
		_exit(127);
}

static void child_fail(int fd, enum ot_spawn_stage stage, int error)
{
	child_say(fd, stage, error);
	_exit(error == ENOENT ? 127 : 126);
}

/* opentrace's handlers must not run in the child: a signal sent to it
 * before it execs takes its default action. SIGPIPE, which opentrace
 * ignores, is the command's to decide again. */
static void child_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sigaction(sig, NULL, &sa) || sa.sa_handler == SIG_DFL ||
		    (sa.sa_handler == SIG_IGN && sig != SIGPIPE))
			continue;
		signal(sig, SIG_DFL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* fd as the child's target descriptor, open across exec. */
static int child_dup(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* The result execve would give for path, without running it: 0, or the
 * errno. A directory or device is EACCES, as is a file on a noexec
 * mount. access() checks the real IDs, which are the child's own here. */
static int exec_check(const char *path)
{
	struct statvfs vfs;
	struct stat st;

	if (stat(path, &st))
		return errno;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	if (access(path, X_OK))
		return errno;
	if (!statvfs(path, &vfs) && (vfs.f_flag & ST_NOEXEC))
		return EACCES;
	return 0;
}

/* Finds name as execvp(3) would, and in buf a path to it with a '/', so
 * that the exec itself searches nothing: when opentrace's own attempts
 * run after the probes are attached, each shows up as a failed exec of
 * the command. Skips what cannot be run (EACCES) and what is not there;
 * any other error ends the search, as it does execvp's. */
static int search(const char *name, char *buf, size_t len)
{
	const char *dirs = getenv("PATH"), *p;
	bool denied = false;
	int err;

	if (!*name)
		return ENOENT;
	if (strchr(name, '/')) {
		if (strlen(name) >= len)
			return ENAMETOOLONG;
		strcpy(buf, name);
		return exec_check(buf);
	}
	if (!dirs)
		dirs = "/bin:/usr/bin";	/* glibc's default, confstr(_CS_PATH) */
	for (p = dirs;; p++) {
		size_t n = strcspn(p, ":");

		/* an empty entry is the working directory */
		if ((size_t)snprintf(buf, len, "%.*s/%s", n ? (int)n : 1, n ? p : ".",
				     name) < len) {
			err = exec_check(buf);
			if (!err)
				return 0;
			if (err == EACCES)
				denied = true;
			else if (err != ENOENT && err != ENOTDIR && err != ESTALE &&
				 err != ENODEV && err != ETIMEDOUT)
				return err;
		}
		p += n;
		if (!*p)
			break;
	}
	return denied ? EACCES : ENOENT;
}

static void child(const struct ot_spawn_opts *o, pid_t parent, int in, int out, int err,
		  int go, int report)
{
	const struct ot_identity *id = o->id;
	char path[PATH_MAX];
	ssize_t r;
	char c;

	child_signals();
	if (o->session ? setsid() < 0 : setpgid(0, 0) < 0)
		child_fail(report, OT_SPAWN_SETUP, errno);
	/* A held child must never run untraced: if opentrace dies before it
	 * releases the child, the child dies too. */
	prctl(PR_SET_PDEATHSIG, o->hold ? SIGKILL : o->deathsig);
	if (getppid() != parent)
		_exit(127);
	if ((in >= 0 && child_dup(in, 0)) || (out >= 0 && child_dup(out, 1)) ||
	    (err >= 0 && child_dup(err, 2)))
		child_fail(report, OT_SPAWN_SETUP, errno);
	if (o->dir && chdir(o->dir))
		child_fail(report, OT_SPAWN_SETUP, errno);
	if (id && id->change) {
		if (setgroups(id->ngroups, id->groups) || setgid(id->gid) || setuid(id->uid))
			child_fail(report, OT_SPAWN_IDENTITY, errno);
		/* a change of credentials clears the parent-death signal */
		prctl(PR_SET_PDEATHSIG, o->hold ? SIGKILL : o->deathsig);
		if (getppid() != parent)
			_exit(127);
	}
	snprintf(path, sizeof(path), "%s", o->path ? o->path : o->argv[0]);
	if (o->hold) {
		int e = search(o->argv[0], path, sizeof(path));

		if (e)
			child_fail(report, OT_SPAWN_SEARCH, e);
		child_say(report, OT_SPAWN_OK, 0);
		/* A byte is the go signal. End of file means give up, never
		 * go: a dying opentrace closes its files before the kernel
		 * sends the parent-death signal. */
		do
			r = read(go, &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(127);
		prctl(PR_SET_PDEATHSIG, o->deathsig);
		/* path has a '/': no search, but execvp's sh fallback for a
		 * script without #! stays */
		execvp(path, o->argv);
	} else {
		execv(path, o->argv);
	}
	child_fail(report, OT_SPAWN_EXEC, errno);
}

int ot_spawn_start(struct ot_spawn *sp, const struct ot_spawn_opts *o)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int go[2] = { -1, -1 }, report[2] = { -1, -1 };
	pid_t parent = getpid();
	struct report r;
	ssize_t n;

	memset(sp, 0, sizeof(*sp));
	sp->pid = -1;
	sp->in = sp->out = sp->err = sp->go = sp->report = -1;
	if ((o->in == OT_SPAWN_PIPE && pipe2(in, O_CLOEXEC)) ||
	    (o->pipe_out && pipe2(out, O_CLOEXEC)) || (o->pipe_err && pipe2(err, O_CLOEXEC)) ||
	    (o->hold && pipe2(go, O_CLOEXEC)) || pipe2(report, O_CLOEXEC)) {
		ot_perror_msg("pipe");
		goto fail;
	}
	if (o->in == OT_SPAWN_DEVNULL) {
		in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in[0] < 0) {
			ot_perror_msg("/dev/null");
			goto fail;
		}
	}
	fflush(NULL);
	sp->pid = fork();
	if (sp->pid < 0) {
		ot_perror_msg("fork");
		goto fail;
	}
	if (sp->pid == 0) {
		close_fd(&in[1]);
		close_fd(&out[0]);
		close_fd(&err[0]);
		close_fd(&go[1]);
		close_fd(&report[0]);
		child(o, parent, in[0], out[1], err[1], go[0], report[1]);
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	close_fd(&go[0]);
	close_fd(&report[1]);
	sp->in = in[1];
	sp->out = out[0];
	sp->err = err[0];
	sp->go = go[1];
	sp->report = report[0];
	if (!o->hold)
		return 0;
	/* a held child says when it is ready, or why it cannot be */
	do
		n = read(sp->report, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(r) && r.stage == OT_SPAWN_OK)
		return 0;
	sp->failed = n == (ssize_t)sizeof(r) ? r.stage : OT_SPAWN_SETUP;
	sp->error = n == (ssize_t)sizeof(r) ? r.error : ECHILD;
	ot_spawn_wait(sp, NULL);
	return -1;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&go[0]);
	close_fd(&go[1]);
	close_fd(&report[0]);
	close_fd(&report[1]);
	return -1;
}

int ot_spawn_release(struct ot_spawn *sp)
{
	int rc = 0;

	if (sp->released || sp->go < 0)
		return 0;
	/* a write that fails finds the child already gone */
	if (write(sp->go, "g", 1) != 1)
		rc = -errno;
	close_fd(&sp->go);
	sp->released = true;
	errno = -rc;
	return rc ? -1 : 0;
}

void ot_spawn_kill(pid_t pid, int sig)
{
	int saved = errno;

	if (pid > 0 && kill(-pid, sig) && errno == ESRCH)
		kill(pid, sig);
	errno = saved;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_stop(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
}

/* The wait of a child that stop signals escalate. They are blocked and
 * taken with sigtimedwait, so one that comes between the check of the
 * child and the wait is not lost. */
static pid_t wait_escalating(pid_t pid, int *status, const volatile sig_atomic_t *stops)
{
	sigset_t set, old;
	uint64_t deadline = 0;
	int level = 0, more = 0;
	pid_t r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (;;) {
		int n, sig;

		r = waitpid(pid, status, WNOHANG);
		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		n = *stops + more;
		if (n >= 2 && level == 0) {
			ot_spawn_kill(pid, SIGTERM);
			deadline = now_ms() + OT_SPAWN_GRACE_MS;
			level = 1;
		}
		if (level == 1 && (n >= 3 || now_ms() >= deadline)) {
			ot_spawn_kill(pid, SIGKILL);
			level = 2;
		}
		if (level == 1) {
			uint64_t left = deadline - now_ms();
			struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

			sig = now_ms() < deadline ? sigtimedwait(&set, NULL, &ts) : 0;
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig > 0 && is_stop(sig)) {
			/* the first stop signal goes on to the group as it
			 * came; later ones escalate, above */
			if (!(*stops + more))
				ot_spawn_kill(pid, sig);
			more++;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int ot_spawn_wait(struct ot_spawn *sp, const volatile sig_atomic_t *stops)
{
	struct report rep;
	int status = 0;
	pid_t r;

	/* a held child never released takes EOF as the order to give up */
	close_fd(&sp->go);
	close_fd(&sp->in);
	close_fd(&sp->out);
	close_fd(&sp->err);
	if (stops) {
		r = wait_escalating(sp->pid, &status, stops);
	} else {
		do
			r = waitpid(sp->pid, &status, 0);
		while (r < 0 && errno == EINTR);
	}
	if (r < 0) {
		ot_perror_msg("waitpid");
		status = -1;
	}
	sp->pid = -1;
	if (sp->report >= 0 && read(sp->report, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) &&
	    rep.stage != OT_SPAWN_OK) {
		sp->failed = rep.stage;
		sp->error = rep.error;
	}
	close_fd(&sp->report);
	return status;
}
