#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

/* Older headers lack the capabilities of Linux 5.8. */
#ifndef CAP_PERFMON
# define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
# define CAP_BPF 39
#endif

/* The effective set straight from the kernel: glibc has no wrapper and
 * libcap would be a dependency for one call. */
static uint64_t effective_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return data[0].effective | (uint64_t)data[1].effective << 32;
}

int ot_caps_check(char *why, size_t len)
{
	uint64_t caps = effective_caps();
	bool bpf = caps & (1ull << CAP_BPF), perfmon = caps & (1ull << CAP_PERFMON);

	if (!(caps & (1ull << CAP_SYS_ADMIN)) && !(bpf && perfmon)) {
		snprintf(why, len, "tracing needs root, or CAP_BPF and CAP_PERFMON; this process "
			 "lacks %s (run it with sudo)",
			 !bpf && !perfmon ? "both" : !bpf ? "CAP_BPF" : "CAP_PERFMON");
		return -1;
	}
	/* The BPF backends look tracepoints up in tracefs, which is root's
	 * alone (mode 0700): the capabilities without root are not enough. */
	if (faccessat(AT_FDCWD, "/sys/kernel/tracing", X_OK, AT_EACCESS) && errno == EACCES) {
		snprintf(why, len, "cannot search tracefs (/sys/kernel/tracing), where tracepoints "
			 "are found: needs root, or CAP_DAC_READ_SEARCH as well as CAP_BPF and "
			 "CAP_PERFMON");
		return -1;
	}
	return 0;
}
