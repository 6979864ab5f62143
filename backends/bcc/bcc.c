/* -B bcc: C text generated from templates/bcc/ and the BPF program logic
 * both backends share (bpf/helpers.bpf.h), compiled at run time by libbcc,
 * for kernels where the CO-RE program cannot load (no BTF, no task
 * storage) but kernel headers are installed.
 *
 * The life of a run: probe the host (host.c), write the text (text.c),
 * take its compiled image from the cache or compile it (cache.c), create
 * the maps, fill the conf, load and attach each program (here), then the
 * run loop both BPF backends share (backends/bpfrun.c). Records come
 * through the BPF ring buffer where the kernel has one (5.8 and later,
 * read by the same reader as libbpf's), else through a perf buffer per
 * CPU (perf.c); probed by creating a ring buffer map, never guessed from
 * the kernel's version. OPENTRACE_BCC_TRANSPORT=perf forces the perf
 * buffers. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "bcc.h"
#include "bpfrun.h"
#include "caps.h"
#include "msg.h"
#include "tracefs.h"

static int bcc_probe(char *why, size_t len)
{
	char headers[PATH_MAX];
	struct ot_bcc_host h;
	size_t i;

	/* Only the loader library: the compiler (LLVM, 60 MB of RSS) ships in
	 * the same package and is opened when a program is not in the cache. */
	if (ot_bcc_load_loader(why, len))
		return -1;
	if (ot_caps_check(why, len))
		return -1;
	if (ot_bcc_find_headers(headers, sizeof(headers), why, len))
		return -1;
	if (!ot_tracefs_mounted() && !ot_dir_exists("/sys/kernel/tracing")) {
		snprintf(why, len, "tracefs is not mounted and /sys/kernel/tracing does not exist");
		return -1;
	}
	ot_bcc_probe_host(&h);
	if (!h.tracefs)
		return 0;	/* run mounts it, then knows more */
	for (i = 0; i < OT_SC_MAX; i++)
		if (ot_bcc_syscall_class(i) == OT_EVENTS_OPEN && h.via[i] != OT_VIA_NONE)
			return 0;
	snprintf(why, len, "the kernel has neither syscall tracepoints for the open calls "
		 "(CONFIG_FTRACE_SYSCALLS) nor kprobes on their functions (CONFIG_KPROBES)");
	return -1;
}

/* --emit prints exactly what run would compile on this host. */
static int bcc_emit(const struct ot_plan *plan, FILE *out)
{
	struct ot_bcc_host h;

	ot_bcc_probe_host(&h);
	ot_bcc_print_text(out, plan, &h);
	return 0;
}

/* What attach() can make: task_newtask, sched_process_exit and
 * sched_process_exec, then an entry and an exit per syscall (kprobes or
 * tracepoints; raw tracepoints take two for them all). */
#define MAX_ATTACH (3 + 2 * OT_SC_MAX)

struct bcc_run {
	const struct ot_plan *plan;
	struct ot_bcc_host host;
	struct ot_bcc_image im;
	int prog_fds[MAX_ATTACH];
	int nprogs;
	struct {
		int fd;			/* a perf event's, or a raw tracepoint's */
		bool raw;
		char kprobe_event[64];	/* to remove, for kprobes */
	} att[MAX_ATTACH];
	int natt;
};

static int load_prog(struct bcc_run *r, const char *func, enum bpf_prog_type type)
{
	const struct ot_bcc_image_prog *p = NULL;
	__u32 i;
	int fd;

	for (i = 0; i < r->im.nprogs && !p; i++)
		if (!strcmp(r->im.progs[i].name, func))
			p = &r->im.progs[i];
	if (!p) {
		ot_error_msg("bcc: the compiled text has no function %s", func);
		return -1;
	}
	/* one slot of each table per program: a bound that cannot hold is a
	 * bug here, never a reason to write past them */
	if (r->nprogs >= MAX_ATTACH || r->natt >= MAX_ATTACH) {
		ot_error_msg("bcc: more than %d programs to attach (%s)", MAX_ATTACH, func);
		return -1;
	}
	/* without a buffer of ours, libbcc prints the verifier's log */
	fd = bcc.prog_load(type, func, p->insns, p->len, r->im.license, r->im.kern_version,
			   0, NULL, 0);
	if (fd < 0) {
		ot_error_msg("bcc: the kernel refused %s (the verifier's log is above)", func);
		return -1;
	}
	r->prog_fds[r->nprogs++] = fd;
	return fd;
}

