/* Programs that do nothing, on the raw sys_enter and sys_exit
 * tracepoints: bench/run's empty-raw row, the ceiling of the attach method
 * opentrace's BPF backends use (bpftrace, which gives the empty-bpf row on
 * the per-syscall tracepoints, cannot attach raw tracepoints here). Two
 * instructions each, loaded with bpf(2) itself, so neither clang nor BTF
 * is needed. Prints "attached" once both are, and holds them until a
 * signal ends it. */
#include "config.h"

#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int attach_empty(const char *tracepoint)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int prog;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)"GPL";
	prog = bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0) {
		perror("empty-raw: loading a program");
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.name = (uintptr_t)tracepoint;
	attr.raw_tracepoint.prog_fd = prog;
	if (bpf(BPF_RAW_TRACEPOINT_OPEN, &attr) < 0) {
		fprintf(stderr, "empty-raw: attaching to %s: %s\n", tracepoint, strerror(errno));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (attach_empty("sys_enter") || attach_empty("sys_exit"))
		return 1;
	printf("attached\n");
	fflush(stdout);
	pause();
	return 0;
}
