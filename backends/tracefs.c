#include "config.h"

#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "msg.h"
#include "tracefs.h"

static const char *const tracefs_dirs[] = {
	OT_TRACEFS_DEFAULT,
	"/sys/kernel/debug/tracing",
};

bool ot_dir_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

const char *ot_tracefs_mounted(void)
{
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", tracefs_dirs[i]);
		if (ot_dir_exists(path))
			return tracefs_dirs[i];
	}
	return NULL;
}

const char *ot_tracefs_ensure(const char *who)
{
	const char *dir = ot_tracefs_mounted();

	if (dir)
		return dir;
	if (mount("nodev", OT_TRACEFS_DEFAULT, "tracefs", 0, NULL)) {
		ot_perror_msg("%s: tracefs is not mounted and mounting it on " OT_TRACEFS_DEFAULT
			      " failed", who);
		return NULL;
	}
	return ot_tracefs_mounted();
}

bool ot_tracepoint_exists(const char *tracefs, const char *category, const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, category, event);
	return ot_dir_exists(path);
}

const char *ot_uring_submit_tracepoint(const char *tracefs)
{
	if (ot_tracepoint_exists(tracefs, "io_uring", "io_uring_submit_req"))
		return "io_uring_submit_req";
	if (ot_tracepoint_exists(tracefs, "io_uring", "io_uring_submit_sqe"))
		return "io_uring_submit_sqe";
	return NULL;
}
