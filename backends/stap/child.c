/* stap or staprun, running: the script fed on its stdin, its records
 * read from its stdout, its stderr kept to count what it lost and to
 * explain what failed. It runs in its own process group, so a terminal's
 * Ctrl-C reaches it once, from opentrace, after opentrace has decided how
 * to stop; and with SIGINT as its parent-death signal, so it unloads its
 * module whatever ends opentrace. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "msg.h"

/* How long the run loop waits for output before it checks the sink. */
#define POLL_MS 50
/* stap's error output kept for the condensed report. */
#define ERR_KEEP (64 * 1024)
#define ERR_LINES_SHOWN 12

/* stap reads the whole script before it does anything else. One that
 * dies first makes the write fail, which its exit status reports: no
 * SIGPIPE for us, whatever mode opentrace runs in. */
static void feed(int fd, const char *text, size_t len)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	size_t off = 0;
	ssize_t n;

	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	sigaction(SIGPIPE, &old, NULL);
}

int ot_stap_child_start(struct ot_stap_child *ch, char **argv, const char *dir,
			const struct ot_stap_script *s)
{
	struct ot_spawn_opts o = {
		.argv = argv,
		.dir = dir,
		.in = s ? OT_SPAWN_PIPE : OT_SPAWN_DEVNULL,
		.pipe_out = true,
		.pipe_err = true,
		.deathsig = SIGINT,
	};

	memset(ch, 0, sizeof(*ch));
	if (ot_spawn_start(&ch->sp, &o))
		return -1;
	if (s) {
		feed(ch->sp.in, s->text, s->len);
		close(ch->sp.in);
		ch->sp.in = -1;
	}
	ch->errbuf = ot_xmalloc(ERR_KEEP);
	return 0;
}

void ot_stap_child_free(struct ot_stap_child *ch)
{
	free(ch->errbuf);
	ch->errbuf = NULL;
}

/* Keeps the start of stap's diagnostics (what failed first) and their
 * latest part (the loss counts come last), dropping the middle of a long
 * run's warnings. */
static void err_append(struct ot_stap_child *ch, const char *s, size_t n)
{
	size_t half = ERR_KEEP / 2, drop;

	if (n > half) {
		s += n - half;
		n = half;
	}
	if (ch->errlen + n > ERR_KEEP) {
		drop = ch->errlen + n - ERR_KEEP;
		memmove(ch->errbuf + half, ch->errbuf + half + drop, ch->errlen - half - drop);
		ch->errlen -= drop;
	}
	memcpy(ch->errbuf + ch->errlen, s, n);
	ch->errlen += n;
}

static int read_err(struct ot_stap_child *ch)
{
	char tmp[4096];
	ssize_t n = read(ch->sp.err, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	err_append(ch, tmp, n);
	return 1;
}

static void interrupt(struct ot_stap_child *ch)
{
	if (!ch->interrupted) {
		ot_spawn_kill(ch->sp.pid, SIGINT);
		ch->interrupted = true;
	}
}

/* Its exit status; a failed exec is reported by ot_stap_child_report. */
static int child_wait(struct ot_stap_child *ch)
{
	int status = ot_spawn_wait(&ch->sp, NULL);

	if (status < 0 || ch->sp.failed)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int ot_stap_child_drain(struct ot_stap_child *ch)
{
	struct pollfd fds[2] = {
		{ .fd = ch->sp.out, .events = POLLIN },
		{ .fd = ch->sp.err, .events = POLLIN },
	};
	char tmp[4096];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents && read(ch->sp.out, tmp, sizeof(tmp)) <= 0)
			fds[0].fd = -1;
		if (fds[1].revents && read_err(ch) <= 0)
			fds[1].fd = -1;
	}
	return child_wait(ch);
}

static bool has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

static bool line_matters(const char *l, size_t n)
{
	static const char *const starts[] = {
		"semantic error", "parse error", "error:", "ERROR:", "WARNING:", "Pass ",
		"staprun:", "stapio:", "Error",
	};
	size_t i;

	if (has(l, n, "Pass ") && !has(l, n, "failed"))
		return false;
	if (has(l, n, "Kernel function symbol table missing"))
		return false;
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (n >= strlen(starts[i]) && !memcmp(l, starts[i], strlen(starts[i])))
			return true;
	/* a compiler's own "file:line:col: error:" */
	return has(l, n, ": error:") || has(l, n, ": fatal error:");
}

