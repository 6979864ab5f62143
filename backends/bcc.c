/* -B bcc: C text generated from templates/bcc/ and compiled at run time by
 * libbcc, for kernels where the CO-RE program cannot load (no BTF, no BPF
 * ring buffer) but kernel headers are installed.
 *
 * libbcc pulls in LLVM and clang (tens of MB, tens of ms to map), so BCC's
 * libraries are opened with dlopen() only when this backend is probed or
 * chosen: the libbpf path and hosts without BCC never load them. And the
 * compiled program is cached, so that most runs load only BCC's small
 * loader library, not the compiler.
 *
 * The text is the plan's filters as #define'd integers, then what probing
 * the host found (which syscalls have tracepoints, which only kprobes),
 * then the embedded templates. Strings (the -n comm) go through a map.
 *
 * Records reach user space through the BPF ring buffer where the kernel
 * has one (5.8 and later), else through a perf buffer per CPU: probed by
 * creating a ring buffer map, never guessed from the kernel's version.
 * OPENTRACE_BCC_TRANSPORT=perf forces the perf buffers. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#include "backend.h"
#include "caps.h"
#include "proc.h"
#include "tracefs.h"
#include "msg.h"
#include "templates/bcc/record.h"
#include "templates/bcc/embedded.h"

_Static_assert(OT_COMM_LEN == sizeof(((struct ot_plan *)0)->comm), "comm length");
_Static_assert(OT_MAX_ARGS_LIMIT == OT_MAX_ARGS, "exec argument limits differ");

/* How long user space sleeps between drains of the buffers. */
#define POLL_MS 2
/* How often the pid set is checked (and pruned) for ended processes. */
#define LIVENESS_NS (20 * 1000 * 1000)
/* The ring's bytes, or the perf buffers' over all CPUs: libbpf's default. */
#define DEFAULT_BUFFER (4u << 20)
/* User space drains on a short timer; a reader is woken early only when
 * about a quarter of its buffer is pending, counted in records of this
 * many bytes (a path of a hundred bytes or so), as libbpf's ring wakes at
 * a quarter. Waking every few records cost a wakeup, a drain and an
 * output flush each: twice libbpf's user-space CPU, and loss. */
#define WAKEUP_RECORD_BYTES 256
/* The user-space ppid cache: entries, and how long one is trusted. */
#define PPID_SLOTS 1024
#define PPID_TTL_NS (200 * 1000 * 1000)

/* libbcc_bpf is BCC's small loader library (maps, programs, attaching,
 * perf readers); libbcc is its compiler, with LLVM inside. A run whose
 * program is in the cache needs only the first. */
#define LIBBCC_BPF "libbcc_bpf.so.0"
#define LIBBCC "libbcc.so.0"

/* Their entry points, typed by BCC's own headers. */
static struct {
	void *handle;
	__typeof__(bcc_create_map) *create_map;
	__typeof__(bcc_prog_load) *prog_load;
	__typeof__(bpf_attach_tracepoint) *attach_tracepoint;
	__typeof__(bpf_attach_raw_tracepoint) *attach_raw_tracepoint;
	__typeof__(bpf_attach_kprobe) *attach_kprobe;
	__typeof__(bpf_detach_kprobe) *detach_kprobe;
	__typeof__(bpf_close_perf_event_fd) *close_perf_event_fd;
	__typeof__(bpf_open_perf_buffer_opts) *open_perf_buffer_opts;
	__typeof__(perf_reader_poll) *reader_poll;
	__typeof__(perf_reader_consume) *reader_consume;
	__typeof__(perf_reader_free) *reader_free;
	__typeof__(perf_reader_fd) *reader_fd;
	__typeof__(bpf_new_ringbuf) *new_ringbuf;
	__typeof__(bpf_consume_ringbuf) *consume_ringbuf;
	__typeof__(bpf_free_ringbuf) *free_ringbuf;
	__typeof__(bpf_update_elem) *update_elem;
	__typeof__(bpf_lookup_elem) *lookup_elem;
	__typeof__(bpf_delete_elem) *delete_elem;
	__typeof__(bpf_get_next_key) *get_next_key;
} bcc;

static struct {
	void *handle;
	__typeof__(bpf_module_create_c_from_string) *module_create;
	__typeof__(bpf_module_destroy) *module_destroy;
	__typeof__(bpf_module_license) *module_license;
	__typeof__(bpf_module_kern_version) *module_kern_version;
	__typeof__(bpf_num_functions) *num_functions;
	__typeof__(bpf_function_name) *function_name;
	__typeof__(bpf_function_start_id) *function_start_id;
	__typeof__(bpf_function_size_id) *function_size_id;
	__typeof__(bpf_num_tables) *num_tables;
	__typeof__(bpf_table_name) *table_name;
	__typeof__(bpf_table_type_id) *table_type_id;
	__typeof__(bpf_table_key_size_id) *table_key_size_id;
	__typeof__(bpf_table_leaf_size_id) *table_leaf_size_id;
	__typeof__(bpf_table_max_entries_id) *table_max_entries_id;
	__typeof__(bpf_table_flags_id) *table_flags_id;
	__typeof__(bpf_table_fd_id) *table_fd_id;
} cc;

struct sym {
	const char *name;
	size_t off;
};

static void *open_lib(const char *lib, const struct sym *syms, size_t n, void *table,
		      char *why, size_t len)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(why, len, "cannot load %s (%s); install libbpfcc (apt-get install "
			 "libbpfcc)", lib, dlerror());
		return NULL;
	}
	for (i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, len, "%s lacks %s: this BCC is too old (0.26 or later works)",
				 lib, syms[i].name);
			dlclose(h);
			return NULL;
		}
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	return h;
}

static int load_libbcc_bpf(char *why, size_t len)
{
	static const struct sym syms[] = {
#define SYM(field, name) { #name, offsetof(__typeof__(bcc), field) }
		SYM(create_map, bcc_create_map),
		SYM(prog_load, bcc_prog_load),
		SYM(attach_tracepoint, bpf_attach_tracepoint),
		SYM(attach_raw_tracepoint, bpf_attach_raw_tracepoint),
		SYM(attach_kprobe, bpf_attach_kprobe),
		SYM(detach_kprobe, bpf_detach_kprobe),
		SYM(close_perf_event_fd, bpf_close_perf_event_fd),
		SYM(open_perf_buffer_opts, bpf_open_perf_buffer_opts),
		SYM(reader_poll, perf_reader_poll),
		SYM(reader_consume, perf_reader_consume),
		SYM(reader_free, perf_reader_free),
		SYM(reader_fd, perf_reader_fd),
		SYM(new_ringbuf, bpf_new_ringbuf),
		SYM(consume_ringbuf, bpf_consume_ringbuf),
		SYM(free_ringbuf, bpf_free_ringbuf),
		SYM(update_elem, bpf_update_elem),
		SYM(lookup_elem, bpf_lookup_elem),
		SYM(delete_elem, bpf_delete_elem),
		SYM(get_next_key, bpf_get_next_key),
#undef SYM
	};

	if (!bcc.handle)
		bcc.handle = open_lib(LIBBCC_BPF, syms, sizeof(syms) / sizeof(syms[0]), &bcc,
				      why, len);
	return bcc.handle ? 0 : -1;
}

