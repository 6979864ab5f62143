/* struct ot_plan: everything the options decided, the one input of every
 * backend. Targets are exclusive; the filters are a conjunction of atoms,
 * the flags formula among them arriving as a DNF of (mask, value) clauses. */
#ifndef OPENTRACE_FRONTEND_PLAN_H
#define OPENTRACE_FRONTEND_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include "flags.h"
#include "opentrace.h"

/* The most exec arguments --max-args may ask for. */
#define OT_MAX_ARGS OT_MAX_ARGS_LIMIT
/* The most process IDs -p may name (the libbpf backend's pid set holds
 * them and OT_PID_ROOM more, for descendants: backends/libbpf.c). */
#define OT_MAX_PIDS 65536

enum ot_target {
	OT_TARGET_ALL,
	OT_TARGET_PID,
	OT_TARGET_UID,
	OT_TARGET_COMMAND,
};

/* What opentrace is asked to do; each has its function in opentrace.c. */
enum ot_mode {
	OT_MODE_TRACE,		/* the default */
	OT_MODE_LIST,		/* --list-backends */
	OT_MODE_EMIT,		/* --emit */
	OT_MODE_BUILD,		/* --build-module */
	OT_MODE_STAPRUN,	/* --staprun */
	OT_MODE_REPLAY,		/* --replay */
	OT_MODE_MAX
};

enum ot_format {
	OT_FORMAT_TEXT,
	OT_FORMAT_CSV,
	OT_FORMAT_JSON,
	OT_FORMAT_JSONL,
};

struct ot_output_spec {
	enum ot_format format;
	const char *path;	/* NULL: stdout */
	bool timestamp;		/* -T */
	bool wall_time;		/* --print-time */
	bool uid;		/* -U */
	bool user;		/* --print-user */
	bool extended;		/* -e */
	bool ppid;		/* a PPID column (text), when following */
	unsigned events;	/* the event classes traced, for the columns */
	bool full_path;		/* -F: a full_path field */
	const char *fields;	/* --fields, or NULL for the format's default */
	const char *host;	/* the host field: --host, else the node name;
				 * NULL for --replay without --host (unknown) */
};

struct ot_plan {
	enum ot_target target;
	const char *target_opt;		/* the option that chose it, for messages */
	enum ot_mode mode;
	pid_t *pids;			/* -p, as given */
	size_t npids;
	uid_t uid;			/* -u */
	char **argv;			/* -- CMD ARGS, or sh -c CMD for -c */
	bool follow;			/* descendants of the targets too */
	const char *cgroup;		/* --cgroup, as given */
	bool new_cgroup;		/* run the command in a fresh cgroup and
					 * trace the cgroup, not the pid tree */
	const char *run_as;		/* --user: who runs the command */

	unsigned events;		/* OT_EVENTS_* bits (--events) */
	unsigned max_args;		/* exec: arguments captured (--max-args) */
	const char *args_match;		/* exec: --args-match REGEX, user space */

	pid_t tid;			/* -t, 0 for any */
	char comm[16];			/* -n substring, "" for any */
	bool failed_only;		/* -x */
	bool full_path;			/* -F: resolve paths in the kernel */
	const char *flags_expr;		/* --flags as given */
	struct ot_flags_dnf flags;	/* its DNF; nclauses 0 when no formula */
	uint64_t min_latency_ns;	/* -L */
	double duration_s;		/* -d, 0 for no limit */

	const char *backend;		/* -B, NULL to choose */
	size_t buffer_size;		/* kernel buffer bytes, 0 for default */

	/* The legacy-fleet modes of -B stap: build a module for another
	 * kernel, run such a module, or normalize output captured elsewhere. */
	const char *build_module;	/* --build-module FILE.ko */
	const char *kernel_release;	/* -r RELEASE, with --build-module */
	const char *staprun_module;	/* --staprun FILE.ko */
	const char *replay;		/* --replay FILE */

	struct ot_output_spec out;
	char nodename[65];		/* uname's, the default host field */

	/* The filters above, lowered once for every backend (filter.h). */
	struct ot_filter filter;
};

/* Whether the kernel side keeps a pid set: for -p and for a command,
 * except one in --new-cgroup, which is traced by its cgroup instead. */
static inline bool ot_plan_filters_pids(const struct ot_plan *plan)
{
	return plan->target == OT_TARGET_PID ||
	       (plan->target == OT_TARGET_COMMAND && !plan->new_cgroup);
}

/* Parses argv into plan; prints a message and exits 2 on a usage error. */
void ot_options_parse(struct ot_plan *plan, int argc, char **argv);
void ot_plan_free(struct ot_plan *plan);

#endif
