/* A reader of a BPF ring buffer map, for both BPF backends. */
#ifndef OPENTRACE_BACKENDS_RING_H
#define OPENTRACE_BACKENDS_RING_H

#include <stddef.h>

/* libbpf's ring_buffer (and libbcc's) maps the data area twice,
 * back to back, so that a record that wraps around the end reads as one;
 * the kernel fills every page of a ring mapping when it is made, so the
 * tracer's resident set grew by twice the ring. This reader maps the data
 * once and copies the rare record that wraps into a buffer of its own:
 * the same ring costs half the memory, and the default ring is 8 MB (16
 * MB of RSS with libbpf's reader) within the tracer's budget. The layout
 * is the kernel's ABI (uapi linux/bpf.h): a consumer page, a producer
 * page, then the data; each record an 8-byte header (length, busy and
 * discard bits) and the sample, 8-byte aligned. */
struct ot_ring {
	int epfd;			/* the map, edge-triggered */
	unsigned long *cons_pos;	/* ours, read-write */
	unsigned long *prod_pos;	/* the kernel's, read-only */
	char *data;
	size_t size, page;
	char *bounce;
	size_t bounce_size;
};
/* Maps the ring of the map fd, size bytes: 0, or -1 with errno set and
 * nothing left open. */
int ot_ring_open(struct ot_ring *r, int fd, size_t size);
void ot_ring_close(struct ot_ring *r);
/* Hands the records committed so far to cb, once over; returns how many. */
long ot_ring_consume(struct ot_ring *r, void (*cb)(void *ctx, const void *rec, size_t size),
		     void *ctx);
/* Waits up to ms for the kernel to wake the reader: 0 or 1, or -errno. */
int ot_ring_wait(struct ot_ring *r, int ms);

#endif
