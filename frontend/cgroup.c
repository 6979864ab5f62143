#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "msg.h"

#ifndef CGROUP2_SUPER_MAGIC
# define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The first cgroup2 mount (on hybrid systems it is not /sys/fs/cgroup). */
static int cgroup2_root(char *out, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	int rc = -1;

	if (!f) {
		ot_perror_msg("cannot read /proc/self/mounts");
		return -1;
	}
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(out, len, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	if (rc)
		ot_error_msg("no cgroup v2 hierarchy is mounted on this host, so cgroups cannot "
			     "be traced; mount one (mount -t cgroup2 none /sys/fs/cgroup/unified) "
			     "or trace the command's process tree instead (drop --cgroup/--new-cgroup)");
	return rc;
}

int ot_cgroup_resolve(const char *path, char *out, size_t len)
{
	char root[PATH_MAX], joined[2 * PATH_MAX];
	struct statfs sfs;

	if (cgroup2_root(root, sizeof(root)))
		return -1;
	if (path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", root, path);
	if (!realpath(joined, out) || strlen(out) >= len) {
		ot_perror_msg("--cgroup %s: cannot resolve %s", ot_quote(path), ot_quote(joined));
		return -1;
	}
	if (statfs(out, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		ot_error_msg("--cgroup %s: %s is not a cgroup v2 directory (the v2 hierarchy is "
			     "mounted on %s)", ot_quote(path), ot_quote(out), ot_quote(root));
		return -1;
	}
	return 0;
}

int ot_cgroup_create(pid_t pid, char *out, size_t len)
{
	char root[PATH_MAX], procs[PATH_MAX + 16];
	int fd, n;

	if (cgroup2_root(root, sizeof(root)))
		return -1;
	n = snprintf(out, len, "%s/opentrace-%d", root, (int)getpid());
	if (n < 0 || (size_t)n >= len || mkdir(out, 0755)) {
		ot_perror_msg("--new-cgroup: cannot create %s", out);
		return -1;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", out);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d\n", (int)pid) < 0) {
		ot_perror_msg("--new-cgroup: cannot move the command into %s", out);
		if (fd >= 0)
			close(fd);
		rmdir(out);
		return -1;
	}
	close(fd);
	return 0;
}

bool ot_cgroup_populated(const char *dir)
{
	char path[PATH_MAX + 16], line[64];
	bool populated = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "populated 1\n"))
			populated = true;
	fclose(f);
	return populated;
}

void ot_cgroup_remove(const char *dir)
{
	int i;

	/* the last exit may still be settling */
	for (i = 0; i < 50 && rmdir(dir) && errno == EBUSY; i++)
		usleep(10000);
	if (access(dir, F_OK) == 0)
		ot_perror_msg("--new-cgroup: %s is left behind (processes remain in it)", dir);
}
