/* opentrace's BCC program, last part: what bpf/helpers.bpf.h (pasted
 * before this) asks of its includer, then the probes: the syscall
 * tracepoints (raw sys_enter/sys_exit where the kernel has them), or
 * kprobes on the syscall functions where a kernel lacks them, and the pid
 * set's bookkeeping. */

static __always_inline __u32 ot_self_tgid(void)
{
	int zero = 0;
	struct ot_bcc_conf *conf = ot_conf.lookup(&zero);

	return conf ? conf->self_tgid : 0;
}

static __always_inline const volatile char *ot_comm_want(__u32 *len)
{
	int zero = 0;
	struct ot_bcc_conf *conf = ot_conf.lookup(&zero);

	*len = conf ? conf->comm_len : 0;
	return conf ? conf->comm : "";
}

static __always_inline bool ot_pid_traced(__u32 tgid)
{
	return ot_pids.lookup(&tgid) != 0;
}

static __always_inline bool ot_in_cgroup(void)
{
#if OT_CFG_filter_cgroup
	return ot_cgroups.check_current_task(0) == 1;
#else
	return true;
#endif
}

static __always_inline bool ot_flags_match(__u64 flags)
{
	return OT_FLAGS_MATCH(flags);
}

static __always_inline void ot_count(__u32 which)
{
	u64 *c = ot_counters.lookup(&which);

	if (c)
		*c += 1;
}

/* The opens between entry and exit, by thread (task storage is 5.11 and
 * later); allocated as they come: a preallocated table of this size would
 * hold 70 MB. */
BPF_F_TABLE("hash", u32, struct ot_stash, ot_stash, 16384, BPF_F_NO_PREALLOC);

static __always_inline struct ot_stash *ot_stash_new(bool *replaced)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ot_stash *st = ot_stash.lookup(&tid);
	int zero = 0;

	if (st) {
		*replaced = st->active;
		return st;
	}
	/* a new entry is copied from somewhere: the per-CPU buffer will do,
	 * whatever it holds, since the entry sets every field it reads */
	st = (struct ot_stash *)ot_scratch.lookup(&zero);
	if (!st || ot_stash.update(&tid, st))
		return 0;
	return ot_stash.lookup(&tid);
}

static __always_inline struct ot_stash *ot_stash_get(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	return ot_stash.lookup(&tid);
}

static __always_inline void ot_stash_done(struct ot_stash *st)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	ot_stash.delete(&tid);
}

/* Exec records are built in the one per-CPU buffer: a program runs to its
 * end before another starts on its CPU. */
static __always_inline struct ot_record *ot_exec_buf(void)
{
	int zero = 0;

	return (struct ot_record *)ot_scratch.lookup(&zero);
}

#if OT_CFG_events & OT_EVENTS_EXEC
static __always_inline long ot_exec_put(__u32 tgid, struct ot_record *e)
{
	return ot_exec_stash.update(&tgid, (struct ot_buf *)e);
}

static __always_inline struct ot_record *ot_exec_get(__u32 tgid)
{
	return (struct ot_record *)ot_exec_stash.lookup(&tgid);
}

static __always_inline void ot_exec_del(__u32 tgid)
{
	ot_exec_stash.delete(&tgid);
}
#else
static __always_inline long ot_exec_put(__u32 tgid, struct ot_record *e)
{
	return -1;
}

static __always_inline struct ot_record *ot_exec_get(__u32 tgid)
{
	return 0;
}

static __always_inline void ot_exec_del(__u32 tgid)
{
}
#endif

/* Unrolled: kernels before 5.3 take no loops. One more than the most
 * arguments kept: the last sees whether there are more. */
static __always_inline void ot_read_args(struct ot_record *e, const char *const *argv)
{
	int i;

#pragma unroll
	for (i = 0; i <= OT_CFG_max_args; i++)
		if (ot_read_arg(e, i, argv))
			break;
}

#if OT_HOST_TASK_READS
/* task_struct and kin, read at the offsets of the running kernel: the
 * headers' where they are its own, else those its BTF gave (the text's
 * OT_HOST_OFF_* lines). */
#if OT_HOST_TASK_OFFSETS
#define OT_OFF(s, f) OT_HOST_OFF_##s##_##f
#else
#define OT_OFF(s, f) offsetof(struct s, f)
#endif

