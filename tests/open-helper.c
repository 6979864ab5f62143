/* open-helper SCENARIO DIR [SELECT]
 *
 * Waits for a line on standard input (the test sends it once the tracer is
 * live), then opens files inside DIR and prints, for each open, the record
 * opentrace should report with
 *   --fields pid,tid,uid,comm,kind,dfd,flags,mode,filename,return,errno,truncated
 * as CSV on fd 3 and as JSONL on fd 4. SELECT limits the printed records to
 * those a filter must keep: all (default), failed, write, rdonly,
 * creat-noexcl, uid-nobody, slow, none.
 *
 * Scenarios:
 *   basic     open, openat with a directory fd, openat2, creat, ENOENT,
 *             EACCES as nobody, a 4000-byte path, a 5000-byte path
 *   hostile   names with a newline, comma, quote, tab, backslash, invalid
 *             UTF-8 and valid UTF-8
 *   slow      one open that blocks ~100 ms on a fifo, opened by a thread
 *   restart   an open blocked on a fifo, interrupted by a signal whose
 *             handler has SA_RESTART (the kernel restarts it), then one
 *             whose handler has not (the process sees EINTR)
 *   block     an open of DIR/fifo that blocks until the test opens its
 *             other end, after the trace has ended: reported unfinished
 *   burst N   N opens of one file; prints only N, on fd 3
 *   many N    N processes (this one and N-1 children) open one file once
 *             each; their pids, comma-separated, go to fd 3 before the go
 *             line is read, so the test can name them all with -p
 *
 * After release it calls nothing that opens files behind its back: no
 * stdio on new files, no locale, no name service. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static const char *select_ = "all";
static FILE *csv, *jsonl;
static char comm[17];

struct rec {
	pid_t tid;
	const char *kind;
	int dfd;
	long flags;
	unsigned mode;
	/* the path as opentrace prints it in each format, without quotes */
	const char *csv_path;
	const char *json_path;
	long ret;
	bool truncated;
	bool interrupted;	/* a signal cut it: no result came back */
	bool unfinished;	/* the trace ended first: no result either */
};

/* What an open that does not create is given as its mode: garbage, which
 * the kernel ignores and opentrace must not report. */
#define GARBAGE_MODE 04217274760u

/* Whether the kernel uses the mode: creat, O_CREAT, O_TMPFILE (the
 * kernel's __O_TMPFILE bit; glibc's __O_TMPFILE includes O_DIRECTORY). */
static bool mode_used(const struct rec *r)
{
	return !strcmp(r->kind, "creat") || (r->flags & (O_CREAT | 020000000));
}

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static bool selected(const struct rec *r)
{
	long acc = r->flags & O_ACCMODE;

	if (!strcmp(select_, "all"))
		return true;
	if (!strcmp(select_, "none"))
		return false;
	if (!strcmp(select_, "failed"))
		return r->ret < 0;
	if (!strcmp(select_, "write"))
		return acc == O_WRONLY || acc == O_RDWR;
	if (!strcmp(select_, "rdonly"))
		return acc == O_RDONLY;
	if (!strcmp(select_, "creat-noexcl"))
		return (r->flags & O_CREAT) && !(r->flags & O_EXCL);
	if (!strcmp(select_, "uid-nobody"))
		return getuid() == 65534;
	if (!strcmp(select_, "slow"))
		return !strcmp(r->kind, "openat") && r->tid == getpid() && r->ret >= 0;
	fprintf(stderr, "open-helper: unknown selection %s\n", select_);
	exit(99);
}

static const char *errno_name(long ret)
{
	switch (-ret) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EEXIST: return "EEXIST";
	case 512: return "ERESTARTSYS";
	}
	fprintf(stderr, "open-helper: unexpected result %ld\n", ret);
	exit(99);
}

