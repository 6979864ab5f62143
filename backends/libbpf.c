/* -B libbpf: the CO-RE program of bpf/opentrace.bpf.c. The filter is set
 * as rodata before load; the pid set and the cgroup are maps. Records come
 * through a BPF ring buffer that the kernel side fills without wakeups,
 * drained on a short timer by the run loop both BPF backends share
 * (backends/bpfrun.c).
 *
 * Two loaders, one program. The light skeleton (bpftool gen skeleton -L)
 * hands the kernel a loader program that creates the maps and loads the
 * programs, the kernel doing the CO-RE relocations against its own BTF:
 * nothing parses the kernel's BTF in user space, which is most of what
 * libbpf's loader spends at a start (see bench/README.md). It needs Linux
 * 5.17 or later and io_uring's tracepoints, which its programs name (one
 * light skeleton per name of the submission tracepoint); where it cannot
 * run, libbpf's skeleton loads the same object.
 * OPENTRACE_LIBBPF_LOADER=skeleton or =light chooses one (light then fails
 * rather than falling back). Either way the programs are attached, and
 * the task iterator run, by their descriptors, here. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend.h"
#include "bpfrun.h"
#include "caps.h"
#include "escape.h"
#include "filter.h"
#include "msg.h"
#include "opentrace.skel.h"
#ifdef HAVE_LIBBPF_LSKEL
#include "opentrace.lskel.h"
#include "opentrace-sqe.lskel.h"
#endif
#include "tracefs.h"

#define DEFAULT_RING (8u << 20)
/* syscalls this architecture lacks (open and creat on arm64), and
 * openat2, which has one number everywhere, for older C libraries */
#ifndef SYS_open
#define SYS_open -1
#endif
#ifndef SYS_creat
#define SYS_creat -1
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
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

/* --emit: the program is compiled in; what a run decides is its data,
 * the filter the front-end lowered, printed as the program reads it. */
