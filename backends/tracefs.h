/* tracefs, where the BPF backends find tracepoints (libbpf their IDs, BCC
 * their formats). */
#ifndef OPENTRACE_BACKENDS_TRACEFS_H
#define OPENTRACE_BACKENDS_TRACEFS_H

#include <stdbool.h>

#define OT_TRACEFS_DEFAULT "/sys/kernel/tracing"

bool ot_dir_exists(const char *path);
/* Where tracefs is mounted, or NULL. */
const char *ot_tracefs_mounted(void);
/* Mounts tracefs where it belongs if no one has; NULL with a message
 * (prefixed by who) when that fails. */
const char *ot_tracefs_ensure(const char *who);
bool ot_tracepoint_exists(const char *tracefs, const char *category, const char *event);
/* The tracepoint io_uring submits a request through (io_uring_submit_req;
 * io_uring_submit_sqe in Linux 6.1, the same request first), or NULL. */
const char *ot_uring_submit_tracepoint(const char *tracefs);

#endif
