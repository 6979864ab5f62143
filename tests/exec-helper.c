/* exec-helper MAXARGS
 *
 * Waits for a line on standard input (the test sends it once the tracer is
 * live), then forks children that exec, and prints on fd 4, for each exec,
 * the record opentrace should report with --max-args MAXARGS and
 *   --events exec --format jsonl --fields pid,comm,kind,filename,return,args,args_truncated
 *
 *   1. execl() of /bin/true with string literals, among them one with a
 *      space and an empty one, from a child that touches nothing first:
 *      the pages of the literals and of the argv array may not be
 *      resident in the child when it calls exec
 *   2. 200 arguments
 *   3. one argument of 4000 bytes
 *   4. a file that does not exist (ENOENT): a failed exec, whose name and
 *      arguments are on the stack, which the child shares with the
 *      parent, so the entry can read them
 *
 * Each child execs at once; the helper waits for it before the next. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static FILE *out;
static unsigned max_args;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

/* Prints the expected record: argc arguments, of which MAXARGS are kept. */
static void expect(pid_t pid, const char *comm, const char *file, int ret, char **argv, int argc)
{
	int i, kept = argc < (int)max_args ? argc : (int)max_args;

	fprintf(out, "{\"type\":\"event\",\"pid\":%d,\"comm\":\"%s\",\"kind\":\"execve\",\"filename\":\"%s\","
		"\"return\":%d,\"args\":[", (int)pid, comm, file, ret);
	for (i = 0; i < kept; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", argv[i]);
	fprintf(out, "],\"args_truncated\":%s}\n", kept < argc ? "true" : "false");
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
}

int main(int argc, char **argv)
{
	static char *many[202], big[4001], *bigv[3];
	char missing[64], line[16];
	char *literal[] = { "true", "arg two", "", "last", NULL };
	/* on the stack: a fork copies the pages the parent wrote */
	char x[] = "x", y[] = "y", *missing_v[] = { x, y, NULL };
	pid_t pid;
	int i;

	if (argc != 2)
		return 99;
	max_args = atoi(argv[1]);
	out = fdopen(4, "w");
	if (!out)
		die("fd 4");
	setvbuf(out, NULL, _IOLBF, 0);
	for (i = 0; i < 200; i++)
		if (asprintf(&many[i + 1], "%d", i + 1) < 0)
			die("asprintf");
	many[0] = "true";
	memset(big, 'b', sizeof(big) - 1);
	bigv[0] = "true";
	bigv[1] = big;
	snprintf(missing, sizeof(missing), "/nonexistent/exec-helper-%d", (int)getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 99;

	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", "arg two", "", "last", (char *)NULL);
		_exit(127);
	}
	reap(pid);
	expect(pid, "true", "/bin/true", 0, literal, 4);

	pid = fork();
	if (pid == 0) {
		execv("/bin/true", many);
		_exit(127);
	}
	reap(pid);
	expect(pid, "true", "/bin/true", 0, many, 201);

	pid = fork();
	if (pid == 0) {
		execv("/bin/true", bigv);
		_exit(127);
	}
	reap(pid);
	expect(pid, "true", "/bin/true", 0, bigv, 2);

	pid = fork();
	if (pid == 0) {
		execv(missing, missing_v);
		_exit(0);
	}
	reap(pid);
	expect(pid, "exec-helper", missing, -2, missing_v, 2);
	return 0;
}
