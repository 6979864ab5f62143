/* -B libbpf: the CO-RE program of bpf/opentrace.bpf.c, loaded through its
 * skeleton. Filters are set as rodata before load; the pid set is a map.
 * Records come through a BPF ring buffer that the kernel side fills
 * without wakeups, drained here on a short timer by a reader of our own
 * (see struct ring). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend.h"
#include "caps.h"
#include "proc.h"
#include "tracefs.h"
#include "escape.h"
#include "msg.h"
#include "opentrace.h"
#include "opentrace.skel.h"

_Static_assert(OT_MAX_CLAUSES == OT_FLAGS_MAX_CLAUSES, "flags clause limits differ");
_Static_assert(OT_COMM_LEN == 16, "comm length");
_Static_assert(OT_MAX_ARGS_LIMIT == OT_MAX_ARGS, "exec argument limits differ");

/* How long user space sleeps between drains of the ring buffer. */
#define POLL_MS 2
#define DEFAULT_RING (8u << 20)
/* openat2 has one number on every architecture; older C libraries lack it */
#ifdef SYS_openat2
#define OT_SYS_openat2 SYS_openat2
#else
#define OT_SYS_openat2 437
#endif

static int libbpf_probe(char *why, size_t len)
{
	const char *tracefs;

#if LIBBPF_MAJOR_VERSION < 1
	/* This file is written for libbpf 1.x, where errors come back as NULL
	 * and libbpf raises RLIMIT_MEMLOCK itself on kernels before 5.11
	 * that charge BPF memory to it. libbpf 0.x does so in strict mode. */
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
#endif

	if (ot_caps_check(why, len))
		return -1;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux), which CO-RE "
			 "needs; use -B bcc with kernel headers, or -B stap");
		return -1;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0 ||
	    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) <= 0) {
		snprintf(why, len, "the kernel lacks BPF ring buffers or task storage (Linux 5.11 "
			 "or later); use -B bcc");
		return -1;
	}
	tracefs = ot_tracefs_mounted();
	if (!tracefs && !ot_dir_exists("/sys/kernel/tracing")) {
		snprintf(why, len, "tracefs is not mounted and /sys/kernel/tracing does not exist");
		return -1;
	}
	if (tracefs && !ot_tracepoint_exists(tracefs, "raw_syscalls", "sys_enter")) {
		snprintf(why, len, "the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS); "
			 "use -B bcc, which can fall back to kprobes");
		return -1;
	}
	return 0;
}

static void print_clauses(FILE *out, const struct ot_plan *plan)
{
	unsigned i;

	fprintf(out, "targ_nclauses = %u\n", plan->flags.nclauses);
	for (i = 0; i < plan->flags.nclauses; i++) {
		char sym[256];

		ot_flags_format(plan->flags.clause[i].value, sym, sizeof(sym));
		fprintf(out, "clause[%u] = (flags & %#" PRIx64 ") == %#" PRIx64 "\n", i,
			plan->flags.clause[i].mask, plan->flags.clause[i].value);
	}
}

