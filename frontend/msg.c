#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "msg.h"

ot_exit_fn ot_exit = exit;

/* Whatever a message holds, no byte of it reaches the terminal as a
 * control: values are quoted by ot_quote, and the rest passes through
 * ot_term_safe. */
static void vmsg(int err, const char *fmt, va_list ap)
{
	char *text;
	int n;

	fflush(stdout);
	fputs("opentrace: ", stderr);
	n = vasprintf(&text, fmt, ap);
	if (n < 0) {
		fputs("out of memory\n", stderr);
		return;
	}
	ot_term_safe(stderr, text, n);
	free(text);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

const char *ot_quote(const char *s)
{
	static char bufs[4][64 * 4 + 16];
	static unsigned next;
	char *buf = bufs[next++ % 4];
	size_t n = strlen(s), len;
	int err = errno;	/* for ot_perror_msg's arguments */
	FILE *f = fmemopen(buf, sizeof(bufs[0]), "w");

	errno = err;
	if (!f)
		return "(a value)";
	ot_text_word(f, s, n > 64 ? 61 : n, true);
	if (n > 64)
		fputs("...", f);
	len = ftell(f);
	fclose(f);
	buf[len < sizeof(bufs[0]) ? len : sizeof(bufs[0]) - 1] = '\0';
	errno = err;
	return buf;
}

void ot_error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void ot_perror_msg(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

void ot_error_msg_and_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	ot_exit(1);
}

void ot_error_msg_and_help(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	fputs("Try 'opentrace --help' for more information.\n", stderr);
	ot_exit(OT_EXIT_USAGE);
}

static noreturn void out_of_memory(void)
{
	ot_error_msg_and_die("out of memory");
}

void *ot_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *ot_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *ot_xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		out_of_memory();
	p = realloc(p, n && size ? n * size : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *ot_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

char *ot_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		out_of_memory();
	return s;
}

FILE *ot_xmemstream(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (!f)
		out_of_memory();
	return f;
}

void ot_xmemstream_close(FILE *f)
{
	if (fclose(f))
		out_of_memory();
}
