/* opentrace's BCC program: file opens through the syscall tracepoints, or
 * through kprobes on the syscall functions where a kernel lacks them.
 * Exec events (execve, execveat, with their arguments) when the plan asks.
 *
 * The #define lines above come from backends/bcc.c: the plan's filters as
 * validated integers (OT_*), and what probing this host found (OT_HOST_*).
 * Every string of the command line reaches the program through maps (the
 * -n comm in ot_conf, the --cgroup directory as an fd in ot_cgroups),
 * never through this text. As in the libbpf program, every
 * filter is decided at syscall entry; the exit of an untracked task costs
 * one failed hash lookup. */
#include <uapi/linux/ptrace.h>
#if OT_HOST_TASK_READS
#include <linux/sched.h>
#include <linux/sched/signal.h>
#endif

#define OT_VIA_NONE 0
#define OT_VIA_TRACEPOINT 1
#define OT_VIA_KPROBE 2
/* a syscall traced by its own tracepoints, or by the raw ones */
#define OT_TP(host) ((host) == OT_VIA_TRACEPOINT && !OT_HOST_RAW_TRACEPOINTS)
#define OT_RAW(host) ((host) == OT_VIA_TRACEPOINT && OT_HOST_RAW_TRACEPOINTS)

#define OT_AT_FDCWD (-100)
#define OT_CLONE_PARENT 0x00008000
#define OT_CLONE_THREAD 0x00010000

struct ot_stash {
	u64 ts;
	u64 flags;
	const char *path;
	u32 mode;
	s32 dfd;
	u16 kind;
};

BPF_ARRAY(ot_conf, struct ot_bcc_conf, 1);
/* The traced processes (tgids): filled from user space for -p and for a
 * command, grown at fork when following, shrunk when a process ends. Not
 * preallocated: 65536 entries made ready up front took 130 ms of a start
 * on the development VM, for a set that rarely holds a few hundred. */
BPF_F_TABLE("hash", u32, u8, ot_pids, 65536, BPF_F_NO_PREALLOC);
/* Entry arguments, by thread, until the syscall returns. */
BPF_HASH(ot_stash, u32, struct ot_stash, 16384);
BPF_PERCPU_ARRAY(ot_scratch, struct ot_bcc_record, 1);
BPF_PERCPU_ARRAY(ot_counters, u64, OT_BCC_CNT_MAX);
#if OT_HOST_RING_PAGES
/* One ring buffer shared by every CPU (kernels since 5.8): records in
 * about the order they were made, and no wakeups: user space drains it on
 * a timer. */
BPF_RINGBUF_OUTPUT(ot_events, OT_HOST_RING_PAGES);
#else
/* A perf buffer per CPU, for kernels without the ring buffer. */
BPF_PERF_OUTPUT(ot_events);
#endif
#if OT_FILTER_CGROUP
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

static __always_inline void ot_count(int which)
{
	u64 *c = ot_counters.lookup(&which);

	if (c)
		*c += 1;
}

/* Sends a record; nonzero when there was no room for it. */
static __always_inline int ot_submit(void *ctx, void *e, u32 size)
{
#if OT_HOST_RING_PAGES
	return ot_events.ringbuf_output(e, size, BPF_RB_NO_WAKEUP);
#else
	return ot_events.perf_submit(ctx, e, size);
#endif
}