/* --emit: the program is compiled in; what a run decides is its data. */
static int libbpf_emit(const struct ot_plan *plan, FILE *out)
{
	size_t i;

	fprintf(out, "# opentrace %s, libbpf backend: bpf/opentrace.bpf.c (embedded skeleton)\n",
		PACKAGE_VERSION);
	fprintf(out, "# probes: tp_btf/sys_{enter,exit} (%s%s%s)%s tp_btf/sched_process_{fork,exit}\n",
		plan->events & OT_EVENTS_OPEN ? "open, openat, openat2, creat" : "",
		(plan->events & OT_EVENTS_OPEN) && (plan->events & OT_EVENTS_EXEC) ? ", " : "",
		plan->events & OT_EVENTS_EXEC ? "execve, execveat" : "",
		plan->events & OT_EVENTS_OPEN ?
			" tp_btf/io_uring_{submit_req,complete,req_failed}" : "");
	fprintf(out, "targ_filter_pids = %d\n", ot_plan_filters_pids(plan));
	fprintf(out, "targ_follow = %d\n", plan->follow);
	if (plan->target == OT_TARGET_COMMAND) {
		fprintf(out, "pids = { the command's pid, set at run time }\n");
	} else if (plan->target == OT_TARGET_PID) {
		fprintf(out, "pids = {");
		for (i = 0; i < plan->npids; i++)
			fprintf(out, "%s%d", i ? ", " : " ", plan->pids[i]);
		fprintf(out, " }\n");
	}
	fprintf(out, "targ_tid = %d\n", plan->tid);
	fprintf(out, "targ_filter_uid = %d\n", plan->target == OT_TARGET_UID);
	if (plan->target == OT_TARGET_UID)
		fprintf(out, "targ_uid = %u\n", plan->uid);
	fprintf(out, "targ_comm_len = %zu\n", strlen(plan->comm));
	if (plan->comm[0]) {
		fprintf(out, "targ_comm = { ");
		for (i = 0; i < strlen(plan->comm); i++)
			fprintf(out, "%#04x, ", (unsigned char)plan->comm[i]);
		fprintf(out, "}\n");
	}
	if (plan->flags_expr)
		print_clauses(out, plan);
	else
		fprintf(out, "targ_nclauses = 0\n");
	fprintf(out, "targ_filter_cgroup = %d\n", plan->cgroup || plan->new_cgroup);
	if (plan->new_cgroup)
		fprintf(out, "cgroups[0] = { a new cgroup made at run time }\n");
	else if (plan->cgroup) {
		/* a path is the user's bytes: escaped, it cannot add a line */
		fputs("cgroups[0] = { ", out);
		ot_text_string(out, plan->cgroup, strlen(plan->cgroup));
		fputs(" }\n", out);
	}
	fprintf(out, "targ_max_args = %u\n", plan->max_args);
	fprintf(out, "targ_failed_only = %d\n", plan->failed_only);
	fprintf(out, "targ_full_path = %d\n", plan->full_path);
	fprintf(out, "targ_min_latency_ns = %" PRIu64 "\n", plan->min_latency_ns);
	fprintf(out, "events.max_entries = %zu\n", plan->buffer_size ? plan->buffer_size : DEFAULT_RING);
	return 0;
}

/* -F: whether an absolute path stands as its own full path when nothing
 * was walked */
static bool plan_full_path;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Joins the components the walk wrote leaf first into "/a/b/c"; for a
 * walk of the base directory, appends the path as passed. */
static size_t join_full_path(const struct ot_raw_event *r, char *out, size_t cap)
{
	const char *comps = r->path + r->path_len + r->args_len;
	const char *end = comps + r->full_len, *p = end;
	size_t len = 0;

	/* a walk that stopped short has no root: say so in the path itself */
	if ((r->raw_flags & OT_RAW_FULL_TRUNCATED) && cap >= 3) {
		memcpy(out, "...", 3);
		len = 3;
	}

	/* components are NUL-terminated: walk back from the last NUL */
	while (p > comps) {
		const char *start = p - 1;

		while (start > comps && start[-1] != '\0')
			start--;
		if (len + 1 + (size_t)(p - 1 - start) > cap)
			break;
		out[len++] = '/';
		memcpy(out + len, start, p - 1 - start);
		len += p - 1 - start;
		p = start;
	}
	if (len == 0 && cap)
		out[len++] = '/';	/* the root itself */
	if ((r->raw_flags & OT_RAW_FULL_BASE) && r->path_len) {
		if (len > 1 && len < cap)
			out[len++] = '/';
		else if (len == 1)
			len = 1;
		if (len + r->path_len <= cap) {
			memcpy(out + len, r->path, r->path_len);
			len += r->path_len;
		}
	}
	return len;
}

/* The ring buffer's reader. libbpf's ring_buffer maps the data area twice,
 * back to back, so that a record that wraps around the end reads as one;
 * the kernel fills every page of a ring mapping when it is made, so the
 * tracer's resident set grew by twice the ring. This reader maps the data
 * once and copies the rare record that wraps into a buffer of its own:
 * the same ring costs half the memory, and the default ring is 8 MB (16
 * MB of RSS with libbpf's reader) within the tracer's budget. The layout
 * is the kernel's ABI (uapi linux/bpf.h): a consumer page, a producer
 * page, then the data; each record an 8-byte header (length, busy and
 * discard bits) and the sample, 8-byte aligned. */
struct ring {
	int epfd;			/* the map, edge-triggered */
	unsigned long *cons_pos;	/* ours, read-write */
	unsigned long *prod_pos;	/* the kernel's, read-only */
	char *data;
	size_t size, page;
	char *bounce;
	size_t bounce_size;
};

