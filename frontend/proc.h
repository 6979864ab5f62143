/* What /proc says about a target process. */
#ifndef OPENTRACE_FRONTEND_PROC_H
#define OPENTRACE_FRONTEND_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether pid is a process that can still open files: not gone, and not
 * a zombie, whose exit a tracer can no longer see. */
bool ot_process_alive(pid_t pid);

#endif
