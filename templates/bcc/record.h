/* The record the BCC program sends to user space. This file is
 * both included by backends/bcc.c and pasted into the generated C text,
 * so the two sides cannot disagree on the layout. */
#ifndef OPENTRACE_TEMPLATES_BCC_RECORD_H
#define OPENTRACE_TEMPLATES_BCC_RECORD_H

#define OT_COMM_LEN 16
/* Kernel PATH_MAX counts the NUL; one more byte tells a 4095-byte path
 * from a longer one the kernel would refuse with ENAMETOOLONG. */
#define OT_PATH_MAX 4096
#define OT_PATH_READ (OT_PATH_MAX + 1)
/* exec: the arguments, each with its NUL, start at OT_ARGS_OFF in data,
 * a fixed place the verifier can bound (execs are rare: the unused path
 * bytes before it cost little). One argument is read up to OT_ARG_READ
 * bytes, at an offset of at most OT_ARGS_MAX - OT_ARG_READ; the area has
 * OT_ARG_READ bytes of slack for the verifier's view of the last read.
 * The limits are libbpf's (bpf/opentrace.h). */
#define OT_ARGS_OFF OT_PATH_READ
#define OT_ARGS_MAX 8192
#define OT_ARG_READ 256
#define OT_MAX_ARGS_LIMIT 128

enum ot_bcc_kind {
	OT_BCC_OPEN,
	OT_BCC_OPENAT,
	OT_BCC_OPENAT2,
	OT_BCC_CREAT,
	OT_BCC_EXECVE,
	OT_BCC_EXECVEAT,
};

enum ot_bcc_status {
	OT_BCC_TRUNCATED = 1 << 0,	/* path longer than OT_PATH_MAX */
	OT_BCC_UNREADABLE = 1 << 1,	/* path pointer could not be read */
	OT_BCC_ARGS_TRUNCATED = 1 << 2,	/* exec: more arguments than carried */
};

enum ot_bcc_counter {
	OT_BCC_CNT_LOST,	/* events with no room in a map */
	/* records with no room in the ring or a perf buffer: a perf
	 * reader's lost-sample reports say the same, but only for losses
	 * followed by a record, never for those at the end of a run */
	OT_BCC_CNT_PERF_LOST,
	OT_BCC_CNT_UNMATCHED,	/* entries whose exit never came */
	OT_BCC_CNT_MAX,
};

/* Strings from the command line reach the program only through this
 * single-entry array, filled from user space before attaching. */
struct ot_bcc_conf {
	__u32 self_tgid;
	__u32 comm_len;
	char comm[OT_COMM_LEN];
};

struct ot_bcc_record {
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
	__u16 kind;
	__u16 status;
	__u16 path_len;
	__u16 args_len;
	char comm[OT_COMM_LEN];
	/* path_len bytes of path; for exec events, args_len bytes of
	 * arguments at OT_ARGS_OFF; only the bytes used are sent */
	char data[OT_ARGS_OFF + OT_ARGS_MAX + OT_ARG_READ];
};

#endif
