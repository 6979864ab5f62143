/* cgroup v2 directories: --cgroup and --new-cgroup. */
#ifndef OPENTRACE_FRONTEND_CGROUP_H
#define OPENTRACE_FRONTEND_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Resolves PATH (absolute, or relative to the cgroup v2 mount) to a cgroup
 * v2 directory in out. 0, or -1 with a message saying what is wrong. */
int ot_cgroup_resolve(const char *path, char *out, size_t len);
/* Makes a fresh cgroup opentrace-PID under the v2 root and moves pid in. */
int ot_cgroup_create(pid_t pid, char *out, size_t len);
/* Whether any process is left in the cgroup or below it. */
bool ot_cgroup_populated(const char *dir);
/* Removes a cgroup made by ot_cgroup_create, once it is empty. */
void ot_cgroup_remove(const char *dir);

#endif
