/* Diagnostics, in one family: every message starts with "opentrace: ". */
#ifndef OPENTRACE_FRONTEND_MSG_H
#define OPENTRACE_FRONTEND_MSG_H

#include <stddef.h>
#include <stdio.h>
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

/* A value that came from the user (or a traced process) for a message:
 * quoted as the text table writes a word (ot_text_word), so that no byte
 * of it can act on a terminal or pass for the message's own words, and
 * cut to its first 64 bytes ('...'... marks the cut: a megabyte of it
 * would bury the message). The result stays valid for three more calls. */
const char *ot_quote(const char *s);

/* Allocation that cannot fail: out of memory, the message and exit 1, as
 * every caller did by hand before. The counts are checked for overflow. */
void *ot_xmalloc(size_t size);
void *ot_xcalloc(size_t n, size_t size);
void *ot_xreallocarray(void *p, size_t n, size_t size);
char *ot_xstrdup(const char *s);
char *ot_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A FILE writing into a growing buffer, and closing it: *buf holds what
 * was written, NUL-terminated, *len bytes long. */
FILE *ot_xmemstream(char **buf, size_t *len);
void ot_xmemstream_close(FILE *f);

#endif
