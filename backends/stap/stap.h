/* The SystemTap backend's record parser, shared by live runs, --staprun,
 * --replay, the unit tests and the fuzzer. The record grammar is
 * described at the top of templates/stap/opentrace.stp. */
#ifndef OPENTRACE_BACKENDS_STAP_STAP_H
#define OPENTRACE_BACKENDS_STAP_STAP_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "plan.h"
#include "sink.h"

/* The longest path a record can carry once decoded: PATH_MAX, with room
 * for a forged record to be cut and marked rather than overflow. */
#define OT_STAP_PATH_MAX 8192
/* The longest argument list: 128 arguments of 256 bytes and their NULs. */
#define OT_STAP_ARGS_MAX (128 * 257)

enum ot_stap_record {
	OT_STAP_BAD = -1,	/* starts like a record, but is not one */
	OT_STAP_OTHER,		/* not a record: a line of the script's own */
	OT_STAP_READY,
	OT_STAP_EVENT,
	OT_STAP_END,
	OT_STAP_XENTER,		/* an exec's entry: kind, pid, dfd, flags, comm, path, args */
	OT_STAP_XEXIT,		/* its return: pid, ts, latency, tid, ppid, uid, ret */
	OT_STAP_XDROP,		/* its return, filtered out: pid */
};

struct ot_stap_parsed {
	struct ot_event ev;	/* OT_STAP_EVENT; ev.path points into path */
	uint64_t ts_ns;		/* OT_STAP_READY */
	uint64_t wall_ns;	/* OT_STAP_READY: ts_ns in CLOCK_REALTIME; 0 in
				 * records of older scripts, which lack it */
	uint64_t unmatched;	/* OT_STAP_END */
	char path[OT_STAP_PATH_MAX];
	char args[OT_STAP_ARGS_MAX];
};

/* Parses one line (without its newline) of the script's output. */
enum ot_stap_record ot_stap_parse(const char *line, size_t len, struct ot_stap_parsed *out);

/* --replay: normalizes the raw output of a script or module. */
int ot_stap_replay(const struct ot_plan *plan, struct ot_sink *sink);

#endif
