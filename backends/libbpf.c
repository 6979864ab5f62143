/* -B libbpf: the CO-RE program of bpf/opentrace.bpf.c, loaded through its
 * skeleton. The filter is set as rodata before load; the pid set and the
 * cgroup are maps. Records come through a BPF ring buffer that the kernel
 * side fills without wakeups, drained on a short timer by the run loop
 * both BPF backends share (backends/bpfrun.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
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
	if (tracefs && !ot_tracepoint_exists(tracefs, "syscalls", "sys_enter_openat")) {
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
	fprintf(out, "# probes:%s%s tp_btf/sched_process_{fork,exit}%s\n",
		f->events & OT_EVENTS_OPEN ? " syscalls:sys_{enter,exit}_{open,openat,openat2,creat}"
			" io_uring:io_uring_{submit_req,complete} tp_btf/io_uring_req_failed" : "",
		f->events & OT_EVENTS_EXEC ? " syscalls:sys_{enter,exit}_{execve,execveat}" : "",
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

/* Leaves out the programs of event classes not asked for, and those whose
 * tracepoint this kernel lacks (no open(2) on arm64, no openat2 before
 * 5.6). */
static void skip_unneeded(struct opentrace_bpf *skel, const struct ot_filter *f,
			  const char *tracefs)
{
	static const struct {
		const char *name;
		unsigned class;
	} syscalls[] = {
#define SYSCALL(kind, name, class) { #name, OT_EVENTS_##class },
		OT_SYSCALLS(SYSCALL)
#undef SYSCALL
	};
	bool uring = f->events & OT_EVENTS_OPEN;
	char enter[64], exit_[64];
	size_t i;

	if (uring && !(ot_tracepoint_exists(tracefs, "io_uring", "io_uring_submit_req") &&
		       ot_tracepoint_exists(tracefs, "io_uring", "io_uring_complete") &&
		       ot_tracepoint_exists(tracefs, "io_uring", "io_uring_req_failed"))) {
		ot_error_msg("io_uring opens are not traced on this kernel: it lacks the "
			     "io_uring_submit_req, io_uring_complete or io_uring_req_failed "
			     "tracepoint (Linux 6.4 or later has them)");
		uring = false;
	}
	bpf_program__set_autoload(skel->progs.ot_exec_done, f->events & OT_EVENTS_EXEC);
	if (!uring) {
		bpf_program__set_autoload(skel->progs.ot_uring_submit, false);
		bpf_program__set_autoload(skel->progs.ot_uring_failed, false);
		bpf_program__set_autoload(skel->progs.ot_uring_complete, false);
	}
	for (i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		bool want;

		snprintf(enter, sizeof(enter), "sys_enter_%s", syscalls[i].name);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", syscalls[i].name);
		want = (f->events & syscalls[i].class) &&
		       ot_tracepoint_exists(tracefs, "syscalls", enter) &&
		       ot_tracepoint_exists(tracefs, "syscalls", exit_);
		/* the programs are named after their tracepoints */
		snprintf(enter, sizeof(enter), "ot_enter_%s", syscalls[i].name);
		snprintf(exit_, sizeof(exit_), "ot_exit_%s", syscalls[i].name);
		bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, enter), want);
		bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, exit_), want);
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

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Detaching a tracepoint waits for RCU grace periods, about 50 ms each
 * here; links destroyed one by one made every run end half a second late.
 * Destroyed together, the waits overlap. */
static void detach(void *skel_)
{
	const struct bpf_object_skeleton *s = ((struct opentrace_bpf *)skel_)->skeleton;
	pthread_t threads[64];
	int i, n = 0;

	for (i = 0; i < s->prog_cnt; i++) {
		struct bpf_link **link = s->progs[i].link;

		if (!*link)
			continue;
		if (n < 64 && !pthread_create(&threads[n], NULL, destroy_link, *link))
			n++;
		else
			bpf_link__destroy(*link);
		*link = NULL;
	}
	while (n--)
		pthread_join(threads[n], NULL);
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
	memcpy((void *)&skel->rodata->targ, &plan->filter, sizeof(plan->filter));
	skel->rodata->targ_self_tgid = getpid();
	/* wake user space early when an eighth of the ring is pending */
	skel->rodata->targ_wakeup_bytes = ring / 8;
	skip_unneeded(skel, &plan->filter, tracefs);
	/* run at the end, by finish() */
	bpf_program__set_autoattach(skel->progs.ot_unfinished, false);
	if (bpf_map__set_max_entries(skel->maps.events, ring)) {
		ot_error_msg("libbpf: cannot size the ring buffer to %zu bytes", ring);
		goto out;
	}
	err = opentrace_bpf__load(skel);
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