static int load_libbcc(char *why, size_t len)
{
	static const struct sym syms[] = {
#define SYM(field, name) { #name, offsetof(__typeof__(cc), field) }
		SYM(module_create, bpf_module_create_c_from_string),
		SYM(module_destroy, bpf_module_destroy),
		SYM(module_license, bpf_module_license),
		SYM(module_kern_version, bpf_module_kern_version),
		SYM(num_functions, bpf_num_functions),
		SYM(function_name, bpf_function_name),
		SYM(function_start_id, bpf_function_start_id),
		SYM(function_size_id, bpf_function_size_id),
		SYM(num_tables, bpf_num_tables),
		SYM(table_name, bpf_table_name),
		SYM(table_type_id, bpf_table_type_id),
		SYM(table_key_size_id, bpf_table_key_size_id),
		SYM(table_leaf_size_id, bpf_table_leaf_size_id),
		SYM(table_max_entries_id, bpf_table_max_entries_id),
		SYM(table_flags_id, bpf_table_flags_id),
		SYM(table_fd_id, bpf_table_fd_id),
#undef SYM
	};

	if (load_libbcc_bpf(why, len))
		return -1;
	if (!cc.handle)
		cc.handle = open_lib(LIBBCC, syms, sizeof(syms) / sizeof(syms[0]), &cc, why, len);
	return cc.handle ? 0 : -1;
}

/* What the host offers, probed at run time, never guessed from the
 * kernel version. */
enum via { VIA_NONE, VIA_TRACEPOINT, VIA_KPROBE };

enum syscall_id { SC_OPEN, SC_OPENAT, SC_OPENAT2, SC_CREAT, SC_EXECVE, SC_EXECVEAT, SC_MAX };

static const struct {
	const char *name;	/* syscall, tracepoint and symbol stem */
	const char *define;	/* its OT_HOST_* line in the text */
	unsigned events;	/* the event class it belongs to */
	const char *kretprobe;	/* the function its kretprobe runs */
} syscalls[SC_MAX] = {
	[SC_OPEN] = { "open", "OT_HOST_OPEN", OT_EVENTS_OPEN, "ot_kretprobe" },
	[SC_OPENAT] = { "openat", "OT_HOST_OPENAT", OT_EVENTS_OPEN, "ot_kretprobe" },
	[SC_OPENAT2] = { "openat2", "OT_HOST_OPENAT2", OT_EVENTS_OPEN, "ot_kretprobe" },
	[SC_CREAT] = { "creat", "OT_HOST_CREAT", OT_EVENTS_OPEN, "ot_kretprobe" },
	[SC_EXECVE] = { "execve", "OT_HOST_EXECVE", OT_EVENTS_EXEC, "ot_kretprobe_exec" },
	[SC_EXECVEAT] = { "execveat", "OT_HOST_EXECVEAT", OT_EVENTS_EXEC, "ot_kretprobe_exec" },
};

struct host {
	const char *tracefs;		/* NULL: not mounted */
	enum via via[SC_MAX];
	char symbol[SC_MAX][64];	/* kprobe target, when via kprobe */
	bool syscall_wrapper;		/* __x64_sys_NAME(struct pt_regs *) */
	bool kprobes;			/* the kernel can attach kprobes */
	bool exit_group_dead;		/* sched_process_exit says so */
	bool task_reads;		/* headers are the running kernel's */
	bool raw_tracepoints;	/* sys_enter/exit, sched_process_exit */
	/* whether to use the BPF ring buffer: RING_NO also when the kernel
	 * has one and OPENTRACE_BCC_TRANSPORT=perf refuses it */
	enum { RING_NO, RING_YES, RING_UNKNOWN } ring;
};

static bool file_exists(const char *path)
{
	return !access(path, F_OK);
}

static bool tracepoint_has_field(const char *tracefs, const char *category, const char *event,
				 const char *field)
{
	char path[256], line[256], want[64];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, category, event);
	snprintf(want, sizeof(want), " %s;", field);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "\tfield:", 7) && strstr(line, want);
	fclose(f);
	return found;
}

/* Finds the syscall functions in /proc/kallsyms, with or without the
 * x86-64 wrapper prefix; only these two calling conventions are known to
 * the template. */
static void find_symbols(struct host *h, bool want[SC_MAX])
{
	static const char *const prefixes[] = { "__x64_sys_", "sys_" };
	char line[512], name[256];
	bool found[2][SC_MAX] = { { false } };
	size_t p, i;
	FILE *f;

#ifndef __x86_64__
	return;
#endif
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char type;

		if (sscanf(line, "%*s %c %255s", &type, name) != 2 || (type != 'T' && type != 't'))
			continue;
		for (p = 0; p < 2; p++) {
			size_t n = strlen(prefixes[p]);

			if (strncmp(name, prefixes[p], n))
				continue;
			for (i = 0; i < SC_MAX; i++)
				if (want[i] && !strcmp(name + n, syscalls[i].name))
					found[p][i] = true;
		}
	}
	fclose(f);
	/* a kernel has one convention: the wrapper's, if any is found */
	for (p = 0; p < 2; p++) {
		bool any = false;

		for (i = 0; i < SC_MAX; i++)
			any |= found[p][i];
		if (!any)
			continue;
		h->syscall_wrapper = p == 0;
		for (i = 0; i < SC_MAX; i++) {
			if (!found[p][i])
				continue;
			h->via[i] = VIA_KPROBE;
			snprintf(h->symbol[i], sizeof(h->symbol[i]), "%s%s", prefixes[p],
				 syscalls[i].name);
		}
		return;
	}
}

/* The kernel headers BCC will compile against, as BCC looks for them. On
 * success, dir is the directory with include/generated. */
static int find_headers(char *dir, size_t len, char *why, size_t wlen)
{
	const char *env = getenv("BCC_KERNEL_SOURCE");
	char path[PATH_MAX], src[PATH_MAX];
	struct utsname u;

	uname(&u);
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/include/linux/kconfig.h", env);
		if (!file_exists(path)) {
			snprintf(why, wlen, "BCC_KERNEL_SOURCE=%s holds no kernel headers (no "
				 "include/linux/kconfig.h there)", env);
			return -1;
		}
		snprintf(dir, len, "%s", env);
		return 0;
	}
	snprintf(dir, len, "/lib/modules/%s/build", u.release);
	snprintf(src, sizeof(src), "/lib/modules/%s/source", u.release);
	if (ot_dir_exists(dir)) {
		char kconfig_build[PATH_MAX + 32], kconfig_src[PATH_MAX + 32];

		snprintf(kconfig_build, sizeof(kconfig_build), "%s/include/linux/kconfig.h", dir);
		snprintf(kconfig_src, sizeof(kconfig_src), "%s/include/linux/kconfig.h", src);
		if (file_exists(kconfig_build) || file_exists(kconfig_src))
			return 0;
		snprintf(why, wlen, "the kernel headers for %s are incomplete: no "
			 "include/linux/kconfig.h in %s or %s (Debian splits headers into "
			 "linux-headers-*-ARCH and -common: link %s to the -common directory), "
			 "or set BCC_KERNEL_SOURCE to a complete headers directory",
			 u.release, dir, src, src);
		return -1;
	}
	/* BCC unpacks the headers a CONFIG_IKHEADERS kernel carries */
	if (file_exists("/sys/kernel/kheaders.tar.xz")) {
		dir[0] = '\0';
		return 0;
	}
	snprintf(why, wlen, "no kernel headers for %s (looked in /lib/modules/%s/build and "
		 "/sys/kernel/kheaders.tar.xz); install linux-headers-%s, or set "
		 "BCC_KERNEL_SOURCE to a kernel headers directory", u.release, u.release,
		 u.release);
	return -1;
}

