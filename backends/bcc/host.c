/* What the host offers the bcc backend: which syscalls have tracepoints
 * and which only kprobes (and how their functions take arguments), the
 * kernel headers and whether they are the running kernel's, the ring
 * buffer. Probed at run time, never guessed from the kernel's version. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bcc.h"
#include "tracefs.h"

static const struct {
	const char *name, *define;
	unsigned class;
} syscalls[OT_SC_MAX] = {
#define SC(kind, name, class) [OT_SC_##kind] = { #name, #kind, OT_EVENTS_##class },
	OT_SYSCALLS(SC)
#undef SC
};

const char *ot_bcc_syscall_name(enum ot_bcc_syscall sc)
{
	return syscalls[sc].name;
}

const char *ot_bcc_syscall_define(enum ot_bcc_syscall sc)
{
	return syscalls[sc].define;
}

unsigned ot_bcc_syscall_class(enum ot_bcc_syscall sc)
{
	return syscalls[sc].class;
}

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
static void find_symbols(struct ot_bcc_host *h, bool want[OT_SC_MAX])
{
	static const char *const prefixes[] = { "__x64_sys_", "sys_" };
	char line[512], name[256];
	bool found[2][OT_SC_MAX] = { { false } };
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
			for (i = 0; i < OT_SC_MAX; i++)
				if (want[i] && !strcmp(name + n, syscalls[i].name))
					found[p][i] = true;
		}
	}
	fclose(f);
	/* a kernel has one convention: the wrapper's, if any is found */
	for (p = 0; p < 2; p++) {
		bool any = false;

		for (i = 0; i < OT_SC_MAX; i++)
			any |= found[p][i];
		if (!any)
			continue;
		h->syscall_wrapper = p == 0;
		for (i = 0; i < OT_SC_MAX; i++) {
			if (!found[p][i])
				continue;
			h->via[i] = OT_VIA_KPROBE;
			snprintf(h->symbol[i], sizeof(h->symbol[i]), "%s%s", prefixes[p],
				 syscalls[i].name);
		}
		return;
	}
}

/* The kernel headers BCC will compile against, as BCC looks for them. On
 * success, dir is the directory with include/generated. */
int ot_bcc_find_headers(char *dir, size_t len, char *why, size_t wlen)
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
		return OT_RING_YES;
	}
	return errno == EPERM || errno == EACCES ? OT_RING_UNKNOWN : OT_RING_NO;
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

/* OPENTRACE_BCC_RAW=0 keeps the perf-event tracepoints where raw ones
 * exist too: to compile and test the text of kernels before 4.17. */
static bool raw_refused(void)
{
	const char *v = getenv("OPENTRACE_BCC_RAW");

	return v && !strcmp(v, "0");
}

/* OPENTRACE_BCC_TRANSPORT: "perf" forces the perf buffers, to test them
 * (and compare them) on a kernel that has the ring buffer. */
static bool ring_refused(void)
{
	const char *v = getenv("OPENTRACE_BCC_TRANSPORT");

	return v && !strcmp(v, "perf");
}

/* OPENTRACE_BCC_KPROBES=1 prefers kprobes where tracepoints exist too: to
 * review, compile and test the fallback on a kernel with tracepoints. */
static bool kprobes_forced(void)
{
	const char *v = getenv("OPENTRACE_BCC_KPROBES");

	return v && !strcmp(v, "1");
}

void ot_bcc_probe_host(struct ot_bcc_host *h)
{
	bool want[OT_SC_MAX] = { false }, need_symbols = false, force = kprobes_forced();
	char headers[PATH_MAX], why[512];
	size_t i;

	memset(h, 0, sizeof(*h));
	h->task_reads = !ot_bcc_find_headers(headers, sizeof(headers), why, sizeof(why)) &&
			headers_match(headers);
	if (!h->task_reads)
		h->task_reads = h->task_offsets = !ot_bcc_task_offsets(&h->off);
	h->ring = ring_refused() ? OT_RING_NO : probe_ringbuf();
	h->tracefs = ot_tracefs_mounted();
	if (!h->tracefs) {
		/* Only --emit gets here (run mounts tracefs first), typically
		 * not as root: show the text of the common case, tracepoints,
		 * rather than one with no probes at all. */
		for (i = 0; i < OT_SC_MAX; i++)
			h->via[i] = OT_VIA_TRACEPOINT;
		return;
	}
	h->kprobes = ot_dir_exists("/sys/bus/event_source/devices/kprobe");
	if (!h->kprobes && h->tracefs) {
		char path[64];

		snprintf(path, sizeof(path), "%s/kprobe_events", h->tracefs);
		h->kprobes = file_exists(path);
	}
	for (i = 0; i < OT_SC_MAX; i++) {
		char enter[64], exit_[64];

		snprintf(enter, sizeof(enter), "sys_enter_%s", syscalls[i].name);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", syscalls[i].name);
		if (!force && h->tracefs && ot_tracepoint_exists(h->tracefs, "syscalls", enter) &&
		    ot_tracepoint_exists(h->tracefs, "syscalls", exit_)) {
			h->via[i] = OT_VIA_TRACEPOINT;
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
