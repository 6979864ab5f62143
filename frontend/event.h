/* The normalized event: every backend delivers this, and only
 * frontend/output.c formats it. */
#ifndef OPENTRACE_FRONTEND_EVENT_H
#define OPENTRACE_FRONTEND_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds.h"

enum ot_event_status {
	OT_EV_PATH_TRUNCATED = 1 << 0,	/* the path did not fit: a prefix */
	OT_EV_PATH_UNREADABLE = 1 << 1,	/* the path pointer could not be read */
	OT_EV_ARGS_TRUNCATED = 1 << 2,	/* exec: more arguments than captured */
	OT_EV_FULL_TRUNCATED = 1 << 3,	/* full_path: the walk stopped short */
	/* Set by the sink, not by backends: */
	OT_EV_MODE_USED = 1 << 4,	/* an open that creates: mode applies */
	OT_EV_INTERRUPTED = 1 << 5,	/* a signal cut the call; the kernel
					 * restarts it or fails it with EINTR */
	/* the path could not be read when the call began and was read at
	 * its end, from memory the process could have changed meanwhile */
	OT_EV_PATH_AT_EXIT = 1 << 6,
	OT_EV_ARGS_UNREADABLE = 1 << 7,	/* exec: the arguments could not be read */
	OT_EV_UNFINISHED = 1 << 8,	/* the trace ended before the call did */
};

/* What a syscall returns inside the kernel when a signal interrupts it
 * (include/linux/errno.h). The process never sees these: the kernel turns
 * them into a restart of the call, or into EINTR. */
#define OT_ERESTARTSYS 512
#define OT_ERESTART_RESTARTBLOCK 516
/* The open flags that make open use its mode (O_CREAT, and __O_TMPFILE,
 * the bit O_TMPFILE adds to O_DIRECTORY), as the kernel's WILL_CREATE(). */
#define OT_O_CREAT 0100
#define OT_O_TMPFILE_BIT 020000000

#define OT_AT_FDCWD (-100)

struct ot_event {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	uint64_t wall_ns;	/* CLOCK_REALTIME, set by the sink; 0: unknown */
	uint64_t latency_ns;
	uint64_t cgid;
	uint64_t flags;
	int64_t ret;		/* fd, or -errno */
	uint32_t pid;
	uint32_t tid;
	uint32_t ppid;
	uint32_t uid;
	uint32_t mode;
	int32_t dfd;
	enum ot_kind kind;
	unsigned status;	/* enum ot_event_status bits */
	/* io_uring opens into the fixed-file table: the slot, not an fd */
	bool fixed_file;
	uint32_t slot;
	char comm[17];
	const char *path;	/* path_len bytes, any bytes but NUL */
	size_t path_len;
	/* -F: the absolute path the open resolved to (NULL: not resolved) */
	const char *full_path;
	size_t full_path_len;
	/* exec events: the arguments, each followed by one NUL byte */
	const char *args;
	size_t args_len;
};

/* The kind's name ("openat"), its event class (OT_EVENTS_*), and the
 * kind of a name (OT_KIND_MAX for none): bpf/kinds.h's table. */
const char *ot_kind_name(enum ot_kind kind);
unsigned ot_kind_class(enum ot_kind kind);
enum ot_kind ot_kind_from_name(const char *name, size_t len);

static inline int ot_kind_is_exec(enum ot_kind kind)
{
	return ot_kind_class(kind) == OT_EVENTS_EXEC;
}

/* Totals a run reports at its end. */
struct ot_stats {
	uint64_t events;	/* delivered and printed */
	uint64_t lost;		/* the kernel side could not hand over */
	uint64_t unmatched;	/* entries whose exit never came */
};

#endif
