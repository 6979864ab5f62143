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
#include "sink.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
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

/* --replay: records captured elsewhere, through the backend's parser. */
static int replay(struct ot_plan *plan)
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
	memset(&sink, 0, sizeof(sink));
	install_signals();
	sink.stop = &stop_signal;
	/* the one filter that works on events in user space anyway */
	if (plan->args_match) {
		if (regcomp(&args_re, plan->args_match, REG_EXTENDED | REG_NOSUB))
			return 1;
		sink.args_re = &args_re;
	}
	sink.out = ot_output_open(&plan->out, 0);
	if (sink.out) {
		rc = backend->replay(plan, &sink) ? 1 : 0;
		if (ot_output_close(sink.out, &sink.stats) || sink.failed)
			rc = 1;
	} else {
		rc = 1;
	}
	if (plan->args_match)
		regfree(&args_re);
	ot_plan_free(plan);
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

int main(int argc, char **argv)
{
	struct ot_plan plan;
	const struct ot_backend *backend;
	struct ot_command cmd;
	struct ot_sink sink;
	char cgdir[PATH_MAX];
	regex_t args_re;
	int rc = 1, status = 0;

	ot_options_parse(&plan, argc, argv);
	memset(&sink, 0, sizeof(sink));
	if (plan.list_backends)
		return ot_backend_list(stdout, plan.out.format);
	if (plan.emit) {
		backend = ot_backend_for_emit(plan.backend);
		warn_no_full_path(&plan, backend);
		rc = backend ? backend->emit(&plan, stdout) : 1;
		if (fflush(stdout) || ferror(stdout)) {
			ot_perror_msg("writing to standard output");
			rc = 1;
		}
		ot_plan_free(&plan);
		return rc;
	}
	if (plan.build_module) {
		backend = ot_backend_for_emit(plan.backend);
		warn_no_full_path(&plan, backend);
		rc = backend && backend->build && !backend->build(&plan) ? 0 : 1;
		ot_plan_free(&plan);
		return rc;
	}
	if (plan.replay)
		return replay(&plan);
	/* From here on every way out goes through one label, which frees
	 * what the run took (valgrind checks this: make check-valgrind).
	 * A module built elsewhere needs only staprun here, not what the
	 * backend's probe asks for (stap itself, headers). */
	if (plan.staprun_module)
		backend = ot_backend_for_emit(plan.backend);
	else
		backend = ot_backend_choose(plan.backend);
	if (!backend)
		goto out;
	warn_no_full_path(&plan, backend);

	install_signals();
	sink.stop = &stop_signal;
	if (plan.cgroup) {
		if (ot_cgroup_resolve(plan.cgroup, cgdir, sizeof(cgdir)))
			goto out;
		plan.cgroup = cgdir;
	}
	if (plan.args_match) {
		/* checked when the options were parsed */
		if (regcomp(&args_re, plan.args_match, REG_EXTENDED | REG_NOSUB))
			goto out;
		sink.args_re = &args_re;
	}
	if (plan.target == OT_TARGET_COMMAND) {
		if (ot_command_start(&plan, &cmd))
			goto out;
		if (plan.new_cgroup) {
			if (ot_cgroup_create(cmd.pid, cgdir, sizeof(cgdir))) {
				ot_command_wait(&cmd, plan.argv[0]);
				goto out;
			}
			plan.cgroup = cgdir;
			sink.cgroup_dir = cgdir;
		}
		plan.pids = ot_xmalloc(sizeof(pid_t));
		plan.pids[0] = cmd.pid;
		plan.npids = 1;
		sink.on_ready = ot_command_release;
		sink.ready_arg = &cmd;
	}
	sink.start_ns = ot_now_ns();
	if (plan.duration_s > 0)
		sink.deadline_ns = sink.start_ns + (uint64_t)(plan.duration_s * 1e9);
	sink.out = ot_output_open(&plan.out, sink.start_ns);
	if (!sink.out) {
		rc = 1;
	} else {
		rc = backend->run(&plan, &sink) ? 1 : 0;
		if (ot_output_close(sink.out, &sink.stats) || sink.failed)
			rc = 1;
	}
	if (plan.target == OT_TARGET_COMMAND) {
		if (stop_signal && cmd.released)
			kill(cmd.pid, stop_signal);
		status = ot_command_wait(&cmd, plan.argv[0]);
		if (!rc)
			rc = status;
		if (plan.new_cgroup)
			ot_cgroup_remove(cgdir);
	}
out:
	if (sink.args_re)
		regfree(&args_re);
	ot_plan_free(&plan);
	return rc;
}