static void print(const struct rec *r)
{
	char mode[16] = "", jmode[16] = "null", ret[24] = "", jret[24] = "null";

	if (!selected(r))
		return;
	if (mode_used(r)) {
		snprintf(mode, sizeof(mode), "%u", r->mode);
		snprintf(jmode, sizeof(jmode), "%u", r->mode);
	}
	/* an interrupted or unfinished open returned nothing, and no errno the
	 * process saw */
	if (!r->interrupted && !r->unfinished) {
		snprintf(ret, sizeof(ret), "%ld", r->ret);
		snprintf(jret, sizeof(jret), "%ld", r->ret);
	}
	fprintf(csv, "%d,%d,%u,\"%s\",\"%s\",%d,%ld,%s,\"%s\",%s,%s%s%s,%d\n",
		getpid(), r->tid, getuid(), comm, r->kind, r->dfd, r->flags, mode,
		r->csv_path, ret, r->ret < 0 ? "\"" : "",
		r->ret < 0 ? errno_name(r->ret) : "", r->ret < 0 ? "\"" : "", r->truncated);
	fprintf(jsonl, "{\"type\":\"event\",\"pid\":%d,\"tid\":%d,\"uid\":%u,\"comm\":\"%s\","
		"\"kind\":\"%s\",\"dfd\":%d,\"flags\":%ld,\"mode\":%s,\"filename\":\"%s\","
		"\"return\":%s,\"errno\":%s%s%s,\"truncated\":%s}\n",
		getpid(), r->tid, getuid(), comm, r->kind, r->dfd, r->flags, jmode,
		r->json_path, jret, r->ret < 0 ? "\"" : "",
		r->ret < 0 ? errno_name(r->ret) : "null", r->ret < 0 ? "\"" : "",
		r->truncated ? "true" : "false");
}

static long result(long rc)
{
	return rc < 0 ? -errno : rc;
}

static char *path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		die("asprintf");
	return p;
}

/* The same path for both formats: only for names with no special byte. */
static void rec_plain(struct rec *r, const char *path)
{
	r->csv_path = r->json_path = path;
}

static void do_basic(void)
{
	char *a = path_in("a"), *c = path_in("c"), *missing = path_in("missing");
	char *secret = path_in("secret");
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	struct rec r = { .tid = getpid(), .dfd = -100 };
	char *long4000, *long5000, *cut;
	long fd, dfd;
	size_t len;

	r.kind = "open";
	r.flags = O_WRONLY | O_CREAT | O_TRUNC;
	r.mode = 0644;
	rec_plain(&r, a);
	r.ret = fd = result(syscall(SYS_open, a, r.flags, r.mode));
	print(&r);

	r.kind = "openat";
	r.flags = O_RDONLY | O_DIRECTORY;
	r.mode = 0;
	rec_plain(&r, dir);
	r.ret = dfd = result(syscall(SYS_openat, AT_FDCWD, dir, r.flags, GARBAGE_MODE));
	print(&r);

	r.dfd = dfd;
	r.flags = O_RDWR | O_CREAT | O_EXCL;
	r.mode = 0600;
	rec_plain(&r, "b");
	r.ret = result(syscall(SYS_openat, dfd, "b", r.flags, r.mode));
	print(&r);
	r.dfd = -100;

	r.kind = "openat2";
	r.flags = how.flags;
	r.mode = 0;
	rec_plain(&r, a);
	r.ret = result(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)));
	print(&r);

	r.kind = "creat";
	r.flags = O_WRONLY | O_CREAT | O_TRUNC;
	r.mode = 0640;
	rec_plain(&r, c);
	r.ret = result(syscall(SYS_creat, c, r.mode));
	print(&r);

	r.kind = "openat";
	r.flags = O_RDONLY;
	r.mode = 0;
	rec_plain(&r, missing);
	r.ret = result(syscall(SYS_openat, AT_FDCWD, missing, r.flags, GARBAGE_MODE));
	print(&r);

	/* A file only root may read, for EACCES once we are nobody. */
	r.flags = O_WRONLY | O_CREAT | O_TRUNC;
	r.mode = 0600;
	rec_plain(&r, secret);
	r.ret = result(syscall(SYS_openat, AT_FDCWD, secret, r.flags, r.mode));
	print(&r);

	/* 4000 bytes: reported whole; 5000: the first 4096, marked truncated */
	long4000 = malloc(5001);
	long5000 = malloc(5001);
	cut = malloc(4097);
	if (!long4000 || !long5000 || !cut)
		die("malloc");
	len = snprintf(long4000, 5001, "%s/", dir);
	while (len < 3999) {
		long4000[len] = (len + 1) % 8 == 0 ? '/' : 'x';
		len++;
	}
	long4000[len++] = 'f';
	long4000[len] = '\0';
	memcpy(long5000, long4000, len);
	while (len < 5000)
		long5000[len++] = 'y';
	long5000[len] = '\0';
	memcpy(cut, long5000, 4096);
	cut[4096] = '\0';

	r.flags = O_RDONLY;
	r.mode = 0;
	rec_plain(&r, long4000);
	r.ret = result(syscall(SYS_openat, AT_FDCWD, long4000, r.flags, 0));
	print(&r);
	rec_plain(&r, cut);
	r.truncated = true;
	r.ret = result(syscall(SYS_openat, AT_FDCWD, long5000, r.flags, 0));
	print(&r);
	r.truncated = false;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		die("dropping to nobody");
	rec_plain(&r, secret);
	r.flags = O_RDONLY;
	r.ret = result(syscall(SYS_openat, AT_FDCWD, secret, r.flags, GARBAGE_MODE));
	print(&r);
	(void)fd;
}