/* Counts of loss that stap prints when it ends. */
static void child_loss(struct ot_stap_child *ch, struct ot_sink *sink)
{
	const char *p = ch->errbuf, *end = ch->errbuf + ch->errlen;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char line[512];
		unsigned long long a, b;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		if (sscanf(line, "WARNING: Number of errors: %llu, skipped probes: %llu", &a, &b) == 2)
			ot_sink_loss(sink, b, 0);
		else if (sscanf(line, "WARNING: There were %llu transport failures", &a) == 1)
			ot_sink_loss(sink, a, 0);
		p += n + 1;
	}
}

void ot_stap_child_report(struct ot_stap_child *ch, const char *what)
{
	const char *p = ch->errbuf, *end = ch->errbuf + ch->errlen;
	size_t shown = 0, hidden = 0;

	if (ch->sp.failed) {
		errno = ch->sp.error;
		ot_perror_msg("%s: cannot run it", what);
		return;
	}
	ot_error_msg("%s failed; what it said:", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		if (line_matters(p, n)) {
			if (shown++ < ERR_LINES_SHOWN)
				fprintf(stderr, "  %.*s\n", (int)n, p);
			else
				hidden++;
		} else if (n) {
			hidden++;
		}
		p += n + 1;
	}
	if (!shown && ch->errlen)
		fprintf(stderr, "  %.*s\n", (int)(ch->errlen > 400 ? 400 : ch->errlen), ch->errbuf);
	if (hidden)
		fprintf(stderr, "  (%zu more line(s) left out; run the script of 'opentrace -S "
			"--emit' with stap -v to see them all)\n", hidden);
	if (has(ch->errbuf, ch->errlen, "task_work_cancel"))
		ot_error_msg("this is a known mismatch: the kernel renamed task_work_cancel() to "
			     "task_work_cancel_func() (Linux 6.1.192 and other 2024 stable updates), "
			     "and SystemTap 4.8's runtime still calls the old name. Upgrade SystemTap, or "
			     "build with a runtime copy that uses the new name:\n"
			     "  cp -r /usr/share/systemtap/runtime DIR && sed -i "
			     "'s/(&task_work_cancel)/(\\&task_work_cancel_func)/; "
			     "s/\"task_work_cancel\"/\"task_work_cancel_func\"/' DIR/stp_task_work.c\n"
			     "  then run opentrace with SYSTEMTAP_RUNTIME=DIR in its environment");
	if (has(ch->errbuf, ch->errlen, "module signing") ||
	    has(ch->errbuf, ch->errlen, "MOK") ||
	    has(ch->errbuf, ch->errlen, "secureboot"))
		ot_error_msg("stap believes this kernel requires signed modules: it checks for that "
			     "where securityfs is mounted (/sys/kernel/security); on a kernel that "
			     "does not enforce signatures, unmount it, else sign the module "
			     "(stap --sign-module)");
	if (has(ch->errbuf, ch->errlen, "insert module") ||
	    has(ch->errbuf, ch->errlen, "init_module"))
		ot_error_msg("the kernel refused the module; 'opentrace --list-backends' says why%s",
			     has(ch->errbuf, ch->errlen, "ot_cmd") ?
			     " (and a module built without -- CMD takes no command)" : "");
}

int ot_stap_child_run(struct ot_stap_child *ch, struct ot_sink *sink, const char *what)
{
	struct ot_stap_reader r;
	struct pollfd fds[2];
	bool out_open = true, err_open = true, ready = false;
	int rc, status;

	ot_stap_reader_init(&r);
	while (out_open || err_open) {
		fds[0] = (struct pollfd){ .fd = out_open ? ch->sp.out : -1, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = err_open ? ch->sp.err : -1, .events = POLLIN };
		rc = poll(fds, 2, POLL_MS);
		if (rc < 0 && errno != EINTR) {
			ot_perror_msg("%s: poll", what);
			interrupt(ch);
			break;
		}
		if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
			out_open = ot_stap_reader_fill(&r, ch->sp.out, sink) > 0;
		if (rc > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
			err_open = read_err(ch) > 0;
		if (r.ready && !ready) {
			ready = true;
			if (ot_sink_ready(sink))
				interrupt(ch);
		}
		if (ot_sink_tick(sink))
			interrupt(ch);
	}
	ot_sink_tick(sink);
	status = child_wait(ch);
	child_loss(ch, sink);
	if (r.bad)
		ot_error_msg("%s: %" PRIu64 " malformed record(s), counted as lost", what, r.bad);
	ot_stap_reader_free(&r);
	if (!ready && ch->interrupted && !ch->errlen && !ch->sp.failed) {
		ot_error_msg("%s: stopped before tracing started", what);
		return -1;
	}
	if (!ready || (status && !ch->interrupted)) {
		ot_stap_child_report(ch, what);
		return -1;
	}
	return 0;
}
