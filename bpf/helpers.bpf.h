/* The logic both BPF programs share, as inline functions: the filters,
 * the entry stash, the reads of paths and arguments, the record.
 * bpf/opentrace.bpf.c (libbpf, CO-RE) includes it, and the BCC text
 * (templates/bcc/) has it pasted in, each after defining what differs
 * between them: where the filter and the maps live, and how a record
 * leaves. Each defines these, declared below, after including it:
 *
 *   OT_CFG(field)           a field of the run's struct ot_filter (a
 *                           macro, defined before this file is included)
 *   OT_STASH_DATA           the bytes of data a stashed record holds (a
 *                           macro too): the path, and -F's components
 *   ot_self_tgid()          opentrace's own tgid, never traced
 *   ot_pid_traced(tgid)     whether the pid set holds tgid
 *   ot_in_cgroup()          whether the task is under the --cgroup
 *   ot_comm_want(len)       the -n bytes, and in len how many
 *   ot_flags_match(flags)   the --flags formula
 *   ot_count(which)         one more of an enum ot_counter
 *   ot_stash_new(replaced)  the calling thread's stash, made if need be;
 *                           *replaced says whether it held an entry
 *                           whose exit never came. NULL when no room
 *   ot_stash_get()          the calling thread's stash, or NULL
 *   ot_stash_done(st)       the exit is over: forget the entry
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

/* An open between its entry and its exit: the record being built, with
 * the path the entry read. */
struct ot_stash {
	__u64 ts;
	const char *path;	/* to read at exit where the entry's read faulted */
	__u32 active;
	__u32 unused;
	__u8 rec[sizeof(struct ot_record) + OT_STASH_DATA];
};

_Static_assert(__builtin_offsetof(struct ot_stash, rec) == OT_STASH_REC_OFF,
	       "user space finds a stashed record at OT_STASH_REC_OFF");

#define OT_STASH_REC(st) ((struct ot_record *)(st)->rec)

static __always_inline __u32 ot_self_tgid(void);
static __always_inline bool ot_pid_traced(__u32 tgid);
static __always_inline bool ot_in_cgroup(void);
static __always_inline const volatile char *ot_comm_want(__u32 *len);
static __always_inline bool ot_flags_match(__u64 flags);
static __always_inline void ot_count(__u32 which);
static __always_inline struct ot_stash *ot_stash_new(bool *replaced);
static __always_inline struct ot_stash *ot_stash_get(void);
static __always_inline void ot_stash_done(struct ot_stash *st);
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

static __always_inline bool ot_comm_wanted(void)
{
	const volatile char *want;
	__u32 len;

	if (!OT_CFG(comm_len))
		return true;
	want = ot_comm_want(&len);
	return ot_comm_contains(want, len);
}

/* The filters every event class shares, but the comm: an exec changes
 * it, so an exec's is the new one, checked at its return. */
static __always_inline bool ot_task_wanted(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

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
	return true;
}

/* The filters of an open: the task's, its comm, and its flags. */
static __always_inline bool ot_open_wanted(__u64 flags)
{
	if (!ot_task_wanted() || !ot_comm_wanted())
		return false;
	return !OT_CFG(nclauses) || ot_flags_match(flags);
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

/* Who makes the call: filled at entry, so that an entry whose exit never
 * comes is still a whole record at the end of the trace. */
static __always_inline void ot_fill_identity(struct ot_record *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->cgid = bpf_get_current_cgroup_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = ot_ppid();
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* The call's end: its time, how long it took, and what it returned. */
static __always_inline void ot_fill_result(struct ot_record *e, __u64 now, __u64 entry, long ret)
{
	e->ts_ns = now;
	e->latency_ns = now - entry;
	e->ret = ret;
}

/* The filters of a syscall's return: -x and -L. A return that a signal
 * cut short (ERESTARTSYS and kin) is no failure the process saw. */
static __always_inline bool ot_result_wanted(long ret, __u64 now, __u64 entry)
{
	if (OT_CFG(failed_only) &&
	    (ret >= 0 || (ret <= -OT_ERESTARTSYS && ret >= -OT_ERESTART_RESTARTBLOCK)))
		return false;
	return now - entry >= OT_CFG(min_latency_ns);
}

/* Sends an open's record: its path, and -F's components after it. */
static __always_inline void ot_send_open(void *ctx, struct ot_record *e)
{
	__u32 size = ot_bounded(&e->path_len, OT_PATH_MAX * 2) +
		     ot_bounded(&e->full_len, OT_FULL_MAX * 2);

	if (size > OT_STASH_DATA)
		return;
	if (ot_submit(ctx, e, sizeof(*e) + size))
		ot_count(OT_CNT_RING_LOST);
}

/* An entry whose exit had not come when the trace ended: sent as it
 * stands, marked, and counted unmatched. */
static __always_inline void ot_send_unfinished(void *ctx, struct ot_stash *st)
{
	struct ot_record *e = OT_STASH_REC(st);
	__u64 now = bpf_ktime_get_ns();

	ot_fill_result(e, now, st->ts, 0);
	e->status |= OT_REC_UNFINISHED;
	e->full_len = 0;
	ot_send_open(ctx, e);
	ot_count(OT_CNT_UNMATCHED);
}

/* The path is read at entry, as the kernel is about to copy it: read at
 * exit, a process could have rewritten it while the open blocked (on a
 * FIFO, say) and named a harmless file for the one it opened. */
static __always_inline int ot_open_enter(__u16 kind, int dfd, const char *path, __u64 flags,
					 __u32 mode)
{
	struct ot_stash *st;
	struct ot_record *e;
	bool replaced = false;

	if (!ot_open_wanted(flags))
		return 0;
	st = ot_stash_new(&replaced);
	if (!st) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	if (replaced)
		ot_count(OT_CNT_UNMATCHED);
	st->ts = bpf_ktime_get_ns();
	st->path = path;
	st->active = 1;
	e = OT_STASH_REC(st);
	ot_fill_identity(e);
	ot_fill_result(e, st->ts, st->ts, 0);
	e->flags = flags;
	e->mode = mode;
	e->dfd = dfd;
	e->kind = kind;
	e->status = 0;
	e->args_len = 0;
	e->full_len = 0;
	e->file_slot = 0;
	ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, path));
	return 0;
}

