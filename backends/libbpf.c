/* -B libbpf: the CO-RE program of bpf/opentrace.bpf.c, loaded through its
 * skeleton. The filter is set as rodata before load; the pid set and the
 * cgroup are maps. Records come through a BPF ring buffer that the kernel
 * side fills without wakeups, drained on a short timer by the run loop
 * both BPF backends share (backends/bpfrun.c). */
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

/* The syscalls traced, by this architecture's numbers, and the io_uring
 * programs, left out unless opens are asked for and the kernel has their
 * tracepoints. The event classes not asked for are left out by the
 * verifier: the programs test the filter's events, which is rodata. */
static void set_syscalls(struct opentrace_bpf *skel, const struct ot_filter *f,
			 const char *tracefs)
{
	bool uring = f->events & OT_EVENTS_OPEN;
	const char *submit;

#define NR(kind, name, class) skel->rodata->targ_nr[OT_KIND_##kind] = SYS_##name;
	OT_SYSCALLS(NR)
#undef NR
	submit = uring ? ot_uring_submit_tracepoint(tracefs) : NULL;
	if (submit)
		bpf_program__set_attach_target(skel->progs.ot_uring_submit, 0, submit);
	uring = submit && ot_tracepoint_exists(tracefs, "io_uring", "io_uring_complete") &&
		ot_tracepoint_exists(tracefs, "io_uring", "io_uring_req_failed");
	if ((f->events & OT_EVENTS_OPEN) && !uring)
		ot_error_msg("io_uring opens are not traced on this kernel: it lacks the "
			     "io_uring_submit_req (or _sqe), io_uring_complete or "
			     "io_uring_req_failed tracepoint (Linux 6.1 or later has them)");
	bpf_program__set_autoload(skel->progs.ot_exec_done, f->events & OT_EVENTS_EXEC);
	if (!uring) {
		bpf_program__set_autoload(skel->progs.ot_uring_submit, false);
		bpf_program__set_autoload(skel->progs.ot_uring_failed, false);
		bpf_program__set_autoload(skel->progs.ot_uring_complete, false);
	}
}

static int attach(void *skel)
{
	int err = opentrace_bpf__attach(skel);

	if (err) {
		errno = -err;
		ot_perror_msg("libbpf: attaching the probes");
	}
	return err;
}

/* Every link is a raw tracepoint's (tp_btf), whose release does not wait
 * for an RCU grace period as a perf-event tracepoint's does. */
static void detach(void *skel)
{
	opentrace_bpf__detach(skel);
}

/* The entries in task storage whose exit never came: the iterator sends
 * each as unfinished; reading the iterator runs it over every task. */
static void finish(void *skel_)
{
	struct opentrace_bpf *skel = skel_;
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.ot_unfinished, NULL);
	char buf[64];
	int fd;

	if (!link) {
		ot_perror_msg("libbpf: walking the tasks for opens left unfinished");
		return;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
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

static int libbpf_run(const struct ot_plan *plan, const struct ot_targets *targets,
		       struct ot_sink *sink)
{
	size_t ring = plan->buffer_size ? plan->buffer_size : DEFAULT_RING;
	struct ot_bpf_run run = { .attach = attach, .detach = detach, .finish = finish,
				  .exits_tracked = true };
	struct opentrace_bpf *skel;
	const char *tracefs;
	int err, rc = -1;

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
	skel = opentrace_bpf__open();
	if (!skel) {
		ot_perror_msg("libbpf: opening the BPF object");
		return -1;
	}
	huge_heap_begin();
	memcpy((void *)&skel->rodata->targ, &plan->filter, sizeof(plan->filter));
	skel->rodata->targ_self_tgid = getpid();
	/* wake user space early when an eighth of the ring is pending */
	skel->rodata->targ_wakeup_bytes = ring / 8;
	set_syscalls(skel, &plan->filter, tracefs);
	/* run at the end, by finish() */
	bpf_program__set_autoattach(skel->progs.ot_unfinished, false);
	if (bpf_map__set_max_entries(skel->maps.events, ring)) {
		huge_heap_end();
		ot_error_msg("libbpf: cannot size the ring buffer to %zu bytes", ring);
		goto out;
	}
	err = opentrace_bpf__load(skel);
	huge_heap_end();
	if (err) {
		errno = -err;
		ot_perror_msg("libbpf: loading the BPF program (the verifier's log is above)");
		goto out;
	}
	run.backend = skel;
	run.pids_fd = bpf_map__fd(skel->maps.pids);
	run.cgroups_fd = bpf_map__fd(skel->maps.cgroups);
	run.counters_fd = bpf_map__fd(skel->maps.counters);
	run.ring_fd = bpf_map__fd(skel->maps.events);
	run.ring_size = ring;
	run.pending[run.npending].fd = bpf_map__fd(skel->maps.execs);
	run.pending[run.npending++].rec_off = 0;
	run.pending[run.npending].fd = bpf_map__fd(skel->maps.urings);
	run.pending[run.npending++].rec_off = 0;
	rc = ot_bpf_run(&run, plan, targets, sink);
out:
	opentrace_bpf__destroy(skel);
	return rc;
}

const struct ot_backend ot_backend_libbpf = {
	.name = "libbpf",
	.caps = OT_CAP_FULL_PATH,
	.probe = libbpf_probe,
	.emit = libbpf_emit,
	.run = libbpf_run,
};