static void ring_free(struct ring *r)
{
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->cons_pos)
		munmap(r->cons_pos, r->page);
	if (r->prod_pos)
		munmap(r->prod_pos, r->page + r->size);
	free(r->bounce);
	memset(r, 0, sizeof(*r));
	r->epfd = -1;
}

/* 0, or -1 with errno set and nothing left open. */
static int ring_open(struct ring *r, int fd, size_t size)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	void *p;
	int err;

	memset(r, 0, sizeof(*r));
	r->size = size;
	r->page = sysconf(_SC_PAGESIZE);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto fail;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->cons_pos = p;
	p = mmap(NULL, r->page + size, PROT_READ, MAP_SHARED, fd, r->page);
	if (p == MAP_FAILED)
		goto fail;
	r->prod_pos = p;
	r->data = (char *)p + r->page;
	return 0;
fail:
	err = errno;
	ring_free(r);
	errno = err;
	return -1;
}

/* Hands the records committed so far to cb, one pass: a flood cannot keep
 * the caller from its other duties. A record still being written (busy)
 * ends the pass; later ones wait for it. Returns how many.
 *
 * The consumer position is published every sixteenth of the ring and at
 * the end of the pass, not after each record: the kernel reads it at
 * every reservation, from the CPU making the open, and a line written
 * here after each record moved between the CPUs about as often. */
