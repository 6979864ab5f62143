/* Diagnostics, in one family: every message starts with "opentrace: ". */
#ifndef OPENTRACE_FRONTEND_MSG_H
#define OPENTRACE_FRONTEND_MSG_H

#include <stdnoreturn.h>

#define OT_EXIT_USAGE 2

/* How the family ends the process: exit(3), except in the fuzzing harness
 * of the option parser, which takes control back to try the next input. */
typedef void (*ot_exit_fn)(int status) __attribute__((__noreturn__));
extern ot_exit_fn ot_exit;

void ot_error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ot_perror_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void ot_error_msg_and_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, a pointer to --help, exit status 2. */
noreturn void ot_error_msg_and_help(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