static int libbpf_emit(const struct ot_plan *plan, FILE *out)
{
	const struct ot_filter *f = &plan->filter;
	unsigned i;

	fprintf(out, "# opentrace %s, libbpf backend: bpf/opentrace.bpf.c (embedded skeleton)\n",
		PACKAGE_VERSION);
	fprintf(out, "# probes: tp_btf/sys_{enter,exit} (%s%s%s)%s tp_btf/sched_process_{fork,exit}%s\n",
		f->events & OT_EVENTS_OPEN ? "open, openat, openat2, creat" : "",
		(f->events & OT_EVENTS_OPEN) && (f->events & OT_EVENTS_EXEC) ? ", " : "",
		f->events & OT_EVENTS_EXEC ? "execve, execveat" : "",
		f->events & OT_EVENTS_OPEN ? " tp_btf/io_uring_{submit_req,complete,req_failed}" : "",
		f->events & OT_EVENTS_EXEC ? " tp_btf/sched_process_exec" : "");
	ot_filter_print(out, f, "targ.", " = ", "\n");
	for (i = 0; i < f->comm_len; i++)
		fprintf(out, "%s%#04x%s", i ? ", " : "targ.comm = { ", (unsigned char)f->comm[i],
			i + 1 == f->comm_len ? " }\n" : "");
	for (i = 0; i < f->nclauses; i++)
		fprintf(out, "targ.clause[%u] = (flags & %#" PRIx64 ") == %#" PRIx64 "\n", i,
			(uint64_t)f->clause_mask[i], (uint64_t)f->clause_value[i]);
	if (plan->target == OT_TARGET_COMMAND) {
		fprintf(out, "pids = { the command's pid, set at run time }\n");
	} else if (plan->target == OT_TARGET_PID) {
		for (i = 0; i < plan->npids; i++)
			fprintf(out, "%s%d", i ? ", " : "pids = { ", plan->pids[i]);
		fprintf(out, " }\n");
	}
	if (plan->new_cgroup) {
		fprintf(out, "cgroups[0] = { a new cgroup made at run time }\n");
	} else if (plan->cgroup) {
		/* a path is the user's bytes: escaped, it cannot add a line */
		fputs("cgroups[0] = { ", out);
		ot_text_string(out, plan->cgroup, strlen(plan->cgroup));
		fputs(" }\n", out);
	}
	fprintf(out, "events.max_entries = %zu\n", plan->buffer_size ? plan->buffer_size : DEFAULT_RING);
	return 0;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The programs, by their descriptors, whichever loader made them: attached
 * in this order, the process tree's first; what each is on, for errors.
 * The task iterator is run once, at the end, by finish(). */
#define OT_LIBBPF_PROGS(X)							\
	X(FORK, ot_fork, "sched_process_fork")					\
	X(EXIT, ot_proc_exit, "sched_process_exit")				\
	X(EXEC, ot_exec_done, "sched_process_exec")				\
	X(SYS_ENTER, ot_sys_enter, "sys_enter")					\
	X(SYS_EXIT, ot_sys_exit, "sys_exit")					\
	X(URING_SUBMIT, ot_uring_submit, "io_uring's submission")		\
	X(URING_FAILED, ot_uring_failed, "io_uring_req_failed")			\
	X(URING_COMPLETE, ot_uring_complete, "io_uring_complete")		\
	X(UNFINISHED, ot_unfinished, "the task iterator")

enum prog {
#define PROG_ENUM(id, name, on) PROG_##id,
	OT_LIBBPF_PROGS(PROG_ENUM)
#undef PROG_ENUM
	NPROGS
};

static const char *const prog_names[NPROGS] = {
#define PROG_ON(id, name, on) on,
	OT_LIBBPF_PROGS(PROG_ON)
#undef PROG_ON
};

/* the maps the run loop needs */
#define OT_LIBBPF_MAPS(X) X(pids) X(cgroups) X(counters) X(events) X(execs) X(urings)

struct libbpf_state {
	struct opentrace_bpf *skel;	/* libbpf's loader, or a light skeleton */
	void *light;
	void (*light_destroy)(void *light);
	int prog[NPROGS];
	int link[NPROGS];
	bool want[NPROGS];
#define MAP_FD(name) int name;
	struct {
		OT_LIBBPF_MAPS(MAP_FD)
	} maps;
#undef MAP_FD
};

/* What io_uring's programs can attach to: the submission tracepoint this
 * kernel has (NULL for none), and whether the other two are there. */
struct uring_points {
	const char *submit;
	bool usable;
};

static struct uring_points uring_points(const char *tracefs)
{
	struct uring_points u = { .submit = ot_uring_submit_tracepoint(tracefs) };

	u.usable = u.submit && ot_tracepoint_exists(tracefs, "io_uring", "io_uring_complete") &&
		   ot_tracepoint_exists(tracefs, "io_uring", "io_uring_req_failed");
	return u;
}

static void set_nr(long *nr)
{
#define NR(kind, name, class) nr[OT_KIND_##kind] = SYS_##name;
	OT_SYSCALLS(NR)
#undef NR
}

/* The rodata both skeletons declare alike (bpf/opentrace.bpf.c's targ*):
 * the filter, this process, the wakeup mark (an eighth of the ring
 * pending), and the syscalls traced, by this architecture's numbers. */
#define SET_RODATA(ro, plan, ring) do {							\
	memcpy((void *)&(ro)->targ, &(plan)->filter, sizeof((plan)->filter));		\
	(ro)->targ_self_tgid = getpid();						\
	(ro)->targ_wakeup_bytes = (ring) / 8;						\
	set_nr((ro)->targ_nr);								\
} while (0)

/* The pid set's size: the -p pids, and room for the processes under them
 * (or under the command). */
static unsigned pid_set(const struct ot_plan *plan)
{
	return OT_PID_ROOM + (plan->target == OT_TARGET_PID ? plan->npids : 0);
}

/* What attach() attaches: exec's program for exec events only, io_uring's
 * for opens where the kernel has their tracepoints. */