#if OT_FILTER_COMM
/* Whether the task's comm contains the -n substring (ot_conf). */
static __always_inline bool ot_comm_matches(const struct ot_bcc_conf *conf)
{
	char comm[OT_COMM_LEN];
	u32 len = conf->comm_len;
	int i, j;

	bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
	for (i = 0; i < OT_COMM_LEN - 1; i++) {
		bool same = true;

#pragma unroll
		for (j = 0; j < OT_COMM_LEN - 1; j++) {
			if (j >= len)
				break;
			if (i + j >= OT_COMM_LEN - 1 || comm[i + j] != conf->comm[j]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}
#endif

/* Whether the calling task is one the plan traces: every filter but the
 * open flags, which only opens have. */
static __always_inline bool ot_wanted(void)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, tid = (u32)id;
	struct ot_bcc_conf *conf;
	int zero = 0;

	conf = ot_conf.lookup(&zero);
	if (!conf || tgid == conf->self_tgid)
		return false;
#if OT_TID
	if (tid != OT_TID)
		return false;
#endif
#if OT_FILTER_PIDS
	if (!ot_pids.lookup(&tgid))
		return false;
#endif
#if OT_FILTER_UID
	if ((u32)bpf_get_current_uid_gid() != OT_UID)
		return false;
#endif
#if OT_FILTER_CGROUP
	if (ot_cgroups.check_current_task(0) != 1)
		return false;
#endif
#if OT_FILTER_COMM
	if (!ot_comm_matches(conf))
		return false;
#endif
	return true;
}

static __always_inline int ot_enter(u16 kind, int dfd, const char *path, u64 flags, u32 mode)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ot_stash st = {};

	if (!ot_wanted())
		return 0;
#if OT_FILTER_FLAGS
	if (!OT_FLAGS_MATCH(flags))
		return 0;
#endif
	if (ot_stash.lookup(&tid))
		ot_count(OT_BCC_CNT_UNMATCHED);
	st.ts = bpf_ktime_get_ns();
	st.flags = flags;
	st.path = path;
	st.mode = mode;
	st.dfd = dfd;
	st.kind = kind;
	if (ot_stash.update(&tid, &st))
		ot_count(OT_BCC_CNT_LOST);
	return 0;
}

/* The caller's identity, at the syscall's return. */
static __always_inline void ot_fill(struct ot_bcc_record *e, u64 now, u64 entry, long ret)
{
	u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = now;
	e->latency_ns = now - entry;
	e->cgid = bpf_get_current_cgroup_id();
	e->ret = ret;
	e->pid = id >> 32;
	e->tid = (u32)id;
#if OT_HOST_TASK_READS
	{
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		e->ppid = task->real_parent->tgid;
	}
#else
	{
		u32 tgid = id >> 32, *parent = ot_parents.lookup(&tgid);

		e->ppid = parent ? *parent : 0;
	}
#endif
	e->uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void ot_read_path(struct ot_bcc_record *e, const char *path)
{
	u32 len;
	long n;

	n = bpf_probe_read_user_str(e->data, OT_PATH_READ, path);
	if (n <= 0) {
		len = 0;
		e->status |= OT_BCC_UNREADABLE;
	} else if (n >= OT_PATH_READ) {
		len = OT_PATH_MAX;
		e->status |= OT_BCC_TRUNCATED;
	} else {
		len = n - 1;
	}
	if (len > OT_PATH_MAX)
		len = OT_PATH_MAX;
	e->path_len = len;
}

static __always_inline int ot_exit(void *ctx, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ot_bcc_record *e;
	struct ot_stash *sp, st;
	int zero = 0;
	u32 size;
	u64 now;

	sp = ot_stash.lookup(&tid);
	if (!sp)
		return 0;
	st = *sp;
	ot_stash.delete(&tid);
#if OT_FAILED_ONLY
	if (ret >= 0)
		return 0;
#endif
	now = bpf_ktime_get_ns();
#if OT_MIN_LATENCY_NS
	if (now - st.ts < OT_MIN_LATENCY_NS)
		return 0;
#endif

	e = ot_scratch.lookup(&zero);
	if (!e) {
		ot_count(OT_BCC_CNT_LOST);
		return 0;
	}
	ot_fill(e, now, st.ts, ret);
	e->flags = st.flags;
	e->mode = st.mode;
	e->dfd = st.dfd;
	e->kind = st.kind;
	e->status = 0;
	e->args_len = 0;
	ot_read_path(e, st.path);
	/* The verifier must see the size bounded, and clang, knowing the
	 * length's range from ot_read_path's branches, would drop a plain
	 * check: read it back through a volatile and mask it. */
	size = offsetof(struct ot_bcc_record, data) +
	       (*(volatile u16 *)&e->path_len & (OT_PATH_MAX * 2 - 1));
	if (ot_submit(ctx, e, size))
		ot_count(OT_BCC_CNT_PERF_LOST);
	return 0;
}

#if OT_EVENTS_EXEC
/* exec: the path and the arguments are read at entry, while the caller's
 * memory still exists; the record waits here for the syscall's return,
 * by tgid: after an exec, the thread that made it has the tgid as its
 * pid. comm is the caller's, from before the exec (execsnoop's PCOMM). */
BPF_F_TABLE("hash", u32, struct ot_bcc_record, ot_exec_stash, 4096, BPF_F_NO_PREALLOC);

static __always_inline int ot_exec_enter(u16 kind, int dfd, const char *path,
					 const char *const *argv, u64 flags)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32, off;
	struct ot_bcc_record *e;
	const char *arg;
	int zero = 0, i;
	char last;
	long n;

	if (!ot_wanted())
		return 0;
	e = ot_scratch.lookup(&zero);
	if (!e) {
		ot_count(OT_BCC_CNT_LOST);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = flags;
	e->mode = 0;
	e->dfd = dfd;
	e->kind = kind;
	e->status = 0;
	e->args_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	ot_read_path(e, path);
#pragma unroll
	for (i = 0; i < OT_MAX_ARGS; i++) {
		arg = NULL;
		bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
		if (!arg)
			goto done;
		/* the offset so far, read back through a volatile: the
		 * verifier must see it bounded, and clang must not keep a
		 * copy whose bounds the verifier cannot follow */
		off = *(volatile u16 *)&e->args_len;
		if (off > OT_ARGS_MAX - OT_ARG_READ) {
			e->status |= OT_BCC_ARGS_TRUNCATED;
			goto done;
		}
		n = bpf_probe_read_user_str(&e->data[OT_ARGS_OFF + (off & (OT_ARGS_MAX - 1))],
					    OT_ARG_READ, arg);
		if (n <= 0)
			goto done;
		/* a full read is cut unless the string ended exactly there */
		last = 0;
		if (n == OT_ARG_READ &&
		    !bpf_probe_read_user(&last, 1, arg + OT_ARG_READ - 1) && last)
			e->status |= OT_BCC_ARGS_TRUNCATED;
		e->args_len = off + n;
	}
	arg = NULL;
	bpf_probe_read_user(&arg, sizeof(arg), &argv[OT_MAX_ARGS]);
	if (arg)
		e->status |= OT_BCC_ARGS_TRUNCATED;
done:
	if (ot_exec_stash.update(&tgid, e))
		ot_count(OT_BCC_CNT_LOST);
	return 0;
}

static __always_inline int ot_exec_exit(void *ctx, long ret)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ot_bcc_record *e;
	char comm[OT_COMM_LEN];
	u32 size;
	u64 now;

	e = ot_exec_stash.lookup(&tgid);
	if (!e)
		return 0;
	now = bpf_ktime_get_ns();
#if OT_FAILED_ONLY
	if (ret >= 0)
		goto out;
#endif
#if OT_MIN_LATENCY_NS
	if (now - e->ts_ns < OT_MIN_LATENCY_NS)
		goto out;
#endif
	/* ot_fill takes the comm of now, after the exec: keep the caller's */
	__builtin_memcpy(comm, e->comm, sizeof(comm));
	ot_fill(e, now, e->ts_ns, ret);
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	/* bounded for the verifier as in ot_exit; args_len <= OT_ARGS_MAX */
	size = offsetof(struct ot_bcc_record, data) + OT_ARGS_OFF +
	       (*(volatile u16 *)&e->args_len & (OT_ARGS_MAX * 2 - 1));
	if (size > sizeof(*e))
		goto out;
	if (ot_submit(ctx, e, size))
		ot_count(OT_BCC_CNT_PERF_LOST);
out:
	ot_exec_stash.delete(&tgid);
	return 0;
}
#endif

/* Syscall tracepoints: the arguments come from the event's format. */

#if OT_EVENTS_OPEN && OT_TP(OT_HOST_OPEN)
TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
	return ot_enter(OT_BCC_OPEN, OT_AT_FDCWD, (const char *)args->filename,
			args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_open)
{
	return ot_exit(args, args->ret);
}
#endif

#if OT_EVENTS_OPEN && OT_TP(OT_HOST_OPENAT)
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	return ot_enter(OT_BCC_OPENAT, args->dfd, (const char *)args->filename,
			args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
	return ot_exit(args, args->ret);
}
#endif

#if OT_EVENTS_OPEN && OT_TP(OT_HOST_OPENAT2)
/* struct open_how starts with flags and mode, two u64s (uapi). */
TRACEPOINT_PROBE(syscalls, sys_enter_openat2)
{
	u64 how[2] = {};

	bpf_probe_read_user(how, sizeof(how), (void *)args->how);
	return ot_enter(OT_BCC_OPENAT2, args->dfd, (const char *)args->filename,
			how[0], how[1]);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat2)
{
	return ot_exit(args, args->ret);
}
#endif

#if OT_EVENTS_OPEN && OT_TP(OT_HOST_CREAT)
/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
TRACEPOINT_PROBE(syscalls, sys_enter_creat)
{
	return ot_enter(OT_BCC_CREAT, OT_AT_FDCWD, (const char *)args->pathname,
			01 | 0100 | 01000, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_creat)
{
	return ot_exit(args, args->ret);
}
#endif

#if OT_EVENTS_EXEC && OT_TP(OT_HOST_EXECVE)
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return ot_exec_enter(OT_BCC_EXECVE, OT_AT_FDCWD, (const char *)args->filename,
			     (const char *const *)args->argv, 0);
}

TRACEPOINT_PROBE(syscalls, sys_exit_execve)
{
	return ot_exec_exit(args, args->ret);
}
#endif

#if OT_EVENTS_EXEC && OT_TP(OT_HOST_EXECVEAT)
TRACEPOINT_PROBE(syscalls, sys_enter_execveat)
{
	return ot_exec_enter(OT_BCC_EXECVEAT, args->fd, (const char *)args->filename,
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
 * detaches without waiting (sched_process_exit below is raw for the same
 * reason; task_newtask stays a perf event: its raw form gives the new
 * task_struct, whose pid only a program with the running kernel's headers
 * could read). The user registers are read at their offsets
 * in struct pt_regs, which the x86-64 syscall ABI fixes, so headers of
 * another release read them right; the numbers are the headers'. */
#define OT_RAW_OPENS (OT_EVENTS_OPEN && \
	(OT_RAW(OT_HOST_OPEN) || OT_RAW(OT_HOST_OPENAT) || \
	 OT_RAW(OT_HOST_OPENAT2) || OT_RAW(OT_HOST_CREAT)))
#define OT_RAW_EXECS (OT_EVENTS_EXEC && \
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
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPEN)
		|| id == __NR_open
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPENAT)
		|| id == __NR_openat
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPENAT2)
		|| id == __NR_openat2
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_CREAT)
		|| id == __NR_creat