/* Whether the headers describe the running kernel: only then may the
 * program read kernel structures (ppid, a process's live threads). Headers
 * of another release compile, and tracepoints work with them, but struct
 * offsets would be wrong. */
static bool headers_match(const char *dir)
{
	char path[PATH_MAX + 64], line[256], want[300];
	struct utsname u;
	bool match = false;
	FILE *f;

	if (!dir[0])
		return true;	/* the kernel's own kheaders */
	uname(&u);
	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", dir);
	snprintf(want, sizeof(want), "#define UTS_RELEASE \"%s\"", u.release);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!match && fgets(line, sizeof(line), f))
		match = !strncmp(line, want, strlen(want)) &&
			(line[strlen(want)] == '\n' || line[strlen(want)] == '\0');
	fclose(f);
	return match;
}

/* Whether the kernel has the BPF ring buffer: create the smallest one.
 * Without the privilege to create maps (--emit as a user) nobody knows. */
static int probe_ringbuf(void)
{
	union bpf_attr attr;
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_RINGBUF;
	attr.max_entries = page > 0 ? page : 4096;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		return RING_YES;
	}
	return errno == EPERM || errno == EACCES ? RING_UNKNOWN : RING_NO;
}

/* Whether the kernel loads raw tracepoint programs (4.17 and later): one
 * that returns 0. Without the privilege to load programs (--emit as a
 * user) the answer of a kernel that has the raw_syscalls events is
 * assumed. */
static bool probe_raw_tracepoints(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno == EPERM || errno == EACCES;
}

/* OPENTRACE_BCC_TRANSPORT: "perf" forces the perf buffers, to test them
 * (and compare them) on a kernel that has the ring buffer. */
static bool ring_refused(void)
{
	const char *v = getenv("OPENTRACE_BCC_TRANSPORT");

	return v && !strcmp(v, "perf");
}

/* OPENTRACE_BCC_RAW=0 keeps the perf-event tracepoints where raw ones
 * exist too: to compile and test the text of kernels before 4.17. */
static bool raw_refused(void)
{
	const char *v = getenv("OPENTRACE_BCC_RAW");

	return v && !strcmp(v, "0");
}

/* OPENTRACE_BCC_KPROBES=1 prefers kprobes where tracepoints exist too: to
 * review, compile and test the fallback on a kernel with tracepoints. */
static bool kprobes_forced(void)
{
	const char *v = getenv("OPENTRACE_BCC_KPROBES");

	return v && !strcmp(v, "1");
}

static void probe_host(struct host *h)
{
	bool want[SC_MAX] = { false }, need_symbols = false, force = kprobes_forced();
	char headers[PATH_MAX], why[512];
	size_t i;

	memset(h, 0, sizeof(*h));
	h->task_reads = !find_headers(headers, sizeof(headers), why, sizeof(why)) &&
			headers_match(headers);
	h->ring = ring_refused() ? RING_NO : probe_ringbuf();
	h->tracefs = ot_tracefs_mounted();
	if (!h->tracefs) {
		/* Only --emit gets here (run mounts tracefs first), typically
		 * not as root: show the text of the common case, tracepoints,
		 * rather than one with no probes at all. */
		for (i = 0; i < SC_MAX; i++)
			h->via[i] = VIA_TRACEPOINT;
		return;
	}
	h->kprobes = ot_dir_exists("/sys/bus/event_source/devices/kprobe");
	if (!h->kprobes && h->tracefs) {
		char path[64];

		snprintf(path, sizeof(path), "%s/kprobe_events", h->tracefs);
		h->kprobes = file_exists(path);
	}
	for (i = 0; i < SC_MAX; i++) {
		char enter[64], exit_[64];

		snprintf(enter, sizeof(enter), "sys_enter_%s", syscalls[i].name);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", syscalls[i].name);
		if (!force && h->tracefs && ot_tracepoint_exists(h->tracefs, "syscalls", enter) &&
		    ot_tracepoint_exists(h->tracefs, "syscalls", exit_)) {
			h->via[i] = VIA_TRACEPOINT;
			continue;
		}
		want[i] = true;
		need_symbols = true;
	}
	if (need_symbols && (h->kprobes || force))
		find_symbols(h, want);
	h->exit_group_dead = tracepoint_has_field(h->tracefs, "sched", "sched_process_exit",
						  "group_dead");
#ifdef __x86_64__
	/* the template reads x86-64 registers */
	h->raw_tracepoints = !force && !raw_refused() &&
			     ot_tracepoint_exists(h->tracefs, "raw_syscalls", "sys_enter") &&
			     ot_tracepoint_exists(h->tracefs, "raw_syscalls", "sys_exit") &&
			     probe_raw_tracepoints();
#endif
}

static int bcc_probe(char *why, size_t len)
{
	char headers[PATH_MAX];
	struct host h;
	size_t i;

	/* Only the loader library: the compiler (LLVM, 60 MB of RSS) ships in
	 * the same package and is opened when a program is not in the cache. */
	if (load_libbcc_bpf(why, len))
		return -1;
	if (ot_caps_check(why, len))
		return -1;
	if (find_headers(headers, sizeof(headers), why, len))
		return -1;
	if (!ot_tracefs_mounted() && !ot_dir_exists("/sys/kernel/tracing")) {
		snprintf(why, len, "tracefs is not mounted and /sys/kernel/tracing does not exist");
		return -1;
	}
	probe_host(&h);
	if (!h.tracefs)
		return 0;	/* run mounts it, then knows more */
	for (i = 0; i < SC_MAX; i++)
		if (syscalls[i].events == OT_EVENTS_OPEN && h.via[i] != VIA_NONE)
			return 0;
	snprintf(why, len, "the kernel has neither syscall tracepoints for the open calls "
		 "(CONFIG_FTRACE_SYSCALLS) nor kprobes on their functions (CONFIG_KPROBES)");
	return -1;
}

/* The ring buffer's size in pages, or 0 for perf buffers. The kernel
 * wants a power of two of pages; --buffer-size is one already. */
static unsigned ring_pages(const struct ot_plan *plan, const struct host *h)
{
	size_t bytes = plan->buffer_size ? plan->buffer_size : DEFAULT_BUFFER;
	long page = sysconf(_SC_PAGESIZE);

	if (h->ring != RING_YES)
		return 0;
	if (page <= 0 || bytes <= (size_t)page)
		return 1;
	return bytes / page;
}

/* What the program cannot do, said before anything is compiled. */
static int check_plan(const struct ot_plan *plan)
{

	if ((plan->events & OT_EVENTS_EXEC) && plan->max_args > OT_MAX_ARGS_LIMIT) {
		ot_error_msg("bcc: --max-args %u: this backend reads at most %d arguments",
			     plan->max_args, OT_MAX_ARGS_LIMIT);
		return -1;
	}
	return 0;
}

/* The flags formula as one C expression of integers. */
static void print_flags_match(FILE *out, const struct ot_flags_dnf *dnf)
{
	unsigned i;

	fprintf(out, "#define OT_FLAGS_MATCH(f) (");
	for (i = 0; i < dnf->nclauses; i++)
		fprintf(out, "%s((f) & %#" PRIx64 "ULL) == %#" PRIx64 "ULL", i ? " || \\\n\t" : "",
			dnf->clause[i].mask, dnf->clause[i].value);
	if (!dnf->nclauses)
		fprintf(out, "0");
	fprintf(out, ")\n");
}