static void wanted(struct libbpf_state *st, const struct ot_filter *f, bool uring)
{
	int i;

	for (i = 0; i < NPROGS; i++)
		st->want[i] = true;
	st->want[PROG_EXEC] = f->events & OT_EVENTS_EXEC;
	uring = uring && (f->events & OT_EVENTS_OPEN);
	st->want[PROG_URING_SUBMIT] = st->want[PROG_URING_FAILED] =
		st->want[PROG_URING_COMPLETE] = uring;
	st->want[PROG_UNFINISHED] = false;
}

/* libbpf 1.1 reads the kernel's BTF (5.5 MB here) into one buffer and
 * copies it into another, both new memory touched 4 KB at a time. Where
 * the hypervisor shadows the guest's page tables, as on the development
 * VM, a page fault costs ~35 us: those 11 MB were 50-100 ms of every
 * start, more than anything else. So from the first use of the BTF
 * (bpf_program__set_attach_target() for io_uring's tracepoint parses it)
 * to the end of the load, the heap is memory asked for huge pages before
 * anything touches it (a few 2 MB faults instead of 2800), and it is
 * trimmed afterwards. Peak RSS grows by 1-2 MB (whole huge pages), to
 * 15-16 MB. glibc's allocator only. */
static void huge_heap_begin(void)
{
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD) && defined(MADV_HUGEPAGE)
	const size_t span = 16u << 20, huge = 2u << 20;
	uintptr_t start, end;
	char *p;

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
#endif
}

static void huge_heap_end(void)
{
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD) && defined(MADV_HUGEPAGE)
	const size_t dflt = 128u << 10;

	mallopt(M_MMAP_THRESHOLD, dflt);
	mallopt(M_TRIM_THRESHOLD, dflt);
	malloc_trim(0);
#endif
}

/* libbpf's loader: it parses the kernel's BTF, relocates, and leaves out
 * the programs this run does not attach (wanted()). */
static int load_skeleton(struct libbpf_state *st, const struct ot_plan *plan, size_t ring,
			 struct uring_points u)
{
	struct opentrace_bpf *skel = opentrace_bpf__open();
	int err;

	if (!skel) {
		ot_perror_msg("libbpf: opening the BPF object");
		return -1;
	}
	st->skel = skel;
	huge_heap_begin();
	SET_RODATA(skel->rodata, plan, ring);
	if (st->want[PROG_URING_SUBMIT])
		bpf_program__set_attach_target(skel->progs.ot_uring_submit, 0, u.submit);
	bpf_program__set_autoload(skel->progs.ot_exec_done, st->want[PROG_EXEC]);
	bpf_program__set_autoload(skel->progs.ot_uring_submit, st->want[PROG_URING_SUBMIT]);
	bpf_program__set_autoload(skel->progs.ot_uring_failed, st->want[PROG_URING_FAILED]);
	bpf_program__set_autoload(skel->progs.ot_uring_complete, st->want[PROG_URING_COMPLETE]);
	if (bpf_map__set_max_entries(skel->maps.events, ring) ||
	    bpf_map__set_max_entries(skel->maps.pids, pid_set(plan))) {
		huge_heap_end();
		ot_error_msg("libbpf: cannot size the ring buffer (%zu bytes) and the pid set (%u)",
			     ring, pid_set(plan));
		return -1;
	}
	err = opentrace_bpf__load(skel);
	huge_heap_end();
	if (err) {
		errno = -err;
		ot_perror_msg("libbpf: loading the BPF program (the verifier's log is above)");
		return -1;
	}
#define PROG_FD(id, name, on) st->prog[PROG_##id] = bpf_program__fd(skel->progs.name);
	OT_LIBBPF_PROGS(PROG_FD)
#undef PROG_FD
#define MAP_FD(name) st->maps.name = bpf_map__fd(skel->maps.name);
	OT_LIBBPF_MAPS(MAP_FD)
#undef MAP_FD
	return 0;
}

#ifdef HAVE_LIBBPF_LSKEL
/* The light skeletons (one per name of io_uring's submission tracepoint):
 * the kernel runs their loader. All the programs are loaded (the verifier
 * drops the event classes the filter leaves out); only those wanted are
 * attached. On failure errno says why, and nothing is left loaded. */
