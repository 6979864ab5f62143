#include "config.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msg.h"
#include "ring.h"

void ot_ring_close(struct ot_ring *r)
{
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->cons_pos)
		munmap(r->cons_pos, r->page);
	if (r->prod_pos)
		munmap(r->prod_pos, r->page + r->size);
	free(r->bounce);
	memset(r, 0, sizeof(*r));
	r->epfd = -1;
}

int ot_ring_open(struct ot_ring *r, int fd, size_t size)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	void *p;
	int err;

	memset(r, 0, sizeof(*r));
	r->size = size;
	r->page = sysconf(_SC_PAGESIZE);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto fail;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->cons_pos = p;
	p = mmap(NULL, r->page + size, PROT_READ, MAP_SHARED, fd, r->page);
	if (p == MAP_FAILED)
		goto fail;
	r->prod_pos = p;
	r->data = (char *)p + r->page;
	return 0;
fail:
	err = errno;
	ot_ring_close(r);
	errno = err;
	return -1;
}

/* Hands the records committed so far to cb, one pass: a flood cannot keep
 * the caller from its other duties. A record still being written (busy)
 * ends the pass; later ones wait for it. Returns how many.
 *
 * The consumer position is published every sixteenth of the ring and at
 * the end of the pass, not after each record: the kernel reads it at
 * every reservation, from the CPU making the open, and a line written
 * here after each record moved between the CPUs about as often. */
long ot_ring_consume(struct ot_ring *r, void (*cb)(void *, const void *, size_t), void *ctx)
{
	unsigned long cons = __atomic_load_n(r->cons_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
	unsigned long published = cons;
	size_t mask = r->size - 1;
	long n = 0;

	while (cons < prod) {
		uint32_t *hdr = (uint32_t *)(r->data + (cons & mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		size_t off = (cons + BPF_RINGBUF_HDR_SZ) & mask, size;

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (!(len & BPF_RINGBUF_DISCARD_BIT) && size <= r->size) {
			char *sample = r->data + off;

			if (off + size > r->size) {
				/* wraps: the head is at the end, the tail at the start */
				size_t head = r->size - off;

				if (size > r->bounce_size) {
					r->bounce = ot_xreallocarray(r->bounce, 1, size);
					r->bounce_size = size;
				}
				memcpy(r->bounce, sample, head);
				memcpy(r->bounce + head, r->data, size - head);
				sample = r->bounce;
			}
			cb(ctx, sample, size);
			n++;
		}
		if (cons - published >= r->size / 16) {
			__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	if (cons != published)
		__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
	return n;
}

/* Waits ms, or less if the kernel wakes the reader (it does so only when
 * the ring is filling up): 0 or 1, or -errno. Edge-triggered, so records
 * merely pending do not end the wait: poll() or a level-triggered epoll
 * return at once whenever a record is there, which turns the drain into a
 * busy loop of a few records per pass under load, bouncing the ring's
 * positions between the CPUs. */
int ot_ring_wait(struct ot_ring *r, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(r->epfd, &ev, 1, ms);

	return n < 0 ? -errno : n;
}

