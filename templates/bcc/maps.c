/* opentrace's BCC program, first part: the maps and the macros that the
 * program logic both BPF programs share (bpf/helpers.bpf.h, pasted after
 * this) reads the run's filter through.
 *
 * The #define lines at the top of the text come from backends/bcc/text.c:
 * the run's filter as validated integers (OT_CFG_*), and what probing
 * this host found (OT_HOST_*). Every string of the command line reaches
 * the program through maps (the -n comm in ot_conf, the --cgroup
 * directory as an fd in ot_cgroups), never through this text. */
#include <uapi/linux/ptrace.h>
#if OT_HOST_TASK_READS && !OT_HOST_TASK_OFFSETS
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#endif

#define OT_CFG(field) OT_CFG_##field
/* no -F here: a stashed open holds its path */
#define OT_STASH_DATA OT_PATH_READ

#define OT_VIA_NONE 0
#define OT_VIA_TRACEPOINT 1
#define OT_VIA_KPROBE 2
/* a syscall traced by its own tracepoints, or by the raw ones */
#define OT_TP(host) ((host) == OT_VIA_TRACEPOINT && !OT_HOST_RAW_TRACEPOINTS)
#define OT_RAW(host) ((host) == OT_VIA_TRACEPOINT && OT_HOST_RAW_TRACEPOINTS)

#define OT_CLONE_PARENT 0x00008000
#define OT_CLONE_THREAD 0x00010000

/* One record's buffer: the header and the most data any record has. */
struct ot_buf {
	u8 bytes[sizeof(struct ot_record) + OT_EXEC_DATA];
};

BPF_ARRAY(ot_conf, struct ot_bcc_conf, 1);
/* The traced processes (tgids): filled from user space for -p and for a
 * command, grown at fork when following, shrunk when a process ends. Not
 * preallocated: 65536 entries made ready up front took 130 ms of a start
 * on the development VM, for a set that rarely holds a few hundred. */
BPF_F_TABLE("hash", u32, u8, ot_pids, 65536, BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(ot_scratch, struct ot_buf, 1);
BPF_PERCPU_ARRAY(ot_counters, u64, OT_CNT_MAX);
#if OT_HOST_RING_PAGES
/* One ring buffer shared by every CPU (kernels since 5.8): records in
 * about the order they were made, and no wakeups: user space drains it on
 * a timer. */
BPF_RINGBUF_OUTPUT(ot_events, OT_HOST_RING_PAGES);
#else
/* A perf buffer per CPU, for kernels without the ring buffer. */
BPF_PERF_OUTPUT(ot_events);
#endif
#if OT_CFG_filter_cgroup
/* --cgroup: the one cgroup v2 whose subtree is traced, by its directory's
 * fd, from user space */
BPF_CGROUP_ARRAY(ot_cgroups, 1);
#endif
#if !OT_HOST_TASK_READS
/* The parent of each process created while tracing: user space asks /proc
 * about the others, and about those the table has forgotten (the least
 * recently created, mostly gone). An LRU table is preallocated whole:
 * 65536 entries took 50 ms of a start on the development VM. */
BPF_TABLE("lru_hash", u32, u32, ot_parents, 8192);
#endif
#if OT_CFG_events & OT_EVENTS_EXEC
/* exec records, by tgid, from the exec's entry to its return */
BPF_F_TABLE("hash", u32, struct ot_buf, ot_exec_stash, 4096, BPF_F_NO_PREALLOC);
#endif