static __always_inline u64 ot_kread(u64 addr, u32 size)
{
	u64 v = 0;

	bpf_probe_read_kernel(&v, size, (void *)addr);
	return v;
}

#define OT_TASK_FIELD(ptr, s, f, size) ot_kread((u64)(ptr) + OT_OFF(s, f), size)

static __always_inline u32 ot_task_ppid(u64 task)
{
	return OT_TASK_FIELD(OT_TASK_FIELD(task, task_struct, real_parent, 8), task_struct, tgid, 4);
}

/* whether the task's thread group has no live thread left */
static __always_inline bool ot_task_group_dead(u64 task)
{
	return OT_TASK_FIELD(OT_TASK_FIELD(task, task_struct, signal, 8), signal_struct, live,
			     4) == 0;
}
#endif

/* Where task_struct cannot be read, the parent comes from the map
 * task_newtask fills, or from /proc in user space. */
static __always_inline __u32 ot_ppid(void)
{
#if OT_HOST_TASK_READS
	return ot_task_ppid(bpf_get_current_task());
#else
	u32 tgid = bpf_get_current_pid_tgid() >> 32, *parent = ot_parents.lookup(&tgid);

	return parent ? *parent : 0;
#endif
}

static __always_inline __u32 ot_open_extra(struct ot_record *e, long ret)
{
	return 0;
}

static __always_inline long ot_submit(void *ctx, void *e, __u64 size)
{
#if OT_HOST_RING_PAGES
	return ot_events.ringbuf_output(e, size, BPF_RB_NO_WAKEUP);
#else
	return ot_events.perf_submit(ctx, e, size);
#endif
}

/* Syscall tracepoints: the arguments come from the event's format. */

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_TP(OT_HOST_OPEN)
TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
	return ot_open_enter(OT_KIND_OPEN, OT_AT_FDCWD, (const char *)args->filename,
			args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_open)
{
	return ot_open_exit(args, args->ret);
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_TP(OT_HOST_OPENAT)
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	return ot_open_enter(OT_KIND_OPENAT, args->dfd, (const char *)args->filename,
			args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
	return ot_open_exit(args, args->ret);
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_TP(OT_HOST_OPENAT2)
/* struct open_how starts with flags and mode, two u64s (uapi). */
TRACEPOINT_PROBE(syscalls, sys_enter_openat2)
{
	u64 how[2] = {};

	bpf_probe_read_user(how, sizeof(how), (void *)args->how);
	return ot_open_enter(OT_KIND_OPENAT2, args->dfd, (const char *)args->filename,
			how[0], how[1]);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat2)
{
	return ot_open_exit(args, args->ret);
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_TP(OT_HOST_CREAT)
TRACEPOINT_PROBE(syscalls, sys_enter_creat)
{
	return ot_open_enter(OT_KIND_CREAT, OT_AT_FDCWD, (const char *)args->pathname,
			OT_CREAT_FLAGS, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_creat)
{
	return ot_open_exit(args, args->ret);
}
#endif

#if OT_CFG_events & OT_EVENTS_EXEC
/* A successful exec, in its new image: see ot_exec_image(). The file name
 * is the tracepoint's; the arguments need task_struct's layout. */
TRACEPOINT_PROBE(sched, sched_process_exec)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ot_record *e = ot_exec_get(tgid);
	unsigned long start = 0, end = 0;
	long n;

	if (!e)
		return 0;
	n = bpf_probe_read_kernel_str(e->data, OT_PATH_READ,
				      (char *)args + (args->data_loc_filename & 0xffff));
#if OT_HOST_TASK_READS
	{
		u64 mm = OT_TASK_FIELD(bpf_get_current_task(), task_struct, mm, 8);

		start = OT_TASK_FIELD(mm, mm_struct, arg_start, 8);
		end = OT_TASK_FIELD(mm, mm_struct, arg_end, 8);
	}
#endif
	ot_exec_image(e, n, OT_HOST_TASK_READS, start, end);
	return 0;
}
#endif

#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_TP(OT_HOST_EXECVE)
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return ot_exec_enter(OT_KIND_EXECVE, OT_AT_FDCWD, (const char *)args->filename,
			     (const char *const *)args->argv, 0);
}

TRACEPOINT_PROBE(syscalls, sys_exit_execve)
{
	return ot_exec_exit(args, args->ret);
}
#endif

#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_TP(OT_HOST_EXECVEAT)
TRACEPOINT_PROBE(syscalls, sys_enter_execveat)
{
	return ot_exec_enter(OT_KIND_EXECVEAT, args->fd, (const char *)args->filename,
			     (const char *const *)args->argv, args->flags);
}

TRACEPOINT_PROBE(syscalls, sys_exit_execveat)
{
	return ot_exec_exit(args, args->ret);
}
#endif

/* The raw sys_enter and sys_exit tracepoints, where the kernel has them
 * (4.17 and later): one program each for every syscall traced. The
 * per-syscall tracepoints above are perf events, and the kernel waits for
 * RCU grace periods, one tracepoint after the other, when each is
 * detached (about 25 ms each on the development VM); a raw tracepoint
 * detaches without waiting (sched_process_exit and task_newtask below are
 * raw for the same reason). The user registers are read at their offsets
 * in struct pt_regs, which the x86-64 syscall ABI fixes, so headers of
 * another release read them right; the numbers are the headers'. */
#define OT_RAW_OPENS ((OT_CFG_events & OT_EVENTS_OPEN) && \
	(OT_RAW(OT_HOST_OPEN) || OT_RAW(OT_HOST_OPENAT) || \
	 OT_RAW(OT_HOST_OPENAT2) || OT_RAW(OT_HOST_CREAT)))
#define OT_RAW_EXECS ((OT_CFG_events & OT_EVENTS_EXEC) && \
	(OT_RAW(OT_HOST_EXECVE) || OT_RAW(OT_HOST_EXECVEAT)))