static long ring_consume(struct ring *r, int (*cb)(void *, void *, size_t), void *ctx)
{
	unsigned long cons = __atomic_load_n(r->cons_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
	unsigned long published = cons;
	size_t mask = r->size - 1;
	long n = 0;

	while (cons < prod) {
		uint32_t *hdr = (uint32_t *)(r->data + (cons & mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		size_t off = (cons + BPF_RINGBUF_HDR_SZ) & mask, size;

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (!(len & BPF_RINGBUF_DISCARD_BIT) && size <= r->size) {
			char *sample = r->data + off;

			if (off + size > r->size) {
				/* wraps: the head is at the end, the tail at the start */
				size_t head = r->size - off;

				if (size > r->bounce_size) {
					r->bounce = ot_xreallocarray(r->bounce, 1, size);
					r->bounce_size = size;
				}
				memcpy(r->bounce, sample, head);
				memcpy(r->bounce + head, r->data, size - head);
				sample = r->bounce;
			}
			cb(ctx, sample, size);
			n++;
		}
		if (cons - published >= r->size / 16) {
			__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	if (cons != published)
		__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
	return n;
}

/* Waits ms, or less if the kernel wakes the reader (it does so only when
 * the ring is filling up): 0 or 1, or -errno. Edge-triggered, so records
 * merely pending do not end the wait: poll() or a level-triggered epoll
 * return at once whenever a record is there, which turns the drain into a
 * busy loop of a few records per pass under load, bouncing the ring's
 * positions between the CPUs. */
static int ring_wait(struct ring *r, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(r->epfd, &ev, 1, ms);

	return n < 0 ? -errno : n;
}

static int on_record(void *ctx, void *data, size_t size)
{
	static char full[OT_FULL_MAX + OT_PATH_MAX + 2];
	const struct ot_raw_event *r = data;
	struct ot_event ev;

	if (size < sizeof(*r) || size < sizeof(*r) + r->path_len)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = r->ts_ns;
	ev.latency_ns = r->latency_ns;
	ev.cgid = r->cgid;
	ev.flags = r->flags;
	ev.ret = r->ret;
	ev.pid = r->pid;
	ev.tid = r->tid;
	ev.ppid = r->ppid;
	ev.uid = r->uid;
	ev.mode = r->mode;
	ev.dfd = r->dfd;
	switch (r->kind) {
	case OT_RAW_OPEN: ev.kind = OT_KIND_OPEN; break;
	case OT_RAW_OPENAT: ev.kind = OT_KIND_OPENAT; break;
	case OT_RAW_OPENAT2: ev.kind = OT_KIND_OPENAT2; break;
	case OT_RAW_CREAT: ev.kind = OT_KIND_CREAT; break;
	case OT_RAW_EXECVE: ev.kind = OT_KIND_EXECVE; break;
	case OT_RAW_EXECVEAT: ev.kind = OT_KIND_EXECVEAT; break;
	case OT_RAW_URING_OPENAT: ev.kind = OT_KIND_URING_OPENAT; break;
	case OT_RAW_URING_OPENAT2: ev.kind = OT_KIND_URING_OPENAT2; break;
	default: return 0;
	}
	/* a direct open names its slot, or asks for one and gets it back */
	if (r->file_slot) {
		ev.fixed_file = true;
		ev.slot = r->file_slot == OT_IORING_FILE_INDEX_ALLOC ? (uint32_t)r->ret
								      : r->file_slot - 1;
	}
	if (size < sizeof(*r) + r->path_len + r->args_len + r->full_len)
		return 0;
	if (r->raw_flags & OT_RAW_FULL) {
		ev.full_path = full;
		ev.full_path_len = join_full_path(r, full, sizeof(full));
	} else if (plan_full_path && !(r->raw_flags & OT_RAW_UNREADABLE) && r->path_len &&
		   r->path[0] == '/') {
		/* nothing walked (a failed open, a fixed-file slot): an absolute
		 * path is its own would-be path */
		ev.full_path = r->path;
		ev.full_path_len = r->path_len;
	}
	if (r->raw_flags & OT_RAW_FULL_TRUNCATED)
		ev.status |= OT_EV_FULL_TRUNCATED;
	if (r->raw_flags & OT_RAW_ARGS_TRUNCATED)
		ev.status |= OT_EV_ARGS_TRUNCATED;
	ev.args = r->path + r->path_len;
	ev.args_len = r->args_len;
	if (r->raw_flags & OT_RAW_TRUNCATED)
		ev.status |= OT_EV_PATH_TRUNCATED;
	if (r->raw_flags & OT_RAW_UNREADABLE)
		ev.status |= OT_EV_PATH_UNREADABLE;
	memcpy(ev.comm, r->comm, OT_COMM_LEN);
	ev.path = r->path;
	ev.path_len = r->path_len;
	ot_sink_event(ctx, &ev);
	return 0;
}

static void set_rodata(struct opentrace_bpf *skel, const struct ot_plan *plan, size_t ring)
{
	unsigned i;

	skel->rodata->targ_self_tgid = getpid();
	skel->rodata->targ_filter_pids = ot_plan_filters_pids(plan);
	skel->rodata->targ_filter_cgroup = plan->cgroup != NULL;
	skel->rodata->targ_max_args = plan->max_args;
	skel->rodata->targ_follow = plan->follow;
	skel->rodata->targ_tid = plan->tid;
	skel->rodata->targ_filter_uid = plan->target == OT_TARGET_UID;
	skel->rodata->targ_uid = plan->uid;
	skel->rodata->targ_comm_len = strlen(plan->comm);
	memcpy((void *)skel->rodata->targ_comm, plan->comm, sizeof(plan->comm));
	skel->rodata->targ_nclauses = plan->flags_expr ? plan->flags.nclauses : 0;
	for (i = 0; i < plan->flags.nclauses; i++) {
		skel->rodata->targ_clause_mask[i] = plan->flags.clause[i].mask;
		skel->rodata->targ_clause_value[i] = plan->flags.clause[i].value;
	}
	skel->rodata->targ_failed_only = plan->failed_only;
	skel->rodata->targ_full_path = plan->full_path;
	skel->rodata->targ_min_latency_ns = plan->min_latency_ns;
	/* wake user space early when an eighth of the ring is pending */
	skel->rodata->targ_wakeup_bytes = ring / 8;
}

/* The syscalls traced, by this architecture's numbers (-1: it has none,
 * as arm64 has no open(2)), and the io_uring programs, left out unless
 * opens are asked for and the kernel has their tracepoints. */
static void set_syscalls(struct opentrace_bpf *skel, const struct ot_plan *plan,
			 const char *tracefs)
{
	bool uring = plan->events & OT_EVENTS_OPEN;

#ifdef SYS_open
	skel->rodata->nr_open = SYS_open;
#endif
#ifdef SYS_creat
	skel->rodata->nr_creat = SYS_creat;
#endif
	skel->rodata->nr_openat = SYS_openat;
	skel->rodata->nr_openat2 = OT_SYS_openat2;
	skel->rodata->nr_execve = SYS_execve;
	skel->rodata->nr_execveat = SYS_execveat;
	skel->rodata->targ_opens = plan->events & OT_EVENTS_OPEN;
	skel->rodata->targ_execs = plan->events & OT_EVENTS_EXEC;

	if (uring && !(ot_tracepoint_exists(tracefs, "io_uring", "io_uring_submit_req") &&
		       ot_tracepoint_exists(tracefs, "io_uring", "io_uring_complete") &&
		       ot_tracepoint_exists(tracefs, "io_uring", "io_uring_req_failed"))) {
		ot_error_msg("io_uring opens are not traced on this kernel: it lacks the "
			     "io_uring_submit_req, io_uring_complete or io_uring_req_failed "
			     "tracepoint (Linux 6.4 or later has them)");
		uring = false;
	}
	if (!uring) {
		bpf_program__set_autoload(skel->progs.ot_uring_submit, false);
		bpf_program__set_autoload(skel->progs.ot_uring_failed, false);
		bpf_program__set_autoload(skel->progs.ot_uring_complete, false);
	}
}

/* Fills the pid set. Targets that are gone (or zombies, whose exit the
 * kernel side can no longer see) are refused up front. */
static int fill_pids(struct opentrace_bpf *skel, const struct ot_plan *plan)
{
	int fd = bpf_map__fd(skel->maps.pids);
	__u8 one = 1;
	size_t i;

	for (i = 0; i < plan->npids; i++) {
		__u32 pid = plan->pids[i];

		if (plan->target == OT_TARGET_PID && !ot_process_alive(pid)) {
			ot_error_msg("-p %d: no such process", pid);
			return -1;
		}
		if (bpf_map_update_elem(fd, &pid, &one, BPF_ANY)) {
			ot_perror_msg("libbpf: adding pid %d to the pid set", pid);
			return -1;
		}
	}
	return 0;
}

static int fill_cgroup(struct opentrace_bpf *skel, const struct ot_plan *plan)
{
	__u32 zero = 0;
	int fd, err;

	if (!plan->cgroup)
		return 0;
	fd = open(plan->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ot_perror_msg("libbpf: opening cgroup %s", plan->cgroup);
		return -1;
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.cgroups), &zero, &fd, BPF_ANY);
	if (err)
		ot_perror_msg("libbpf: setting the cgroup filter to %s", plan->cgroup);
	close(fd);
	return err ? -1 : 0;
}

/* A -p target may have exited between fill_pids and attach, unseen. */
static void prune_dead(struct opentrace_bpf *skel, const struct ot_plan *plan)
{
	int fd = bpf_map__fd(skel->maps.pids);
	size_t i;

	if (plan->target != OT_TARGET_PID)
		return;
	for (i = 0; i < plan->npids; i++) {
		__u32 pid = plan->pids[i];

		if (!ot_process_alive(pid))
			bpf_map_delete_elem(fd, &pid);
	}
}

static bool pid_set_empty(struct opentrace_bpf *skel)
{
	/* Pid 0 is never in the set, and the key after a missing one is the
	 * first: the same as a NULL key, which valgrind takes for a bad read. */
	__u32 none = 0, key;

	return bpf_map_get_next_key(bpf_map__fd(skel->maps.pids), &none, &key) != 0;
}

static void read_counters(struct opentrace_bpf *skel, struct ot_sink *sink)
{
	int fd = bpf_map__fd(skel->maps.counters);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total[OT_CNT_MAX] = { 0 };
	__u64 *vals;
	__u32 key;
	int cpu;

	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (key = 0; key < OT_CNT_MAX; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			total[key] += vals[cpu];
	}
	free(vals);
	ot_sink_loss(sink, total[OT_CNT_LOST], total[OT_CNT_UNMATCHED]);
}

/* libbpf 1.1 reads the kernel's BTF (5.5 MB here) into one buffer and
 * copies it into another, both new memory touched 4 KB at a time. Where
 * the hypervisor shadows the guest's page tables, as on the development
 * VM, a page fault costs ~35 us: those 11 MB were 50-100 ms of every
 * start, more than anything else. So the load runs on heap memory asked
 * for huge pages before anything touches it (a few 2 MB faults instead of
 * 2800), and the heap is trimmed afterwards. Peak RSS grows by 1-2 MB
 * (whole huge pages), to 15-16 MB. glibc's allocator only. */
static int load_on_huge_pages(struct opentrace_bpf *skel)
{
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD) && defined(MADV_HUGEPAGE)
	const size_t span = 16u << 20, huge = 2u << 20, dflt = 128u << 10;
	uintptr_t start, end;
	char *p;
	int err;

	/* large blocks from the heap, and the heap kept when they are freed */
	mallopt(M_MMAP_THRESHOLD, 2 * span);
	mallopt(M_TRIM_THRESHOLD, 2 * span);
	p = malloc(span);
	if (p) {
		start = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1);
		end = ((uintptr_t)p + span) & ~(uintptr_t)(huge - 1);
		if (end > start)
			madvise((void *)start, end - start, MADV_HUGEPAGE);
		free(p);
	}
	err = opentrace_bpf__load(skel);
	mallopt(M_MMAP_THRESHOLD, dflt);
	mallopt(M_TRIM_THRESHOLD, dflt);
	malloc_trim(0);
	return err;
#else
	return opentrace_bpf__load(skel);
#endif
}

static int libbpf_run(const struct ot_plan *plan, struct ot_sink *sink)
{
	size_t ring = plan->buffer_size ? plan->buffer_size : DEFAULT_RING;
	bool filter_pids = ot_plan_filters_pids(plan);
	struct opentrace_bpf *skel = NULL;
	struct ring rb = { .epfd = -1 };
	const char *tracefs;
	int err, rc = -1;

	libbpf_set_print(print_libbpf);
	plan_full_path = plan->full_path;
	tracefs = ot_tracefs_ensure("libbpf");
	if (!tracefs)
		return -1;
	skel = opentrace_bpf__open();
	if (!skel) {
		ot_perror_msg("libbpf: opening the BPF object");
		return -1;
	}
	set_rodata(skel, plan, ring);
	set_syscalls(skel, plan, tracefs);
	if (bpf_map__set_max_entries(skel->maps.events, ring)) {
		ot_error_msg("libbpf: cannot size the ring buffer to %zu bytes", ring);
		goto out;
	}
	if ((plan->full_path || (plan->events & OT_EVENTS_EXEC)) &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0) {
		if (plan->full_path)
			ot_error_msg("-F needs the bpf_loop helper (Linux 5.17 or later) to walk "
				     "paths in the kernel; drop -F on this kernel");
		else
			ot_error_msg("--events exec needs the bpf_loop helper (Linux 5.17 or later); "
				     "on this kernel use -B bcc for exec events");
		goto out;
	}
	err = load_on_huge_pages(skel);
	if (err) {
		errno = -err;
		ot_perror_msg("libbpf: loading the BPF program (the verifier's log is above)");
		goto out;
	}
	if (fill_pids(skel, plan) || fill_cgroup(skel, plan))
		goto out;
	err = opentrace_bpf__attach(skel);
	if (err) {
		errno = -err;
		ot_perror_msg("libbpf: attaching the probes");
		goto out;
	}
	prune_dead(skel, plan);
	if (ring_open(&rb, bpf_map__fd(skel->maps.events), ring)) {
		ot_perror_msg("libbpf: mapping the ring buffer");
		goto out;
	}
	if (ot_sink_ready(sink))
		goto out;

	for (;;) {
		err = ring_wait(&rb, POLL_MS);
		if (err >= 0)
			ring_consume(&rb, on_record, sink);
		if (err < 0 && err != -EINTR) {
			errno = -err;
			ot_perror_msg("libbpf: reading the ring buffer");
			goto out;
		}
		if (ot_sink_tick(sink))
			break;
		/* at every pass (one syscall): a run ends within POLL_MS of
		 * its last process, not 20 ms later as with a coarser check */
		if (filter_pids && pid_set_empty(skel))
			break;
	}
	rc = 0;
out:
	/* Detach first so nothing new arrives, then drain what is buffered. */
	if (skel)
		opentrace_bpf__detach(skel);
	if (rb.data) {
		while (ring_consume(&rb, on_record, sink) > 0)
			;
		ot_sink_tick(sink);
		read_counters(skel, sink);
		ring_free(&rb);
	}
	opentrace_bpf__destroy(skel);
	return rc;
}

const struct ot_backend ot_backend_libbpf = {
	.name = "libbpf",
	.description = "CO-RE BPF program on the syscall tracepoints (Linux 5.11+ with BTF)",
	.caps = OT_CAP_FULL_PATH,
	.probe = libbpf_probe,
	.emit = libbpf_emit,
	.run = libbpf_run,
};
