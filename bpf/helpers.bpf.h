/* The logic both BPF programs share, as inline functions: the filters,
 * the entry stash, the reads of paths and arguments, the record.
 * bpf/opentrace.bpf.c (libbpf, CO-RE) includes it, and the BCC text
 * (templates/bcc/) has it pasted in, each after defining what differs
 * between them: where the filter and the maps live, and how a record
 * leaves. Each defines these, declared below, after including it:
 *
 *   OT_CFG(field)           a field of the run's struct ot_filter (a
 *                           macro, defined before this file is included)
 *   ot_self_tgid()          opentrace's own tgid, never traced
 *   ot_pid_traced(tgid)     whether the pid set holds tgid
 *   ot_in_cgroup()          whether the task is under the --cgroup
 *   ot_comm_want(len)       the -n bytes, and in len how many
 *   ot_flags_match(flags)   the --flags formula
 *   ot_count(which)         one more of an enum ot_counter
 *   ot_stash_put(st)        keeps the calling thread's entry: 1 when it
 *                           replaced one whose exit never came, -1 when
 *                           there was no room, else 0
 *   ot_stash_take(st)       copies the thread's entry out and forgets it;
 *                           false when there is none
 *   ot_open_buf()           a per-CPU buffer: record and OT_OPEN_DATA bytes
 *   ot_exec_buf()           a per-CPU buffer: record and OT_EXEC_DATA bytes
 *   ot_exec_put(tgid, e)    keeps an exec record until the exec returns
 *   ot_exec_get(tgid), ot_exec_del(tgid)
 *   ot_ppid()               the caller's parent's tgid
 *   ot_open_extra(e, ret)   bytes a program adds after the path (-F), or 0
 *   ot_read_args(e, argv)   calls ot_read_arg for i = 0, 1, ... while it
 *                           returns 0, as the program can loop
 *   ot_submit(ctx, e, size) sends a record: nonzero when it had no room
 *
 * Every filter is decided at syscall entry, before anything is stashed or
 * reserved, so the exit of an untracked task costs one failed lookup. */
#ifndef OPENTRACE_BPF_HELPERS_BPF_H
#define OPENTRACE_BPF_HELPERS_BPF_H

struct ot_stash {
	__u64 ts;
	__u64 flags;
	const char *path;
	__u32 mode;
	__s32 dfd;
	__u16 kind;
	__u16 active;
};

static __always_inline __u32 ot_self_tgid(void);
static __always_inline bool ot_pid_traced(__u32 tgid);
static __always_inline bool ot_in_cgroup(void);
static __always_inline const volatile char *ot_comm_want(__u32 *len);
static __always_inline bool ot_flags_match(__u64 flags);
static __always_inline void ot_count(__u32 which);
static __always_inline int ot_stash_put(const struct ot_stash *st);
static __always_inline bool ot_stash_take(struct ot_stash *st);
static __always_inline struct ot_record *ot_open_buf(void);
static __always_inline struct ot_record *ot_exec_buf(void);
static __always_inline long ot_exec_put(__u32 tgid, struct ot_record *e);
static __always_inline struct ot_record *ot_exec_get(__u32 tgid);
static __always_inline void ot_exec_del(__u32 tgid);
static __always_inline __u32 ot_ppid(void);
static __always_inline __u32 ot_open_extra(struct ot_record *e, long ret);
static __always_inline void ot_read_args(struct ot_record *e, const char *const *argv);
static __always_inline long ot_submit(void *ctx, void *rec, __u64 size);

