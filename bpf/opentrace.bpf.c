// SPDX-License-Identifier: GPL-2.0
/* opentrace's CO-RE program: file opens through the syscall tracepoints.
 *
 * Every filter is decided at syscall entry, before anything is stashed or
 * reserved; the exit program of an untracked task costs one failed
 * task-storage lookup. Paths are read at exit, when the kernel has already
 * copied them in, into a per-CPU scratch buffer and sent in a record sized
 * to the path. Records are submitted without a wakeup unless the ring is
 * filling up: user space drains it on a short timer, which measured about
 * twice as fast as a wakeup per event. */
#include "ot_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "opentrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Filters, set through the skeleton's rodata before load, so the verifier
 * drops the branches a run does not need. */
const volatile __u32 targ_self_tgid = 0;
const volatile bool targ_filter_pids = false;
const volatile bool targ_follow = false;
const volatile __u32 targ_tid = 0;
const volatile bool targ_filter_uid = false;
const volatile __u32 targ_uid = 0;
const volatile __u32 targ_comm_len = 0;
const volatile char targ_comm[OT_COMM_LEN] = {};
const volatile __u32 targ_nclauses = 0;
const volatile __u64 targ_clause_mask[OT_MAX_CLAUSES] = {};
const volatile __u64 targ_clause_value[OT_MAX_CLAUSES] = {};
const volatile bool targ_filter_cgroup = false;
const volatile bool targ_failed_only = false;
const volatile bool targ_full_path = false;
const volatile __u32 targ_max_args = 20;
const volatile __u64 targ_min_latency_ns = 0;
const volatile __u64 targ_wakeup_bytes = 1 << 20;

/* The traced processes (tgids): filled from user space for -p and for a
 * command, grown at fork when following, shrunk when a process ends. Not
 * preallocated: 65536 entries made ready up front took 7-11 ms of every
 * start, for a set that rarely holds more than a few hundred. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* --cgroup: the one cgroup v2 whose subtree is traced */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

struct ot_stash {
	__u64 ts;
	__u64 flags;
	const char *path;
	__u32 mode;
	__s32 dfd;
	__u16 kind;
	__u16 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ot_stash);
} stash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct ot_scratch {
	__u8 bytes[sizeof(struct ot_raw_event) + OT_PATH_READ + OT_FULL_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ot_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

/* Records the length of a path read with a *_str helper that returned n,
 * marking one that did not fit or could not be read; returns it. */
static __always_inline __u32 set_path_len(struct ot_raw_event *e, long n)
{
	__u32 len;

	if (n <= 0) {
		len = 0;
		e->raw_flags |= OT_RAW_UNREADABLE;
	} else if (n >= OT_PATH_READ) {
		len = OT_PATH_MAX;
		e->raw_flags |= OT_RAW_TRUNCATED;
	} else {
		len = n - 1;
	}
	if (len > OT_PATH_MAX)
		len = OT_PATH_MAX;
	e->path_len = len;
	return len;
}

static __always_inline bool comm_matches(void)
{
	char comm[OT_COMM_LEN];
	int i, j;

	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < OT_COMM_LEN; i++) {
		for (j = 0; j < OT_COMM_LEN - 1; j++) {
			if (j >= targ_comm_len)
				return true;
			if (i + j >= OT_COMM_LEN - 1 || comm[i + j] != targ_comm[j])
				break;
		}
	}
	return false;
}

/* The flags formula arrives as a DNF: it holds if any clause does. */
static __always_inline bool flags_match(__u64 flags)
{
	int i;

	for (i = 0; i < OT_MAX_CLAUSES; i++) {
		if (i >= targ_nclauses)
			break;
		if ((flags & targ_clause_mask[i]) == targ_clause_value[i])
			return true;
	}
	return false;
}

/* The filters every event class shares, decided at syscall entry. */
static __always_inline bool wanted(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (tgid == targ_self_tgid)
		return false;
	if (targ_tid && tid != targ_tid)
		return false;
	if (targ_filter_pids && !bpf_map_lookup_elem(&pids, &tgid))
		return false;
	if (targ_filter_uid && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	if (targ_filter_cgroup && bpf_current_task_under_cgroup(&cgroups, 0) != 1)
		return false;
	if (targ_comm_len && !comm_matches())
		return false;
	return true;
}

static __always_inline int on_enter(__u16 kind, int dfd, const char *path,
				    __u64 flags, __u32 mode)
{
	struct ot_stash *st;

	if (!wanted())
		return 0;
	if (targ_nclauses && !flags_match(flags))
		return 0;

	st = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count(OT_CNT_LOST);
		return 0;
	}
	if (st->active)
		count(OT_CNT_UNMATCHED);
	st->ts = bpf_ktime_get_ns();
	st->flags = flags;
	st->path = path;
	st->mode = mode;
	st->dfd = dfd;
	st->kind = kind;
	st->active = 1;
	return 0;
}

static __always_inline void fill_identity(struct ot_raw_event *e, __u64 now,
					  __u64 start, long ret)
{
	/* BTF pointers: the parent's tgid is two plain loads, no helper call */
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = now;
	e->latency_ns = now - start;
	e->cgid = bpf_get_current_cgroup_id();
	e->ret = ret;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
}

/* Wakes user space when this record takes the pending data past the mark
 * (an eighth of the ring); otherwise its timer collects the record. Once,
 * at the crossing, not for every record above the mark: a wakeup is a
 * self-IPI (irq_work), which on the development VM cost more than the rest
 * of the program, and a reader that has fallen behind then had every
 * record pay for it, falling further behind. A reader woken once drains
 * everything pending, and its 2 ms timer backs the wakeup up. */
static __always_inline void submit(void *rec, __u64 size)
{
	__u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 rb_flags = pending < targ_wakeup_bytes && pending + size >= targ_wakeup_bytes ?
			 BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, rec, size, rb_flags))
		count(OT_CNT_LOST);
}

