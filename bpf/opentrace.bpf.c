// SPDX-License-Identifier: GPL-2.0
/* opentrace's CO-RE program: file opens and execs through the raw
 * sys_enter and sys_exit tracepoints, io_uring opens through io_uring's,
 * and -F's path walk.
 *
 * The logic it shares with the BCC program is in helpers.bpf.h; here are
 * its maps and what only CO-RE can do. The stash is task storage, so the
 * exit program of an untracked task costs one failed lookup. Records go
 * out in the size of their path, without a wakeup unless the ring is
 * filling up: user space drains it on a short timer, which measured about
 * twice as fast as a wakeup per event. */
#include "ot_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "opentrace.h"

char LICENSE[] SEC("license") = "GPL";

/* The run's filter, set through the skeleton's rodata before load, so
 * the verifier drops the branches a run does not need. */
const volatile struct ot_filter targ = {};
const volatile __u32 targ_self_tgid = 0;
/* the ring's pending bytes past which a record wakes user space */
const volatile __u64 targ_wakeup_bytes = 1 << 20;
/* This architecture's syscall numbers, by kind, from user space; -1 for
 * none (open and creat on arm64) */
const volatile long targ_nr[OT_KIND_URING_OPENAT] = {};

#define OT_CFG(field) (targ.field)
#define OT_STASH_DATA OT_OPEN_DATA
#include "helpers.bpf.h"

/* The traced processes (tgids): filled from user space for -p and for a
 * command, grown at fork when following, shrunk when a process ends. Not
 * preallocated: 65536 entries made ready up front took 7-11 ms of every
 * start, for a set that rarely holds more than a few hundred; and sized at
 * run time to the -p pids plus OT_PID_ROOM, since even unpreallocated,
 * 65536 entries' buckets took the kernel ~3 ms to make (16384: 0.6). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, OT_PID_ROOM);
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Exec records, by tgid, from the exec's entry to its return, and the
 * per-CPU buffer they are built in (io_uring records too). */
struct ot_exec_buf {
	__u8 bytes[sizeof(struct ot_record) + OT_EXEC_DATA];
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

/* What bpf/helpers.bpf.h asks of its includer. */

static __always_inline __u32 ot_self_tgid(void)
{
	return targ_self_tgid;
}

static __always_inline bool ot_pid_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&pids, &tgid) != NULL;
}

static __always_inline bool ot_in_cgroup(void)
{
	return bpf_current_task_under_cgroup(&cgroups, 0) == 1;
}

static __always_inline const volatile char *ot_comm_want(__u32 *len)
{
	*len = targ.comm_len;
	return targ.comm;
}

/* The flags formula arrives as a DNF: it holds if any clause does. */
static __always_inline bool ot_flags_match(__u64 flags)
{
	int i;

	for (i = 0; i < OT_MAX_CLAUSES; i++) {
		if (i >= targ.nclauses)
			break;
		if ((flags & targ.clause_mask[i]) == targ.clause_value[i])
			return true;
	}
	return false;
}

static __always_inline void ot_count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

/* Task storage, cheaper than a hash map by thread: an entry stays with
 * its task, marked inactive when its exit is over. */
static __always_inline struct ot_stash *ot_stash_new(bool *replaced)
{
	struct ot_stash *st = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (st)
		*replaced = st->active;
	return st;
}

static __always_inline struct ot_stash *ot_stash_get(void)
{
	return bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);
}

static __always_inline void ot_stash_done(struct ot_stash *st)
{
}

static __always_inline struct ot_record *ot_exec_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&exec_scratch, &zero);
}

static __always_inline long ot_exec_put(__u32 tgid, struct ot_record *e)
{
	return bpf_map_update_elem(&execs, &tgid, e, BPF_ANY);
}

static __always_inline struct ot_record *ot_exec_get(__u32 tgid)
{
	return bpf_map_lookup_elem(&execs, &tgid);
}

static __always_inline void ot_exec_del(__u32 tgid)
{
	bpf_map_delete_elem(&execs, &tgid);
}

/* BTF pointers: the parent's tgid is two plain loads, no helper call */
static __always_inline __u32 ot_ppid(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->real_parent->tgid;
}

/* Wakes user space when this record takes the pending data past the mark
 * (an eighth of the ring); otherwise its timer collects the record. Once,
 * at the crossing, not for every record above the mark: a wakeup is a
 * self-IPI (irq_work), which on the development VM cost more than the rest
 * of the program, and a reader that had fallen behind then had every
 * record pay for it, falling further behind. A reader woken once drains
 * everything pending, and its 2 ms timer backs the wakeup up. */
