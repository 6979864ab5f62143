/* What /proc says about a process. */
#ifndef OPENTRACE_FRONTEND_PROC_H
#define OPENTRACE_FRONTEND_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether pid is a process that can still open files: one of its threads
 * is neither gone nor a zombie (a zombie's exit a tracer can no longer
 * see). */
bool ot_process_alive(pid_t pid);

/* The parent's pid, 0 when the process has gone; cached for a moment. */
uint32_t ot_process_ppid(uint32_t pid);

/* The -p targets as the kernel side wants them: a thread's process in
 * its place (said), the gone ones left out (said), duplicates dropped.
 * -1 when none is left. */
int ot_pids_resolve(pid_t *pids, size_t *npids);

#endif