/* --full-path. bpf_d_path is not offered to tracepoints, so the walk is
 * done here: from a dentry up to the task's root, crossing mount points,
 * writing each component name (leaf first, NUL after each) after the path.
 * User space joins them in reverse. One step per bpf_loop() callback keeps
 * the verifier's work to one pass over the step. */
struct walk {
	struct ot_raw_event *e;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *dentry;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 base;	/* where components start: after the path */
	__u32 off;	/* bytes of components so far */
	bool done;	/* reached a root */
};

static long walk_step(__u32 i, struct walk *w)
{
	struct ot_raw_event *e = w->e;
	struct dentry *dentry = w->dentry, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt, *up;
	__u32 base = w->base, off = w->off;
	long n;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->done = true;
		return 1;
	}
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt) {
			w->done = true;	/* the root of the mount tree */
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = (void *)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (!e || base > OT_PATH_MAX || off > OT_FULL_MAX - OT_NAME_READ)
		return 1;
	n = bpf_probe_read_kernel_str(e->path + base + off, OT_NAME_READ,
				      BPF_CORE_READ(dentry, d_name.name));
	if (n <= 0)
		return 1;
	w->off = off + n;
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry) {
		w->done = true;	/* a detached tree's top */
		return 1;
	}
	w->dentry = parent;
	return 0;
}

