/* uring-helper DIR
 *
 * Waits for a line on standard input, then opens files in DIR through
 * io_uring, one request in flight at a time so that completion order is
 * known, and prints for each the record opentrace should report with
 *   --fields pid,tid,comm,kind,dfd,flags,mode,filename,return,errno,slot
 * as CSV on fd 3. Covers openat and openat2, through AT_FDCWD and a
 * directory fd, successes, failures at execution and at preparation, and
 * opens into the fixed-file table (a given slot, and one the kernel
 * allocates).
 *
 * A prepared request holds the kernel's flags, and on 64-bit the kernel
 * adds O_LARGEFILE to them; a request refused while being prepared is
 * reported with the flags it was submitted with. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define KERNEL_LARGEFILE 0100000

static struct io_uring ring;
static FILE *csv;
static char comm[17];

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static const char *errno_name(int res)
{
	switch (-res) {
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	}
	fprintf(stderr, "uring-helper: unexpected result %d\n", res);
	exit(99);
}

/* Submits the one prepared entry and waits for its completion. */
static int run(void)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(&ring) != 1)
		die("io_uring_submit");
	if (io_uring_wait_cqe(&ring, &cqe))
		die("io_uring_wait_cqe");
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

/* slot: -1 for an ordinary fd; otherwise the fixed-file slot it names */
static void print(const char *kind, int dfd, long flags, unsigned mode, const char *path,
		  int res, long slot)
{
	fprintf(csv, "%d,%d,\"%s\",\"%s\",%d,%ld,", getpid(), gettid(), comm, kind, dfd, flags);
	/* the mode only where the open creates: the kernel ignores it elsewhere */
	if (flags & O_CREAT)
		fprintf(csv, "%u", mode);
	fprintf(csv, ",\"%s\",%d,", path, res);
	if (res < 0)
		fprintf(csv, "\"%s\"", errno_name(res));
	fputc(',', csv);
	if (slot >= 0)
		fprintf(csv, "%ld", slot);
	fputc('\n', csv);
}

static struct io_uring_sqe *sqe(void)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);

	if (!s)
		die("io_uring_get_sqe");
	return s;
}

int main(int argc, char **argv)
{
	char *a, *missing, line[16];
	struct open_how how = { .flags = O_RDONLY };
	struct io_uring_sqe *s;
	int dfd, res;

	if (argc != 2 || strpbrk(argv[1], "\"\\,\n"))
		die("usage: uring-helper DIR (a plain path)");
	csv = fdopen(3, "w");
	if (!csv)
		die("fd 3 must be open");
	if (asprintf(&a, "%s/a", argv[1]) < 0 || asprintf(&missing, "%s/missing", argv[1]) < 0)
		die("asprintf");
	prctl(PR_GET_NAME, comm);
	if (io_uring_queue_init(8, &ring, 0))
		die("io_uring_queue_init");
	if (io_uring_register_files_sparse(&ring, 4))
		die("io_uring_register_files_sparse");
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		die(argv[1]);
	if (!fgets(line, sizeof(line), stdin))
		die("waiting for the go line");

	io_uring_prep_openat(sqe(), AT_FDCWD, a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	res = run();
	print("uring_openat", AT_FDCWD, O_WRONLY | O_CREAT | O_TRUNC | KERNEL_LARGEFILE, 0644, a, res, -1);

	io_uring_prep_openat(sqe(), dfd, "a", O_RDONLY, 0);
	res = run();
	print("uring_openat", dfd, O_RDONLY | KERNEL_LARGEFILE, 0, "a", res, -1);

	io_uring_prep_openat(sqe(), dfd, "missing", O_RDONLY, 0);
	res = run();
	print("uring_openat", dfd, O_RDONLY | KERNEL_LARGEFILE, 0, "missing", res, -1);

	io_uring_prep_openat2(sqe(), AT_FDCWD, a, &how);
	res = run();
	print("uring_openat2", AT_FDCWD, O_RDONLY | KERNEL_LARGEFILE, 0, a, res, -1);

	io_uring_prep_openat2(sqe(), AT_FDCWD, missing, &how);
	res = run();
	print("uring_openat2", AT_FDCWD, O_RDONLY | KERNEL_LARGEFILE, 0, missing, res, -1);

	/* into fixed-file slot 2 (liburing stores it as file_index 3) */
	io_uring_prep_openat_direct(sqe(), AT_FDCWD, a, O_RDONLY, 0, 2);
	res = run();
	print("uring_openat", AT_FDCWD, O_RDONLY | KERNEL_LARGEFILE, 0, a, res, 2);

	/* into a slot the kernel chooses and returns; set by hand, since older
	 * liburing adds one to IORING_FILE_INDEX_ALLOC like any index */
	s = sqe();
	io_uring_prep_openat_direct(s, AT_FDCWD, a, O_RDONLY, 0, 0);
	s->file_index = IORING_FILE_INDEX_ALLOC;
	res = run();
	print("uring_openat", AT_FDCWD, O_RDONLY | KERNEL_LARGEFILE, 0, a, res, res);

	/* refused at preparation: a fixed-file open cannot be close-on-exec */
	io_uring_prep_openat_direct(sqe(), AT_FDCWD, a, O_RDONLY | O_CLOEXEC, 0, 1);
	res = run();
	print("uring_openat", AT_FDCWD, O_RDONLY | O_CLOEXEC, 0, a, res, 1);

	io_uring_queue_exit(&ring);
	return fclose(csv) ? 99 : 0;
}