#endif
		;
}

static __always_inline bool ot_raw_exec(long id)
{
	return 0
#if OT_EVENTS_EXEC && OT_RAW(OT_HOST_EXECVE)
		|| id == __NR_execve
#endif
#if OT_EVENTS_EXEC && OT_RAW(OT_HOST_EXECVEAT)
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
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPENAT)
	if (id == __NR_openat)
		return ot_enter(OT_BCC_OPENAT, (int)OT_REG(regs, di), (const char *)OT_REG(regs, si),
				OT_REG(regs, dx), OT_REG(regs, r10));
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPEN)
	if (id == __NR_open)
		return ot_enter(OT_BCC_OPEN, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				OT_REG(regs, si), OT_REG(regs, dx));
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_OPENAT2)
	if (id == __NR_openat2) {
		u64 how[2] = {};

		bpf_probe_read_user(how, sizeof(how), (void *)OT_REG(regs, dx));
		return ot_enter(OT_BCC_OPENAT2, (int)OT_REG(regs, di),
				(const char *)OT_REG(regs, si), how[0], how[1]);
	}
#endif
#if OT_EVENTS_OPEN && OT_RAW(OT_HOST_CREAT)
	if (id == __NR_creat)
		return ot_enter(OT_BCC_CREAT, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				01 | 0100 | 01000, OT_REG(regs, si));