#if OT_RAW_OPENS || OT_RAW_EXECS
#ifndef __x86_64__
#error "opentrace: the raw syscall tracepoints read x86-64 registers"
#endif
#include <asm/unistd.h>

/* a 32-bit task's code segment: its syscalls have other numbers and
 * registers, and the per-syscall tracepoints leave them out too */
#define OT_USER32_CS 0x23

static __always_inline u64 ot_reg(const struct pt_regs *regs, unsigned long off)
{
	u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const char *)regs + off);
	return v;
}

#define OT_REG(regs, name) ot_reg(regs, offsetof(struct pt_regs, name))

static __always_inline bool ot_raw_open(long id)
{
	return 0
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPEN)
		|| id == __NR_open
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPENAT)
		|| id == __NR_openat
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPENAT2)
		|| id == __NR_openat2
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_CREAT)
		|| id == __NR_creat
#endif
		;
}

static __always_inline bool ot_raw_exec(long id)
{
	return 0
#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_RAW(OT_HOST_EXECVE)
		|| id == __NR_execve
#endif
#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_RAW(OT_HOST_EXECVEAT)
		|| id == __NR_execveat
#endif
		;
}

RAW_TRACEPOINT_PROBE(sys_enter)
{
	const struct pt_regs *regs = (const struct pt_regs *)ctx->args[0];
	long id = ctx->args[1];

	if (!ot_raw_open(id) && !ot_raw_exec(id))
		return 0;
	if ((OT_REG(regs, cs) & 0xffff) == OT_USER32_CS)
		return 0;
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPENAT)
	if (id == __NR_openat)
		return ot_open_enter(OT_KIND_OPENAT, (int)OT_REG(regs, di),
				     (const char *)OT_REG(regs, si), OT_REG(regs, dx),
				     OT_REG(regs, r10));
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPEN)
	if (id == __NR_open)
		return ot_open_enter(OT_KIND_OPEN, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				     OT_REG(regs, si), OT_REG(regs, dx));
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_OPENAT2)
	if (id == __NR_openat2) {
		u64 how[2] = {};

		bpf_probe_read_user(how, sizeof(how), (void *)OT_REG(regs, dx));
		return ot_open_enter(OT_KIND_OPENAT2, (int)OT_REG(regs, di),
				     (const char *)OT_REG(regs, si), how[0], how[1]);
	}
#endif
#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_RAW(OT_HOST_CREAT)
	if (id == __NR_creat)
		return ot_open_enter(OT_KIND_CREAT, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				     OT_CREAT_FLAGS, OT_REG(regs, si));
#endif
#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_RAW(OT_HOST_EXECVE)
	if (id == __NR_execve)
		return ot_exec_enter(OT_KIND_EXECVE, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				     (const char *const *)OT_REG(regs, si), 0);