/* Whether the task's comm contains the -n substring. */
static __always_inline bool ot_comm_contains(const volatile char *want, __u32 len)
{
	char comm[OT_COMM_LEN];
	int i, j;

	bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
	for (i = 0; i < OT_COMM_LEN - 1; i++) {
		bool same = true;

#pragma unroll
		for (j = 0; j < OT_COMM_LEN - 1; j++) {
			if (j >= len)
				break;
			if (i + j >= OT_COMM_LEN - 1 || comm[i + j] != want[j]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}

/* The filters every event class shares; the open flags are the opens'. */
static __always_inline bool ot_wanted(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id, len;
	const volatile char *comm;

	if (tgid == ot_self_tgid())
		return false;
	if (OT_CFG(tid) && tid != OT_CFG(tid))
		return false;
	if (OT_CFG(filter_pids) && !ot_pid_traced(tgid))
		return false;
	if (OT_CFG(filter_uid) && (__u32)bpf_get_current_uid_gid() != OT_CFG(uid))
		return false;
	if (OT_CFG(filter_cgroup) && !ot_in_cgroup())
		return false;
	if (OT_CFG(comm_len)) {
		comm = ot_comm_want(&len);
		if (!ot_comm_contains(comm, len))
			return false;
	}
	return true;
}

/* Records the length of a path read with a *_str helper that returned n,
 * marking one that did not fit or could not be read. */
static __always_inline void ot_set_path_len(struct ot_record *e, long n)
{
	__u32 len;

	if (n <= 0) {
		len = 0;
		e->status |= OT_REC_UNREADABLE;
	} else if (n >= OT_PATH_READ) {
		len = OT_PATH_MAX;
		e->status |= OT_REC_TRUNCATED;
	} else {
		len = n - 1;
	}
	if (len > OT_PATH_MAX)
		len = OT_PATH_MAX;
	e->path_len = len;
}

/* A length the record holds, read back through a volatile and masked: the
 * verifier must see it bounded, and clang, knowing its range from the
 * branches that set it, would drop a plain check. */
static __always_inline __u32 ot_bounded(__u16 *len, __u32 pow2)
{
	return *(volatile __u16 *)len & (pow2 - 1);
}

/* The caller's identity and the syscall's result. */
static __always_inline void ot_fill(struct ot_record *e, __u64 now, __u64 entry, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = now;
	e->latency_ns = now - entry;
	e->cgid = bpf_get_current_cgroup_id();
	e->ret = ret;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = ot_ppid();
	e->uid = (__u32)bpf_get_current_uid_gid();
}

/* The filters of a syscall's return: -x and -L. */
static __always_inline bool ot_result_wanted(long ret, __u64 now, __u64 entry)
{
	if (OT_CFG(failed_only) && ret >= 0)
		return false;
	return now - entry >= OT_CFG(min_latency_ns);
}

/* Sends an open's record: its path, and -F's components after it. */
static __always_inline void ot_send_open(void *ctx, struct ot_record *e)
{
	__u32 size = ot_bounded(&e->path_len, OT_PATH_MAX * 2) +
		     ot_bounded(&e->full_len, OT_FULL_MAX * 2);

	if (size > OT_OPEN_DATA)
		return;
	if (ot_submit(ctx, e, sizeof(*e) + size))
		ot_count(OT_CNT_RING_LOST);
}

static __always_inline int ot_open_enter(__u16 kind, int dfd, const char *path, __u64 flags,
					 __u32 mode)
{
	struct ot_stash st = {};

	if (!ot_wanted())
		return 0;
	if (OT_CFG(nclauses) && !ot_flags_match(flags))
		return 0;
	st.ts = bpf_ktime_get_ns();
	st.flags = flags;
	st.path = path;
	st.mode = mode;
	st.dfd = dfd;
	st.kind = kind;
	st.active = 1;
	switch (ot_stash_put(&st)) {
	case 1:
		ot_count(OT_CNT_UNMATCHED);
		break;
	case -1:
		ot_count(OT_CNT_LOST);
		break;
	}
	return 0;
}

/* The path is read at exit, when the kernel has copied it in: reading a
 * user pointer earlier can fault on a page not yet touched. */
static __always_inline int ot_open_exit(void *ctx, long ret)
{
	struct ot_stash st;
	struct ot_record *e;
	__u64 now;

	if (!ot_stash_take(&st))
		return 0;
	now = bpf_ktime_get_ns();
	if (!ot_result_wanted(ret, now, st.ts))
		return 0;
	e = ot_open_buf();
	if (!e) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	ot_fill(e, now, st.ts, ret);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags = st.flags;
	e->mode = st.mode;
	e->dfd = st.dfd;
	e->kind = st.kind;
	e->status = 0;
	e->args_len = 0;
	e->full_len = 0;
	e->file_slot = 0;
	ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, st.path));
	e->full_len = ot_open_extra(e, ret);
	ot_send_open(ctx, e);
	return 0;
}

/* Exec events. The file name and argv live in the memory a successful
 * exec replaces, so they are read at entry, into a record kept by tgid
 * (after an exec the thread that made it has the tgid as its pid); the
 * exit adds the result. comm stays the caller's, from before the exec
 * (execsnoop's PCOMM). */

/* Reads argument i after those read so far: 0 to go on, 1 when done. */
static __always_inline int ot_read_arg(struct ot_record *e, __u32 i, const char *const *argv)
{
	const char *arg = NULL;
	char last = 0;
	__u32 off;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
		return 1;
	off = ot_bounded(&e->args_len, OT_ARGS_MAX * 2);
	if (i >= OT_CFG(max_args) || off > OT_ARGS_MAX - OT_ARG_READ) {
		e->status |= OT_REC_ARGS_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_user_str(&e->data[OT_ARGS_OFF + (off & (OT_ARGS_MAX - 1))],
				    OT_ARG_READ, arg);
	if (n <= 0)
		return 1;
	/* a full read is cut unless the string ended exactly there */
	if (n == OT_ARG_READ && !bpf_probe_read_user(&last, 1, arg + OT_ARG_READ - 1) && last)
		e->status |= OT_REC_ARGS_TRUNCATED;
	e->args_len = off + n;
	return 0;
}

static __always_inline int ot_exec_enter(__u16 kind, int dfd, const char *path,
					 const char *const *argv, __u64 flags)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ot_record *e;

	if (!ot_wanted())
		return 0;
	e = ot_exec_buf();
	if (!e) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = 0;
	e->status = 0;
	e->file_slot = 0;
	e->args_len = 0;
	e->full_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, path));
	ot_read_args(e, argv);
	if (ot_exec_put(tgid, e))
		ot_count(OT_CNT_LOST);
	return 0;
}

static __always_inline int ot_exec_exit(void *ctx, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ot_record *e;
	__u32 size;
	__u64 now;

	e = ot_exec_get(tgid);
	if (!e)
		return 0;
	now = bpf_ktime_get_ns();
	if (!ot_result_wanted(ret, now, e->ts_ns))
		goto out;
	ot_fill(e, now, e->ts_ns, ret);
	size = OT_ARGS_OFF + ot_bounded(&e->args_len, OT_ARGS_MAX * 2);
	if (size > OT_EXEC_DATA)
		goto out;
	if (ot_submit(ctx, e, sizeof(*e) + size))
		ot_count(OT_CNT_RING_LOST);
out:
	ot_exec_del(tgid);
	return 0;
}

#endif
