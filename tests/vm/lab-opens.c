/* The lab's workload: the same opens and execs in every cell of the kernel
 * matrix, and its own account of each, which the lab compares with what
 * every backend reported (tests/vm/compare.py).
 *
 * It opens with hostile names through open, openat, openat2 and creat,
 * fails on purpose, opens a long path and one beyond PATH_MAX, opens
 * through io_uring (openat and openat2), fails an execve, then execs
 * itself, and the new image opens once more. One line per event, fields
 * separated by tabs, strings in hex:
 *   open KIND FLAGS RET TRUNCATED PATH FULL-PATH
 *   exec KIND RET PATH ARG,ARG,...
 * FULL-PATH is what -F should resolve the path to. The first line is the
 * exec that started it (its own argv).
 *
 * With --opens-only it makes the opens through the four syscalls alone
 * (no io_uring, no exec, no exec line): what every backend traces, the
 * fleet check's workload (tests/fleet/check-fleet.sh).
 *
 * Built static, so that no dynamic loader adds opens of its own.
 * Usage: lab-opens [--opens-only] DIR ACCOUNT (DIR absolute, the argv[0]
 * it is run by the path of this program) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <stdbool.h>
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
/* A request io_uring prepared holds the kernel's flags: on 64-bit the
 * kernel adds O_LARGEFILE (the libc value is 0 there). */
#define KERNEL_LARGEFILE 0100000

struct how {
	unsigned long long flags, mode, resolve;
};

static FILE *account;
static char dir[PATH_MAX];

static void hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(account, "%02x", (unsigned char)s[i]);
}

/* The path -F resolves a name to: DIR/NAME with "." steps and repeated
 * slashes dropped (the workload's names have no "..", and none is a
 * symlink). A name beyond PATH_MAX, which the kernel refuses, has the
 * would-be path of the part that was read: DIR/ and those bytes as they
 * are. */
static void full_path(const char *path)
{
	char buf[2 * PATH_MAX];
	const char *p = path, *end;
	size_t n;

	if (strlen(path) > READ_MAX) {
		hex(dir, strlen(dir));
		hex("/", 1);
		hex(path, READ_MAX);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", path[0] == '/' ? "" : dir);
	n = strlen(buf);
	while (*p) {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		if (end - p && !(end - p == 1 && *p == '.'))
			n += snprintf(buf + n, sizeof(buf) - n, "/%.*s", (int)(end - p), p);
		p = end;
	}
	hex(buf, n);
}

static void report_open(const char *kind, unsigned long long flags, long ret, const char *path)
{
	size_t len = strlen(path);
	int cut = len > READ_MAX;

	fprintf(account, "open\t%s\t%llu\t%ld\t%d\t", kind, flags, ret, cut);
	hex(path, cut ? READ_MAX : len);
	fputc('\t', account);
	full_path(path);
	fputc('\n', account);
}

static void report_exec(const char *kind, long ret, const char *path, char *const *argv)
{
	fprintf(account, "exec\t%s\t%ld\t", kind, ret);
	hex(path, strlen(path));
	fputc('\t', account);
	for (; *argv; argv++) {
		hex(*argv, strlen(*argv));
		if (argv[1])
			fputc(',', account);
	}
	fputc('\n', account);
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

/* The account is itself an open the tracer sees: opened before anything
 * else, and reported once it can be written. */
static void open_account(const char *name, const char *mode)
{
	account = fopen(name, mode);
	if (!account) {
		perror(name);
		exit(1);
	}
}

static int uring_open(struct io_uring *ring, const char *kind, const char *path)
{
	struct open_how how = { .flags = O_RDONLY };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!strcmp(kind, "uring_openat"))
		io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
	else
		io_uring_prep_openat2(sqe, AT_FDCWD, path, &how);
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe)) {
		perror("io_uring");
		exit(1);
	}
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	report_open(kind, O_RDONLY | KERNEL_LARGEFILE, res, path);
	done(res);
	return res;
}