static __always_inline long ot_submit(void *ctx, void *rec, __u64 size)
{
	__u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 rb_flags = pending < targ_wakeup_bytes && pending + size >= targ_wakeup_bytes ?
			 BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	return bpf_ringbuf_output(&events, rec, size, rb_flags);
}

/* -F. bpf_d_path is not offered to tracepoints, so the walk is done here:
 * from a dentry up to the task's root, crossing mount points, writing each
 * component name (leaf first, NUL after each) after the path. User space
 * joins them in reverse. One step per bpf_loop() callback keeps the
 * verifier's work to one pass over the step. */
struct walk {
	struct ot_record *e;
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
	struct ot_record *e = w->e;
	struct dentry *dentry = w->dentry, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt, *up;
	__u32 base = w->base, off = w->off, pos;
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
	/* checked again as one sum the compiler cannot know the range of:
	 * older verifiers (6.1) lose the bounds of base and off when they are
	 * spilled to the stack between the check above and the read */
	pos = base + off;
	asm volatile("" : "+r"(pos));
	if (pos > OT_PATH_MAX + OT_FULL_MAX - OT_NAME_READ)
		return 1;
	n = bpf_probe_read_kernel_str(e->data + pos, OT_NAME_READ,
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

static __always_inline __u32 walk_path(struct ot_record *e, __u32 base,
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
		e->status |= OT_REC_FULL_TRUNCATED;
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
static __always_inline __u32 full_path(struct ot_record *e, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 path_len = e->path_len;
	struct vfsmount *mnt;
	struct dentry *dentry;
	struct file *f;

	if (ret >= 0) {
		f = fd_file(ret);
		if (!f)
			return 0;
		mnt = BPF_CORE_READ(f, f_path.mnt);
		dentry = BPF_CORE_READ(f, f_path.dentry);
	} else if (path_len && e->data[0] == '/') {
		return 0;
	} else if (e->dfd == OT_AT_FDCWD) {
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		e->status |= OT_REC_FULL_BASE;
	} else {
		f = fd_file(e->dfd);
		if (!f)
			return 0;
		mnt = BPF_CORE_READ(f, f_path.mnt);
		dentry = BPF_CORE_READ(f, f_path.dentry);
		e->status |= OT_REC_FULL_BASE;
	}
	if (path_len > OT_PATH_MAX)
		return 0;
	e->status |= OT_REC_FULL;
	return walk_path(e, path_len, mnt, dentry);
}

static __always_inline __u32 ot_open_extra(struct ot_record *e, long ret)
{
	return targ.full_path ? full_path(e, ret) : 0;
}

/* One argument per bpf_loop() callback: a plain loop of 128 made the
 * verifier take half a second at every start. */
struct args_read {
	struct ot_record *e;
	const char *const *argv;
};

static long read_arg(__u32 i, struct args_read *a)
{
	return a->e ? ot_read_arg(a->e, i, a->argv) : 1;
}

/* One more than the most arguments kept: the last sees whether there are
 * more, and marks the arguments truncated. */
static __always_inline void ot_read_args(struct ot_record *e, const char *const *argv)
{
	struct args_read a = { .e = e, .argv = argv };

	bpf_loop(OT_MAX_ARGS_LIMIT + 1, read_arg, &a, 0);
}

/* A successful exec, in its new image: see ot_exec_image(). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ot_exec_done, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ot_record *e = ot_exec_get(p->tgid);
	struct mm_struct *mm;

	if (!e)
		return 0;
	mm = p->mm;
	ot_exec_image(e, bpf_probe_read_kernel_str(e->data, OT_PATH_READ, bprm->filename), true,
		      mm->arg_start, mm->arg_end);
	return 0;
}

/* The syscalls, through the raw sys_enter and sys_exit tracepoints: one
 * program each for every syscall traced. The per-syscall tracepoints
 * (syscalls:sys_enter_openat...) are perf events, and the kernel waits for
 * RCU grace periods, one tracepoint after the other, when each is
 * detached: ten of them held every run up by about 250 ms at its end. A
 * raw tracepoint detaches without waiting, and no trace record is built
 * before the program runs. The price: the program runs for every
 * syscall, and leaves at once for those it does not trace. */

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

#define OT_NR(kind) targ_nr[OT_KIND_##kind]

SEC("tp_btf/sys_enter")
int BPF_PROG(ot_sys_enter, struct pt_regs *regs, long id)
{
	if (targ.events & OT_EVENTS_OPEN) {
		if (id == OT_NR(OPENAT))
			return compat_syscall() ? 0 :
			       ot_open_enter(OT_KIND_OPENAT, PT_REGS_PARM1_SYSCALL(regs),
					     (const char *)PT_REGS_PARM2_SYSCALL(regs),
					     PT_REGS_PARM3_SYSCALL(regs), PT_REGS_PARM4_SYSCALL(regs));
		if (id == OT_NR(OPEN))
			return compat_syscall() ? 0 :
			       ot_open_enter(OT_KIND_OPEN, OT_AT_FDCWD,
					     (const char *)PT_REGS_PARM1_SYSCALL(regs),
					     PT_REGS_PARM2_SYSCALL(regs), PT_REGS_PARM3_SYSCALL(regs));
		if (id == OT_NR(OPENAT2)) {
			struct open_how how = {};

			if (compat_syscall())
				return 0;
			bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_SYSCALL(regs));
			return ot_open_enter(OT_KIND_OPENAT2, PT_REGS_PARM1_SYSCALL(regs),
					     (const char *)PT_REGS_PARM2_SYSCALL(regs),
					     how.flags, how.mode);
		}
		if (id == OT_NR(CREAT))
			return compat_syscall() ? 0 :
			       ot_open_enter(OT_KIND_CREAT, OT_AT_FDCWD,
					     (const char *)PT_REGS_PARM1_SYSCALL(regs),
					     OT_CREAT_FLAGS, PT_REGS_PARM2_SYSCALL(regs));
	}
	if (targ.events & OT_EVENTS_EXEC) {
		if (id == OT_NR(EXECVE))
			return compat_syscall() ? 0 :
			       ot_exec_enter(OT_KIND_EXECVE, OT_AT_FDCWD,
					     (const char *)PT_REGS_PARM1_SYSCALL(regs),
					     (const char *const *)PT_REGS_PARM2_SYSCALL(regs), 0);
		if (id == OT_NR(EXECVEAT))
			return compat_syscall() ? 0 :
			       ot_exec_enter(OT_KIND_EXECVEAT, PT_REGS_PARM1_SYSCALL(regs),
					     (const char *)PT_REGS_PARM2_SYSCALL(regs),
					     (const char *const *)PT_REGS_PARM3_SYSCALL(regs),
					     PT_REGS_PARM5_SYSCALL(regs));
	}
	return 0;
}

/* The stash, and the exec records' map, say whether an entry was traced;
 * the syscall (orig_ax, syscallno) keeps the others from looking. */
SEC("tp_btf/sys_exit")
int BPF_PROG(ot_sys_exit, struct pt_regs *regs, long ret)
{
	long id = OT_SYSCALL_NR(regs);

	if ((targ.events & OT_EVENTS_OPEN) &&
	    (id == OT_NR(OPENAT) || id == OT_NR(OPEN) || id == OT_NR(OPENAT2) ||
	     id == OT_NR(CREAT)))
		return ot_open_exit(ctx, ret);
	if ((targ.events & OT_EVENTS_EXEC) && (id == OT_NR(EXECVE) || id == OT_NR(EXECVEAT)) &&
	    !compat_syscall())
		return ot_exec_exit(ctx, ret);
	return 0;
}

/* io_uring opens. At submission the request is prepared: the kernel has
 * its own copy of the file name (reading the user pointer later is what
 * garbles names), so the record is built then, from the submitter, and
 * kept by request until its completion adds the result. */
struct ot_uring_buf {
	__u8 bytes[sizeof(struct ot_record) + OT_OPEN_DATA];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ot_uring_buf);
} urings SEC(".maps");

/* Fills the submitter's side of a record in the per-CPU scratch buffer. */
static __always_inline struct ot_record *uring_record(__u8 opcode, int dfd, __u64 flags,
						      __u32 mode, __u32 slot)
{
	struct ot_record *e = ot_exec_buf();

	if (!e)
		return NULL;
	ot_fill_identity(e);
	ot_fill_result(e, bpf_ktime_get_ns(), 0, 0);
	e->kind = opcode == OT_IORING_OP_OPENAT ? OT_KIND_URING_OPENAT : OT_KIND_URING_OPENAT2;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = mode;
	e->file_slot = slot;
	e->status = 0;
	e->args_len = 0;
	e->full_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* The base a relative name resolves against, as it is now; a success
 * replaces it with the file opened. Then the record waits for its
 * completion. */
static __always_inline void uring_stash(__u64 req, struct ot_record *e)
{
	if (targ.full_path)
		e->full_len = full_path(e, -1);
	if (bpf_map_update_elem(&urings, &req, e, BPF_ANY))
		ot_count(OT_CNT_LOST);
}

/* The io_uring tracepoints are raw (tp_btf) for the same reason as the
 * syscalls: they detach without waiting. Linux 6.1 names the submission
 * tracepoint io_uring_submit_sqe (same first argument): libbpf's loader
 * is told so at run time, and the light skeleton, whose loader looks the
 * name up itself, is built twice (OT_URING_SUBMIT_SQE for 6.1). */
#ifdef OT_URING_SUBMIT_SQE
SEC("tp_btf/io_uring_submit_sqe")
#else
SEC("tp_btf/io_uring_submit_req")
#endif
int BPF_PROG(ot_uring_submit, struct io_kiocb *req)
{
	struct io_open *open;
	struct ot_record *e;
	__u64 flags, key = (__u64)req;
	__u8 opcode;

	if (!bpf_core_type_exists(struct io_open))
		return 0;
	opcode = BPF_CORE_READ(req, opcode);
	if (opcode != OT_IORING_OP_OPENAT && opcode != OT_IORING_OP_OPENAT2)
		return 0;
	open = (struct io_open *)&req->cmd;
	flags = BPF_CORE_READ(open, how.flags);
	if (!ot_open_wanted(flags))
		return 0;
	e = uring_record(opcode, BPF_CORE_READ(open, dfd), flags, BPF_CORE_READ(open, how.mode),
			 BPF_CORE_READ(open, file_slot));
	if (!e) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	ot_set_path_len(e, bpf_probe_read_kernel_str(e->data, OT_PATH_READ,
						     BPF_CORE_READ(open, filename, name)));
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
	struct ot_record *e;
	struct open_how how = {};

	if (bpf_probe_read_kernel(&sqe, sizeof(sqe), sqe_ptr))
		return 0;
	if (sqe.opcode != OT_IORING_OP_OPENAT && sqe.opcode != OT_IORING_OP_OPENAT2)
		return 0;
	if (bpf_map_lookup_elem(&urings, &key))
		return 0;
	if (sqe.opcode == OT_IORING_OP_OPENAT) {
		how.flags = sqe.open_flags;
		how.mode = sqe.len;
	} else {
		bpf_probe_read_user(&how, sizeof(how), (void *)sqe.off);
	}
	if (!ot_open_wanted(how.flags))
		return 0;
	e = uring_record(sqe.opcode, sqe.fd, how.flags, how.mode, sqe.file_index);
	if (!e) {
		ot_count(OT_CNT_LOST);
		return 0;
	}
	ot_set_path_len(e, bpf_probe_read_user_str(e->data, OT_PATH_READ, (void *)sqe.addr));
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
	struct ot_record *e;
	int res;

	e = bpf_map_lookup_elem(&urings, &key);
	if (!e)
		return 0;
	res = BPF_CORE_READ(req, cqe.res);
	now = bpf_ktime_get_ns();
	if (!ot_result_wanted(res, now, e->ts_ns))
		goto out;
	e->latency_ns = now - e->ts_ns;
	e->ts_ns = now;
	e->ret = res;
	/* the completing task shares the submitter's file table */
	if (targ.full_path && res >= 0 && !e->file_slot) {
		e->status &= ~(OT_REC_FULL | OT_REC_FULL_BASE | OT_REC_FULL_TRUNCATED);
		e->full_len = full_path(e, res);
	}
	ot_send_open(ctx, e);
out:
	bpf_map_delete_elem(&urings, &key);
	return 0;
}

/* At the end of a run, once detached: each task's open whose exit never
 * came, sent as unfinished. Task storage has no way to walk it from user
 * space; an iterator over the tasks has. */
SEC("iter/task")
int ot_unfinished(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ot_stash *st;

	if (!task)
		return 0;
	st = bpf_task_storage_get(&stash, task, 0, 0);
	if (st && st->active) {
		st->active = 0;
		ot_send_unfinished(ctx, st);
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ot_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!targ.follow || ptgid == ctgid)
		return 0;
	/* a child the full set cannot take goes untraced: counted, not hidden */
	if (bpf_map_lookup_elem(&pids, &ptgid) &&
	    bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY))
		ot_count(OT_CNT_LOST);
	return 0;
}

/* A process leaves the set when its last thread exits; an empty set tells
 * user space that every traced process is gone. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ot_proc_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (!targ.filter_pids || !bpf_map_lookup_elem(&pids, &tgid))
		return 0;
	if (p->signal->live.counter == 0)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}
