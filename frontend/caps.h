/* Privileges: tracing loads kernel programs, which takes root or the
 * capabilities that stand for it. */
#ifndef OPENTRACE_FRONTEND_CAPS_H
#define OPENTRACE_FRONTEND_CAPS_H

#include <stddef.h>

/* 0 when this process may load tracing programs: CAP_SYS_ADMIN (root, and
 * what kernels before 5.8 ask), or CAP_BPF with CAP_PERFMON, and tracefs
 * can be searched. Otherwise -1 with a sentence in why naming what it
 * lacks. */
int ot_caps_check(char *why, size_t len);

#endif