#endif
#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_RAW(OT_HOST_EXECVEAT)
	if (id == __NR_execveat)
		return ot_exec_enter(OT_KIND_EXECVEAT, (int)OT_REG(regs, di),
				     (const char *)OT_REG(regs, si),
				     (const char *const *)OT_REG(regs, dx), OT_REG(regs, r8));
#endif
	return 0;
}

/* The syscall a sys_exit belongs to is the one in orig_ax; the stashes
 * say whether its entry was traced. */
RAW_TRACEPOINT_PROBE(sys_exit)
{
	long id = OT_REG((const struct pt_regs *)ctx->args[0], orig_ax);

	if (ot_raw_open(id))
		return ot_open_exit(ctx, ctx->args[1]);
	if (ot_raw_exec(id))
		return ot_exec_exit(ctx, ctx->args[1]);
	return 0;
}
#endif

/* Kprobes on the syscall functions. With a syscall wrapper (x86-64 since
 * 4.17: __x64_sys_NAME(const struct pt_regs *)), the arguments are in the
 * user registers that the wrapper receives; without one, they are the
 * function's own arguments. The return value is the kretprobe's. */

#define OT_KPROBE_OPENS ((OT_CFG_events & OT_EVENTS_OPEN) && \
	(OT_HOST_OPEN == OT_VIA_KPROBE || OT_HOST_OPENAT == OT_VIA_KPROBE || \
	 OT_HOST_OPENAT2 == OT_VIA_KPROBE || OT_HOST_CREAT == OT_VIA_KPROBE))
#define OT_KPROBE_EXECS ((OT_CFG_events & OT_EVENTS_EXEC) && \
	(OT_HOST_EXECVE == OT_VIA_KPROBE || OT_HOST_EXECVEAT == OT_VIA_KPROBE))

#if OT_KPROBE_OPENS || OT_KPROBE_EXECS
#ifndef __x86_64__
#error "opentrace: the kprobe fallback reads x86-64 registers"
#endif

static __always_inline u64 ot_syscall_arg(struct pt_regs *ctx, int i)
{
#if OT_HOST_SYSCALL_WRAPPER
	struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);
	u64 v = 0;

	/* the syscall ABI: rdi, rsi, rdx, r10 */
	switch (i) {
	case 0:
		bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + offsetof(struct pt_regs, di));
		break;
	case 1:
		bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + offsetof(struct pt_regs, si));
		break;
	case 2:
		bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + offsetof(struct pt_regs, dx));
		break;
	default:
		bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + offsetof(struct pt_regs, r10));
		break;
	}
	return v;
#else
	switch (i) {
	case 0:
		return PT_REGS_PARM1(ctx);
	case 1:
		return PT_REGS_PARM2(ctx);
	case 2:
		return PT_REGS_PARM3(ctx);
	default:
		return PT_REGS_PARM4(ctx);
	}
#endif
}

/* the syscall ABI's fifth argument, r8 */
static __always_inline u64 ot_syscall_arg5(struct pt_regs *ctx)
{
#if OT_HOST_SYSCALL_WRAPPER
	struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1(ctx);
	u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + offsetof(struct pt_regs, r8));
	return v;
#else
	return PT_REGS_PARM5(ctx);
#endif
}
#endif

#if OT_KPROBE_OPENS
int ot_kretprobe(struct pt_regs *ctx)
{
	return ot_open_exit(ctx, PT_REGS_RC(ctx));
}
#endif

#if OT_KPROBE_EXECS
int ot_kretprobe_exec(struct pt_regs *ctx)
{
	return ot_exec_exit(ctx, PT_REGS_RC(ctx));
}
#endif

#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_HOST_EXECVE == OT_VIA_KPROBE
int ot_kprobe_execve(struct pt_regs *ctx)
{
	return ot_exec_enter(OT_KIND_EXECVE, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			     (const char *const *)ot_syscall_arg(ctx, 1), 0);
}
#endif