/* Each name, as CSV and JSON print it (the directory part is plain). */
static const struct {
	const char *raw, *csv, *json;
} hostile[] = {
	{ "new\nline", "new\nline", "new\\nline" },
	{ "com,ma", "com,ma", "com,ma" },
	{ "quo\"te", "quo\"\"te", "quo\\\"te" },
	{ "tab\there", "tab\there", "tab\\there" },
	{ "back\\slash", "back\\slash", "back\\\\slash" },
	{ "bad\xff\xfeutf8", "bad\xff\xfeutf8", "bad\\udcff\\udcfeutf8" },
	{ "caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "cr\rbell\a", "cr\rbell\a", "cr\\rbell\\u0007" },
	{ "\"},{\"pid\":1", "\"\"},{\"\"pid\"\":1", "\\\"},{\\\"pid\\\":1" },
};

static void do_hostile(void)
{
	struct rec r = { .tid = getpid(), .dfd = -100, .kind = "openat" };
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *path = path_in(hostile[i].raw);

		r.flags = O_WRONLY | O_CREAT | O_TRUNC;
		r.mode = 0644;
		if (asprintf((char **)&r.csv_path, "%s/%s", dir, hostile[i].csv) < 0 ||
		    asprintf((char **)&r.json_path, "%s/%s", dir, hostile[i].json) < 0)
			die("asprintf");
		r.ret = result(syscall(SYS_openat, AT_FDCWD, path, r.flags, r.mode));
		print(&r);
	}
}

static char *fifo;
static struct rec writer_rec;

static void *writer(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	writer_rec.tid = gettid();
	writer_rec.ret = result(syscall(SYS_openat, AT_FDCWD, fifo, writer_rec.flags, 0));
	return arg;
}

static void do_slow(void)
{
	struct rec r = { .tid = getpid(), .dfd = -100, .kind = "openat" };
	pthread_t t;

	fifo = path_in("fifo");
	if (mkfifo(fifo, 0600))
		die("mkfifo");
	writer_rec = (struct rec){ .dfd = -100, .kind = "openat", .flags = O_WRONLY | O_NONBLOCK };
	rec_plain(&writer_rec, fifo);
	if (pthread_create(&t, NULL, writer, NULL))
		die("pthread_create");
	r.flags = O_RDONLY;
	rec_plain(&r, fifo);
	r.ret = result(syscall(SYS_openat, AT_FDCWD, fifo, r.flags, 0));
	pthread_join(t, NULL);
	/* the two complete in either order; the test sorts */
	print(&writer_rec);
	print(&r);
}

static volatile sig_atomic_t signalled;
static int ack_fd;

/* Tells the child the signal has arrived, so that it looks for the
 * restarted open only once the first one has been cut. */
static void on_usr1(int sig)
{
	signalled = sig;
	if (write(ack_fd, "s", 1) != 1)
		_exit(99);
}

/* Whether process pid sleeps in openat: /proc/PID/syscall names the call
 * a blocked task is in ("running" otherwise). */
static bool blocked_in_openat(pid_t pid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("opening /proc/PID/syscall");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die("reading /proc/PID/syscall");
	buf[n] = '\0';
	return atol(buf) == SYS_openat && strncmp(buf, "running", 7);
}

/* The child: waits until the parent sleeps in its open, signals it, waits
 * for the handler to have run (a byte on ack) and, when the open is
 * restarted, for it to sleep again, then opens the fifo's other end. The
 * child is not traced (-p without -f); its opens are its own business. */
static void restart_child(pid_t parent, const char *path, int ack, bool restarts)
{
	struct timespec ts = { 0, 1000 * 1000 };
	char c;
	int fd;

	while (!blocked_in_openat(parent))
		nanosleep(&ts, NULL);
	kill(parent, SIGUSR1);
	if (read(ack, &c, 1) != 1)
		_exit(99);
	if (restarts)
		while (!blocked_in_openat(parent))
			nanosleep(&ts, NULL);
	if (!restarts)
		_exit(0);
	fd = open(path, O_WRONLY);
	_exit(fd < 0 ? 99 : 0);
}