#endif
#if OT_EVENTS_EXEC && OT_RAW(OT_HOST_EXECVE)
	if (id == __NR_execve)
		return ot_exec_enter(OT_BCC_EXECVE, OT_AT_FDCWD, (const char *)OT_REG(regs, di),
				     (const char *const *)OT_REG(regs, si), 0);
#endif
#if OT_EVENTS_EXEC && OT_RAW(OT_HOST_EXECVEAT)
	if (id == __NR_execveat)
		return ot_exec_enter(OT_BCC_EXECVEAT, (int)OT_REG(regs, di),
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
		return ot_exit(ctx, ctx->args[1]);
#if OT_RAW_EXECS
	if (ot_raw_exec(id))
		return ot_exec_exit(ctx, ctx->args[1]);
#endif
	return 0;
}
#endif

/* Kprobes on the syscall functions. With a syscall wrapper (x86-64 since
 * 4.17: __x64_sys_NAME(const struct pt_regs *)), the arguments are in the
 * user registers that the wrapper receives; without one, they are the
 * function's own arguments. The return value is the kretprobe's. */

#define OT_KPROBE_OPENS (OT_EVENTS_OPEN && \
	(OT_HOST_OPEN == OT_VIA_KPROBE || OT_HOST_OPENAT == OT_VIA_KPROBE || \
	 OT_HOST_OPENAT2 == OT_VIA_KPROBE || OT_HOST_CREAT == OT_VIA_KPROBE))
#define OT_KPROBE_EXECS (OT_EVENTS_EXEC && \
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
	return ot_exit(ctx, PT_REGS_RC(ctx));
}
#endif