static __always_inline __u32 walk_path(struct ot_raw_event *e, __u32 base,
				       struct vfsmount *vfsmnt, struct dentry *dentry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk w = {
		.e = e,
		.vfsmnt = vfsmnt,
		.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt),
		.dentry = dentry,
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
		.base = base,
	};

	bpf_loop(OT_WALK_MAX, walk_step, &w, 0);
	if (!w.done)
		e->raw_flags |= OT_RAW_FULL_TRUNCATED;
	return w.off;
}

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The opened file's own path when the open worked; otherwise, for a
 * relative path, the directory it was relative to (the cwd or dfd's). An
 * absolute path that failed is its own would-be path: nothing to walk. */
static __always_inline __u32 full_path(struct ot_raw_event *e, long ret, int dfd,
				       __u32 path_len)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vfsmount *mnt;
	struct dentry *dentry;
	struct file *f;

	e->full_len = 0;
	if (ret >= 0) {
		f = fd_file(ret);
		if (!f)
			return 0;
		mnt = BPF_CORE_READ(f, f_path.mnt);
		dentry = BPF_CORE_READ(f, f_path.dentry);
	} else if (path_len && e->path[0] == '/') {
		return 0;
	} else if (dfd == -100) {
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		e->raw_flags |= OT_RAW_FULL_BASE;
	} else {
		f = fd_file(dfd);
		if (!f)
			return 0;
		mnt = BPF_CORE_READ(f, f_path.mnt);
		dentry = BPF_CORE_READ(f, f_path.dentry);
		e->raw_flags |= OT_RAW_FULL_BASE;
	}
	if (path_len > OT_PATH_MAX)
		return 0;
	e->raw_flags |= OT_RAW_FULL;
	e->full_len = walk_path(e, path_len, mnt, dentry);
	return e->full_len;
}

static __always_inline int on_exit(long ret)
{
	struct ot_stash *st;
	struct ot_raw_event *e;
	__u32 zero = 0, len, flen;
	__u64 now;

	st = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);
	if (!st || !st->active)
		return 0;
	st->active = 0;
	if (targ_failed_only && ret >= 0)
		return 0;
	now = bpf_ktime_get_ns();
	if (now - st->ts < targ_min_latency_ns)
		return 0;

	e = (struct ot_raw_event *)bpf_map_lookup_elem(&scratch, &zero);
	if (!e) {
		count(OT_CNT_LOST);
		return 0;
	}
	fill_identity(e, now, st->ts, ret);
	e->flags = st->flags;
	e->mode = st->mode;
	e->dfd = st->dfd;
	e->kind = st->kind;
	e->raw_flags = 0;
	e->args_len = 0;
	e->file_slot = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	len = set_path_len(e, bpf_probe_read_user_str(e->path, OT_PATH_READ, st->path));
	e->full_len = 0;
	flen = targ_full_path ? full_path(e, ret, e->dfd, len) : 0;
	if (flen > OT_FULL_MAX)
		return 0;
	submit(e, sizeof(*e) + len + flen);
	return 0;
}

/* Exec events. The file name and argv live in the memory a successful exec
 * replaces, so they are read at entry, into a stash keyed by tgid (after
 * exec a thread takes the tgid as its pid); the exit adds the result. */
struct ot_exec_buf {
	__u8 bytes[sizeof(struct ot_raw_event) + OT_PATH_READ + OT_ARGS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ot_exec_buf);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ot_exec_buf);
} exec_scratch SEC(".maps");

/* One argument per bpf_loop() callback: a plain loop of 128 made the
 * verifier take half a second at every start. */
struct args_read {
	struct ot_raw_event *e;
	const char *const *argv;
	__u32 base;	/* where the arguments start: after the path */
	__u32 off;	/* bytes of arguments so far */
};

static long read_arg(__u32 i, struct args_read *a)
{
	struct ot_raw_event *e = a->e;
	__u32 base = a->base, off = a->off;
	const char *arg = NULL;
	char last = 0;
	long n;

	if (!e || bpf_probe_read_user(&arg, sizeof(arg), &a->argv[i]) || !arg)
		return 1;
	if (i >= targ_max_args || base > OT_PATH_MAX || off > OT_ARGS_MAX - OT_ARG_MAX) {
		e->raw_flags |= OT_RAW_ARGS_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_user_str(e->path + base + off, OT_ARG_MAX, arg);
	if (n <= 0)
		return 1;
	/* a full read is cut unless the string ended exactly there */
	if (n == OT_ARG_MAX && !bpf_probe_read_user(&last, 1, arg + OT_ARG_MAX - 1) && last)
		e->raw_flags |= OT_RAW_ARGS_TRUNCATED;
	a->off = off + n;
	return 0;
}

static __always_inline int on_exec_enter(__u16 kind, int dfd, const char *path,
					 const char *const *argv, __u64 flags)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	struct args_read a = {};
	struct ot_raw_event *e;
	__u32 off, plen;

	if (!wanted())
		return 0;
	e = (struct ot_raw_event *)bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e) {
		count(OT_CNT_LOST);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = 0;
	e->raw_flags = 0;
	e->file_slot = 0;
	e->full_len = 0;
	/* execsnoop's PCOMM: the name before the exec replaces it */
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	plen = set_path_len(e, bpf_probe_read_user_str(e->path, OT_PATH_READ, path));

	/* the arguments follow the path directly, as the record wants them */
	a.e = e;
	a.argv = argv;
	a.base = plen;
	bpf_loop(OT_MAX_ARGS_LIMIT, read_arg, &a, 0);
	off = a.off;
	e->args_len = off;
	if (bpf_map_update_elem(&execs, &tgid, e, BPF_ANY))
		count(OT_CNT_LOST);
	return 0;
}

