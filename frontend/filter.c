#include "config.h"

#include <string.h>

#include "filter.h"
#include "msg.h"

void ot_filter_lower(struct ot_plan *plan)
{
	struct ot_filter *f = &plan->filter;
	size_t comm_len = strnlen(plan->comm, sizeof(plan->comm));
	unsigned i;

	if (comm_len >= OT_COMM_LEN || plan->max_args > OT_MAX_ARGS_LIMIT ||
	    plan->flags.nclauses > OT_MAX_CLAUSES)
		ot_error_msg_and_help("the filters exceed what the kernel side holds");
	memset(f, 0, sizeof(*f));
	f->events = plan->events;
	f->filter_pids = ot_plan_filters_pids(plan);
	f->follow = f->filter_pids && plan->follow;
	f->tid = plan->tid;
	f->filter_uid = plan->target == OT_TARGET_UID;
	f->uid = f->filter_uid ? plan->uid : 0;
	f->filter_cgroup = plan->cgroup || plan->new_cgroup;
	f->comm_len = comm_len;
	memcpy(f->comm, plan->comm, comm_len);
	/* a formula is never empty: the parser refuses one that cannot hold */
	if (plan->flags_expr) {
		f->nclauses = plan->flags.nclauses;
		for (i = 0; i < f->nclauses; i++) {
			f->clause_mask[i] = plan->flags.clause[i].mask;
			f->clause_value[i] = plan->flags.clause[i].value;
		}
	}
	f->failed_only = plan->failed_only;
	f->full_path = plan->full_path;
	f->max_args = plan->max_args;
	f->min_latency_ns = plan->min_latency_ns;
}

void ot_filter_print(FILE *out, const struct ot_filter *f, const char *before,
		     const char *between, const char *after)
{
#define PRINT(field) \
	fprintf(out, "%s%s%s%llu%s", before, #field, between, (unsigned long long)f->field, after);
	OT_FILTER_SCALARS(PRINT)
#undef PRINT
}
