/* The benchmark's workload: a tight loop of one kind of file open (or of
 * syscalls that are not opens), timed, with what it issued printed as one
 * line of key=value pairs for bench/run to parse.
 *
 *   workload [-n OPS] [-t SECONDS] [-d DIR] [-L LEN] MODE
 *
 * MODE: openat   openat+close of DIR/f
 *       openat2  openat2+close of DIR/f
 *       uring    IORING_OP_OPENAT of DIR/f, one at a time, then close
 *       fail     openat of DIR/missing (ENOENT)
 *       long     openat+close of DIR/aaa.../aaa.../f, about LEN bytes long
 *       other    getppid+fstat: no open at all, which an open filter
 *                should not slow down
 *       marker   opens DIR/mark-<i> (failing) every millisecond until
 *                SIGUSR1, then waits, opening nothing, for SIGTERM or
 *                SIGINT; then prints "mark <i> <ns>" per open. It dates
 *                when a tracer started to see events, and it is the live
 *                process that a filter matching nothing is given.
 *
 * The loop ends after OPS operations or SECONDS, whichever comes first.
 * DIR and the files the mode opens are created if missing, so that a run
 * with -n 0 before the tracer starts leaves the measured run only the
 * opens it counts; the run's unique DIR is how bench/run counts
 * the events a tracer delivered for this workload. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#define MARK_MAX 100000

static volatile sig_atomic_t stop, quiet;

static void on_signal(int sig)
{
	stop = sig;
}

static void on_quiet(int sig)
{
	quiet = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (!p)
		die("malloc");
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* DIR/aaa.../aaa.../f, about len bytes long: directories with names of
 * up to 250 bytes, created here, so the path is long but its walk short. */
static char *long_path(const char *dir, size_t len)
{
	size_t n = strlen(dir), k;
	struct stat st;
	char *p;
	int fd;

	if (len > 4093)
		len = 4093;
	if (len < n + 2)
		len = n + 2;
	p = malloc(len + 8);
	if (!p)
		die("malloc");
	memcpy(p, dir, n);
	while (n + 2 + 2 < len) {
		k = len - n - 2 - 1;
		if (k > 250)
			k = 250;
		p[n++] = '/';
		memset(p + n, 'a', k);
		n += k;
		p[n] = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			die("mkdir");
	}
	memcpy(p + n, "/f", 3);
	if (stat(p, &st)) {
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			die(p);
		close(fd);
	}
	return p;
}

static int marker(const char *dir)
{
	static uint64_t when[MARK_MAX];
	char path[4096];
	struct timespec ms = { 0, 1000000 };
	long i, n = 0;

	while (!stop && !quiet && n < MARK_MAX) {
		snprintf(path, sizeof(path), "%s/mark-%ld", dir, n);
		when[n++] = now_ns();
		if (open(path, O_RDONLY) >= 0)
			die("a marker exists");
		nanosleep(&ms, NULL);
	}
	while (!stop)
		pause();
	for (i = 0; i < n; i++)
		printf("mark %ld %llu\n", i, (unsigned long long)when[i]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "/dev/shm/ot-bench", *mode;
	long ops = 500000, done = 0, opens = 0, failed = 0, len = 4000;
	double seconds = 0;
	char *file, *path;
	uint64_t t0, t1, deadline = 0;
	struct rusage ru;
	struct stat st;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:t:d:L:")) != -1) {
		switch (opt) {
		case 'n': ops = atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'd': dir = optarg; break;
		case 'L': len = atol(optarg); break;
		default:
			fprintf(stderr, "usage: workload [-n OPS] [-t SECONDS] [-d DIR] [-L LEN] "
				"openat|openat2|uring|fail|long|other|marker\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "workload: one mode expected\n");
		return 2;
	}
	mode = argv[optind];
	if (mkdir(dir, 0755) && errno != EEXIST)
		die(dir);
	file = join(dir, "f");
	if (stat(file, &st)) {
		fd = open(file, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			die(file);
		close(fd);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_quiet);

	if (!strcmp(mode, "marker"))
		return marker(dir);

	path = file;
	if (!strcmp(mode, "fail"))
		path = join(dir, "missing");
	else if (!strcmp(mode, "long"))
		path = long_path(dir, len);

	t0 = now_ns();
	if (seconds > 0)
		deadline = t0 + (uint64_t)(seconds * 1e9);

	/* The clock is read every 1024 operations, so that a time limit does
	 * not add a vDSO call to each. */
#define LOOP(body)							\
	for (done = 0; done < ops && !stop; done++) {			\
		body;							\
		if (deadline && !(done & 1023) && now_ns() >= deadline) { \
			done++;						\
			break;						\
		}							\
	}

	if (!strcmp(mode, "openat") || !strcmp(mode, "long") || !strcmp(mode, "fail")) {
		LOOP({
			fd = openat(AT_FDCWD, path, O_RDONLY);
			opens++;
			if (fd >= 0)
				close(fd);
			else
				failed++;
		});
	} else if (!strcmp(mode, "openat2")) {
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
		struct open_how how = { .flags = O_RDONLY };

		LOOP({
			fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
			opens++;
			if (fd >= 0)
				close(fd);
			else
				failed++;
		});
#else
		printf("mode=openat2 unavailable=1 reason=no-openat2-header\n");
		return 0;
#endif
	} else if (!strcmp(mode, "uring")) {
#ifdef HAVE_LIBURING
		struct io_uring ring;
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		int err = io_uring_queue_init(8, &ring, 0);

		if (err) {
			printf("mode=uring unavailable=1 reason=io_uring_queue_init:%s\n",
			       strerror(-err));
			return 0;
		}
		LOOP({
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
			if (io_uring_submit_and_wait(&ring, 1) < 0)
				die("io_uring_submit_and_wait");
			if (io_uring_wait_cqe(&ring, &cqe))
				die("io_uring_wait_cqe");
			fd = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			opens++;
			if (fd >= 0)
				close(fd);
			else
				failed++;
		});
		io_uring_queue_exit(&ring);
#else
		printf("mode=uring unavailable=1 reason=built-without-liburing\n");
		return 0;
#endif
	} else if (!strcmp(mode, "other")) {
		/* the one open of this mode, which a tracer may report */
		fd = open(file, O_RDONLY);
		opens++;
		if (fd < 0)
			die(file);
		LOOP({
			syscall(SYS_getppid);
			fstat(fd, &st);
		});
		close(fd);
	} else {
		fprintf(stderr, "workload: unknown mode '%s'\n", mode);
		return 2;
	}
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &ru);
	printf("mode=%s ops=%ld opens=%ld failed=%ld seconds=%.6f ops_per_s=%.0f cpu_s=%.6f "
	       "start_ns=%llu end_ns=%llu\n",
	       mode, done, opens, failed, (t1 - t0) / 1e9, done / ((t1 - t0) / 1e9),
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       (unsigned long long)t0, (unsigned long long)t1);
	return 0;
}