/* The whole text libbcc compiles. Only integers from the plan and the
 * host are printed here; the plan's strings are left to fill_conf(). */
static void print_text(FILE *out, const struct ot_plan *plan, const struct host *h)
{
	bool filter_pids = ot_plan_filters_pids(plan);
	bool flags = plan->flags_expr && plan->flags.nclauses;
	size_t i;

	fprintf(out, "/* opentrace, bcc backend: the C text libbcc compiles. */\n\n");
	fprintf(out, "/* The plan: integers only; the -n comm is in the ot_conf map. */\n");
	fprintf(out, "#define OT_FILTER_PIDS %d\n", filter_pids);
	fprintf(out, "#define OT_FOLLOW %d\n", filter_pids && plan->follow);
	fprintf(out, "#define OT_TID %d\n", (int)plan->tid);
	fprintf(out, "#define OT_FILTER_UID %d\n", plan->target == OT_TARGET_UID);
	fprintf(out, "#define OT_UID %uU\n", plan->target == OT_TARGET_UID ? (unsigned)plan->uid : 0);
	fprintf(out, "#define OT_FILTER_CGROUP %d\n", plan->cgroup || plan->new_cgroup);
	fprintf(out, "#define OT_FILTER_COMM %d\n", plan->comm[0] != '\0');
	fprintf(out, "#define OT_FILTER_FLAGS %d\n", flags);
	if (flags)
		print_flags_match(out, &plan->flags);
	fprintf(out, "#define OT_FAILED_ONLY %d\n", plan->failed_only);
	fprintf(out, "#define OT_MIN_LATENCY_NS %" PRIu64 "ULL\n", plan->min_latency_ns);
	fprintf(out, "#define OT_EVENTS_OPEN %d\n", !!(plan->events & OT_EVENTS_OPEN));
	fprintf(out, "#define OT_EVENTS_EXEC %d\n", !!(plan->events & OT_EVENTS_EXEC));
	fprintf(out, "#define OT_MAX_ARGS %u\n", plan->max_args);
	if (h->tracefs)
		fprintf(out, "\n/* The host, as probed: 1 tracepoint, 2 kprobe, 0 absent; "
			"raw tracepoints or not; the ring "
			"buffer's pages, 0 for perf buffers. */\n");
	else
		fprintf(out, "\n/* The host could not be probed (tracefs is not readable here): "
			"tracepoints assumed. */\n");
	for (i = 0; i < SC_MAX; i++)
		fprintf(out, "#define %s %d\n", syscalls[i].define, (int)h->via[i]);
	fprintf(out, "#define OT_HOST_SYSCALL_WRAPPER %d\n", h->syscall_wrapper);
	fprintf(out, "#define OT_HOST_EXIT_GROUP_DEAD %d\n", h->exit_group_dead);
	fprintf(out, "#define OT_HOST_TASK_READS %d\n", h->task_reads);
	fprintf(out, "#define OT_HOST_RAW_TRACEPOINTS %d\n", h->raw_tracepoints);
	if (h->ring == RING_UNKNOWN)
		fprintf(out, "/* The host's BPF ring buffer could not be probed (no privilege "
			"to create maps): perf buffers assumed. */\n");
	fprintf(out, "#define OT_HOST_RING_PAGES %u\n\n", ring_pages(plan, h));
	fputs(ot_bcc_text_record, out);
	fputc('\n', out);
	fputs(ot_bcc_text_main, out);
}

/* --emit prints exactly what run would compile on this host. */
static int bcc_emit(const struct ot_plan *plan, FILE *out)
{
	struct host h;

	if (check_plan(plan))
		return 1;
	probe_host(&h);
	print_text(out, plan, &h);
	return 0;
}

/* The compiled program as plain data, detached from libbcc: its maps'
 * descriptions and its functions' instructions. It is what the cache
 * keeps, so that a run of a plan already compiled on this host loads it
 * without the compiler: no LLVM, no headers parsed, a few ms instead of
 * hundreds. */
struct image_map {
	char name[64];
	__u32 type, key_size, leaf_size, max_entries, flags;
	__s32 old_fd;	/* the fd the compiled instructions refer to */
	int fd;		/* this run's map */
};

struct image_prog {
	char name[128];
	struct bpf_insn *insns;
	__u32 len;	/* bytes */
};

struct image {
	char license[64];
	__u32 kern_version;
	struct image_map *maps;
	__u32 nmaps;
	struct image_prog *progs;
	__u32 nprogs;
};

#define IMAGE_MAGIC "OTBCC1\n"
/* Cached programs kept, the last used. */
#define CACHE_MAX 64
#define IMAGE_MAX (64u << 20)

static void image_free(struct image *im)
{
	__u32 i;

	for (i = 0; i < im->nmaps; i++)
		if (im->maps[i].fd >= 0)
			close(im->maps[i].fd);
	for (i = 0; i < im->nprogs; i++)
		free(im->progs[i].insns);
	free(im->maps);
	free(im->progs);
	memset(im, 0, sizeof(*im));
}

static int image_from_module(struct image *im, void *mod)
{
	size_t i;

	memset(im, 0, sizeof(*im));
	snprintf(im->license, sizeof(im->license), "%s", cc.module_license(mod));
	im->kern_version = cc.module_kern_version(mod);
	im->nmaps = cc.num_tables(mod);
	im->nprogs = cc.num_functions(mod);
	im->maps = ot_xcalloc(im->nmaps + 1, sizeof(*im->maps));
	im->progs = ot_xcalloc(im->nprogs + 1, sizeof(*im->progs));
	for (i = 0; i < im->nmaps; i++) {
		struct image_map *m = &im->maps[i];

		snprintf(m->name, sizeof(m->name), "%s", cc.table_name(mod, i));
		m->type = cc.table_type_id(mod, i);
		m->key_size = cc.table_key_size_id(mod, i);
		m->leaf_size = cc.table_leaf_size_id(mod, i);
		m->max_entries = cc.table_max_entries_id(mod, i);
		m->flags = cc.table_flags_id(mod, i);
		m->old_fd = cc.table_fd_id(mod, i);
		m->fd = -1;
	}
	for (i = 0; i < im->nprogs; i++) {
		struct image_prog *p = &im->progs[i];

		snprintf(p->name, sizeof(p->name), "%s", cc.function_name(mod, i));
		p->len = cc.function_size_id(mod, i);
		p->insns = ot_xmalloc(p->len);
		memcpy(p->insns, cc.function_start_id(mod, i), p->len);
	}
	return 0;
}