static int attach_tp(struct bcc_run *r, const char *category, const char *event)
{
	char func[128];
	int prog, fd;

	snprintf(func, sizeof(func), "tracepoint__%s__%s", category, event);
	prog = load_prog(r, func, BPF_PROG_TYPE_TRACEPOINT);
	if (prog < 0)
		return -1;
	fd = bcc.attach_tracepoint(prog, category, event);
	if (fd < 0) {
		ot_error_msg("bcc: cannot attach to the tracepoint %s:%s", category, event);
		return -1;
	}
	r->att[r->natt].fd = fd;
	r->att[r->natt].raw = false;
	r->att[r->natt++].kprobe_event[0] = '\0';
	return 0;
}

/* A raw tracepoint: detached without the RCU grace period wait of a
 * perf-event tracepoint (see templates/bcc/opentrace.c). */
static int attach_raw(struct bcc_run *r, const char *event)
{
	char func[128];
	int prog, fd;

	snprintf(func, sizeof(func), "raw_tracepoint__%s", event);
	prog = load_prog(r, func, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (prog < 0)
		return -1;
	fd = bcc.attach_raw_tracepoint(prog, event);
	if (fd < 0) {
		ot_error_msg("bcc: cannot attach to the raw tracepoint %s", event);
		return -1;
	}
	r->att[r->natt].fd = fd;
	r->att[r->natt].raw = true;
	r->att[r->natt++].kprobe_event[0] = '\0';
	return 0;
}

static int attach_kp(struct bcc_run *r, const char *func, const char *symbol, bool ret)
{
	char *event = r->att[r->natt].kprobe_event;
	int prog, fd;

	prog = load_prog(r, func, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return -1;
	snprintf(event, sizeof(r->att[0].kprobe_event), "%c_%s_ot%d", ret ? 'r' : 'p', symbol,
		 (int)getpid());
	fd = bcc.attach_kprobe(prog, ret ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY, event, symbol, 0, 0);
	if (fd < 0) {
		ot_error_msg("bcc: cannot attach a %s to %s (does this kernel have kprobes?)",
			     ret ? "kretprobe" : "kprobe", symbol);
		return -1;
	}
	r->att[r->natt].raw = false;
	r->att[r->natt++].fd = fd;
	return 0;
}

static int attach(void *run)
{
	struct bcc_run *r = run;
	const struct ot_filter *f = &r->plan->filter;
	const struct ot_bcc_host *h = &r->host;
	bool raw = false;
	size_t i;

	/* pid bookkeeping first, so no fork or exit of a target is missed
	 * once opens are seen */
	if ((f->follow || !h->task_reads) &&
	    (h->raw_tracepoints && h->task_reads ? attach_raw(r, "task_newtask")
						 : attach_tp(r, "task", "task_newtask")))
		return -1;
	if (f->filter_pids && (h->exit_group_dead || h->task_reads) &&
	    (h->raw_tracepoints ? attach_raw(r, "sched_process_exit")
				: attach_tp(r, "sched", "sched_process_exit")))
		return -1;
	/* before the exits: a successful exec's record is completed there */
	if ((f->events & OT_EVENTS_EXEC) && attach_tp(r, "sched", "sched_process_exec"))
		return -1;
	for (i = 0; i < OT_SC_MAX; i++) {
		const char *name = ot_bcc_syscall_name(i);
		char enter[64], exit_[64];

		if (!(f->events & ot_bcc_syscall_class(i)))
			continue;
		switch (h->via[i]) {
		case OT_VIA_TRACEPOINT:
			if (h->raw_tracepoints) {
				raw = true;
				break;
			}
			snprintf(enter, sizeof(enter), "sys_enter_%s", name);
			snprintf(exit_, sizeof(exit_), "sys_exit_%s", name);
			/* exit first: an entry is never stashed without its exit */
			if (attach_tp(r, "syscalls", exit_) || attach_tp(r, "syscalls", enter))
				return -1;
			break;
		case OT_VIA_KPROBE:
			snprintf(enter, sizeof(enter), "ot_kprobe_%s", name);
			/* one kretprobe for the opens, one for the execs */
			snprintf(exit_, sizeof(exit_), "ot_kretprobe%s",
				 ot_bcc_syscall_class(i) == OT_EVENTS_EXEC ? "_exec" : "");
			if (attach_kp(r, exit_, h->symbol[i], true) ||
			    attach_kp(r, enter, h->symbol[i], false))
				return -1;
			break;
		case OT_VIA_NONE:
			break;
		}
	}
	/* exit first: an entry is never stashed without its exit */
	if (raw && (attach_raw(r, "sys_exit") || attach_raw(r, "sys_enter")))
		return -1;
	return 0;
}

static void detach(void *run)
{
	struct bcc_run *r = run;
	int i;

	for (i = r->natt - 1; i >= 0; i--) {
		if (r->att[i].raw)
			close(r->att[i].fd);
		else
			bcc.close_perf_event_fd(r->att[i].fd);
		if (r->att[i].kprobe_event[0])
			bcc.detach_kprobe(r->att[i].kprobe_event);
	}
	r->natt = 0;
}

static int fill_conf(int fd, const struct ot_plan *plan)
{
	struct ot_bcc_conf conf;
	int zero = 0;

	memset(&conf, 0, sizeof(conf));
	conf.self_tgid = getpid();
	conf.comm_len = plan->filter.comm_len;
	memcpy(conf.comm, plan->filter.comm, conf.comm_len);
	if (ot_bpf_map_update(fd, &zero, &conf)) {
		ot_perror_msg("bcc: filling the ot_conf map");
		return -1;
	}
	return 0;
}

static int bcc_run(const struct ot_plan *plan, const struct ot_targets *targets,
		       struct ot_sink *sink)
{
	struct ot_bpf_run run = { .attach = attach, .detach = detach, .counters_fd = -1 };
	struct ot_bcc_perf *perf = NULL;
	char why[512], *text = NULL;
	struct bcc_run *r;
	size_t text_len = 0;
	bool cached;
	unsigned ring;
	int rc = -1;
	FILE *f;

	if (ot_bcc_load_loader(why, sizeof(why))) {
		ot_error_msg("bcc: %s", why);
		return -1;
	}
	if (!ot_tracefs_ensure("bcc"))
		return -1;
	r = ot_xcalloc(1, sizeof(*r));
	r->plan = plan;
	ot_bcc_probe_host(&r->host);
	ring = ot_bcc_ring_pages(plan, &r->host);

	f = ot_xmemstream(&text, &text_len);
	ot_bcc_print_text(f, plan, &r->host);
	ot_xmemstream_close(f);
	if (ot_bcc_get_image(&r->im, text, text_len, &cached))
		goto out;
	if (getenv("OPENTRACE_BCC_DEBUG"))
		fprintf(stderr, "opentrace: bcc: program %s; records through %s\n",
			cached ? "from the cache" : "compiled",
			ring ? "the ring buffer" : "perf buffers");
	if (ot_bcc_image_create_maps(&r->im))
		goto out;
	if (fill_conf(ot_bcc_image_map_fd(&r->im, "ot_conf"), plan))
		goto out;
	run.backend = r;
	run.pids_fd = ot_bcc_image_map_fd(&r->im, "ot_pids");
	run.cgroups_fd = ot_bcc_image_map_fd(&r->im, "ot_cgroups");
	run.counters_fd = ot_bcc_image_map_fd(&r->im, "ot_counters");
	run.exits_tracked = r->host.exit_group_dead || r->host.task_reads;
	run.pending[run.npending].fd = ot_bcc_image_map_fd(&r->im, "ot_stash");
	run.pending[run.npending++].rec_off = OT_STASH_REC_OFF;
	run.pending[run.npending].fd = ot_bcc_image_map_fd(&r->im, "ot_exec_stash");
	run.pending[run.npending++].rec_off = 0;
	run.dec.ppid_from_proc = !r->host.task_reads;
	run.ring_fd = -1;
	if (ring) {
		run.ring_fd = ot_bcc_image_map_fd(&r->im, "ot_events");
		run.ring_size = (size_t)ring * sysconf(_SC_PAGESIZE);
	} else {
		perf = ot_bcc_perf_open(ot_bcc_image_map_fd(&r->im, "ot_events"),
					plan->buffer_size ? plan->buffer_size
							  : OT_BCC_DEFAULT_BUFFER, &run);
		if (!perf)
			goto out;
		run.reader = perf;
		run.wait = ot_bcc_perf_wait;
		run.drain = ot_bcc_perf_drain;
	}
	/* libbpf reads io_uring open requests from io_uring's private
	 * structures; the BCC program has no layout for them: say so rather
	 * than leave them out silently. */
	if ((plan->events & OT_EVENTS_OPEN) &&
	    ot_uring_submit_tracepoint(r->host.tracefs ? r->host.tracefs : OT_TRACEFS_DEFAULT))
		ot_error_msg("bcc: io_uring opens are not traced by this backend (-B libbpf "
			     "traces them)");
	rc = ot_bpf_run(&run, plan, targets, sink);
out:
	ot_bcc_perf_free(perf);
	while (r->nprogs)
		close(r->prog_fds[--r->nprogs]);
	ot_bcc_image_free(&r->im);
	free(r);
	free(text);
	return rc;
}

/* No OT_CAP_FULL_PATH: the walk from a file to its absolute path crosses
 * mounts through struct mount, which is private to fs/ and in no headers
 * package, so BCC cannot compile it even against the running kernel's
 * headers; the front-end says -F is not honoured. */
const struct ot_backend ot_backend_bcc = {
	.name = "bcc",
	.no_full_path = "the walk needs struct mount, which is private to the kernel's fs/ "
			"and in no headers package",
	.probe = bcc_probe,
	.emit = bcc_emit,
	.run = bcc_run,
};
