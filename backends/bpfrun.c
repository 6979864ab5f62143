#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfrun.h"
#include "msg.h"
#include "proc.h"

/* How long user space sleeps between drains, and how often the pid set is
 * pruned from /proc where the program does not track exits. */
#define POLL_MS 2
#define LIVENESS_NS (20 * 1000 * 1000)
#define MAX_CPUS 4096

static int map_op(int cmd, int fd, const void *key, void *value, void *next)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uintptr_t)key;
	if (next)
		attr.next_key = (uintptr_t)next;
	else
		attr.value = (uintptr_t)value;
	return syscall(__NR_bpf, cmd, &attr, sizeof(attr)) < 0 ? -1 : 0;
}

int ot_bpf_map_update(int fd, const void *key, const void *value)
{
	return map_op(BPF_MAP_UPDATE_ELEM, fd, key, (void *)value, NULL);
}

int ot_bpf_map_lookup(int fd, const void *key, void *value)
{
	return map_op(BPF_MAP_LOOKUP_ELEM, fd, key, value, NULL);
}

int ot_bpf_map_delete(int fd, const void *key)
{
	return map_op(BPF_MAP_DELETE_ELEM, fd, key, NULL, NULL);
}

int ot_bpf_map_next_key(int fd, const void *key, void *next)
{
	return map_op(BPF_MAP_GET_NEXT_KEY, fd, key, NULL, next);
}

