/* Records from stap, staprun or a capture (--replay), read a line at a
 * time: each parsed record goes to the sink, and an exec's entry waits
 * for its return, which completes it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "msg.h"
#include "output.h"

/* An exec whose return has not come yet; path and args point into buf. */
struct pending_exec {
	struct ot_event ev;
	char *buf;
};

/* The execs waiting for their return, by pid: open addressing with linear
 * probing in a table at most half full, so that finding, adding and
 * dropping one costs the same however many wait (a linear list took
 * 2.6 s to replay 40,000 of them). ev.pid 0 marks a free slot: no record
 * carries pid 0. */
struct ot_stap_pending {
	struct pending_exec *slot;
	size_t mask;		/* slots - 1, slots a power of two */
	size_t n;
};

static size_t pending_hash(const struct ot_stap_pending *t, uint32_t pid)
{
	/* Fibonacci hashing: consecutive and strided pids spread out */
	return (size_t)(((uint64_t)pid * 0x9e3779b97f4a7c15ull) >> 32) & t->mask;
}

static struct pending_exec *pending_find(struct ot_stap_pending *t, uint32_t pid)
{
	size_t i;

	if (!t->slot)
		return NULL;
	for (i = pending_hash(t, pid); t->slot[i].ev.pid; i = (i + 1) & t->mask)
		if (t->slot[i].ev.pid == pid)
			return &t->slot[i];
	return NULL;
}

/* Frees p's slot and moves back the entries after it that probed past it,
 * so that no lookup stops early at the hole (no tombstones). */
static void pending_drop(struct ot_stap_pending *t, struct pending_exec *p)
{
	size_t hole = p - t->slot, i = hole, home;

	free(p->buf);
	for (;;) {
		i = (i + 1) & t->mask;
		if (!t->slot[i].ev.pid)
			break;
		home = pending_hash(t, t->slot[i].ev.pid);
		/* it moves into the hole unless its home lies cyclically
		 * in (hole, i], where a lookup for it would not pass the hole */
		if ((i > hole && (home <= hole || home > i)) ||
		    (i < hole && home <= hole && home > i)) {
			t->slot[hole] = t->slot[i];
			hole = i;
		}
	}
	memset(&t->slot[hole], 0, sizeof(t->slot[hole]));
	t->n--;
}

static void pending_put(struct ot_stap_pending *t, const struct pending_exec *p)
{
	size_t i = pending_hash(t, p->ev.pid);

	while (t->slot[i].ev.pid)
		i = (i + 1) & t->mask;
	t->slot[i] = *p;
	t->n++;
}

static void pending_grow(struct ot_stap_pending *t)
{
	struct pending_exec *old = t->slot;
	size_t i, slots = old ? (t->mask + 1) * 2 : 64;

	t->slot = ot_xcalloc(slots, sizeof(*t->slot));
	t->mask = slots - 1;
	t->n = 0;
	for (i = 0; old && i < slots / 2; i++)
		if (old[i].ev.pid)
			pending_put(t, &old[i]);
	free(old);
}

static void pending_add(struct ot_stap_pending *t, const struct ot_event *ev)
{
	struct pending_exec *old = pending_find(t, ev->pid), p;

	/* a second entry for the same process: the first never returned, and
	 * the script counted it unmatched */
	if (old)
		pending_drop(t, old);
	if (!t->slot || (t->n + 1) * 2 > t->mask + 1)
		pending_grow(t);
	p.buf = ot_xmalloc(ev->path_len + ev->args_len + 1);
	p.ev = *ev;
	memcpy(p.buf, ev->path, ev->path_len);
	memcpy(p.buf + ev->path_len, ev->args, ev->args_len);
	p.ev.path = p.buf;
	p.ev.args = p.buf + ev->path_len;
	pending_put(t, &p);
}

void ot_stap_reader_init(struct ot_stap_reader *r)
{
	memset(r, 0, sizeof(*r));
	/* the longest record: an exec with 128 arguments of 256 bytes, each
	 * byte escaped to four */
	r->cap = 256 * 1024;
	r->buf = ot_xmalloc(r->cap);
	r->rec = ot_xmalloc(sizeof(*r->rec));
	r->pending = ot_xcalloc(1, sizeof(*r->pending));
}

void ot_stap_reader_free(struct ot_stap_reader *r)
{
	size_t i;

	for (i = 0; r->pending->slot && i <= r->pending->mask; i++)
		free(r->pending->slot[i].buf);
	free(r->pending->slot);
	free(r->pending);
	free(r->buf);
	free(r->rec);
}