static void put_u32(FILE *f, __u32 v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void put_str(FILE *f, const char *s)
{
	put_u32(f, strlen(s));
	fputs(s, f);
}

static void image_write(FILE *f, const struct image *im, const char *key, size_t key_len)
{
	__u32 i;

	fputs(IMAGE_MAGIC, f);
	put_u32(f, key_len);
	fwrite(key, 1, key_len, f);
	put_str(f, im->license);
	put_u32(f, im->kern_version);
	put_u32(f, im->nmaps);
	for (i = 0; i < im->nmaps; i++) {
		const struct image_map *m = &im->maps[i];

		put_str(f, m->name);
		put_u32(f, m->type);
		put_u32(f, m->key_size);
		put_u32(f, m->leaf_size);
		put_u32(f, m->max_entries);
		put_u32(f, m->flags);
		put_u32(f, m->old_fd);
	}
	put_u32(f, im->nprogs);
	for (i = 0; i < im->nprogs; i++) {
		put_str(f, im->progs[i].name);
		put_u32(f, im->progs[i].len);
		fwrite(im->progs[i].insns, 1, im->progs[i].len, f);
	}
}

struct cursor {
	const char *p, *end;
	bool bad;
};

static const char *get_bytes(struct cursor *c, size_t n)
{
	const char *p = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	c->p += n;
	return p;
}

static __u32 get_u32(struct cursor *c)
{
	const char *p = get_bytes(c, sizeof(__u32));
	__u32 v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static void get_str(struct cursor *c, char *buf, size_t size)
{
	__u32 n = get_u32(c);
	const char *p = n < size ? get_bytes(c, n) : NULL;

	if (!p) {
		c->bad = true;
		buf[0] = '\0';
		return;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* Parses a cache file; 0 only if it is whole and was made for key. */
static int image_read(struct image *im, const char *buf, size_t len, const char *key,
		      size_t key_len)
{
	struct cursor c = { buf, buf + len, false };
	const char *k;
	__u32 i, n;

	memset(im, 0, sizeof(*im));
	k = get_bytes(&c, strlen(IMAGE_MAGIC));
	if (!k || memcmp(k, IMAGE_MAGIC, strlen(IMAGE_MAGIC)))
		return -1;
	n = get_u32(&c);
	k = get_bytes(&c, n);
	if (!k || n != key_len || memcmp(k, key, key_len))
		return -1;
	get_str(&c, im->license, sizeof(im->license));
	im->kern_version = get_u32(&c);
	n = get_u32(&c);
	if (c.bad || n > 64)
		return -1;
	im->maps = ot_xcalloc(n + 1, sizeof(*im->maps));
	for (i = 0; i < n && !c.bad; i++, im->nmaps++) {
		struct image_map *m = &im->maps[i];

		m->fd = -1;
		get_str(&c, m->name, sizeof(m->name));
		m->type = get_u32(&c);
		m->key_size = get_u32(&c);
		m->leaf_size = get_u32(&c);
		m->max_entries = get_u32(&c);
		m->flags = get_u32(&c);
		m->old_fd = get_u32(&c);
	}
	n = get_u32(&c);
	if (c.bad || n > 64) {
		image_free(im);
		return -1;
	}
	im->progs = ot_xcalloc(n + 1, sizeof(*im->progs));
	for (i = 0; i < n && !c.bad; i++) {
		struct image_prog *p = &im->progs[i];
		const char *insns;

		get_str(&c, p->name, sizeof(p->name));
		p->len = get_u32(&c);
		insns = get_bytes(&c, p->len);
		if (!insns || p->len % sizeof(struct bpf_insn))
			break;
		p->insns = ot_xmalloc(p->len);
		memcpy(p->insns, insns, p->len);
		im->nprogs++;
	}
	if (c.bad || im->nprogs != n || c.p != c.end) {
		image_free(im);
		return -1;
	}
	return 0;
}

/* Creates this run's maps and points the instructions at them. */
static int image_create_maps(struct image *im)
{
	__u32 i, j, k;

	for (i = 0; i < im->nmaps; i++) {
		struct image_map *m = &im->maps[i];

		m->fd = bcc.create_map(m->type, m->name, m->key_size, m->leaf_size,
				       m->max_entries, m->flags);
		if (m->fd < 0) {
			ot_perror_msg("bcc: creating the map %s", m->name);
			return -1;
		}
	}
	for (i = 0; i < im->nprogs; i++) {
		struct bpf_insn *insn = im->progs[i].insns;
		size_t n = im->progs[i].len / sizeof(*insn);

		for (j = 0; j + 1 < n; j++) {
			if (insn[j].code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (insn[j].src_reg == BPF_PSEUDO_MAP_FD) {
				for (k = 0; k < im->nmaps; k++)
					if (im->maps[k].old_fd == insn[j].imm)
						break;
				if (k == im->nmaps) {
					ot_error_msg("bcc: %s refers to an unknown map", im->progs[i].name);
					return -1;
				}
				insn[j].imm = im->maps[k].fd;
			} else if (insn[j].src_reg) {
				ot_error_msg("bcc: %s has a 64-bit load of a kind this loader does "
					     "not know (%d)", im->progs[i].name, insn[j].src_reg);
				return -1;
			}
			j++;	/* the second half of the 16-byte load */
		}
	}
	return 0;
}

static int image_map_fd(const struct image *im, const char *name)
{
	__u32 i;

	for (i = 0; i < im->nmaps; i++)
		if (!strcmp(im->maps[i].name, name))
			return im->maps[i].fd;
	return -1;
}

/* The cache of compiled programs: OPENTRACE_BCC_CACHE, else
 * /var/cache/opentrace; OPENTRACE_BCC_CACHE= (empty) turns it off. Root
 * loads what it reads there into the kernel, so a directory or file that
 * anyone else could have written is ignored. */
static const char *cache_dir(void)
{
	const char *env = getenv("OPENTRACE_BCC_CACHE");

	if (env)
		return *env ? env : NULL;
	return "/var/cache/opentrace";
}

static bool owned_and_private(int fd, bool dir)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
	       (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/* FNV-1a: a file name for the key, which the file holds whole and which
 * is compared in full, so a collision costs a compile, never a wrong
 * program. */
static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int cache_open_dir(bool create)
{
	const char *dir = cache_dir();
	int fd;

	if (!dir)
		return -1;
	if (create)
		mkdir(dir, 0700);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !owned_and_private(fd, true)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cache_load(struct image *im, const char *key, size_t key_len)
{
	char name[32], *buf = NULL;
	int dfd = cache_open_dir(false), fd = -1, rc = -1;
	struct stat st;

	if (dfd < 0)
		return -1;
	snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a(key, key_len));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !owned_and_private(fd, false) || fstat(fd, &st) ||
	    st.st_size > IMAGE_MAX)
		goto out;
	buf = malloc(st.st_size + 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		goto out;
	rc = image_read(im, buf, st.st_size, key, key_len);
	/* the time of last use, which pruning goes by */
	if (!rc)
		futimens(fd, NULL);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

struct cache_entry {
	char name[32];
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	return (x->used.tv_nsec > y->used.tv_nsec) - (x->used.tv_nsec < y->used.tv_nsec);
}

/* One file per plan and host: keep the CACHE_MAX used last. */
static void cache_prune(int dfd)
{
	struct cache_entry *e = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	DIR *dir;
	int fd = dup(dfd);

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((d = readdir(dir))) {
		size_t len = strlen(d->d_name);
		struct stat st;

		if (len < 5 || len >= sizeof(e->name) || strcmp(d->d_name + len - 4, ".bpf") ||
		    fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (n == cap) {
			struct cache_entry *p = realloc(e, (cap = cap ? 2 * cap : 64) * sizeof(*e));

			if (!p)
				break;
			e = p;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", d->d_name);
		e[n++].used = st.st_mtim;
	}
	closedir(dir);
	if (n > CACHE_MAX) {
		qsort(e, n, sizeof(*e), by_use);
		for (i = 0; i < n - CACHE_MAX; i++)
			unlinkat(dfd, e[i].name, 0);
	}
	free(e);
}

/* Best effort: a cache that cannot be written only costs the next run
 * a compile. */
static void cache_store(const struct image *im, const char *key, size_t key_len)
{
	char name[32], tmp[48];
	int dfd = cache_open_dir(true), fd;
	FILE *f;

	if (dfd < 0)
		return;
	snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a(key, key_len));
	snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return;
	}
	f = fdopen(fd, "we");
	if (!f) {
		close(fd);
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return;
	}
	image_write(f, im, key, key_len);
	if (fclose(f) || renameat(dfd, tmp, dfd, name))
		unlinkat(dfd, tmp, 0);
	cache_prune(dfd);
	close(dfd);
}

/* What a compiled program depends on besides its text: the kernel, the
 * headers it was compiled against, the number of CPUs (perf buffer array
 * size). */
static char *cache_key(const char *text, size_t text_len, size_t *key_len)
{
	char headers[PATH_MAX], why[512], conf[PATH_MAX + 64];
	struct utsname u;
	struct stat st;
	char *key = NULL;
	size_t len = 0;
	FILE *f;

	memset(&st, 0, sizeof(st));
	uname(&u);
	if (!find_headers(headers, sizeof(headers), why, sizeof(why))) {
		snprintf(conf, sizeof(conf), "%s/include/generated/autoconf.h", headers);
		stat(conf, &st);
	} else {
		headers[0] = '\0';
	}
	f = ot_xmemstream(&key, &len);
	fwrite(text, 1, text_len, f);
	fprintf(f, "%c%s %s %s%c%s %lld.%09ld %lld%ccpus %ld%c", 0, u.release, u.version,
		u.machine, 0, headers, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		(long long)st.st_size, 0, sysconf(_SC_NPROCESSORS_CONF), 0);
	ot_xmemstream_close(f);
	*key_len = len;
	return key;
}

/* The program for text: from the cache, else compiled by libbcc (and then
 * cached). */
static int get_image(struct image *im, const char *text, size_t text_len, bool *cached)
{
	char why[512];
	size_t key_len;
	char *key = cache_key(text, text_len, &key_len);
	void *mod;

	*cached = !cache_load(im, key, key_len);
	if (*cached) {
		free(key);
		return 0;
	}
	if (load_libbcc(why, sizeof(why))) {
		ot_error_msg("bcc: %s", why);
		free(key);
		return -1;
	}
	mod = cc.module_create(text, 0, NULL, 0, true, NULL);
	if (!mod) {
		ot_error_msg("bcc: libbcc could not compile the program (its messages are above; "
			     "'opentrace -B bcc --emit' prints the text)");
		free(key);
		return -1;
	}
	image_from_module(im, mod);
	/* libbcc's own maps go with the module: the run makes its own */
	cc.module_destroy(mod);
	cache_store(im, key, key_len);
	free(key);
	return 0;
}

static int fill_conf(int fd, const struct ot_plan *plan)
{
	struct ot_bcc_conf conf;
	int zero = 0;

	memset(&conf, 0, sizeof(conf));
	conf.self_tgid = getpid();
	conf.comm_len = strnlen(plan->comm, sizeof(plan->comm) - 1);
	memcpy(conf.comm, plan->comm, conf.comm_len);
	if (bcc.update_elem(fd, &zero, &conf, 0)) {
		ot_perror_msg("bcc: filling the ot_conf map");
		return -1;
	}
	return 0;
}

static int fill_cgroup(int map, const struct ot_plan *plan)
{
	int zero = 0, fd, err;

	if (!plan->cgroup)
		return 0;
	fd = open(plan->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ot_perror_msg("bcc: opening cgroup %s", plan->cgroup);
		return -1;
	}
	err = bcc.update_elem(map, &zero, &fd, 0);
	if (err)
		ot_perror_msg("bcc: setting the cgroup filter to %s", plan->cgroup);
	close(fd);
	return err ? -1 : 0;
}

/* Fills the pid set. Targets that are gone (or zombies, whose exit the
 * kernel side can no longer see) are refused up front. */
static int fill_pids(int fd, const struct ot_plan *plan)
{
	__u8 one = 1;
	size_t i;

	for (i = 0; i < plan->npids; i++) {
		__u32 pid = plan->pids[i];

		if (plan->target == OT_TARGET_PID && !ot_process_alive(pid)) {
			ot_error_msg("-p %d: no such process", pid);
			return -1;
		}
		if (bcc.update_elem(fd, &pid, &one, 0)) {
			ot_perror_msg("bcc: adding pid %d to the pid set", pid);
			return -1;
		}
	}
	return 0;
}

/* Drops the processes that ended unseen: those that exited between
 * fill_pids and attach, and every ended one where the kernel cannot say
 * when a process's last thread exits. True when the set is empty. */
static bool prune_pids(int fd)
{
	__u32 key, next;
	bool any = false, first = true;

	while (!bcc.get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		if (!ot_process_alive(next)) {
			bcc.delete_elem(fd, &next);
			/* restart: the deleted key cannot lead to the next one */
			first = true;
			continue;
		}
		any = true;
		key = next;
	}
	return !any;
}

/* ppid from /proc for the processes older than the run, where the program
 * cannot read task_struct; cached briefly. A process that ended before its
 * record was read keeps ppid 0. */
static struct {
	uint32_t pid, ppid;
	uint64_t at;
} ppid_cache[PPID_SLOTS];

static uint32_t ppid_of(uint32_t pid)
{
	uint64_t now = ot_now_ns();
	unsigned slot = pid % PPID_SLOTS;
	char path[64];
	unsigned ppid = 0;
	FILE *f;

	if (ppid_cache[slot].pid == pid && now - ppid_cache[slot].at < PPID_TTL_NS)
		return ppid_cache[slot].ppid;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%*d (%*[^)]) %*c %u", &ppid) != 1)
			ppid = 0;
		fclose(f);
	}
	ppid_cache[slot].pid = pid;
	ppid_cache[slot].ppid = ppid;
	ppid_cache[slot].at = now;
	return ppid;
}

/* The records of one drain, from every CPU's buffer, delivered in time
 * order as libbpf's single ring buffer delivers them: per-CPU perf
 * buffers read one after the other would interleave CPUs a drain apart. */
struct batch_rec {
	size_t off, size;
	uint64_t ts;
};

struct run_ctx {
	struct ot_sink *sink;
	bool task_reads;
	uint64_t perf_lost;	/* the perf buffers' lost-sample reports */
	char *buf;
	size_t len, cap;
	struct batch_rec *recs;
	size_t n, ncap;
};

static void deliver(struct run_ctx *rc, const struct ot_bcc_record *r, size_t size)
{
	size_t head = offsetof(struct ot_bcc_record, data);
	struct ot_event ev;

	if (size < head || size < head + r->path_len)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = r->ts_ns;
	ev.latency_ns = r->latency_ns;
	ev.cgid = r->cgid;
	ev.flags = r->flags;
	ev.ret = r->ret;
	ev.pid = r->pid;
	ev.tid = r->tid;
	ev.ppid = r->ppid || rc->task_reads ? r->ppid : ppid_of(r->pid);
	ev.uid = r->uid;
	ev.mode = r->mode;
	ev.dfd = r->dfd;
	switch (r->kind) {
	case OT_BCC_OPEN: ev.kind = OT_KIND_OPEN; break;
	case OT_BCC_OPENAT: ev.kind = OT_KIND_OPENAT; break;
	case OT_BCC_OPENAT2: ev.kind = OT_KIND_OPENAT2; break;
	case OT_BCC_CREAT: ev.kind = OT_KIND_CREAT; break;
	case OT_BCC_EXECVE: ev.kind = OT_KIND_EXECVE; break;
	case OT_BCC_EXECVEAT: ev.kind = OT_KIND_EXECVEAT; break;
	default: return;
	}
	if (r->status & OT_BCC_TRUNCATED)
		ev.status |= OT_EV_PATH_TRUNCATED;
	if (r->status & OT_BCC_UNREADABLE)
		ev.status |= OT_EV_PATH_UNREADABLE;
	if (r->status & OT_BCC_ARGS_TRUNCATED)
		ev.status |= OT_EV_ARGS_TRUNCATED;
	memcpy(ev.comm, r->comm, OT_COMM_LEN);
	ev.path = r->data;
	ev.path_len = r->path_len;
	if (ot_kind_is_exec(ev.kind)) {
		if (size < head + OT_ARGS_OFF + r->args_len)
			return;
		ev.args = r->data + OT_ARGS_OFF;
		ev.args_len = r->args_len;
	}
	ot_sink_event(rc->sink, &ev);
}

/* perf_reader's callback: the record is only kept for now. */
static void on_record(void *cookie, void *data, int size)
{
	struct run_ctx *rc = cookie;
	size_t need;

	if (size < (int)sizeof(uint64_t))
		return;
	need = (size + 7) & ~(size_t)7;
	if (rc->len + need > rc->cap) {
		size_t cap = rc->cap ? rc->cap : 1 << 16;

		while (cap < rc->len + need)
			cap *= 2;
		rc->buf = ot_xreallocarray(rc->buf, 1, cap);
		rc->cap = cap;
	}
	if (rc->n == rc->ncap) {
		size_t ncap = rc->ncap ? rc->ncap * 2 : 1024;

		rc->recs = ot_xreallocarray(rc->recs, ncap, sizeof(*rc->recs));
		rc->ncap = ncap;
	}
	memcpy(rc->buf + rc->len, data, size);
	rc->recs[rc->n].off = rc->len;
	rc->recs[rc->n].size = size;
	memcpy(&rc->recs[rc->n].ts, data, sizeof(uint64_t));	/* ts_ns comes first */
	rc->n++;
	rc->len += need;
}

/* Equal times keep their buffer order. */
static int by_time(const void *a, const void *b)
{
	const struct batch_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The ring buffer's callback: one buffer, records already in order. */
static int on_ring_record(void *cookie, void *data, size_t size)
{
	deliver(cookie, data, size);
	return 0;
}

static void on_lost(void *cookie, uint64_t lost)
{
	struct run_ctx *rc = cookie;

	rc->perf_lost += lost;
}

/* Online CPUs from sysfs ("0-3,8-11"), as a bitmap up to max. */
static int online_cpus(bool *online, int max)
{
	char buf[1024], *p = buf;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
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
			online[a] = true;
			n++;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return n;
}

#define MAX_CPUS 1024
#define MAX_ATTACH (2 * SC_MAX + 2)

struct attached {
	int fd;			/* a perf event's, or a raw tracepoint's */
	bool raw;
	char kprobe_event[64];	/* to remove, for kprobes */
};

struct bcc_run {
	struct image im;
	int prog_fds[MAX_ATTACH];
	int nprogs;
	struct attached att[MAX_ATTACH];
	int natt;
	struct perf_reader *readers[MAX_CPUS];
	int nreaders;
	struct ring_buffer *ring;	/* instead of the readers, when it has one */
};

static void drain(struct bcc_run *r, struct run_ctx *rc)
{
	size_t i;

	if (r->ring) {
		bcc.consume_ringbuf(r->ring);
		return;
	}
	bcc.reader_consume(r->nreaders, r->readers);
	/* one busy CPU, the common case, gives records in order already */
	for (i = 1; i < rc->n; i++)
		if (rc->recs[i].ts < rc->recs[i - 1].ts)
			break;
	if (i < rc->n)
		qsort(rc->recs, rc->n, sizeof(*rc->recs), by_time);
	for (i = 0; i < rc->n; i++)
		deliver(rc, (const struct ot_bcc_record *)(rc->buf + rc->recs[i].off),
			rc->recs[i].size);
	rc->n = 0;
	rc->len = 0;
}

static int load_prog(struct bcc_run *r, const char *func, enum bpf_prog_type type)
{
	const struct image_prog *p = NULL;
	__u32 i;
	int fd;

	for (i = 0; i < r->im.nprogs && !p; i++)
		if (!strcmp(r->im.progs[i].name, func))
			p = &r->im.progs[i];
	if (!p) {
		ot_error_msg("bcc: the compiled text has no function %s", func);
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
	struct attached *a = &r->att[r->natt];
	int prog, fd;

	prog = load_prog(r, func, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return -1;
	snprintf(a->kprobe_event, sizeof(a->kprobe_event), "%c_%s_ot%d", ret ? 'r' : 'p',
		 symbol, (int)getpid());
	fd = bcc.attach_kprobe(prog, ret ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY,
			       a->kprobe_event, symbol, 0, 0);
	if (fd < 0) {
		ot_error_msg("bcc: cannot attach a %s to %s (does this kernel have kprobes?)",
			     ret ? "kretprobe" : "kprobe", symbol);
		return -1;
	}
	a->fd = fd;
	a->raw = false;
	r->natt++;
	return 0;
}

static int attach_all(struct bcc_run *r, const struct ot_plan *plan, const struct host *h)
{
	bool filter_pids = ot_plan_filters_pids(plan), raw = false;
	size_t i;

	/* pid bookkeeping first, so no fork or exit of a target is missed
	 * once opens are seen */
	if (((filter_pids && plan->follow) || !h->task_reads) &&
	    attach_tp(r, "task", "task_newtask"))
		return -1;
	if (filter_pids && (h->exit_group_dead || h->task_reads) &&
	    (h->raw_tracepoints ? attach_raw(r, "sched_process_exit")
				: attach_tp(r, "sched", "sched_process_exit")))
		return -1;
	for (i = 0; i < SC_MAX; i++) {
		char enter[64], exit_[64];

		if (!(plan->events & syscalls[i].events))
			continue;
		switch (h->via[i]) {
		case VIA_TRACEPOINT:
			if (h->raw_tracepoints) {
				raw = true;
				break;
			}
			snprintf(enter, sizeof(enter), "sys_enter_%s", syscalls[i].name);
			snprintf(exit_, sizeof(exit_), "sys_exit_%s", syscalls[i].name);
			/* exit first: an entry is never stashed without its exit */
			if (attach_tp(r, "syscalls", exit_) || attach_tp(r, "syscalls", enter))
				return -1;
			break;
		case VIA_KPROBE:
			snprintf(enter, sizeof(enter), "ot_kprobe_%s", syscalls[i].name);
			if (attach_kp(r, syscalls[i].kretprobe, h->symbol[i], true) ||
			    attach_kp(r, enter, h->symbol[i], false))
				return -1;
			break;
		case VIA_NONE:
			break;
		}
	}
	/* exit first: an entry is never stashed without its exit */
	if (raw && (attach_raw(r, "sys_exit") || attach_raw(r, "sys_enter")))
		return -1;
	return 0;
}

static void detach_all(struct bcc_run *r)
{
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

static int open_buffers(struct bcc_run *r, struct run_ctx *ctx, size_t total, bool ring)
{
	static bool online[MAX_CPUS];
	int map = image_map_fd(&r->im, "ot_events");
	long page = sysconf(_SC_PAGESIZE);
	int ncpu, cpu, pages = 1, wakeup;

	if (ring) {
		r->ring = bcc.new_ringbuf(map, on_ring_record, ctx);
		if (!r->ring) {
			ot_perror_msg("bcc: opening the ring buffer");
			return -1;
		}
		return 0;
	}
	ncpu = online_cpus(online, MAX_CPUS);
	if (ncpu <= 0) {
		ot_error_msg("bcc: cannot read the online CPUs from /sys/devices/system/cpu/online");
		return -1;
	}
	/* a power of two of pages per CPU, at least 8 */
	while ((size_t)pages * 2 * page * ncpu <= total)
		pages *= 2;
	if (pages < 8)
		pages = 8;
	wakeup = (size_t)pages * page / 4 / WAKEUP_RECORD_BYTES;
	if (wakeup < 1)
		wakeup = 1;
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct bcc_perf_buffer_opts opts = { .pid = -1, .cpu = cpu,
						     .wakeup_events = wakeup };
		struct perf_reader *reader;
		int fd;

		if (!online[cpu])
			continue;
		reader = bcc.open_perf_buffer_opts(on_record, on_lost, ctx, pages, &opts);
		if (!reader) {
			ot_perror_msg("bcc: opening the perf buffer of CPU %d", cpu);
			return -1;
		}
		r->readers[r->nreaders++] = reader;
		fd = bcc.reader_fd(reader);
		if (bcc.update_elem(map, &cpu, &fd, 0)) {
			ot_perror_msg("bcc: adding CPU %d's perf buffer", cpu);
			return -1;
		}
	}
	return 0;
}

static void read_counters(struct bcc_run *r, struct ot_sink *sink, uint64_t perf_lost)
{
	int fd = image_map_fd(&r->im, "ot_counters");
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t total[OT_BCC_CNT_MAX] = { 0 };
	uint64_t *vals;
	int key;
	long cpu;

	/* per-CPU values come back for every possible CPU */
	if (ncpu < MAX_CPUS)
		ncpu = MAX_CPUS;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (key = 0; key < OT_BCC_CNT_MAX; key++) {
		if (bcc.lookup_elem(fd, &key, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			total[key] += vals[cpu];
	}
	free(vals);
	/* Both count the same losses; the program's count also has those
	 * the perf buffers had no later record to report. */
	if (perf_lost < total[OT_BCC_CNT_PERF_LOST])
		perf_lost = total[OT_BCC_CNT_PERF_LOST];
	ot_sink_loss(sink, total[OT_BCC_CNT_LOST] + perf_lost, total[OT_BCC_CNT_UNMATCHED]);
}

static int bcc_run(const struct ot_plan *plan, struct ot_sink *sink)
{
	bool filter_pids = ot_plan_filters_pids(plan);
	struct bcc_run *r;
	struct run_ctx ctx = { .sink = sink };
	uint64_t next_check = 0;
	char why[512], *text = NULL;
	size_t text_len = 0;
	bool cached, maps = false;
	unsigned ring;
	struct host h;
	FILE *f;
	int rc = -1;

	if (check_plan(plan))
		return -1;
	if (load_libbcc_bpf(why, sizeof(why))) {
		ot_error_msg("bcc: %s", why);
		return -1;
	}
	if (!ot_tracefs_ensure("bcc"))
		return -1;
	probe_host(&h);
	ring = ring_pages(plan, &h);
	ctx.task_reads = h.task_reads;

	f = ot_xmemstream(&text, &text_len);
	print_text(f, plan, &h);
	ot_xmemstream_close(f);

	r = ot_xcalloc(1, sizeof(*r));
	if (get_image(&r->im, text, text_len, &cached))
		goto out;
	if (getenv("OPENTRACE_BCC_DEBUG"))
		fprintf(stderr, "opentrace: bcc: program %s; records through %s\n",
			cached ? "from the cache" : "compiled",
			ring ? "the ring buffer" : "perf buffers");
	if (image_create_maps(&r->im))
		goto out;
	maps = true;
	if (fill_conf(image_map_fd(&r->im, "ot_conf"), plan) ||
	    (filter_pids && fill_pids(image_map_fd(&r->im, "ot_pids"), plan)) ||
	    fill_cgroup(image_map_fd(&r->im, "ot_cgroups"), plan))
		goto out;
	if (open_buffers(r, &ctx, plan->buffer_size ? plan->buffer_size : DEFAULT_BUFFER,
			 ring > 0))
		goto out;
	if (attach_all(r, plan, &h))
		goto out;
	if (plan->target == OT_TARGET_PID && prune_pids(image_map_fd(&r->im, "ot_pids"))) {
		rc = 0;
		goto out;
	}
	/* libbpf reads io_uring open requests from io_uring's private
	 * structures; the BCC program has no layout for them: say so rather
	 * than leave them out silently. */
	if ((plan->events & OT_EVENTS_OPEN) &&
	    ot_tracepoint_exists(h.tracefs ? h.tracefs : OT_TRACEFS_DEFAULT, "io_uring",
			      "io_uring_submit_req"))
		ot_error_msg("bcc: io_uring opens are not traced by this backend (-B libbpf "
			     "traces them)");
	if (ot_sink_ready(sink))
		goto out;

	for (;;) {
		/* The program never wakes the ring (BPF_RB_NO_WAKEUP), and
		 * libbcc's poll of it returns at once whenever a record is
		 * there, which would drain a few records per pass: sleep. */
		static const struct timespec tick = { 0, POLL_MS * 1000000L };
		int err = r->ring ? nanosleep(&tick, NULL)
				  : bcc.reader_poll(r->nreaders, r->readers, POLL_MS);

		if (err < 0 && errno != EINTR) {
			ot_perror_msg("bcc: polling the perf buffers");
			goto out;
		}
		drain(r, &ctx);
		if (ot_sink_tick(sink))
			break;
		if (filter_pids && ot_now_ns() >= next_check) {
			if (prune_pids(image_map_fd(&r->im, "ot_pids")))
				break;
			next_check = ot_now_ns() + LIVENESS_NS;
		}
	}
	rc = 0;
out:
	/* Detach first so nothing new arrives, then drain what is buffered. */
	detach_all(r);
	if (r->nreaders || r->ring) {
		drain(r, &ctx);
		ot_sink_tick(sink);
	}
	if (maps)
		read_counters(r, sink, ctx.perf_lost);
	while (r->nreaders)
		bcc.reader_free(r->readers[--r->nreaders]);
	if (r->ring)
		bcc.free_ringbuf(r->ring);
	while (r->nprogs)
		close(r->prog_fds[--r->nprogs]);
	image_free(&r->im);
	free(r);
	free(text);
	free(ctx.buf);
	free(ctx.recs);
	return rc;
}

/* No OT_CAP_FULL_PATH: the walk from a file to its absolute path crosses
 * mounts through struct mount, which is private to fs/ and in no headers
 * package, so BCC cannot compile it even against the running kernel's
 * headers; the front-end says -F is not honoured. */
const struct ot_backend ot_backend_bcc = {
	.name = "bcc",
	.description = "C text compiled at run time by libbcc (kernel headers; tracepoints or kprobes)",
	.no_full_path = "the walk needs struct mount, which is private to the kernel's fs/ "
			"and in no headers package",
	.probe = bcc_probe,
	.emit = bcc_emit,
	.run = bcc_run,
};
