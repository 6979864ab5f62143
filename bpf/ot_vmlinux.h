/* The few kernel types the CO-RE programs touch, declared by hand so the
 * build needs no vmlinux.h. preserve_access_index makes every field access
 * a CO-RE relocation, resolved against the running kernel's BTF at load. */
#ifndef OPENTRACE_BPF_OT_VMLINUX_H
#define OPENTRACE_BPF_OT_VMLINUX_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef int pid_t;
typedef _Bool bool;
enum { false = 0, true = 1 };

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_F_NO_PREALLOC = 1,
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
};

/* The user registers at a syscall's entry and exit, for the raw sys_enter
 * and sys_exit tracepoints: bpf_tracing.h's PT_REGS_PARMn_SYSCALL read the
 * arguments (with the kernel's names, hence __VMLINUX_H__), and
 * OT_SYSCALL_NR the syscall a sys_exit belongs to. */
#define __VMLINUX_H__
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long r10;
	unsigned long r8;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define OT_SYSCALL_NR(regs) ((long)(regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
} __attribute__((preserve_access_index));
struct pt_regs {
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));
#define OT_SYSCALL_NR(regs) ((long)(regs)->syscallno)
#else
#error "the raw syscall tracepoints need this architecture's struct pt_regs"
#endif

/* x86: thread_info.status while a 32-bit syscall runs (in_ia32_syscall) */
#define OT_TS_COMPAT 0x0002
struct thread_info {
	__u32 status;
} __attribute__((preserve_access_index));

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
} __attribute__((preserve_access_index));

/* The path walk of --full-path */
struct qstr {
	__u64 hash_len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
} __attribute__((preserve_access_index));

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct fs_struct {
	struct path root;
	struct path pwd;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

/* exec: where the new image keeps its arguments, and the file name the
 * kernel resolved */
struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} __attribute__((preserve_access_index));

struct linux_binprm {
	const char *filename;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	pid_t pid;
	pid_t tgid;
	struct mm_struct *mm;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct signal_struct *signal;
	struct fs_struct *fs;
	struct files_struct *files;
} __attribute__((preserve_access_index));

/* the task iterator's context */
struct bpf_iter_meta {
	void *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

/* io_uring: a request, and the open command that overlays its cmd area */
struct io_cmd_data {
	void *file;
	__u8 data[56];
};

struct io_cqe {
	__s32 res;
} __attribute__((preserve_access_index));

struct io_kiocb {
	struct io_cmd_data cmd;
	__u8 opcode;
	struct io_cqe cqe;
} __attribute__((preserve_access_index));

struct filename {
	const char *name;
} __attribute__((preserve_access_index));

struct open_how;

struct io_open {
	void *file;
	int dfd;
	__u32 file_slot;
	struct filename *filename;
	struct {
		__u64 flags;
		__u64 mode;
		__u64 resolve;
	} how;
} __attribute__((preserve_access_index));

/* The submission entry's layout is user ABI: fixed, no relocation. */
struct ot_uring_sqe {
	__u8 opcode;
	__u8 flags;
	__u16 ioprio;
	__s32 fd;
	__u64 off;		/* openat2: the struct open_how pointer */
	__u64 addr;		/* the file name */
	__u32 len;		/* openat: the mode */
	__u32 open_flags;
	__u64 user_data;
	__u16 buf_index;
	__u16 personality;
	__u32 file_index;
};

struct open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

#endif
