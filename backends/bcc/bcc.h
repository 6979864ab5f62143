/* The bcc backend's parts, one file each: lib.c opens BCC's libraries,
 * host.c probes what the kernel offers, text.c writes the C text, cache.c
 * keeps compiled programs, perf.c reads per-CPU perf buffers, and bcc.c,
 * the ops table, puts them together. */
#ifndef OPENTRACE_BACKENDS_BCC_BCC_H
#define OPENTRACE_BACKENDS_BCC_BCC_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#include "offsets.h"
#include "plan.h"

/* lib.c. libbcc_bpf is BCC's small loader library (maps, programs,
 * attaching, perf readers); libbcc is its compiler, with LLVM inside. A
 * run whose program is in the cache needs only the first. Their entry
 * points, typed by BCC's own headers: */
extern struct ot_bcc_loader {
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
} bcc;

extern struct ot_bcc_compiler {
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

/* 0, or -1 with why filled: the loader, or the loader and the compiler */
int ot_bcc_load_loader(char *why, size_t len);
int ot_bcc_load_compiler(char *why, size_t len);

/* host.c: what the host offers, probed at run time, never guessed from
 * the kernel's version. Each syscall of bpf/kinds.h is traced through its
 * tracepoints, else a kprobe on its function, else not at all. */
enum ot_bcc_via { OT_VIA_NONE, OT_VIA_TRACEPOINT, OT_VIA_KPROBE };

enum ot_bcc_syscall {
#define SC_ENUM_(kind, name, class) OT_SC_##kind,
	OT_SYSCALLS(SC_ENUM_)
#undef SC_ENUM_
	OT_SC_MAX
};

struct ot_bcc_host {
	const char *tracefs;		/* NULL: not mounted */
	enum ot_bcc_via via[OT_SC_MAX];
	char symbol[OT_SC_MAX][64];	/* kprobe target, when via kprobe */
	bool syscall_wrapper;		/* __x64_sys_NAME(struct pt_regs *) */
	bool kprobes;			/* the kernel can attach kprobes */
	bool exit_group_dead;		/* sched_process_exit says so */
	/* the program can read task_struct: the headers are the running
	 * kernel's, or (task_offsets) the kernel's BTF gave the offsets */
	bool task_reads;
	bool task_offsets;
	struct ot_bcc_offsets off;
	/* the tracepoints are raw ones where they can be: sys_enter and
	 * sys_exit for every syscall via tracepoint, sched_process_exit, and
	 * task_newtask where task_struct can be read */
	bool raw_tracepoints;
	/* whether to use the BPF ring buffer: NO also when the kernel has
	 * one and OPENTRACE_BCC_TRANSPORT=perf refuses it */
	enum { OT_RING_NO, OT_RING_YES, OT_RING_UNKNOWN } ring;
};

/* The name (syscall, tracepoint and symbol stem) and event class of a
 * syscall. */
const char *ot_bcc_syscall_name(enum ot_bcc_syscall sc);
/* its name in capitals, for the text's OT_HOST_NAME */
const char *ot_bcc_syscall_define(enum ot_bcc_syscall sc);
unsigned ot_bcc_syscall_class(enum ot_bcc_syscall sc);
void ot_bcc_probe_host(struct ot_bcc_host *h);
/* The kernel headers BCC will compile against, as BCC looks for them: 0
 * with dir the directory that has include/generated, else -1 with why. */
int ot_bcc_find_headers(char *dir, size_t len, char *why, size_t wlen);

/* text.c */
/* The ring's bytes, or the perf buffers' over all CPUs: libbpf's default. */
#define OT_BCC_DEFAULT_BUFFER (4u << 20)
/* The ring buffer's size in pages, or 0 for perf buffers. */
unsigned ot_bcc_ring_pages(const struct ot_plan *plan, const struct ot_bcc_host *h);
/* The whole text libbcc compiles: only integers from the plan and the
 * host; the plan's strings go through maps. */
void ot_bcc_print_text(FILE *out, const struct ot_plan *plan, const struct ot_bcc_host *h);

/* cache.c: the compiled program as plain data, detached from libbcc: its
 * maps' descriptions and its functions' instructions. It is what the
 * cache keeps, so that a run of a plan already compiled on this host
 * loads it without the compiler: no LLVM, no headers parsed, a few ms
 * instead of hundreds. */
struct ot_bcc_image_map {
	char name[64];
	__u32 type, key_size, leaf_size, max_entries, flags;
	__s32 old_fd;	/* the fd the compiled instructions refer to */
	int fd;		/* this run's map */
};

struct ot_bcc_image_prog {
	char name[128];
	struct bpf_insn *insns;
	__u32 len;	/* bytes */
};

struct ot_bcc_image {
	char license[64];
	__u32 kern_version;
	struct ot_bcc_image_map *maps;
	__u32 nmaps;
	struct ot_bcc_image_prog *progs;
	__u32 nprogs;
};

/* The image of text: from the cache, else compiled (and cached). */
int ot_bcc_get_image(struct ot_bcc_image *im, const char *text, size_t text_len, bool *cached);
/* Creates this run's maps and points the instructions at them. */
int ot_bcc_image_create_maps(struct ot_bcc_image *im);
/* A map's fd by name, or -1. */
int ot_bcc_image_map_fd(const struct ot_bcc_image *im, const char *name);
void ot_bcc_image_free(struct ot_bcc_image *im);
/* task_struct's offsets from the kernel's BTF, through the cache: 0, or -1
 * where the kernel has no BTF or it lacks a field. */
int ot_bcc_task_offsets(struct ot_bcc_offsets *o);

/* perf.c: records through a perf buffer per CPU, for kernels without the
 * BPF ring buffer, handed to the run loop in time order. */
struct ot_bpf_run;
struct ot_bcc_perf;

struct ot_bcc_perf *ot_bcc_perf_open(int map_fd, size_t total, struct ot_bpf_run *run);
int ot_bcc_perf_wait(void *perf, int ms);
void ot_bcc_perf_drain(void *perf);
void ot_bcc_perf_free(struct ot_bcc_perf *p);

#endif