#define LIGHT_PROG_FD(id, name, on) st->prog[PROG_##id] = l->progs.name.prog_fd;
#define LIGHT_MAP_FD(name) st->maps.name = l->maps.name.map_fd;
#define LIGHT_LOADER(sk)								\
static void destroy_##sk(void *l)							\
{											\
	sk##__destroy(l);								\
}											\
											\
static int load_##sk(struct libbpf_state *st, const struct ot_plan *plan, size_t ring)	\
{											\
	struct sk *l = sk##__open();							\
	int err;									\
											\
	if (!l)										\
		return -1;								\
	SET_RODATA(l->rodata, plan, ring);						\
	l->maps.events.max_entries = ring;						\
	l->maps.pids.max_entries = pid_set(plan);					\
	if (sk##__load(l)) {								\
		err = errno;								\
		sk##__destroy(l);							\
		errno = err;								\
		return -1;								\
	}										\
	st->light = l;									\
	st->light_destroy = destroy_##sk;						\
	OT_LIBBPF_PROGS(LIGHT_PROG_FD)							\
	OT_LIBBPF_MAPS(LIGHT_MAP_FD)							\
	return 0;									\
}
LIGHT_LOADER(opentrace_lskel)
LIGHT_LOADER(opentrace_lskel_sqe)

static int load_light(struct libbpf_state *st, const struct ot_plan *plan, size_t ring,
		      struct uring_points u)
{
	if (!strcmp(u.submit, "io_uring_submit_sqe"))
		return load_opentrace_lskel_sqe(st, plan, ring);
	return load_opentrace_lskel(st, plan, ring);
}
#endif

/* OPENTRACE_LIBBPF_DEBUG: say which loader loaded the program, and why
 * not the light one. */
static void say_loader(const char *what, const char *why)
{
	const char *debug = getenv("OPENTRACE_LIBBPF_DEBUG");

	if (debug && *debug && strcmp(debug, "0"))
		ot_error_msg("libbpf: loaded by %s%s%s%s", what, why ? " (not the light loader: " : "",
			     why ? why : "", why ? ")" : "");
}

/* OPENTRACE_LIBBPF_LOADER: unset or empty for the light loader where it
 * can run and libbpf's otherwise; "light" or "skeleton" for one. */
static int load(struct libbpf_state *st, const struct ot_plan *plan, size_t ring,
		struct uring_points u)
{
	const char *want = getenv("OPENTRACE_LIBBPF_LOADER");
	bool chosen = want && *want;
	char why[160];

	if (chosen && strcmp(want, "light") && strcmp(want, "skeleton")) {
		ot_error_msg("OPENTRACE_LIBBPF_LOADER=%s names no loader: use light or skeleton, "
			     "or unset it", ot_quote(want));
		return -1;
	}
	if (chosen && !strcmp(want, "skeleton")) {
		snprintf(why, sizeof(why), "OPENTRACE_LIBBPF_LOADER=skeleton");
#ifdef HAVE_LIBBPF_LSKEL
	/* its io_uring programs name their tracepoints */
	} else if (!u.usable) {
		snprintf(why, sizeof(why), "it needs io_uring's tracepoints (io_uring_submit_req "
			 "or _sqe, io_uring_complete, io_uring_req_failed), which this kernel lacks");
	} else if (load_light(st, plan, ring, u)) {
		snprintf(why, sizeof(why), "the kernel refused it: %s; Linux 5.17 or later runs it",
			 strerror(errno));
	} else {
		say_loader("the light skeleton", NULL);
		return 0;
#else
	} else {
		snprintf(why, sizeof(why), "this opentrace was built without it "
			 "(bpftool gen skeleton -L)");
#endif
	}
	if (chosen && !strcmp(want, "light")) {
		ot_error_msg("libbpf: the light loader cannot run: %s", why);
		return -1;
	}
	if (load_skeleton(st, plan, ring, u))
		return -1;
	say_loader("libbpf's skeleton", why);
	return 0;
}