int ot_cpu_list(const char *path, bool *set, int max)
{
	char buf[1024], *p = buf;
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	while (*p && *p != '\n') {
		long a = strtol(p, &p, 10), b = a;

		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (; a <= b && a < max; a++) {
			set[a] = true;
			n++;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return n;
}

void ot_bpf_deliver(struct ot_bpf_run *r, const void *rec, size_t size)
{
	struct ot_event ev;

	if (ot_record_decode(&r->dec, rec, size, &ev))
		ot_sink_event(r->sink, &ev);
}

static void deliver_cb(void *ctx, const void *rec, size_t size)
{
	ot_bpf_deliver(ctx, rec, size);
}

static int fill_pids(struct ot_bpf_run *r, const struct ot_plan *plan,
		     const struct ot_targets *t)
{
	__u8 one = 1;
	size_t i;

	if (!plan->filter.filter_pids)
		return 0;
	for (i = 0; i < t->npids; i++) {
		__u32 pid = t->pids[i];

		if (ot_bpf_map_update(r->pids_fd, &pid, &one)) {
			ot_perror_msg("adding pid %d to the kernel's pid set", (int)pid);
			return -1;
		}
	}
	return 0;
}

static int fill_cgroup(struct ot_bpf_run *r, const struct ot_targets *t)
{
	__u32 zero = 0;
	int fd, err;

	if (!t->cgroup)
		return 0;
	fd = open(t->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ot_perror_msg("opening cgroup %s", ot_quote(t->cgroup));
		return -1;
	}
	err = ot_bpf_map_update(r->cgroups_fd, &zero, &fd);
	if (err)
		ot_perror_msg("setting the cgroup filter to %s", ot_quote(t->cgroup));
	close(fd);
	return err;
}

/* Drops the processes that ended unseen (true when none is left): where
 * the program tracks exits, only a -p target that exited between filling
 * the set and attaching; elsewhere, each ended one. */
static bool prune_pids(struct ot_bpf_run *r)
{
	/* Pid 0 is never in the set, and the key after a missing one is the
	 * first: the walk starts there (a NULL key, the same to the kernel,
	 * is a bad read to valgrind). */
	__u32 key = 0, next;
	bool any = false;

	while (!ot_bpf_map_next_key(r->pids_fd, &key, &next)) {
		if (!ot_process_alive(next)) {
			ot_bpf_map_delete(r->pids_fd, &next);
			/* restart: the deleted key cannot lead to the next one */
			key = 0;
			continue;
		}
		any = true;
		key = next;
	}
	return !any;
}

static bool pid_set_empty(struct ot_bpf_run *r)
{
	__u32 none = 0, key;	/* as in prune_pids */

	return ot_bpf_map_next_key(r->pids_fd, &none, &key) != 0;
}

static void read_counters(struct ot_bpf_run *r)
{
	static bool possible[MAX_CPUS];
	uint64_t total[OT_CNT_MAX] = { 0 }, *vals;
	int ncpu = ot_cpu_list("/sys/devices/system/cpu/possible", possible, MAX_CPUS);
	__u32 key;
	int cpu;

	if (ncpu <= 0)
		ncpu = MAX_CPUS;
	/* per-CPU values come back for every possible CPU, 8 bytes each */
	vals = ot_xcalloc(ncpu, sizeof(*vals));
	for (key = 0; key < OT_CNT_MAX; key++) {
		if (ot_bpf_map_lookup(r->counters_fd, &key, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			total[key] += vals[cpu];
	}
	free(vals);
	/* a reader's reports and the program's count say the same losses;
	 * the program's also has those no later record reported */
	if (total[OT_CNT_RING_LOST] < r->reader_lost)
		total[OT_CNT_RING_LOST] = r->reader_lost;
	ot_sink_loss(r->sink, total[OT_CNT_LOST] + total[OT_CNT_RING_LOST],
		     total[OT_CNT_UNMATCHED]);
}

/* The key and value sizes of a map, from the kernel. */
static int map_sizes(int fd, __u32 *key_size, __u32 *value_size)
{
	struct bpf_map_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) < 0)
		return -1;
	*key_size = info.key_size;
	*value_size = info.value_size;
	return 0;
}

/* Sends what a pending map still holds as unfinished, and counts it. */
static void send_pending(struct ot_bpf_run *r, int fd, size_t rec_off)
{
	__u32 key_size, value_size;
	uint64_t now = ot_now_ns(), n = 0;
	char *key, *next, *value;

	if (fd < 0 || map_sizes(fd, &key_size, &value_size) ||
	    value_size < rec_off + sizeof(struct ot_record))
		return;
	key = ot_xcalloc(2, key_size);
	next = key + key_size;
	value = ot_xmalloc(value_size);
	/* The walk starts from an all-zero key, which no pending entry has
	 * (its thread would be the idle task), as in prune_pids. */
	while (!ot_bpf_map_next_key(fd, key, next)) {
		struct ot_record *rec = (struct ot_record *)(value + rec_off);

		memcpy(key, next, key_size);
		if (ot_bpf_map_lookup(fd, key, value))
			continue;
		rec->status |= OT_REC_UNFINISHED;
		rec->latency_ns = now - rec->ts_ns;
		rec->ts_ns = now;
		rec->ret = 0;
		ot_bpf_deliver(r, rec, value_size - rec_off);
		n++;
	}
	free(key);
	free(value);
	ot_sink_loss(r->sink, 0, n);
}

static long drain(struct ot_bpf_run *r)
{
	if (r->ring.data)
		return ot_ring_consume(&r->ring, deliver_cb, r);
	r->drain(r->reader);
	return 0;
}

int ot_bpf_run(struct ot_bpf_run *r, const struct ot_plan *plan, const struct ot_targets *t,
	       struct ot_sink *sink)
{
	bool filter_pids = plan->filter.filter_pids, attached = false;
	uint64_t next_check = 0;
	int err, rc = -1;

	r->sink = sink;
	r->dec.full_path = plan->full_path;
	r->dec.max_args = plan->filter.max_args;
	r->ring.epfd = -1;
	if (fill_pids(r, plan, t) || fill_cgroup(r, t))
		goto out;
	if (r->ring_fd >= 0 && ot_ring_open(&r->ring, r->ring_fd, r->ring_size)) {
		ot_perror_msg("mapping the ring buffer");
		goto out;
	}
	attached = true;
	if (r->attach(r->backend))
		goto out;
	if (filter_pids && prune_pids(r)) {
		/* every -p target ended before the probes were on */
		rc = 0;
		goto out;
	}
	if (ot_sink_ready(sink))
		goto out;

	for (;;) {
		err = r->ring.data ? ot_ring_wait(&r->ring, POLL_MS)
				   : (r->wait(r->reader, POLL_MS) < 0 ? -errno : 0);
		if (err >= 0)
			drain(r);
		if (err < 0 && err != -EINTR) {
			errno = -err;
			ot_perror_msg("waiting for records");
			goto out;
		}
		if (ot_sink_tick(sink))
			break;
		/* Where the program tracks exits, whether the set is empty
		 * is one syscall: asked at every pass, a run ends within
		 * POLL_MS of its last process, not up to 20 ms later (a
		 * tenth of 'opentrace -- true'). */
		if (filter_pids && r->exits_tracked) {
			if (pid_set_empty(r))
				break;
		} else if (filter_pids && ot_now_ns() >= next_check) {
			if (prune_pids(r))
				break;
			next_check = ot_now_ns() + LIVENESS_NS;
		}
	}
	rc = 0;
out:
	/* Detach first so nothing new arrives, then drain what is buffered. */
	if (attached) {
		int i;

		r->detach(r->backend);
		if (r->finish)
			r->finish(r->backend);
		for (i = 0; i < r->npending; i++)
			send_pending(r, r->pending[i].fd, r->pending[i].rec_off);
		while (drain(r) > 0)
			;
		ot_sink_tick(sink);
	}
	if (r->counters_fd >= 0)
		read_counters(r);
	ot_ring_close(&r->ring);
	return rc;
}
