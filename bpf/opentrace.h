/* What the kernel side and user space agree on, for both BPF programs:
 * the filter of a run and the record of an event. Included by
 * bpf/opentrace.bpf.c (libbpf), pasted into the BCC text (templates/bcc/),
 * and included by user space (backends/record.c decodes the record, the
 * front-end lowers the plan into the filter), so no two sides can
 * disagree on a layout. */
#ifndef OPENTRACE_BPF_OPENTRACE_H
#define OPENTRACE_BPF_OPENTRACE_H

#ifndef OPENTRACE_BPF_KINDS_H
#include "kinds.h"
#endif

#define OT_COMM_LEN 16
/* Kernel PATH_MAX counts the NUL; one more byte tells a 4095-byte path
 * from a longer one the kernel would refuse with ENAMETOOLONG. */
#define OT_PATH_MAX 4096
#define OT_PATH_READ (OT_PATH_MAX + 1)
#define OT_MAX_CLAUSES 16
/* The libbpf backend's pid set holds the -p pids and this many more,
 * for the processes that come and go under them (or a command's). */
#define OT_PID_ROOM 16384
/* exec: the arguments, each followed by its NUL, start at OT_ARGS_OFF in
 * the record's data, a fixed place the verifier can bound (execs are
 * rare: the unused path bytes before it cost little). A successful exec's
 * are read from the new image in one piece of up to OT_ARGS_MAX bytes;
 * a failed one's at entry, each up to OT_ARG_READ bytes, at an offset of
 * at most OT_ARGS_MAX - OT_ARG_READ; the buffers keep OT_ARG_READ bytes
 * of slack after the area for the verifier's view of the last read. */
#define OT_ARGS_OFF OT_PATH_READ
#define OT_ARGS_MAX 8192
#define OT_ARG_READ 256
#define OT_MAX_ARGS_LIMIT 128
/* -F: bytes of path components in one record, bytes of one component,
 * and the most steps of a walk (components and mount crossings) */
#define OT_FULL_MAX 4096
#define OT_NAME_READ 256
#define OT_WALK_MAX 96
/* the bytes after a record's header that a buffer must hold */
#define OT_OPEN_DATA (OT_PATH_READ + OT_FULL_MAX)
#define OT_EXEC_DATA (OT_ARGS_OFF + OT_ARGS_MAX + OT_ARG_READ)

/* where a stashed open's record starts in its stash entry (helpers.bpf.h),
 * for user space to read the entries left at the end */
#define OT_STASH_REC_OFF 24

#define OT_AT_FDCWD (-100)
/* What a syscall returns inside the kernel when a signal interrupts it
 * (include/linux/errno.h): ERESTARTSYS to ERESTART_RESTARTBLOCK. No
 * process sees these: the kernel restarts the call or makes it EINTR. */
#define OT_ERESTARTSYS 512
#define OT_ERESTART_RESTARTBLOCK 516
/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
#define OT_CREAT_FLAGS (01 | 0100 | 01000)

/* io_uring opcodes and the fixed-file slot a kernel allocates itself */
#define OT_IORING_OP_OPENAT 18
#define OT_IORING_OP_OPENAT2 28
#define OT_IORING_FILE_INDEX_ALLOC (~0U)

/* The filters of a run, lowered once from the options by the front-end
 * (frontend/filter.c). The libbpf program reads it as rodata, so the
 * verifier drops the branches a run does not use; the BCC text gets each
 * scalar as a #define (OT_CFG_name); the -n bytes reach the BCC program
 * through its ot_conf map, never through its text. */
struct ot_filter {
	__u64 clause_mask[OT_MAX_CLAUSES];	/* the --flags DNF: a clause */
	__u64 clause_value[OT_MAX_CLAUSES];	/* holds if flags & mask == value */
	__u64 min_latency_ns;			/* -L */
	__u32 events;				/* OT_EVENTS_* */
	__u32 filter_pids;			/* only the pid set */
	__u32 follow;				/* which grows at fork */
	__u32 tid;				/* -t, 0: any */
	__u32 filter_uid;			/* -u */
	__u32 uid;
	__u32 filter_cgroup;			/* --cgroup, --new-cgroup */
	__u32 nclauses;				/* 0: no --flags */
	__u32 failed_only;			/* -x */
	__u32 full_path;			/* -F */
	__u32 max_args;				/* exec arguments kept */
	__u32 comm_len;				/* -n, 0: any */
	char comm[OT_COMM_LEN];
};

/* What the BCC program takes from user space besides its text, through
 * its single-entry ot_conf array: opentrace's own pid, and the -n bytes,
 * which as a string never enter the text. */
struct ot_bcc_conf {
	__u32 self_tgid;
	__u32 comm_len;
	char comm[OT_COMM_LEN];
};

/* The scalars of struct ot_filter, for the printers (--emit, the BCC
 * text's #defines): X(field). */
#define OT_FILTER_SCALARS(X) \
	X(events) X(filter_pids) X(follow) X(tid) X(filter_uid) X(uid) \
	X(filter_cgroup) X(nclauses) X(failed_only) X(full_path) X(max_args) \
	X(comm_len) X(min_latency_ns)

/* Counters the programs keep per CPU; user space sums them at the end. */
enum ot_counter {
	OT_CNT_LOST,		/* events with no room in a map or buffer */
	/* records with no room in the ring or a perf buffer: a perf
	 * reader's lost-sample reports say the same, but only for losses
	 * followed by a record, never for those at the end of a run */
	OT_CNT_RING_LOST,
	OT_CNT_UNMATCHED,	/* entries whose exit never came */
	OT_CNT_MAX,
};

enum ot_record_status {
	OT_REC_TRUNCATED = 1 << 0,	/* path longer than OT_PATH_MAX */
	OT_REC_UNREADABLE = 1 << 1,	/* path pointer could not be read */
	OT_REC_ARGS_TRUNCATED = 1 << 2,	/* exec: argv did not fit */
	OT_REC_FULL = 1 << 3,		/* -F: path components follow */
	OT_REC_FULL_BASE = 1 << 4,	/* ... of the base the path is relative to */
	OT_REC_FULL_TRUNCATED = 1 << 5,	/* the walk did not reach the root */
	/* the path could not be read at entry (a page not yet touched): it
	 * was read at exit, from memory the process could have changed */
	OT_REC_PATH_AT_EXIT = 1 << 6,
	OT_REC_ARGS_UNREADABLE = 1 << 7,	/* exec: argv could not be read */
	OT_REC_UNFINISHED = 1 << 8,	/* the trace ended before the exit */
};

/* One event, as both programs send it. */
struct ot_record {
	__u64 ts_ns;
	__u64 latency_ns;
	__u64 cgid;
	__u64 flags;
	__s64 ret;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 mode;
	__s32 dfd;
	__u32 file_slot;	/* io_uring fixed-file opens: the slot + 1, or 0 */
	__u16 kind;		/* enum ot_kind */
	__u16 status;		/* enum ot_record_status */
	__u16 path_len;
	__u16 args_len;
	__u16 full_len;
	__u16 unused;
	char comm[OT_COMM_LEN];
	/* path_len bytes of path, not NUL-terminated; then, with -F,
	 * full_len bytes of path components from the leaf up to the root,
	 * each followed by a NUL. Exec events: args_len bytes of arguments,
	 * each followed by a NUL, at OT_ARGS_OFF. Only the bytes used are
	 * sent. */
	char data[];
};

#endif