static void restart_round(const char *name, bool restarts)
{
	struct rec r = { .tid = getpid(), .dfd = -100, .kind = "openat", .flags = O_RDONLY };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restarts ? SA_RESTART : 0 };
	int ack[2], status;
	char *path = path_in(name);
	pid_t child;
	long ret;

	if (mkfifo(path, 0600) || pipe(ack) || sigaction(SIGUSR1, &sa, NULL))
		die("restart: setting up");
	rec_plain(&r, path);
	signalled = 0;
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		restart_child(getppid(), path, ack[0], restarts);
	ack_fd = ack[1];
	ret = result(syscall(SYS_openat, AT_FDCWD, path, r.flags, GARBAGE_MODE));
	if (restarts) {
		/* never seen here: the kernel restarted the call */
		if (ret < 0)
			die("restart: the open failed");
	} else if (ret != -EINTR) {
		die("restart: the open did not fail with EINTR");
	}
	if (!signalled)
		die("restart: no signal");
	r.ret = -512;
	r.interrupted = true;
	print(&r);
	if (restarts) {
		r.ret = ret;
		r.interrupted = false;
		print(&r);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("restart: the child failed");
	close(ack[0]);
	close(ack[1]);
}

/* The record comes first: the open returns only after the trace ended. */
static void do_block(void)
{
	struct rec r = { .tid = getpid(), .dfd = -100, .kind = "openat", .flags = O_RDONLY,
			 .unfinished = true };
	char *path = path_in("fifo");
	long fd;

	if (mkfifo(path, 0600))
		die("mkfifo");
	rec_plain(&r, path);
	print(&r);
	if (fflush(csv) || fflush(jsonl))
		die("writing the record");
	fd = result(syscall(SYS_openat, AT_FDCWD, path, r.flags, GARBAGE_MODE));
	if (fd < 0)
		die("block: the open failed");
}

static void do_burst(long n)
{
	char *f = path_in("f");
	long i, fd;

	for (i = 0; i < n; i++) {
		fd = syscall(SYS_openat, AT_FDCWD, f, O_RDONLY | O_CREAT, 0644);
		if (fd < 0)
			die("burst open");
		close(fd);
	}
	fprintf(csv, "%ld\n", n);
}

static int many_hold[2];
static char *many_file;

static void many_spawn(long n)
{
	long i;

	many_file = path_in("f");
	if (pipe(many_hold))
		die("pipe");
	fprintf(csv, "%d", getpid());
	for (i = 1; i < n; i++) {
		pid_t pid = fork();
		char c;

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(many_hold[1]);
			/* EOF on the pipe is the go signal */
			if (read(many_hold[0], &c, 1) != 0)
				_exit(99);
			_exit(syscall(SYS_openat, AT_FDCWD, many_file, O_RDONLY | O_CREAT, 0644) < 0 ?
			      99 : 0);
		}
		fprintf(csv, ",%d", pid);
	}
	fputc('\n', csv);
	if (fflush(csv))
		die("writing the pids");
}

static void many_run(long n)
{
	long i, failed = 0;
	int status;

	close(many_hold[0]);
	close(many_hold[1]);
	for (i = 1; i < n; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	if (failed || syscall(SYS_openat, AT_FDCWD, many_file, O_RDONLY | O_CREAT, 0644) < 0)
		die("many: an open failed");
}

int main(int argc, char **argv)
{
	char line[16];
	int counted;

	if (argc < 3) {
		fputs("usage: open-helper basic|hostile|slow|restart|block|burst N|many N DIR [SELECT]\n",
		      stderr);
		return 99;
	}
	counted = !strcmp(argv[1], "burst") || !strcmp(argv[1], "many");
	dir = argv[2 + counted];
	if (argc > 3 + counted)
		select_ = argv[3 + counted];
	if (strpbrk(dir, "\"\\,\n\t"))
		die("DIR must be a plain path");
	csv = fdopen(3, "w");
	jsonl = fdopen(4, "w");
	if (!csv || !jsonl)
		die("fds 3 and 4 must be open");
	prctl(PR_GET_NAME, comm);
	umask(022);
	if (!strcmp(argv[1], "many"))
		many_spawn(atol(argv[2]));
	/* held until the tracer is live */
	if (!fgets(line, sizeof(line), stdin))
		die("waiting for the go line");
	if (!strcmp(argv[1], "basic"))
		do_basic();
	else if (!strcmp(argv[1], "hostile"))
		do_hostile();
	else if (!strcmp(argv[1], "slow"))
		do_slow();
	else if (!strcmp(argv[1], "block"))
		do_block();
	else if (!strcmp(argv[1], "restart")) {
		restart_round("restarted", true);
		restart_round("interrupted", false);
	}
	else if (!strcmp(argv[1], "burst"))
		do_burst(atol(argv[2]));
	else if (!strcmp(argv[1], "many"))
		many_run(atol(argv[2]));
	else
		die("unknown scenario");
	return fclose(csv) || fclose(jsonl) ? 99 : 0;
}