static void reader_line(struct ot_stap_reader *r, struct ot_sink *sink, const char *line,
			size_t len)
{
	struct pending_exec *px;
	enum ot_stap_record rec;

	r->lines++;
	rec = ot_stap_parse(line, len, r->rec);
	switch (rec) {
	case OT_STAP_EVENT:
		ot_sink_event(sink, &r->rec->ev);
		break;
	case OT_STAP_READY:
		r->ready = true;
		ot_sink_set_clock(sink, r->rec->ts_ns, r->rec->wall_ns);
		if (sink->out && !sink->start_ns) {
			sink->start_ns = r->rec->ts_ns;
			ot_output_set_start(sink->out, r->rec->ts_ns);
		}
		break;
	case OT_STAP_END:
		r->ended = true;
		ot_sink_loss(sink, 0, r->rec->unmatched);
		break;
	case OT_STAP_XENTER:
		pending_add(r->pending, &r->rec->ev);
		break;
	case OT_STAP_XEXIT:
	case OT_STAP_XDROP:
		px = pending_find(r->pending, r->rec->ev.pid);
		if (!px) {
			/* the entry's record was lost or mangled */
			ot_sink_loss(sink, rec == OT_STAP_XEXIT, 0);
			break;
		}
		if (rec == OT_STAP_XEXIT) {
			px->ev.ts_ns = r->rec->ev.ts_ns;
			px->ev.latency_ns = r->rec->ev.latency_ns;
			px->ev.tid = r->rec->ev.tid;
			px->ev.ppid = r->rec->ev.ppid;
			px->ev.uid = r->rec->ev.uid;
			px->ev.ret = r->rec->ev.ret;
			ot_sink_event(sink, &px->ev);
		}
		pending_drop(r->pending, px);
		break;
	case OT_STAP_OTHER:
		r->other++;
		break;
	case OT_STAP_BAD:
		/* a record the transport cut or mangled: an event lost */
		if (!r->bad++)
			r->bad_line = r->lines;
		ot_sink_loss(sink, 1, 0);
		break;
	}
}

int ot_stap_reader_fill(struct ot_stap_reader *r, int fd, struct ot_sink *sink)
{
	ssize_t n;
	char *nl, *start;

	if (r->len == r->cap) {
		/* a line longer than any record: keep its start, count it bad */
		reader_line(r, sink, r->buf, r->len);
		r->len = 0;
	}
	n = read(fd, r->buf + r->len, r->cap - r->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0) {
		if (r->len)
			reader_line(r, sink, r->buf, r->len);
		r->len = 0;
		return 0;
	}
	r->len += n;
	start = r->buf;
	while ((nl = memchr(start, '\n', r->buf + r->len - start))) {
		reader_line(r, sink, start, nl - start);
		start = nl + 1;
	}
	r->len -= start - r->buf;
	memmove(r->buf, start, r->len);
	return 1;
}

int ot_stap_replay(const struct ot_plan *plan, struct ot_sink *sink)
{
	struct ot_stap_reader r;
	int fd = 0, rc;

	if (strcmp(plan->replay, "-")) {
		fd = open(plan->replay, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ot_perror_msg("--replay: cannot open %s", ot_quote(plan->replay));
			return -1;
		}
	}
	ot_stap_reader_init(&r);
	/* The capture's own ready record says when it was made; this host's
	 * clock says nothing about that. */
	ot_sink_set_clock(sink, 0, 0);
	while ((rc = ot_stap_reader_fill(&r, fd, sink)) > 0)
		if (sink->failed)
			break;
	if (rc < 0)
		ot_perror_msg("--replay: reading %s", ot_quote(plan->replay));
	ot_sink_tick(sink);
	if (r.bad)
		ot_error_msg("--replay: %" PRIu64 " malformed record(s), counted as lost; the first "
			     "on line %" PRIu64, r.bad, r.bad_line);
	if (!r.ready && !r.bad && r.lines && r.other == r.lines)
		ot_error_msg("--replay: %s holds no opentrace records (the raw output of "
			     "'opentrace -S --emit' scripts or --build-module modules)",
			     ot_quote(plan->replay));
	if (!r.ended && rc == 0 && r.ready)
		ot_error_msg("--replay: the capture ends before the script did: opens in flight "
			     "at the end are missing");
	ot_stap_reader_free(&r);
	if (fd)
		close(fd);
	return rc < 0 ? -1 : 0;
}