/* After the exec: the new image goes on tracing in the same process. */
static int tail(const char *name)
{
	long r;

	open_account(name, "a");
	report_open("openat", O_WRONLY | O_CREAT | O_APPEND, fileno(account), name);
	r = ret_of(syscall(SYS_openat, AT_FDCWD, "plain", O_RDONLY));
	report_open("openat", O_RDONLY, r, "plain");
	done(r);
	return fclose(account) ? 1 : 0;
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
	struct io_uring ring;
	bool opens_only = argc == 4 && !strcmp(argv[1], "--opens-only");
	size_t i;
	long r;

	if (argc == 4 && !strcmp(argv[1], "--tail")) {
		if (chdir(argv[2]) || !getcwd(dir, sizeof(dir))) {
			perror(argv[2]);
			return 1;
		}
		return tail(argv[3]);
	}
	if (opens_only) {
		/* the options after it take its place */
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc != 3 || argv[1][0] != '/' || argv[0][0] != '/') {
		fprintf(stderr, "usage: /PATH/lab-opens [--opens-only] /DIR ACCOUNT\n");
		return 2;
	}
	if (chdir(argv[1]) || !getcwd(dir, sizeof(dir))) {
		perror(argv[1]);
		return 1;
	}
	/* the ring is set up before any traced open: it opens nothing */
	if (!opens_only && io_uring_queue_init(4, &ring, 0)) {
		perror("io_uring_queue_init");
		return 1;
	}
	open_account(argv[2], "w");
	if (!opens_only)
		report_exec("execve", 0, argv[0], argv);
	report_open("openat", O_WRONLY | O_CREAT | O_TRUNC, fileno(account), argv[2]);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = ret_of(syscall(SYS_creat, names[i], 0600));
		report_open("creat", O_WRONLY | O_CREAT | O_TRUNC, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_openat, AT_FDCWD, names[i], O_RDONLY));
		report_open("openat", O_RDONLY, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_open, names[i], O_RDWR | O_APPEND));
		report_open("open", O_RDWR | O_APPEND, r, names[i]);
		done(r);
		r = ret_of(syscall(SYS_openat2, AT_FDCWD, names[i], &how, sizeof(how)));
		report_open("openat2", O_RDONLY, r, names[i]);
		done(r);
	}
	r = ret_of(syscall(SYS_openat, AT_FDCWD, "does/not/exist", O_RDONLY));
	report_open("openat", O_RDONLY, r, "does/not/exist");
	r = ret_of(syscall(SYS_creat, "no/such/dir", 0600));
	report_open("creat", O_WRONLY | O_CREAT | O_TRUNC, r, "no/such/dir");
	r = ret_of(syscall(SYS_open, "no/such/dir", O_WRONLY));
	report_open("open", O_WRONLY, r, "no/such/dir");

	/* longer than one piece of the stap script, still whole */
	strcpy(path, ".");
	while (strlen(path) < 1000)
		strcat(path, "/.");
	strcat(path, "/plain");
	r = ret_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
	report_open("openat", O_RDONLY, r, path);
	done(r);

	/* beyond PATH_MAX: the kernel refuses it, the tracer marks it cut */
	memset(path, 'a', 5000);
	path[5000] = '\0';
	r = ret_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
	report_open("openat", O_RDONLY, r, path);
	done(r);

	if (opens_only)
		return fclose(account) ? 1 : 0;
	uring_open(&ring, "uring_openat", "plain");
	uring_open(&ring, "uring_openat2", "does/not/exist");
	io_uring_queue_exit(&ring);

	/* an exec that fails, then one that succeeds: this program again */
	{
		char *bad[] = { "no-such-program", "an arg", NULL };
		char *again[] = { argv[0], "--tail", argv[1], argv[2], NULL };

		r = ret_of(syscall(SYS_execve, "no/such/program", bad, environ));
		report_exec("execve", r, "no/such/program", bad);
		report_exec("execve", 0, argv[0], again);
		if (fclose(account))
			return 1;
		execve(argv[0], again, environ);
		perror(argv[0]);
		return 1;
	}
}
