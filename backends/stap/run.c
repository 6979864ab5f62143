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
#include <sys/stat.h>

#include "backend.h"
#include "internal.h"
#include "msg.h"

/* stap's module names: C identifiers, and short (its own limit). */
#define MODULE_NAME_MAX 55

static int stap_run(const struct ot_plan *plan, const struct ot_targets *targets,
		    struct ot_sink *sink)
{
	char prog[PATH_MAX], pidbuf[32];
	struct ot_stap_args argv = { 0 }, pre = { 0 };
	struct ot_stap_script s;
	struct ot_stap_child ch;
	int rc = -1;

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
		 plan->target == OT_TARGET_COMMAND ? (int)targets->pids[0] : 0);
	if (plan->staprun_module) {
		/* staprun [-b MB] -- MODULE [NAME=VALUE...]: module
		 * parameters. staprun's getopt reads options anywhere before
		 * "--", so a module named -V or -ctouch\ /x would be one. */
		ot_stap_args_add(&argv, "%s", prog);
		ot_stap_buffer_option(plan, "-b", &argv);
		ot_stap_args_add(&argv, "--");
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
	if (ot_stap_script(plan, targets->pids, targets->npids, &s))
		return -1;
	if (plan->target == OT_TARGET_COMMAND) {
		ot_stap_args_add(&pre, "-G");
		ot_stap_args_add(&pre, "%s", pidbuf);
	}
	ot_stap_buffer_option(plan, "-s", &pre);
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

/* The module's name from --build-module FILE.ko: a usage error (exit 2)
 * unless stap can take it as a module name. */
static void module_name(const char *file, char name[MODULE_NAME_MAX + 1])
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);

	if (n <= 3 || strcmp(base + n - 3, ".ko"))
		ot_error_msg_and_help("--build-module: %s does not end in .ko", ot_quote(file));
	n -= 3;
	if (n > MODULE_NAME_MAX || strspn(base, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		ot_error_msg_and_help("--build-module: a module's name is its file name without "
				      ".ko, and must be at most %d lowercase letters, digits and _ "
				      "(%s is not)", MODULE_NAME_MAX, ot_quote(base));
	memcpy(name, base, n);
	name[n] = '\0';
}

/* Whether stap made path: there now, and not the file that was there
 * before (before.st_ino 0: none was). stap exits 0 after -V or -p2 too,
 * so its status alone does not say that a module was built. */
static bool built(const char *path, const struct stat *before)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	return !before->st_ino || st.st_ino != before->st_ino || st.st_dev != before->st_dev ||
	       st.st_ctim.tv_sec != before->st_ctim.tv_sec ||
	       st.st_ctim.tv_nsec != before->st_ctim.tv_nsec;
}

/* --build-module FILE.ko [-r RELEASE]: stap -p4 writes NAME.ko into its
 * working directory, so it runs in FILE's. */
static int stap_build(const struct ot_plan *plan)
{
	char prog[PATH_MAX], name[MODULE_NAME_MAX + 1], *copy, *dir, *path;
	struct ot_stap_args argv = { 0 }, pre = { 0 };
	struct ot_stap_script s;
	struct ot_stap_child ch;
	struct stat before;
	int rc = -1;

	module_name(plan->build_module, name);
	if (ot_stap_script(plan, plan->pids, plan->npids, &s))
		return -1;
	/* reading a request needs io_uring's private structures, which the
	 * tapset cannot cast to without debuginfo: say so, do not hide it */
	if (plan->events & OT_EVENTS_OPEN)
		ot_error_msg("stap: io_uring opens are not traced by this backend "
			     "(-B libbpf traces them)");
	if (!ot_stap_find_prog("STAP_PATH", "stap", prog, sizeof(prog))) {
		ot_error_msg("--build-module: no stap binary (set STAP_PATH or install systemtap)");
		ot_stap_script_free(&s);
		return -1;
	}
	copy = ot_xstrdup(plan->build_module);
	dir = dirname(copy);
	path = ot_xasprintf("%s/%s.ko", dir, name);
	if (stat(path, &before))
		before.st_ino = 0;
	ot_stap_args_add(&pre, "-p4");
	ot_stap_args_add(&pre, "-m");
	ot_stap_args_add(&pre, "%s", name);
	if (plan->kernel_release) {
		ot_stap_args_add(&pre, "-r");
		ot_stap_args_add(&pre, "%s", plan->kernel_release);
	}
	/* the module's own buffer size, which staprun -b can still change */
	ot_stap_buffer_option(plan, "-s", &pre);
	ot_stap_argv(&argv, prog, &pre, &s, "-");
	if (ot_stap_child_start(&ch, argv.v, dir, &s) == 0) {
		if (ot_stap_child_drain(&ch)) {
			ot_stap_child_report(&ch, "stap -p4");
		} else if (!built(path, &before)) {
			ot_error_msg("--build-module: stap -p4 exited 0 but wrote no %s", path);
			if (ch.errlen)
				ot_stap_child_report(&ch, "stap -p4");
		} else {
			fprintf(stderr, "opentrace: built %s for kernel %s; run it there with "
				"'opentrace -S --staprun %s.ko%s' (or staprun)\n", path,
				plan->kernel_release ? plan->kernel_release : "this kernel", name,
				plan->target == OT_TARGET_COMMAND ? " -- CMD" : "");
			rc = 0;
		}
		ot_stap_child_free(&ch);
	}
	ot_stap_script_free(&s);
	ot_stap_args_free(&pre);
	ot_stap_args_free(&argv);
	free(path);
	free(copy);
	return rc;
}

const struct ot_backend ot_backend_stap = {
	.name = "stap",
	.probe = ot_stap_probe,
	.emit = ot_stap_emit,
	.run = stap_run,
	.build = stap_build,
	.replay = ot_stap_replay,
	.no_full_path = OT_STAP_NO_FULL_PATH,
};