#if OT_KPROBE_EXECS
int ot_kretprobe_exec(struct pt_regs *ctx)
{
	return ot_exec_exit(ctx, PT_REGS_RC(ctx));
}
#endif

#if OT_EVENTS_EXEC && OT_HOST_EXECVE == OT_VIA_KPROBE
int ot_kprobe_execve(struct pt_regs *ctx)
{
	return ot_exec_enter(OT_BCC_EXECVE, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			     (const char *const *)ot_syscall_arg(ctx, 1), 0);
}
#endif

#if OT_EVENTS_EXEC && OT_HOST_EXECVEAT == OT_VIA_KPROBE
int ot_kprobe_execveat(struct pt_regs *ctx)
{
	return ot_exec_enter(OT_BCC_EXECVEAT, (int)ot_syscall_arg(ctx, 0),
			     (const char *)ot_syscall_arg(ctx, 1),
			     (const char *const *)ot_syscall_arg(ctx, 2), ot_syscall_arg5(ctx));
}
#endif

#if OT_EVENTS_OPEN && OT_HOST_OPEN == OT_VIA_KPROBE
int ot_kprobe_open(struct pt_regs *ctx)
{
	return ot_enter(OT_BCC_OPEN, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			ot_syscall_arg(ctx, 1), ot_syscall_arg(ctx, 2));
}
#endif

#if OT_EVENTS_OPEN && OT_HOST_OPENAT == OT_VIA_KPROBE
int ot_kprobe_openat(struct pt_regs *ctx)
{
	return ot_enter(OT_BCC_OPENAT, (int)ot_syscall_arg(ctx, 0),
			(const char *)ot_syscall_arg(ctx, 1),
			ot_syscall_arg(ctx, 2), ot_syscall_arg(ctx, 3));
}
#endif

#if OT_EVENTS_OPEN && OT_HOST_OPENAT2 == OT_VIA_KPROBE
int ot_kprobe_openat2(struct pt_regs *ctx)
{
	u64 how[2] = {};

	bpf_probe_read_user(how, sizeof(how), (void *)ot_syscall_arg(ctx, 2));
	return ot_enter(OT_BCC_OPENAT2, (int)ot_syscall_arg(ctx, 0),
			(const char *)ot_syscall_arg(ctx, 1), how[0], how[1]);
}
#endif

#if OT_EVENTS_OPEN && OT_HOST_CREAT == OT_VIA_KPROBE
int ot_kprobe_creat(struct pt_regs *ctx)
{
	return ot_enter(OT_BCC_CREAT, OT_AT_FDCWD, (const char *)ot_syscall_arg(ctx, 0),
			01 | 0100 | 01000, ot_syscall_arg(ctx, 1));
}
#endif

#if (OT_FILTER_PIDS && OT_FOLLOW) || !OT_HOST_TASK_READS
/* task_newtask fires in the parent, with the clone flags: a new process
 * (not a new thread) of a traced process is traced too, and, where the
 * program cannot read task_struct, its parent is remembered here. */
TRACEPOINT_PROBE(task, task_newtask)
{
	u32 ptgid = bpf_get_current_pid_tgid() >> 32, child = args->pid;

	if (args->clone_flags & OT_CLONE_THREAD)
		return 0;
#if !OT_HOST_TASK_READS
	/* with CLONE_PARENT the parent is the caller's: /proc tells */
	if (!(args->clone_flags & OT_CLONE_PARENT))
		ot_parents.update(&child, &ptgid);
#endif
#if OT_FILTER_PIDS && OT_FOLLOW
	{
		u8 one = 1;

		if (ot_pids.lookup(&ptgid))
			ot_pids.update(&child, &one);
	}
#endif
	return 0;
}
#endif

#if OT_FILTER_PIDS && (OT_HOST_EXIT_GROUP_DEAD || OT_HOST_TASK_READS)
/* A process leaves the set when its last thread exits; an empty set tells
 * user space that every traced process is gone. Where the kernel says
 * neither, user space prunes the set from /proc instead. */
static __always_inline int ot_process_exit(bool group_dead)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!ot_pids.lookup(&tgid))
		return 0;
#if !OT_HOST_EXIT_GROUP_DEAD
	{
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		group_dead = task->signal->live.counter == 0;
	}
#endif
	if (group_dead)
		ot_pids.delete(&tgid);
	return 0;
}

#if OT_HOST_RAW_TRACEPOINTS
/* raw: (struct task_struct *p[, bool group_dead]), group_dead where the
 * tracepoint's format has it */
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