static __always_inline int on_exec_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ot_raw_event *e;
	__u32 plen, alen;
	__u64 now;

	e = (struct ot_raw_event *)bpf_map_lookup_elem(&execs, &tgid);
	if (!e)
		return 0;
	now = bpf_ktime_get_ns();
	if ((targ_failed_only && ret >= 0) || now - e->ts_ns < targ_min_latency_ns)
		goto out;
	fill_identity(e, now, e->ts_ns, ret);
	plen = e->path_len;
	alen = e->args_len;
	if (plen > OT_PATH_MAX || alen > OT_ARGS_MAX)
		goto out;
	submit(e, sizeof(*e) + plen + alen);
out:
	bpf_map_delete_elem(&execs, &tgid);
	return 0;
}

/* The syscalls, through the raw sys_enter and sys_exit tracepoints: one
 * program each for every syscall traced. The per-syscall tracepoints
 * (syscalls:sys_enter_openat...) are perf events, and the kernel waits for
 * RCU grace periods, one tracepoint after the other, when each is
 * detached: ten of them held every run up by about 250 ms at its end.
 * A raw tracepoint detaches without waiting, and no trace record is built
 * before the program runs. The price: the program runs for every syscall,
 * and leaves at once for those it does not trace. */

/* This architecture's syscall numbers, from user space; -1: none */
const volatile long nr_open = -1;
const volatile long nr_openat = -1;
const volatile long nr_openat2 = -1;
const volatile long nr_creat = -1;
const volatile long nr_execve = -1;
const volatile long nr_execveat = -1;
/* the event classes traced: the verifier drops the other's code */
const volatile bool targ_opens = false;
const volatile bool targ_execs = false;

/* A 32-bit task's syscalls have other numbers and registers; the syscall
 * tracepoints leave them out on x86 (in_ia32_syscall), and so do we. */
