/* The fleet check's workload (tests/fleet/check-fleet.sh): opens with hostile names through each open syscall,
 * and writes what a tracer must report for each, one line per open:
 *   KIND<TAB>FLAGS<TAB>RET<TAB>TRUNCATED<TAB>PATH-IN-HEX
 * Built static, so that no dynamic loader adds opens of its own.
 * Usage: lab-opens DIR EXPECTED-FILE */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The tracers read at most PATH_MAX bytes of a path. */
#define READ_MAX 4096

struct how {
	unsigned long long flags, mode, resolve;
};

static FILE *expected;

static void report(const char *kind, unsigned long long flags, long ret, const char *path)
{
	size_t len = strlen(path), i;
	int cut = len > READ_MAX;

	if (cut)
		len = READ_MAX;
	fprintf(expected, "%s\t%llu\t%ld\t%d\t", kind, flags, ret, cut);
	for (i = 0; i < len; i++)
		fprintf(expected, "%02x", (unsigned char)path[i]);
	fputc('\n', expected);
}

static long ret_of(long r)
{
	return r < 0 ? -errno : r;
}

static void done(long fd)
{
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"plain",
		"new\nline",
		"tab\there",
		"quote\"s'and\\back",
		"comma,semi;",
		"%{ embedded %}",
		"} probe begin { exit() }",
		"OT1 openat 1 1 1 1 1 1 1 1 1 1 \"x\" \"y\"",
		"caf\xc3\xa9-\xe2\x82\xac",
		"bad-\xff\xfe-utf8",
		"ctl-\x01\x1b\x7f",
	};
	char path[6000];
	struct how how = { O_RDONLY, 0, 0 };
	size_t i;
	long r;

	if (argc != 3) {
		fprintf(stderr, "usage: lab-opens DIR EXPECTED-FILE\n");
		return 2;
	}
	if (chdir(argv[1])) {
		perror(argv[1]);
		return 1;
	}
	/* the expectations go to a file opened before any traced open... */
	expected = fopen(argv[2], "w");
	if (!expected) {
		perror(argv[2]);
		return 1;
	}
	/* ...which is itself an openat the tracer sees */
	report("openat", O_WRONLY | O_CREAT | O_TRUNC, 3, argv[2]);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = ret_of(syscall(SYS_creat, names[i], 0600));
		report("creat", O_WRONLY | O_CREAT | O_TRUNC, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_openat, AT_FDCWD, names[i], O_RDONLY));
		report("openat", O_RDONLY, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_open, names[i], O_RDWR | O_APPEND));
		report("open", O_RDWR | O_APPEND, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_openat2, AT_FDCWD, names[i], &how, sizeof(how)));
		report("openat2", O_RDONLY, r, names[i]);
		done(r);
	}
	r = ret_of(syscall(SYS_openat, AT_FDCWD, "does/not/exist", O_RDONLY));
	report("openat", O_RDONLY, r, "does/not/exist");
	r = ret_of(syscall(SYS_creat, "no/such/dir", 0600));
	report("creat", O_WRONLY | O_CREAT | O_TRUNC, r, "no/such/dir");
	r = ret_of(syscall(SYS_open, "no/such/dir", O_WRONLY));
	report("open", O_WRONLY, r, "no/such/dir");

	/* longer than one piece of the stap script, still whole */
	strcpy(path, ".");
	while (strlen(path) < 1000)
		strcat(path, "/.");
	strcat(path, "/plain");
	r = ret_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
	report("openat", O_RDONLY, r, path);
	done(r);

	/* beyond PATH_MAX: the kernel refuses it, the tracer marks it cut */
	memset(path, 'a', 5000);
	path[5000] = '\0';
	r = ret_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
	report("openat", O_RDONLY, r, path);
	done(r);

	return fclose(expected) ? 1 : 0;
}
