/* Where the BCC program finds what it reads in task_struct and its kin,
 * when the headers it compiles against are not the running kernel's but
 * the kernel describes itself in BTF (btf.c). */
#ifndef OPENTRACE_BACKENDS_BCC_OFFSETS_H
#define OPENTRACE_BACKENDS_BCC_OFFSETS_H

/* X(struct, field): the fields, each a byte offset in its struct */
#define OT_BCC_OFFSETS(X) \
	X(task_struct, real_parent) X(task_struct, pid) X(task_struct, tgid) X(task_struct, mm) \
	X(task_struct, signal) X(mm_struct, arg_start) X(mm_struct, arg_end) \
	X(signal_struct, live)

struct ot_bcc_offsets {
#define OT_BCC_OFF_FIELD_(s, f) unsigned s##_##f;
	OT_BCC_OFFSETS(OT_BCC_OFF_FIELD_)
#undef OT_BCC_OFF_FIELD_
};

/* 0 with every offset found in /sys/kernel/btf/vmlinux, else -1. */
int ot_bcc_btf_offsets(struct ot_bcc_offsets *o);

#endif