#if (OT_CFG_events & OT_EVENTS_EXEC) && OT_HOST_EXECVEAT == OT_VIA_KPROBE
int ot_kprobe_execveat(struct pt_regs *ctx)
{
	return ot_exec_enter(OT_KIND_EXECVEAT, (int)ot_syscall_arg(ctx, 0),
			     (const char *)ot_syscall_arg(ctx, 1),
			     (const char *const *)ot_syscall_arg(ctx, 2), ot_syscall_arg5(ctx));
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_HOST_OPEN == OT_VIA_KPROBE
int ot_kprobe_open(struct pt_regs *ctx)
{
	return ot_open_enter(OT_KIND_OPEN, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			ot_syscall_arg(ctx, 1), ot_syscall_arg(ctx, 2));
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_HOST_OPENAT == OT_VIA_KPROBE
int ot_kprobe_openat(struct pt_regs *ctx)
{
	return ot_open_enter(OT_KIND_OPENAT, (int)ot_syscall_arg(ctx, 0),
			(const char *)ot_syscall_arg(ctx, 1),
			ot_syscall_arg(ctx, 2), ot_syscall_arg(ctx, 3));
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_HOST_OPENAT2 == OT_VIA_KPROBE
int ot_kprobe_openat2(struct pt_regs *ctx)
{
	u64 how[2] = {};

	bpf_probe_read_user(how, sizeof(how), (void *)ot_syscall_arg(ctx, 2));
	return ot_open_enter(OT_KIND_OPENAT2, (int)ot_syscall_arg(ctx, 0),
			(const char *)ot_syscall_arg(ctx, 1), how[0], how[1]);
}
#endif

#if (OT_CFG_events & OT_EVENTS_OPEN) && OT_HOST_CREAT == OT_VIA_KPROBE
int ot_kprobe_creat(struct pt_regs *ctx)
{
	return ot_open_enter(OT_KIND_CREAT, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			OT_CREAT_FLAGS, ot_syscall_arg(ctx, 1));
}
#endif

#if (OT_CFG_follow) || !OT_HOST_TASK_READS
/* task_newtask fires in the parent, with the clone flags: a new process
 * (not a new thread) of a traced process is traced too, and, where the
 * program cannot read task_struct, its parent is remembered here. */
static __always_inline int ot_new_task(u32 child, u64 clone_flags)
{
	u32 ptgid = bpf_get_current_pid_tgid() >> 32;

	if (clone_flags & OT_CLONE_THREAD)
		return 0;
#if !OT_HOST_TASK_READS
	/* with CLONE_PARENT the parent is the caller's: /proc tells */
	if (!(clone_flags & OT_CLONE_PARENT))
		ot_parents.update(&child, &ptgid);
#endif
#if OT_CFG_follow
	{
		u8 one = 1;

		if (ot_pids.lookup(&ptgid))
			ot_pids.update(&child, &one);
	}
#endif
	return 0;
}

#if OT_HOST_RAW_TRACEPOINTS && OT_HOST_TASK_READS
/* raw: (struct task_struct *task, u64 clone_flags) */
RAW_TRACEPOINT_PROBE(task_newtask)
{
	return ot_new_task(OT_TASK_FIELD(ctx->args[0], task_struct, pid, 4), ctx->args[1]);
}
#else
TRACEPOINT_PROBE(task, task_newtask)
{
	return ot_new_task(args->pid, args->clone_flags);
}
#endif
#endif

#if OT_CFG_filter_pids && (OT_HOST_EXIT_GROUP_DEAD || OT_HOST_TASK_READS)
/* A process leaves the set when its last thread exits; an empty set tells
 * user space that every traced process is gone. Where the kernel says
 * neither, user space prunes the set from /proc instead. */
static __always_inline int ot_process_exit(bool group_dead)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!ot_pids.lookup(&tgid))
		return 0;
#if !OT_HOST_EXIT_GROUP_DEAD
	group_dead = ot_task_group_dead(bpf_get_current_task());
#endif
	if (group_dead)
		ot_pids.delete(&tgid);
	return 0;
}

#if OT_HOST_RAW_TRACEPOINTS
/* raw: (struct task_struct *p[, bool group_dead]), group_dead where the
 * tracepoint's format has the field */
RAW_TRACEPOINT_PROBE(sched_process_exit)
{
#if OT_HOST_EXIT_GROUP_DEAD
	return ot_process_exit(ctx->args[1]);
#else
	return ot_process_exit(false);
#endif
}
#else
TRACEPOINT_PROBE(sched, sched_process_exit)
{
#if OT_HOST_EXIT_GROUP_DEAD
	return ot_process_exit(args->group_dead);
#else
	return ot_process_exit(false);
#endif
}
#endif
#endif
