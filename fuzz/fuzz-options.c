/* libFuzzer harness for the option parser (frontend/options.c).
 *
 * The input is an argument vector, arguments separated by NUL bytes. A
 * usage error ends the process through ot_exit (frontend/msg.h), which
 * this harness points at a longjmp back here, so that the same messages
 * the tool prints are exercised without a fork per input. */
#include "config.h"

#include <getopt.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "plan.h"

#define MAX_ARGS 64

static jmp_buf back;

static void __attribute__((__noreturn__)) back_to_harness(int status)
{
	longjmp(back, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ot_plan plan;
	char *buf = malloc(size + 1), *p, *end;
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"opentrace";
	for (p = buf, end = buf + size; p <= end && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	ot_exit = back_to_harness;
	optind = 0;	/* glibc: start afresh, as for a new process */
	if (!setjmp(back))
		ot_options_parse(&plan, argc, argv);
	ot_plan_free(&plan);
	free(buf);
	return 0;
}