static __always_inline bool compat_syscall(void)
{
#if defined(bpf_target_x86)
	struct task_struct *task = bpf_get_current_task_btf();

	return task->thread_info.status & OT_TS_COMPAT;
#else
	return false;
#endif
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ot_sys_enter, struct pt_regs *regs, long id)
{
	if (targ_opens) {
		if (id == nr_openat) {
			if (compat_syscall())
				return 0;
			return on_enter(OT_RAW_OPENAT, PT_REGS_PARM1_SYSCALL(regs),
					(const char *)PT_REGS_PARM2_SYSCALL(regs),
					PT_REGS_PARM3_SYSCALL(regs), PT_REGS_PARM4_SYSCALL(regs));
		}
		if (id == nr_open) {
			if (compat_syscall())
				return 0;
			return on_enter(OT_RAW_OPEN, -100, (const char *)PT_REGS_PARM1_SYSCALL(regs),
					PT_REGS_PARM2_SYSCALL(regs), PT_REGS_PARM3_SYSCALL(regs));
		}
		if (id == nr_openat2) {
			struct open_how how = {};

			if (compat_syscall())
				return 0;
			bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_SYSCALL(regs));
			return on_enter(OT_RAW_OPENAT2, PT_REGS_PARM1_SYSCALL(regs),
					(const char *)PT_REGS_PARM2_SYSCALL(regs), how.flags, how.mode);
		}
		/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
		if (id == nr_creat) {
			if (compat_syscall())
				return 0;
			return on_enter(OT_RAW_CREAT, -100, (const char *)PT_REGS_PARM1_SYSCALL(regs),
					01 | 0100 | 01000, PT_REGS_PARM2_SYSCALL(regs));
		}
	}
	if (targ_execs) {
		if (id == nr_execve) {
			if (compat_syscall())
				return 0;
			return on_exec_enter(OT_RAW_EXECVE, -100,
					     (const char *)PT_REGS_PARM1_SYSCALL(regs),
					     (const char *const *)PT_REGS_PARM2_SYSCALL(regs), 0);
		}
		if (id == nr_execveat) {
			if (compat_syscall())
				return 0;
			return on_exec_enter(OT_RAW_EXECVEAT, PT_REGS_PARM1_SYSCALL(regs),
					     (const char *)PT_REGS_PARM2_SYSCALL(regs),
					     (const char *const *)PT_REGS_PARM3_SYSCALL(regs),
					     PT_REGS_PARM5_SYSCALL(regs));
		}
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ot_sys_exit, struct pt_regs *regs, long ret)
{
	long id = OT_SYSCALL_NR(regs);

	if (targ_opens && (id == nr_openat || id == nr_open || id == nr_openat2 || id == nr_creat))
		return on_exit(ret);
	if (targ_execs && (id == nr_execve || id == nr_execveat) && !compat_syscall())
		return on_exec_exit(ret);
	return 0;
}

/* io_uring opens. At submission the request is prepared: the kernel has
 * its own copy of the file name (reading the user pointer later is what
 * garbles names), so the record is built then, from the submitter, and
 * kept by request until its completion adds the result. */
struct ot_uring_buf {
	__u8 bytes[sizeof(struct ot_raw_event) + OT_PATH_READ + OT_FULL_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ot_uring_buf);
} urings SEC(".maps");

/* Fills the submitter's side of a record in the per-CPU scratch buffer. */
static __always_inline struct ot_raw_event *uring_record(__u8 opcode, int dfd, __u64 flags,
							 __u32 mode, __u32 slot)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	struct ot_raw_event *e;
	__u32 zero = 0;

	e = (struct ot_raw_event *)bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return NULL;
	e->ts_ns = bpf_ktime_get_ns();
	e->cgid = bpf_get_current_cgroup_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->kind = opcode == OT_IORING_OP_OPENAT ? OT_RAW_URING_OPENAT : OT_RAW_URING_OPENAT2;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = mode;
	e->file_slot = slot;
	e->raw_flags = 0;
	e->args_len = 0;
	e->full_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void uring_stash(__u64 req, struct ot_raw_event *e)
{
	if (bpf_map_update_elem(&urings, &req, e, BPF_ANY))
		count(OT_CNT_LOST);
}

/* The io_uring tracepoints are raw (tp_btf) for the same reason as the
 * syscalls: they detach without waiting. */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(ot_uring_submit, struct io_kiocb *req)
{
	struct io_open *open;
	struct ot_raw_event *e;
	__u64 flags, key = (__u64)req;
	__u8 opcode;

	if (!bpf_core_type_exists(struct io_open))
		return 0;
	opcode = BPF_CORE_READ(req, opcode);
	if (opcode != OT_IORING_OP_OPENAT && opcode != OT_IORING_OP_OPENAT2)
		return 0;
	if (!wanted())
		return 0;
	open = (struct io_open *)&req->cmd;
	flags = BPF_CORE_READ(open, how.flags);
	if (targ_nclauses && !flags_match(flags))
		return 0;
	e = uring_record(opcode, BPF_CORE_READ(open, dfd), flags, BPF_CORE_READ(open, how.mode),
			 BPF_CORE_READ(open, file_slot));
	if (!e) {
		count(OT_CNT_LOST);
		return 0;
	}
	set_path_len(e, bpf_probe_read_kernel_str(e->path, OT_PATH_READ,
						  BPF_CORE_READ(open, filename, name)));
	/* the base a relative name resolves against, as it is now; a success
	 * replaces it with the file opened */
	if (targ_full_path)
		full_path(e, -1, e->dfd, e->path_len);
	uring_stash(key, e);
	return 0;
}

