/* thread-helper SCENARIO DIR
 *
 * Threads doing opens a tracer must not get wrong. Prints on fd 3, for
 * each open, the CSV record opentrace should report with
 *   --fields pid,tid,comm,kind,filename,return
 * and starts once a line arrives on standard input (the test sends it
 * when the tracer is live).
 *
 *   leader-exit  the main thread ends with pthread_exit() before the go
 *                line; a worker then opens 60 files in DIR. The process
 *                lives on in its worker: a tracer following its pid must
 *                keep tracing it, and -p must accept it.
 *   forge        a thread opens DIR/fifo (blocking until a writer comes);
 *                meanwhile another thread rewrites the name in the very
 *                buffer the open was given to DIR/harmless, then opens the
 *                fifo for writing. The open was of the fifo, and the
 *                record must say so.
 *   unfinished   a thread opens DIR/fifo, which no writer ever opens:
 *                prints the record of the open, left unfinished (its
 *                return empty), and waits to be killed.
 *
 * Nothing else opens files after the go line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *dir;
static FILE *csv;
static char comm[17];
static char name[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

static void expect(pid_t tid, const char *path, const char *ret)
{
	pthread_mutex_lock(&lock);
	fprintf(csv, "%d,%d,\"%s\",\"openat\",\"%s\",%s\n", (int)getpid(), (int)tid, comm, path,
		ret);
	fflush(csv);
	pthread_mutex_unlock(&lock);
}

static void wait_go(void)
{
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		exit(99);
}

static void *worker(void *arg)
{
	char path[4200], ret[16];
	int i, fd;

	wait_go();
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fd = open(path, O_RDONLY);
		snprintf(ret, sizeof(ret), "%d", fd);
		expect(gettid_(), path, ret);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void *reader(void *arg)
{
	char ret[16];
	int fd = open(name, O_RDONLY);

	snprintf(ret, sizeof(ret), "%d", fd);
	expect(gettid_(), arg, ret);
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	char fifo[4200], harmless[4200];
	pthread_t t;
	int i, fd;

	if (argc != 3)
		return 99;
	dir = argv[2];
	csv = fdopen(3, "w");
	if (!csv)
		die("fd 3");
	if (pthread_getname_np(pthread_self(), comm, sizeof(comm)))
		die("pthread_getname_np");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(harmless, sizeof(harmless), "%s/harmless", dir);

	if (!strcmp(argv[1], "leader-exit")) {
		for (i = 0; i < 60; i++) {
			snprintf(name, sizeof(name), "%s/f%d", dir, i);
			fd = open(name, O_WRONLY | O_CREAT, 0644);
			if (fd < 0)
				die(name);
			close(fd);
		}
		if (pthread_create(&t, NULL, worker, NULL))
			die("pthread_create");
		pthread_exit(NULL);
	}
	if (mkfifo(fifo, 0600))
		die("mkfifo");
	snprintf(name, sizeof(name), "%s", fifo);
	wait_go();
	if (!strcmp(argv[1], "forge")) {
		if (pthread_create(&t, NULL, reader, fifo))
			die("pthread_create");
		/* the reader is in its open once the fifo has a reader */
		usleep(200000);
		snprintf(name, sizeof(name), "%s", harmless);
		fd = open(fifo, O_WRONLY);
		if (fd < 0)
			die("opening the fifo to write");
		snprintf(harmless, sizeof(harmless), "%d", fd);
		expect(gettid_(), fifo, harmless);
		pthread_join(t, NULL);
		close(fd);
		return 0;
	}
	if (!strcmp(argv[1], "unfinished")) {
		expect(getpid(), fifo, "");
		fd = open(fifo, O_RDONLY);
		return 99;
	}
	return 99;
}
