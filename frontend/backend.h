/* The backend ops table. A backend lives in backends/NAME.c and fills one
 * struct ot_backend; frontend/backend.c registers them in order of
 * preference. */
#ifndef OPENTRACE_FRONTEND_BACKEND_H
#define OPENTRACE_FRONTEND_BACKEND_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "plan.h"
#include "sink.h"

/* What a backend can do beyond the common plan. */
enum ot_backend_cap {
	OT_CAP_FULL_PATH = 1 << 0,	/* resolves -F full paths */
};

/* What a run resolved before tracing, beside the plan: the processes the
 * pid set starts with (the live -p targets, or the command's pid) and the
 * cgroup v2 directory (--cgroup resolved, or the one --new-cgroup made). */
struct ot_targets {
	const pid_t *pids;
	size_t npids;
	const char *cgroup;		/* NULL: none */
};

/* Every operation returns 0 on success and -1 on failure, having said
 * why; main() turns -1 into exit status 1. */
struct ot_backend {
	const char *name;
	unsigned caps;			/* enum ot_backend_cap bits */
	/* without OT_CAP_FULL_PATH: why, for the one message at start */
	const char *no_full_path;
	/* 0 when usable on this host; otherwise a sentence in why saying what
	 * is missing and what to do about it. */
	int (*probe)(char *why, size_t len);
	/* Prints what would be loaded, without tracing. */
	int (*emit)(const struct ot_plan *plan, FILE *out);
	/* Traces until the sink says stop or every target is gone; hands
	 * events to the sink and reports loss through it. */
	int (*run)(const struct ot_plan *plan, const struct ot_targets *targets,
		   struct ot_sink *sink);
	/* Optional (NULL when the backend has none). Builds what run would
	 * load, for another host (--build-module). */
	int (*build)(const struct ot_plan *plan);
	/* Optional. Normalizes records captured by an emitted program
	 * (--replay); the sink's output is open. */
	int (*replay)(const struct ot_plan *plan, struct ot_sink *sink);
};

/* The named backend, or the first usable one when name is NULL; NULL with
 * a message printed when there is none. */
const struct ot_backend *ot_backend_choose(const char *name);
bool ot_backend_known(const char *name);
/* The backend that prints a program for --emit: the named one, or the
 * first built, whether or not it could run on this host. */
const struct ot_backend *ot_backend_for_emit(const char *name);
/* Says which backends can run here and why not: a line each (text), or
 * with --format json or jsonl one JSON object that adds the kernel
 * release, BTF and the backend a run would choose. 0, or 1 if the output
 * could not be written. */
int ot_backend_list(FILE *out, enum ot_format format);

#endif
