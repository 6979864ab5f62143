/* What the two BPF backends share at run time: the run loop (fill the pid
 * set and the cgroup, attach, then wait, drain, tick and check liveness
 * until the end, detach, drain, read the counters), the delivery of
 * records through the one decoder, and bpf(2) on maps, whichever library
 * made them. A backend fills a struct ot_bpf_run with its maps and what
 * differs (attaching; records that come another way than a ring). */
#ifndef OPENTRACE_BACKENDS_BPFRUN_H
#define OPENTRACE_BACKENDS_BPFRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "plan.h"
#include "record.h"
#include "ring.h"
#include "sink.h"

struct ot_bpf_run {
	int pids_fd;		/* the pid set, or -1 */
	int cgroups_fd;		/* the --cgroup array, or -1 */
	int counters_fd;	/* the per-CPU array of enum ot_counter, or -1 */
	int ring_fd;		/* the ring buffer map, or -1: records come by drain */
	size_t ring_size;
	/* the program drops a process from the pid set when its last thread
	 * exits; otherwise the loop prunes ended ones as /proc says */
	bool exits_tracked;
	struct ot_decoder dec;
	/* losses a reader reported besides the program's count of them */
	uint64_t reader_lost;

	/* Maps of entries whose exit may not have come when the trace ends
	 * (open stashes, exec records, io_uring requests): each left is sent
	 * as unfinished and counted unmatched. The record is at rec_off in
	 * a value. */
	struct {
		int fd;
		size_t rec_off;
	} pending[4];
	int npending;

	void *backend;
	/* attaches the probes; on failure, after saying why, leaves what it
	 * attached for detach */
	int (*attach)(void *backend);
	void (*detach)(void *backend);
	/* optional: once detached, what the backend must do for the entries
	 * left that no map above holds */
	void (*finish)(void *backend);
	/* without a ring, the reader of the records: waits up to ms for
	 * them (-1 with errno on an error), then hands each to
	 * ot_bpf_deliver() */
	void *reader;
	int (*wait)(void *reader, int ms);
	void (*drain)(void *reader);

	/* the loop's own */
	struct ot_sink *sink;
	struct ot_ring ring;
};

/* Traces until the sink says stop or every target is gone. 0, or -1 when
 * the run failed (said why). */
int ot_bpf_run(struct ot_bpf_run *run, const struct ot_plan *plan,
	       const struct ot_targets *targets, struct ot_sink *sink);
/* Decodes one record and hands it to the sink. */
void ot_bpf_deliver(struct ot_bpf_run *run, const void *rec, size_t size);

int ot_bpf_map_update(int fd, const void *key, const void *value);
int ot_bpf_map_lookup(int fd, const void *key, void *value);
int ot_bpf_map_delete(int fd, const void *key);
/* The key after key (the first for NULL) in next: 0, or -1 at the end. */
int ot_bpf_map_next_key(int fd, const void *key, void *next);

/* The CPUs of a sysfs list such as /sys/devices/system/cpu/online
 * ("0-3,8"), as flags up to max: how many, or -1. */
int ot_cpu_list(const char *path, bool *set, int max);

#endif
