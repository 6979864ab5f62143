/* The sink: where every backend hands its events, its loss counts and its
 * readiness; the one normalizer between the backends and the output. */
#ifndef OPENTRACE_FRONTEND_SINK_H
#define OPENTRACE_FRONTEND_SINK_H

#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct ot_output;

enum ot_sink_clock {
	OT_CLOCK_LOCAL,		/* measured here, at the first event */
	OT_CLOCK_SET,		/* wall_offset_ns is known */
	OT_CLOCK_UNKNOWN,	/* replayed events without a reference */
};

struct ot_sink {
	struct ot_output *out;
	struct ot_stats stats;
	uint64_t start_ns;
	/* CLOCK_REALTIME minus CLOCK_MONOTONIC, taken once per run, so that
	 * the wall-clock times of events are as monotonic as their ts_ns. */
	enum ot_sink_clock clock;
	int64_t wall_offset_ns;
	uint64_t deadline_ns;			/* CLOCK_MONOTONIC; 0: none */
	const volatile sig_atomic_t *stop;	/* set by a signal handler */
	int (*on_ready)(void *arg);		/* releases a held command */
	void *ready_arg;
	const regex_t *args_re;			/* --args-match */
	const char *cgroup_dir;			/* --new-cgroup: ends when empty */
	uint64_t next_cgroup_check;
	uint64_t next_output_check;
	bool dirty;
	bool failed;
};

uint64_t ot_now_ns(void);

/* The wall-clock time of monotonic time mono_ns was wall_ns (from a
 * capture's reference record); wall_ns 0: the capture has none, and its
 * events have no wall-clock time. */
void ot_sink_set_clock(struct ot_sink *sink, uint64_t mono_ns, uint64_t wall_ns);

/* Normalizes ev (bounded comm, path status) and writes it out. */
void ot_sink_event(struct ot_sink *sink, const struct ot_event *ev);
/* Adds kernel-side loss: records dropped and entries never matched. */
void ot_sink_loss(struct ot_sink *sink, uint64_t lost, uint64_t unmatched);
/* The backend is attached and filtering: a held command may start now. */
int ot_sink_ready(struct ot_sink *sink);
/* Called by a backend once per batch: flushes output and says whether to
 * stop (signal, -d deadline, output that can no longer be written or
 * whose reader has gone, or an empty --new-cgroup). */
bool ot_sink_tick(struct ot_sink *sink);

#endif
