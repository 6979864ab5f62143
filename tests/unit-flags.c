/* The --flags formula parser: the clauses it produces, what they match,
 * its errors; and the symbolic printer. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "flags.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static void clauses(const char *expr, const char *want)
{
	struct ot_flags_dnf dnf;
	char err[512], got[1024] = "";
	unsigned i;

	if (ot_flags_parse(expr, &dnf, err, sizeof(err))) {
		CHECK(0, "'%s' failed: %s", expr, err);
		return;
	}
	for (i = 0; i < dnf.nclauses; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%llx/%llx",
			 i ? " " : "", (unsigned long long)dnf.clause[i].mask,
			 (unsigned long long)dnf.clause[i].value);
	CHECK(!strcmp(got, want), "'%s': clauses %s, want %s", expr, got, want);
}

static void matches(const char *expr, unsigned long long flags, int want)
{
	struct ot_flags_dnf dnf;
	char err[512];

	if (ot_flags_parse(expr, &dnf, err, sizeof(err))) {
		CHECK(0, "'%s' failed: %s", expr, err);
		return;
	}
	CHECK(ot_flags_match(&dnf, flags) == want, "'%s' on %#llo: got %d, want %d",
	      expr, flags, !want, want);
}

static void error(const char *expr, const char *want)
{
	struct ot_flags_dnf dnf;
	char err[512] = "";

	CHECK(ot_flags_parse(expr, &dnf, err, sizeof(err)) == -1, "'%s' parsed", expr);
	CHECK(strstr(err, want) != NULL, "'%s': error '%s' lacks '%s'", expr, err, want);
}

static void format(unsigned long long flags, const char *want)
{
	char buf[256];

	ot_flags_format(flags, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "%#llo printed as %s, want %s", flags, buf, want);
}

int main(void)
{
	/* access modes compare the O_ACCMODE field */
	clauses("O_RDONLY", "3/0");
	clauses("O_WRONLY", "3/1");
	clauses("O_WRONLY|O_RDWR", "3/1 3/2");
	clauses("~O_RDONLY", "1/1 2/2");
	clauses("O_CREAT", "40/40");
	clauses("O_CREAT & ~O_EXCL", "c0/40");
	clauses("(O_WRONLY|O_RDWR)&O_CREAT", "43/41 43/42");
	clauses("~(O_CREAT|O_TRUNC)", "240/0");
	clauses("~~O_CREAT", "40/40");
	clauses("creat", "40/40");
	clauses("o_trunc", "200/200");
	clauses("O_CREAT|O_CREAT&O_EXCL", "40/40");	/* subsumed clause dropped */
	clauses("0x80000", "80000/80000");
	clauses("O_WRONLY || O_RDWR", "3/1 3/2");

	matches("O_RDONLY", O_RDONLY | O_CLOEXEC, 1);
	matches("O_RDONLY", O_WRONLY, 0);
	matches("O_CREAT&~O_EXCL", O_WRONLY | O_CREAT, 1);
	matches("O_CREAT&~O_EXCL", O_WRONLY | O_CREAT | O_EXCL, 0);
	matches("O_CREAT&~O_EXCL", O_RDONLY, 0);
	matches("~O_RDONLY", O_RDWR, 1);
	matches("~O_RDONLY", O_RDONLY | O_TRUNC, 0);
	matches("O_SYNC", O_DSYNC, 0);
	matches("O_SYNC", O_SYNC, 1);
	matches("O_DSYNC", O_SYNC, 1);
	matches("~O_SYNC", O_DSYNC, 1);
	matches("O_TMPFILE", O_DIRECTORY, 0);
	matches("O_WRONLY&(O_APPEND|O_TRUNC)&~O_CREAT", O_WRONLY | O_APPEND, 1);
	matches("O_WRONLY&(O_APPEND|O_TRUNC)&~O_CREAT", O_WRONLY | O_APPEND | O_CREAT, 0);

	error("O_FOO", "unknown flag 'O_FOO'");
	error("O_RDONLY&O_WRONLY", "can never hold");
	error("O_CREAT&~O_CREAT", "can never hold");
	error("(O_CREAT", "expected ')'");
	error("O_CREAT)", "unexpected ')'");
	error("O_CREAT|", "formula ends");
	error("", "formula ends");
	error("O_CREAT $ O_EXCL", "unexpected '$'");
	error("0", "nonzero");
	error("(O_APPEND|O_TRUNC)&(O_CREAT|O_EXCL)&(O_NOCTTY|O_NONBLOCK)&(O_DSYNC|O_ASYNC)&"
	      "(O_DIRECT|O_NOFOLLOW)", "more than 16 alternatives");
	{
		char deep[1024];

		memset(deep, '(', 600);
		strcpy(deep + 600, "O_CREAT");
		error(deep, "nests more than");
		memset(deep, '~', 600);
		strcpy(deep + 600, "O_CREAT");
		error(deep, "nests more than");
	}

	format(O_RDONLY, "O_RDONLY");
	format(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
	format(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	format(O_RDWR | O_SYNC, "O_RDWR|O_SYNC");
	format(O_WRONLY | O_DSYNC, "O_WRONLY|O_DSYNC");
	format(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	format(O_RDONLY | O_DIRECTORY, "O_RDONLY|O_DIRECTORY");
	format(O_ACCMODE, "O_ACCMODE");
	format(0x100000000ull | O_RDONLY, "O_RDONLY|0x100000000");

	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