/* Raw tracepoints (tp_btf), whose links, unlike a perf-event
 * tracepoint's, are released without waiting for an RCU grace period. */
static int attach(void *st_)
{
	struct libbpf_state *st = st_;
	int i, fd;

	for (i = 0; i < NPROGS; i++) {
		if (!st->want[i])
			continue;
		fd = bpf_raw_tracepoint_open(NULL, st->prog[i]);
		if (fd < 0) {
			errno = -fd;
			ot_perror_msg("libbpf: attaching the program on %s", prog_names[i]);
			return -1;
		}
		st->link[i] = fd;
	}
	return 0;
}

static void detach(void *st_)
{
	struct libbpf_state *st = st_;
	int i;

	for (i = 0; i < NPROGS; i++) {
		if (st->link[i] >= 0)
			close(st->link[i]);
		st->link[i] = -1;
	}
}

/* The entries in task storage whose exit never came: the iterator sends
 * each as unfinished; reading the iterator runs it over every task. */
static void finish(void *st_)
{
	struct libbpf_state *st = st_;
	int link = bpf_link_create(st->prog[PROG_UNFINISHED], 0, BPF_TRACE_ITER, NULL);
	char buf[64];
	int fd;

	if (link < 0) {
		errno = -link;
		ot_perror_msg("libbpf: walking the tasks for opens left unfinished");
		return;
	}
	fd = bpf_iter_create(link);
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	close(link);
}

static int libbpf_run(const struct ot_plan *plan, const struct ot_targets *targets,
		       struct ot_sink *sink)
{
	size_t ring = plan->buffer_size ? plan->buffer_size : DEFAULT_RING;
	struct ot_bpf_run run = { .attach = attach, .detach = detach, .finish = finish,
				  .exits_tracked = true };
	struct libbpf_state st = { 0 };
	struct uring_points u;
	const char *tracefs;
	int i, rc = -1;

	for (i = 0; i < NPROGS; i++)
		st.prog[i] = st.link[i] = -1;
	libbpf_set_print(print_libbpf);
	tracefs = ot_tracefs_ensure("libbpf");
	if (!tracefs)
		return -1;
	if ((plan->full_path || (plan->events & OT_EVENTS_EXEC)) &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0) {
		if (plan->full_path)
			ot_error_msg("-F needs the bpf_loop helper (Linux 5.17 or later) to walk "
				     "paths in the kernel; drop -F on this kernel");
		else
			ot_error_msg("--events exec needs the bpf_loop helper (Linux 5.17 or later); "
				     "on this kernel use -B bcc for exec events");
		return -1;
	}
	u = uring_points(tracefs);
	if ((plan->filter.events & OT_EVENTS_OPEN) && !u.usable)
		ot_error_msg("io_uring opens are not traced on this kernel: it lacks the "
			     "io_uring_submit_req (or _sqe), io_uring_complete or "
			     "io_uring_req_failed tracepoint (Linux 6.1 or later has them)");
	wanted(&st, &plan->filter, u.usable);
	if (load(&st, plan, ring, u))
		goto out;
	run.backend = &st;
	run.pids_fd = st.maps.pids;
	run.cgroups_fd = st.maps.cgroups;
	run.counters_fd = st.maps.counters;
	run.ring_fd = st.maps.events;
	run.ring_size = ring;
	run.pending[run.npending].fd = st.maps.execs;
	run.pending[run.npending++].rec_off = 0;
	run.pending[run.npending].fd = st.maps.urings;
	run.pending[run.npending++].rec_off = 0;
	rc = ot_bpf_run(&run, plan, targets, sink);
out:
	detach(&st);
	if (st.light)
		st.light_destroy(st.light);
	opentrace_bpf__destroy(st.skel);
	return rc;
}

const struct ot_backend ot_backend_libbpf = {
	.name = "libbpf",
	.caps = OT_CAP_FULL_PATH,
	.probe = libbpf_probe,
	.emit = libbpf_emit,
	.run = libbpf_run,
};