static __always_inline int ot_open_exit(void *ctx, long ret)
{
	struct ot_stash *st = ot_stash_get();
	struct ot_record *e;
	__u64 now;

	if (!st || !st->active)
		return 0;
	st->active = 0;
	now = bpf_ktime_get_ns();
	if (!ot_result_wanted(ret, now, st->ts))
		goto out;
	e = OT_STASH_REC(st);
	ot_fill_result(e, now, st->ts, ret);
	/* a page the entry could not read, the kernel has touched since */
	if (e->status & OT_REC_UNREADABLE) {
		e->status &= ~OT_REC_UNREADABLE;
		ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, st->path));
		if (!(e->status & OT_REC_UNREADABLE))
			e->status |= OT_REC_PATH_AT_EXIT;
	}
	e->full_len = ot_open_extra(e, ret);
	ot_send_open(ctx, e);
out:
	ot_stash_done(st);
	return 0;
}

/* Exec events. A successful exec's file name and arguments are taken from
 * the kernel and the new image at sched_process_exec (ot_exec_image);
 * what the entry read stands for a failed one, whose memory is still
 * there, and is marked unreadable where a page had not been touched yet.
 * The record waits by tgid (after an exec the thread that made it has the
 * tgid as its pid) for the return, which adds the result and the comm,
 * the new one, as execsnoop shows it; -n matches that one too. */

/* Reads argument i after those read so far: 0 to go on, 1 when done. */
static __always_inline int ot_read_arg(struct ot_record *e, __u32 i, const char *const *argv)
{
	const char *arg = NULL;
	char last = 0;
	__u32 off;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i])) {
		e->status |= OT_REC_ARGS_UNREADABLE;
		return 1;
	}
	if (!arg)
		return 1;
	off = ot_bounded(&e->args_len, OT_ARGS_MAX * 2);
	if (i >= OT_CFG(max_args) || off > OT_ARGS_MAX - OT_ARG_READ) {
		e->status |= OT_REC_ARGS_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_user_str(&e->data[OT_ARGS_OFF + (off & (OT_ARGS_MAX - 1))],
				    OT_ARG_READ, arg);
	if (n <= 0) {
		e->status |= OT_REC_ARGS_UNREADABLE;
		return 1;
	}
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
	__u64 now;

	if (!ot_task_wanted())
		return 0;
	e = ot_exec_buf();
	if (!e) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	ot_fill_identity(e);
	now = bpf_ktime_get_ns();
	ot_fill_result(e, now, now, 0);
	e->kind = kind;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = 0;
	e->status = 0;
	e->file_slot = 0;
	e->args_len = 0;
	e->full_len = 0;
	ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, path));
	ot_read_args(e, argv);
	if (ot_exec_put(tgid, e))
		ot_count(OT_CNT_LOST);
	return 0;
}

/* sched_process_exec, in the new image: the file name the kernel opened
 * (name_n, as its *_str read of it returned), and, where the program can
 * find them (args), the arguments, which the kernel has just written to
 * the new stack between start and end. User space keeps --max-args of
 * them. */
static __always_inline void ot_exec_image(struct ot_record *e, long name_n, bool args,
					  unsigned long start, unsigned long end)
{
	__u32 len = end > start ? end - start : 0;

	e->status &= ~(OT_REC_UNREADABLE | OT_REC_TRUNCATED);
	ot_set_path_len(e, name_n);
	if (!args)
		return;
	e->status &= ~(OT_REC_ARGS_UNREADABLE | OT_REC_ARGS_TRUNCATED);
	if (len > OT_ARGS_MAX) {
		len = OT_ARGS_MAX;
		e->status |= OT_REC_ARGS_TRUNCATED;
	}
	e->args_len = len;
	len = ot_bounded(&e->args_len, OT_ARGS_MAX * 2);
	if (len > OT_ARGS_MAX)
		len = OT_ARGS_MAX;
	if (bpf_probe_read_user(&e->data[OT_ARGS_OFF], len, (void *)start)) {
		e->status |= OT_REC_ARGS_UNREADABLE;
		len = 0;
	}
	e->args_len = len;
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
	if (!ot_result_wanted(ret, now, e->ts_ns) || !ot_comm_wanted())
		goto out;
	/* the new image's pid (the tgid) and comm */
	ot_fill_identity(e);
	ot_fill_result(e, now, e->ts_ns, ret);
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
