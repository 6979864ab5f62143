/* Records through a perf buffer per CPU, for kernels without the BPF ring
 * buffer (before 5.8). Each drain's records, from every CPU's buffer, are
 * delivered in time order, as the single ring orders them: per-CPU
 * buffers read one after the other would interleave CPUs a drain apart.
 * A reader is woken early only when about a quarter of its buffer is
 * pending; otherwise the run loop drains on its timer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bcc.h"
#include "bpfrun.h"
#include "msg.h"

/* Wakeups are counted in records; a quarter of a buffer in records of
 * this many bytes (a path of a hundred bytes or so). Waking every few
 * records cost a wakeup, a drain and an output flush each: twice libbpf's
 * user-space CPU, and loss. */
#define WAKEUP_RECORD_BYTES 256
#define MAX_CPUS 1024

struct batch_rec {
	size_t off, size;
	uint64_t ts;
};

struct ot_bcc_perf {
	struct ot_bpf_run *run;
	struct perf_reader *readers[MAX_CPUS];
	int nreaders;
	/* the records of one drain, copied out of the buffers */
	char *buf;
	size_t len, cap;
	struct batch_rec *recs;
	size_t n, ncap;
};

/* perf_reader's callback: the record is only kept for now. */
static void on_record(void *cookie, void *data, int size)
{
	struct ot_bcc_perf *p = cookie;
	size_t need;

	if (size < (int)sizeof(uint64_t))
		return;
	need = (size + 7) & ~(size_t)7;
	if (p->len + need > p->cap) {
		size_t cap = p->cap ? p->cap : 1 << 16;

		while (cap < p->len + need)
			cap *= 2;
		p->buf = ot_xreallocarray(p->buf, 1, cap);
		p->cap = cap;
	}
	if (p->n == p->ncap) {
		p->ncap = p->ncap ? p->ncap * 2 : 1024;
		p->recs = ot_xreallocarray(p->recs, p->ncap, sizeof(*p->recs));
	}
	memcpy(p->buf + p->len, data, size);
	p->recs[p->n].off = p->len;
	p->recs[p->n].size = size;
	memcpy(&p->recs[p->n].ts, data, sizeof(uint64_t));	/* ts_ns comes first */
	p->n++;
	p->len += need;
}

static void on_lost(void *cookie, uint64_t lost)
{
	struct ot_bcc_perf *p = cookie;

	p->run->reader_lost += lost;
}

/* Equal times keep their buffer order. */
static int by_time(const void *a, const void *b)
{
	const struct batch_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

struct ot_bcc_perf *ot_bcc_perf_open(int map, size_t total, struct ot_bpf_run *run)
{
	static bool online[MAX_CPUS];
	struct ot_bcc_perf *p = ot_xcalloc(1, sizeof(*p));
	long page = sysconf(_SC_PAGESIZE);
	int ncpu, cpu, pages = 1, wakeup;

	p->run = run;
	ncpu = ot_cpu_list("/sys/devices/system/cpu/online", online, MAX_CPUS);
	if (ncpu <= 0) {
		ot_error_msg("bcc: cannot read the online CPUs from /sys/devices/system/cpu/online");
		goto fail;
	}
	/* a power of two of pages per CPU, at least 8 */
	while ((size_t)pages * 2 * page * ncpu <= total)
		pages *= 2;
	if (pages < 8)
		pages = 8;
	wakeup = (size_t)pages * page / 4 / WAKEUP_RECORD_BYTES;
	if (wakeup < 1)
		wakeup = 1;
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct bcc_perf_buffer_opts opts = { .pid = -1, .cpu = cpu,
						     .wakeup_events = wakeup };
		struct perf_reader *reader;
		int fd;

		if (!online[cpu])
			continue;
		reader = bcc.open_perf_buffer_opts(on_record, on_lost, p, pages, &opts);
		if (!reader) {
			ot_perror_msg("bcc: opening the perf buffer of CPU %d", cpu);
			goto fail;
		}
		p->readers[p->nreaders++] = reader;
		fd = bcc.reader_fd(reader);
		if (ot_bpf_map_update(map, &cpu, &fd)) {
			ot_perror_msg("bcc: adding CPU %d's perf buffer", cpu);
			goto fail;
		}
	}
	return p;
fail:
	ot_bcc_perf_free(p);
	return NULL;
}

int ot_bcc_perf_wait(void *perf, int ms)
{
	struct ot_bcc_perf *p = perf;

	return bcc.reader_poll(p->nreaders, p->readers, ms) < 0 ? -1 : 0;
}

void ot_bcc_perf_drain(void *perf)
{
	struct ot_bcc_perf *p = perf;
	size_t i;

	bcc.reader_consume(p->nreaders, p->readers);
	/* one busy CPU, the common case, gives records in order already */
	for (i = 1; i < p->n; i++)
		if (p->recs[i].ts < p->recs[i - 1].ts)
			break;
	if (i < p->n)
		qsort(p->recs, p->n, sizeof(*p->recs), by_time);
	for (i = 0; i < p->n; i++)
		ot_bpf_deliver(p->run, p->buf + p->recs[i].off, p->recs[i].size);
	p->n = 0;
	p->len = 0;
}

void ot_bcc_perf_free(struct ot_bcc_perf *p)
{
	if (!p)
		return;
	while (p->nreaders)
		bcc.reader_free(p->readers[--p->nreaders]);
	free(p->buf);
	free(p->recs);
	free(p);
}
