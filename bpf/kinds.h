/* Every kind of event opentrace reports, in one table, as strace keeps its
 * syscalls in syscallent: X(KIND, name, class). The syscalls come first;
 * their name is the syscall's, and so the stem of its tracepoints
 * (sys_enter_NAME), of its kernel function (__x64_sys_NAME) and of the
 * programs that trace it. io_uring requests follow. class is the event
 * class (--events) the kind belongs to.
 *
 * Plain preprocessor and one enum: included by the CO-RE program, pasted
 * into the BCC text, included by user space. */
#ifndef OPENTRACE_BPF_KINDS_H
#define OPENTRACE_BPF_KINDS_H

#define OT_SYSCALLS(X) \
	X(OPEN, open, OPEN) \
	X(OPENAT, openat, OPEN) \
	X(OPENAT2, openat2, OPEN) \
	X(CREAT, creat, OPEN) \
	X(EXECVE, execve, EXEC) \
	X(EXECVEAT, execveat, EXEC)

#define OT_URING_OPS(X) \
	X(URING_OPENAT, uring_openat, OPEN) \
	X(URING_OPENAT2, uring_openat2, OPEN)

#define OT_KINDS(X) OT_SYSCALLS(X) OT_URING_OPS(X)

enum ot_kind {
#define OT_KIND_ENUM_(kind, name, class) OT_KIND_##kind,
	OT_KINDS(OT_KIND_ENUM_)
#undef OT_KIND_ENUM_
	OT_KIND_MAX
};

/* Event classes, the bits of --events. */
#define OT_EVENTS_OPEN (1 << 0)
#define OT_EVENTS_EXEC (1 << 1)

#endif
