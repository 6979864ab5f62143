/* The plan's filters as one flat struct ot_filter (bpf/opentrace.h), the
 * form every backend takes them in: lowered once, here, so that no
 * backend re-derives whether a filter is on. */
#ifndef OPENTRACE_FRONTEND_FILTER_H
#define OPENTRACE_FRONTEND_FILTER_H

#include <stdio.h>

#include "plan.h"

/* Fills plan->filter from the options; exits 2 with a message if the
 * plan asks for what the kernel side cannot hold. */
void ot_filter_lower(struct ot_plan *plan);

/* Prints each scalar field of f on a line of its own: before, its name,
 * between, its value, after ("targ.", " = ", "\n" for --emit; a #define
 * for the BCC text). */
void ot_filter_print(FILE *out, const struct ot_filter *f, const char *before,
		     const char *between, const char *after);

#endif
