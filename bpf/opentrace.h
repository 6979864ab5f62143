/* Records shared by bpf/opentrace.bpf.c and backends/libbpf.c. */
#ifndef OPENTRACE_BPF_OPENTRACE_H
#define OPENTRACE_BPF_OPENTRACE_H

#define OT_COMM_LEN 16
/* Kernel PATH_MAX counts the NUL; one more byte tells a 4095-byte path
 * from a longer one the kernel would refuse with ENAMETOOLONG. */
#define OT_PATH_MAX 4096
#define OT_PATH_READ (OT_PATH_MAX + 1)
#define OT_MAX_CLAUSES 16
/* exec arguments: bytes read of one, bytes of all in one record, and the
 * most --max-args may ask for */
#define OT_ARG_MAX 256
#define OT_ARGS_MAX 8192
#define OT_MAX_ARGS_LIMIT 128
/* --full-path: bytes of path components in one record, bytes of one
 * component, and the most steps of a walk (components and mount crossings) */
#define OT_FULL_MAX 4096
#define OT_NAME_READ 256
#define OT_WALK_MAX 96

enum ot_raw_kind {
	OT_RAW_OPEN = 0,
	OT_RAW_OPENAT,
	OT_RAW_OPENAT2,
	OT_RAW_CREAT,
	OT_RAW_EXECVE,
	OT_RAW_EXECVEAT,
	OT_RAW_URING_OPENAT,
	OT_RAW_URING_OPENAT2,
};

/* io_uring opcodes and the fixed-file slot a kernel allocates itself */
#define OT_IORING_OP_OPENAT 18
#define OT_IORING_OP_OPENAT2 28
#define OT_IORING_FILE_INDEX_ALLOC (~0U)

enum ot_raw_flag {
	OT_RAW_TRUNCATED = 1 << 0,	/* path longer than OT_PATH_MAX */
	OT_RAW_UNREADABLE = 1 << 1,	/* path pointer could not be read */
	OT_RAW_ARGS_TRUNCATED = 1 << 2,	/* exec: argv did not fit */
	OT_RAW_FULL = 1 << 3,		/* full path components follow */
	OT_RAW_FULL_BASE = 1 << 4,	/* ... of the base the path is relative to */
	OT_RAW_FULL_TRUNCATED = 1 << 5,	/* the walk did not reach the root */
};

enum ot_counter {
	OT_CNT_LOST,		/* records the ring buffer had no room for */
	OT_CNT_UNMATCHED,	/* entries whose exit never came */
	OT_CNT_MAX,
};

struct ot_raw_event {
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
	__u32 full_len;		/* --full-path: bytes of components */
	__u16 kind;
	__u16 path_len;
	__u16 raw_flags;
	__u16 args_len;
	char comm[OT_COMM_LEN];
	/* path_len bytes of path, not NUL-terminated; then, for exec events,
	 * args_len bytes of arguments, each followed by a NUL; then, with
	 * --full-path, full_len bytes of path components from the leaf up to
	 * the root, each followed by a NUL */
	char path[];
};

#endif