/* A request refused while being prepared is never submitted: its record
 * comes from the submission entry, in the submitter's context, so the user
 * pointer is still good. */
SEC("tp_btf/io_uring_req_failed")
int BPF_PROG(ot_uring_failed, const struct ot_uring_sqe *sqe_ptr, struct io_kiocb *req, int error)
{
	__u64 key = (__u64)req;
	struct ot_uring_sqe sqe;
	struct ot_raw_event *e;
	struct open_how how = {};

	if (bpf_probe_read_kernel(&sqe, sizeof(sqe), sqe_ptr))
		return 0;
	if (sqe.opcode != OT_IORING_OP_OPENAT && sqe.opcode != OT_IORING_OP_OPENAT2)
		return 0;
	if (bpf_map_lookup_elem(&urings, &key) || !wanted())
		return 0;
	if (sqe.opcode == OT_IORING_OP_OPENAT) {
		how.flags = sqe.open_flags;
		how.mode = sqe.len;
	} else {
		bpf_probe_read_user(&how, sizeof(how), (void *)sqe.off);
	}
	if (targ_nclauses && !flags_match(how.flags))
		return 0;
	e = uring_record(sqe.opcode, sqe.fd, how.flags, how.mode, sqe.file_index);
	if (!e) {
		count(OT_CNT_LOST);
		return 0;
	}
	set_path_len(e, bpf_probe_read_user_str(e->path, OT_PATH_READ, (void *)sqe.addr));
	if (targ_full_path)
		full_path(e, -1, e->dfd, e->path_len);
	uring_stash(key, e);
	return 0;
}

/* Its arguments after the request changed in 6.17 (the result, or the
 * CQE); both shapes come from the request's own result, req->cqe.res, so
 * only the first two are read. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ot_uring_complete, void *ring, void *request)
{
	struct io_kiocb *req = request;
	__u64 key = (__u64)req, now;
	struct ot_raw_event *e;
	int res;
	__u32 len, flen;

	e = (struct ot_raw_event *)bpf_map_lookup_elem(&urings, &key);
	if (!e)
		return 0;
	res = BPF_CORE_READ(req, cqe.res);
	now = bpf_ktime_get_ns();
	if ((targ_failed_only && res >= 0) || now - e->ts_ns < targ_min_latency_ns)
		goto out;
	e->latency_ns = now - e->ts_ns;
	e->ts_ns = now;
	e->ret = res;
	len = e->path_len;
	if (len > OT_PATH_MAX)
		goto out;
	/* the completing task shares the submitter's file table */
	if (targ_full_path && res >= 0 && !e->file_slot) {
		e->raw_flags &= ~(OT_RAW_FULL | OT_RAW_FULL_BASE | OT_RAW_FULL_TRUNCATED);
		full_path(e, res, e->dfd, len);
	}
	flen = e->full_len;
	if (flen > OT_FULL_MAX)
		goto out;
	submit(e, sizeof(*e) + len + flen);
out:
	bpf_map_delete_elem(&urings, &key);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ot_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!targ_follow || ptgid == ctgid)
		return 0;
	/* a child the full set cannot take goes untraced: counted, not hidden */
	if (bpf_map_lookup_elem(&pids, &ptgid) &&
	    bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY))
		count(OT_CNT_LOST);
	return 0;
}

/* A process leaves the set when its last thread exits; an empty set tells
 * user space that every traced process is gone. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ot_proc_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (!targ_filter_pids || !bpf_map_lookup_elem(&pids, &tgid))
		return 0;
	if (p->signal->live.counter == 0)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}
