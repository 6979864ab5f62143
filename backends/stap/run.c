/* -B stap (-S): tracing with a SystemTap script generated from the plan
 * (script.c), run by stap; or with a module built for another kernel
 * (--build-module, stap -p4) and run there by staprun (--staprun). The
 * script prints one text record per event, which reader.c hands on. */
#include "config.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"
#include "msg.h"
#include "proc.h"

/* stap's module names: C identifiers, and short (its own limit). */
#define MODULE_NAME_MAX 55

static int stap_run(const struct ot_plan *plan, struct ot_sink *sink)
{
	char prog[PATH_MAX], pidbuf[32], mb[16];
	struct ot_stap_args argv = { 0 }, pre = { 0 };
	struct ot_stap_script s;
	struct ot_stap_child ch;
	size_t i;
	int rc = -1;

	/* a pid that is gone would be waited for forever: the script ends
	 * when its last traced process exits, which this one did unseen */
	for (i = 0; plan->target == OT_TARGET_PID && i < plan->npids; i++) {
		if (!ot_process_alive(plan->pids[i])) {
			ot_error_msg("-p %d: no such process", (int)plan->pids[i]);
			return -1;
		}
	}
	if (plan->staprun_module) {
		if (!ot_stap_find_prog("STAPRUN_PATH", "staprun", prog, sizeof(prog))) {
			ot_error_msg("--staprun: no staprun binary (set STAPRUN_PATH or install "
				     "systemtap-runtime)");
			return -1;
		}
	} else if (!ot_stap_find_prog("STAP_PATH", "stap", prog, sizeof(prog))) {
		ot_error_msg("stap: no stap binary (set STAP_PATH or install systemtap)");
		return -1;
	}
	/* the held command: ot_cmd in the script, not -x, which would make
	 * stap read our own binary's symbols into the module (and into the
	 * hash of its cache) */
	snprintf(pidbuf, sizeof(pidbuf), "ot_cmd=%d",
		 plan->target == OT_TARGET_COMMAND ? (int)plan->pids[0] : 0);
	if (plan->staprun_module) {
		/* staprun MODULE [NAME=VALUE...]: module parameters */
		ot_stap_args_add(&argv, "%s", prog);
		ot_stap_args_add(&argv, "%s", plan->staprun_module);
		if (plan->target == OT_TARGET_COMMAND)
			ot_stap_args_add(&argv, "%s", pidbuf);
		if (ot_stap_child_start(&ch, argv.v, NULL, NULL) == 0) {
			rc = ot_stap_child_run(&ch, sink, "staprun");
			ot_stap_child_free(&ch);
		}
		ot_stap_args_free(&argv);
		return rc;
	}
	if (ot_stap_script(plan, &s))
		return -1;
	if (plan->target == OT_TARGET_COMMAND) {
		ot_stap_args_add(&pre, "-G");
		ot_stap_args_add(&pre, "%s", pidbuf);
	}
	if (plan->buffer_size) {
		/* stap sizes its buffers in whole megabytes */
		snprintf(mb, sizeof(mb), "%zu", (plan->buffer_size + (1 << 20) - 1) >> 20);
		ot_stap_args_add(&pre, "-s");
		ot_stap_args_add(&pre, "%s", mb);
	}
	ot_stap_argv(&argv, prog, &pre, &s, "-");
	if (ot_stap_child_start(&ch, argv.v, NULL, &s) == 0) {
		rc = ot_stap_child_run(&ch, sink, "stap");
		ot_stap_child_free(&ch);
	}
	ot_stap_script_free(&s);
	ot_stap_args_free(&pre);
	ot_stap_args_free(&argv);
	return rc;
}

/* --build-module FILE.ko [-r RELEASE]: stap -p4 writes NAME.ko into its
 * working directory, so it runs in FILE's. */
static int stap_build(const struct ot_plan *plan)
{
	char prog[PATH_MAX], *dir, *name, *dot, *copy = ot_xstrdup(plan->build_module);
	char *copy2 = ot_xstrdup(plan->build_module);
	struct ot_stap_args argv = { 0 }, pre = { 0 };
	struct ot_stap_script s;
	struct ot_stap_child ch;
	int rc = -1;

	if (ot_stap_script(plan, &s))
		goto out;
	/* reading a request needs io_uring's private structures, which the
	 * tapset cannot cast to without debuginfo: say so, do not hide it */
	if (plan->events & OT_EVENTS_OPEN)
		ot_error_msg("stap: io_uring opens are not traced by this backend "
			     "(-B libbpf traces them)");
	dir = dirname(copy);
	name = basename(copy2);
	dot = strrchr(name, '.');
	if (!dot || strcmp(dot, ".ko") || dot == name) {
		ot_error_msg("--build-module: '%s' does not end in .ko", plan->build_module);
		goto out_script;
	}
	*dot = '\0';
	if (strlen(name) > MODULE_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
		ot_error_msg("--build-module: a module's name is its file name without .ko, and "
			     "must be at most %d lowercase letters, digits and _ ('%s' is not)",
			     MODULE_NAME_MAX, name);
		goto out_script;
	}
	if (!ot_stap_find_prog("STAP_PATH", "stap", prog, sizeof(prog))) {
		ot_error_msg("--build-module: no stap binary (set STAP_PATH or install systemtap)");
		goto out_script;
	}
	ot_stap_args_add(&pre, "-p4");
	ot_stap_args_add(&pre, "-m");
	ot_stap_args_add(&pre, "%s", name);
	if (plan->kernel_release) {
		ot_stap_args_add(&pre, "-r");
		ot_stap_args_add(&pre, "%s", plan->kernel_release);
	}
	ot_stap_argv(&argv, prog, &pre, &s, "-");
	if (ot_stap_child_start(&ch, argv.v, dir, &s) == 0) {
		if (ot_stap_child_drain(&ch)) {
			ot_stap_child_report(&ch, "stap -p4");
		} else {
			fprintf(stderr, "opentrace: built %s/%s.ko for kernel %s; run it there with "
				"'opentrace -S --staprun %s.ko%s' (or staprun)\n", dir, name,
				plan->kernel_release ? plan->kernel_release : "this kernel", name,
				plan->target == OT_TARGET_COMMAND ? " -- CMD" : "");
			rc = 0;
		}
		ot_stap_child_free(&ch);
	}
out_script:
	ot_stap_script_free(&s);
out:
	ot_stap_args_free(&pre);
	ot_stap_args_free(&argv);
	free(copy);
	free(copy2);
	return rc;
}

const struct ot_backend ot_backend_stap = {
	.name = "stap",
	.description = "SystemTap script on the syscall tapset (any kernel stap supports; "
		       "needs loadable modules)",
	.probe = ot_stap_probe,
	.emit = ot_stap_emit,
	.run = stap_run,
	.build = stap_build,
	.replay = ot_stap_replay,
	.no_full_path = OT_STAP_NO_FULL_PATH,
};
