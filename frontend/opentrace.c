/* opentrace: which files does a program, a user or a process open? */
#include "config.h"

#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cgroup.h"
#include "command.h"
#include "msg.h"
#include "output.h"
#include "plan.h"
#include "proc.h"
#include "sink.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	ot_command_on_signal(sig);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal must cut a poll short */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The one place a sink is opened and closed, for a trace and a replay:
 * the output, its stop conditions, --args-match. */
static int sink_open(const struct ot_plan *plan, struct ot_sink *sink, regex_t *args_re,
		     uint64_t start_ns)
{
	memset(sink, 0, sizeof(*sink));
	install_signals();
	sink->stop = &stop_signal;
	/* checked when the options were parsed */
	if (plan->args_match) {
		if (regcomp(args_re, plan->args_match, REG_EXTENDED | REG_NOSUB))
			return -1;
		sink->args_re = args_re;
	}
	sink->start_ns = start_ns;
	if (plan->duration_s > 0)
		sink->deadline_ns = start_ns + (uint64_t)(plan->duration_s * 1e9);
	sink->out = ot_output_open(&plan->out, start_ns);
	if (!sink->out) {
		if (sink->args_re)
			regfree(args_re);
		return -1;
	}
	return 0;
}

/* Writes the summary and closes: 0, or -1 if any output was lost. */
static int sink_close(struct ot_sink *sink, regex_t *args_re)
{
	int rc = ot_output_close(sink->out, &sink->stats) || sink->failed ? -1 : 0;

	if (sink->args_re)
		regfree(args_re);
	return rc;
}

/* -F with a backend that cannot honour it: said once, whether the plan is
 * run, printed (--emit) or built into a module. */
static void warn_no_full_path(const struct ot_plan *plan, const struct ot_backend *backend)
{
	if (plan->full_path && backend && !(backend->caps & OT_CAP_FULL_PATH))
		ot_error_msg("-B %s cannot resolve full paths (%s): events carry the path as "
			     "passed and no full_path", backend->name,
			     backend->no_full_path ? backend->no_full_path : "not supported");
}

/* For the modes that print or build a backend's program: the named
 * backend, or the first built, whether or not it could run here. */
static const struct ot_backend *backend_for_program(const struct ot_plan *plan)
{
	const struct ot_backend *backend = ot_backend_for_emit(plan->backend);

	warn_no_full_path(plan, backend);
	return backend;
}

static int do_list(struct ot_plan *plan)
{
	return ot_backend_list(stdout, plan->out.format);
}

static int do_emit(struct ot_plan *plan)
{
	const struct ot_backend *backend = backend_for_program(plan);
	int rc = backend && !backend->emit(plan, stdout) ? 0 : 1;

	if (fflush(stdout) || ferror(stdout)) {
		ot_perror_msg("writing to standard output");
		rc = 1;
	}
	return rc;
}

static int do_build(struct ot_plan *plan)
{
	const struct ot_backend *backend = backend_for_program(plan);

	return backend && backend->build && !backend->build(plan) ? 0 : 1;
}

/* --replay: records captured elsewhere, through the backend's parser. */
static int do_replay(struct ot_plan *plan)
{
	const struct ot_backend *backend = ot_backend_for_emit(plan->backend);
	struct ot_sink sink;
	regex_t args_re;
	int rc;

	if (!backend)
		return 1;
	if (!backend->replay) {
		ot_error_msg("--replay: backend %s has no raw output to replay", backend->name);
		return 1;
	}
	/* the capture's own times set the origin, from its first record */
	if (sink_open(plan, &sink, &args_re, 0))
		return 1;
	if (ot_output_start(sink.out)) {
		sink_close(&sink, &args_re);
		return 1;
	}
	rc = backend->replay(plan, &sink) ? 1 : 0;
	if (sink_close(&sink, &args_re))
		rc = 1;
	return rc;
}

/* A trace, and --staprun's: a module built elsewhere needs only staprun
 * here, not what the backend's probe asks for (stap itself, headers).
 * What the run resolves before tracing (the live -p targets, the
 * command's pid, the cgroup directory) goes to the backend beside the
 * plan, never into it. */
static int do_trace(struct ot_plan *plan)
{
	const struct ot_backend *backend;
	struct ot_targets targets = { NULL, 0, NULL };
	struct ot_command cmd;
	struct ot_sink sink;
	char cgdir[PATH_MAX];
	pid_t *pids = NULL;
	regex_t args_re;
	int rc = 1, status;

	if (plan->mode == OT_MODE_STAPRUN)
		backend = ot_backend_for_emit(plan->backend);
	else
		backend = ot_backend_choose(plan->backend);
	if (!backend)
		return 1;
	warn_no_full_path(plan, backend);
	/* Everything that can fail is decided before the first byte of
	 * output. */
	if (plan->target == OT_TARGET_PID) {
		pids = ot_xcalloc(plan->npids, sizeof(*pids));
		memcpy(pids, plan->pids, plan->npids * sizeof(*pids));
		targets.npids = plan->npids;
		if (ot_pids_resolve(pids, &targets.npids))
			goto out;
		targets.pids = pids;
	}
	if (plan->cgroup) {
		if (ot_cgroup_resolve(plan->cgroup, cgdir, sizeof(cgdir)))
			goto out;
		targets.cgroup = cgdir;
	}
	if (plan->target == OT_TARGET_COMMAND) {
		/* a usage error, 127 or 126 of its own */
		rc = ot_command_start(plan, &cmd);
		if (rc)
			goto out;
		rc = 1;
		if (plan->new_cgroup) {
			if (ot_cgroup_create(cmd.sp.pid, cgdir, sizeof(cgdir))) {
				ot_command_wait(&cmd, plan->argv[0]);
				goto out;
			}
			targets.cgroup = cgdir;
		}
		targets.pids = &cmd.sp.pid;
		targets.npids = 1;
	}
	if (sink_open(plan, &sink, &args_re, ot_now_ns())) {
		if (plan->target == OT_TARGET_COMMAND)
			ot_command_wait(&cmd, plan->argv[0]);
		goto out;
	}
	if (plan->target == OT_TARGET_COMMAND) {
		sink.on_ready = ot_command_release;
		sink.ready_arg = &cmd;
		if (plan->new_cgroup)
			sink.cgroup_dir = cgdir;
	}
	rc = backend->run(plan, &targets, &sink) ? 1 : 0;
	if (sink_close(&sink, &args_re))
		rc = 1;
	if (plan->target == OT_TARGET_COMMAND) {
		status = ot_command_wait(&cmd, plan->argv[0]);
		if (!rc)
			rc = status;
		if (plan->new_cgroup)
			ot_cgroup_remove(cgdir);
	}
out:
	free(pids);
	return rc;
}

/* The modes, one function each; options.c lets only one be chosen. */
static int (*const modes[OT_MODE_MAX])(struct ot_plan *plan) = {
	[OT_MODE_TRACE] = do_trace,
	[OT_MODE_LIST] = do_list,
	[OT_MODE_EMIT] = do_emit,
	[OT_MODE_BUILD] = do_build,
	[OT_MODE_STAPRUN] = do_trace,
	[OT_MODE_REPLAY] = do_replay,
};

int main(int argc, char **argv)
{
	struct ot_plan plan;
	int rc;

	ot_options_parse(&plan, argc, argv);
	/* every way out of a mode frees what it took: make check-valgrind */
	rc = modes[plan.mode](&plan);
	ot_plan_free(&plan);
	return rc;
}
