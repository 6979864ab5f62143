#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "output.h"
#include "sink.h"

uint64_t ot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One reading of CLOCK_REALTIME against CLOCK_MONOTONIC: the realtime
 * read bracketed by two monotonic ones, the tightest pair of a few. */
static int64_t local_wall_offset(void)
{
	struct timespec m1, r, m2;
	uint64_t best = UINT64_MAX;
	int64_t offset = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t a, b, w;

		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		a = (uint64_t)m1.tv_sec * 1000000000ull + m1.tv_nsec;
		b = (uint64_t)m2.tv_sec * 1000000000ull + m2.tv_nsec;
		w = (uint64_t)r.tv_sec * 1000000000ull + r.tv_nsec;
		if (b - a < best) {
			best = b - a;
			offset = (int64_t)(w - (a + (b - a) / 2));
		}
	}
	return offset;
}

void ot_sink_set_clock(struct ot_sink *sink, uint64_t mono_ns, uint64_t wall_ns)
{
	sink->clock = wall_ns ? OT_CLOCK_SET : OT_CLOCK_UNKNOWN;
	sink->wall_offset_ns = (int64_t)(wall_ns - mono_ns);
}

/* execsnoop's -l: some one argument matches. */
static bool args_match(const regex_t *re, const char *args, size_t len)
{
	const char *end = args + len;

	while (args < end) {
		size_t n = strnlen(args, end - args);
		regmatch_t m = { 0, (regoff_t)n };

		if (!regexec(re, args, 1, &m, REG_STARTEND))
			return true;
		args += n + 1;
	}
	return false;
}

void ot_sink_event(struct ot_sink *sink, const struct ot_event *ev)
{
	struct ot_event e = *ev;

	if (ot_kind_is_exec(e.kind)) {
		if (!e.args)
			e.args_len = 0;
		if (sink->args_re && !args_match(sink->args_re, e.args, e.args_len))
			return;
	}

	if (sink->clock == OT_CLOCK_LOCAL) {
		sink->wall_offset_ns = local_wall_offset();
		sink->clock = OT_CLOCK_SET;
	}
	e.wall_ns = sink->clock == OT_CLOCK_SET ? e.ts_ns + sink->wall_offset_ns : 0;
	/* Decided here, once for every backend: mode only where the kernel
	 * used it (it is whatever the register held otherwise), and a return
	 * that no process ever sees as an interruption, not as an error. */
	e.status &= ~(OT_EV_MODE_USED | OT_EV_INTERRUPTED);
	if (e.kind == OT_KIND_CREAT ||
	    (!ot_kind_is_exec(e.kind) && (e.flags & (OT_O_CREAT | OT_O_TMPFILE_BIT))))
		e.status |= OT_EV_MODE_USED;
	else
		e.mode = 0;
	if (e.ret <= -OT_ERESTARTSYS && e.ret >= -OT_ERESTART_RESTARTBLOCK)
		e.status |= OT_EV_INTERRUPTED;
	e.comm[sizeof(e.comm) - 1] = '\0';
	e.comm[strnlen(e.comm, 16)] = '\0';
	if (!e.path)
		e.path = "";
	/* A path cut at a NUL the backend copied is cut, not forged. */
	e.path_len = strnlen(e.path, e.path_len);
	sink->stats.events++;
	sink->dirty = true;
	ot_output_event(sink->out, &e);
}

void ot_sink_loss(struct ot_sink *sink, uint64_t lost, uint64_t unmatched)
{
	sink->stats.lost += lost;
	sink->stats.unmatched += unmatched;
}

int ot_sink_ready(struct ot_sink *sink)
{
	if (ot_output_start(sink->out)) {
		sink->failed = true;
		return -1;
	}
	if (sink->on_ready)
		return sink->on_ready(sink->ready_arg);
	/* With no command to end the run, say how to end it; tests wait for
	 * this line to know the probes are live. */
	fputs("opentrace: tracing, Ctrl-C to end\n", stderr);
	return 0;
}

bool ot_sink_tick(struct ot_sink *sink)
{
	if (sink->dirty) {
		sink->dirty = false;
		if (ot_output_flush(sink->out))
			sink->failed = true;
	}
	if (!sink->failed && ot_now_ns() >= sink->next_output_check) {
		if (ot_output_check(sink->out))
			sink->failed = true;
		sink->next_output_check = ot_now_ns() + 50 * 1000 * 1000;
	}
	if (sink->failed || (sink->stop && *sink->stop))
		return true;
	if (sink->deadline_ns && ot_now_ns() >= sink->deadline_ns)
		return true;
	if (sink->cgroup_dir && ot_now_ns() >= sink->next_cgroup_check) {
		if (!ot_cgroup_populated(sink->cgroup_dir))
			return true;
		sink->next_cgroup_check = ot_now_ns() + 20 * 1000 * 1000;
	}
	return false;
}
