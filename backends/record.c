#include "config.h"

#include <string.h>

#include "proc.h"
#include "record.h"

/* Joins the components the walk wrote leaf first into "/a/b/c"; for a
 * walk of the base directory, appends the path as passed. */
static size_t join_full_path(const struct ot_record *r, char *out, size_t cap)
{
	const char *comps = r->data + r->path_len;
	const char *p = comps + r->full_len;
	size_t len = 0;

	/* a walk that stopped short has no root: say so in the path itself */
	if ((r->status & OT_REC_FULL_TRUNCATED) && cap >= 3) {
		memcpy(out, "...", 3);
		len = 3;
	}
	/* components are NUL-terminated: walk back from the last NUL */
	while (p > comps) {
		const char *start = p - 1;

		while (start > comps && start[-1] != '\0')
			start--;
		if (len + 1 + (size_t)(p - 1 - start) > cap)
			break;
		out[len++] = '/';
		memcpy(out + len, start, p - 1 - start);
		len += p - 1 - start;
		p = start;
	}
	if (len == 0 && cap)
		out[len++] = '/';	/* the root itself */
	if ((r->status & OT_REC_FULL_BASE) && r->path_len) {
		if (len > 1 && len < cap)
			out[len++] = '/';
		if (len + r->path_len <= cap) {
			memcpy(out + len, r->data, r->path_len);
			len += r->path_len;
		}
	}
	return len;
}

/* An exec's arguments, as the program read them whole from the new image
 * or one by one at entry: at most max_args of them, the last one ended;
 * a cut marks them truncated. */
static size_t exec_args(const char *args, size_t len, unsigned max_args, unsigned *status)
{
	size_t i, end = 0;
	unsigned n = 0;

	for (i = 0; i < len && n < max_args; i++) {
		if (args[i] == '\0') {
			end = i + 1;
			n++;
		}
	}
	if (end < len)
		*status |= OT_EV_ARGS_TRUNCATED;
	return end;
}

bool ot_record_decode(struct ot_decoder *d, const void *data, size_t size, struct ot_event *ev)
{
	const struct ot_record *r = data;
	size_t head = sizeof(*r);

	if (size < head || r->kind >= OT_KIND_MAX || r->path_len > OT_PATH_MAX ||
	    size < head + r->path_len)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->kind = r->kind;
	ev->ts_ns = r->ts_ns;
	ev->latency_ns = r->latency_ns;
	ev->cgid = r->cgid;
	ev->flags = r->flags;
	ev->ret = r->ret;
	ev->pid = r->pid;
	ev->tid = r->tid;
	ev->ppid = r->ppid || !d->ppid_from_proc ? r->ppid : ot_process_ppid(r->pid);
	ev->uid = r->uid;
	ev->mode = r->mode;
	ev->dfd = r->dfd;
	memcpy(ev->comm, r->comm, OT_COMM_LEN);
	ev->path = r->data;
	ev->path_len = r->path_len;
	if (r->status & OT_REC_TRUNCATED)
		ev->status |= OT_EV_PATH_TRUNCATED;
	if (r->status & OT_REC_UNREADABLE)
		ev->status |= OT_EV_PATH_UNREADABLE;
	if (r->status & OT_REC_ARGS_TRUNCATED)
		ev->status |= OT_EV_ARGS_TRUNCATED;
	if (r->status & OT_REC_FULL_TRUNCATED)
		ev->status |= OT_EV_FULL_TRUNCATED;
	if (r->status & OT_REC_PATH_AT_EXIT)
		ev->status |= OT_EV_PATH_AT_EXIT;
	if (r->status & OT_REC_ARGS_UNREADABLE)
		ev->status |= OT_EV_ARGS_UNREADABLE;
	if (r->status & OT_REC_UNFINISHED)
		ev->status |= OT_EV_UNFINISHED;
	if (ot_kind_is_exec(r->kind)) {
		if (r->args_len > OT_ARGS_MAX || size < head + OT_ARGS_OFF + r->args_len)
			return false;
		ev->args = r->data + OT_ARGS_OFF;
		ev->args_len = exec_args(ev->args, r->args_len, d->max_args, &ev->status);
		return true;
	}
	/* a direct open names its slot, or asks for one and gets it back */
	if (r->file_slot) {
		ev->fixed_file = true;
		ev->slot = r->file_slot == OT_IORING_FILE_INDEX_ALLOC ? (uint32_t)r->ret
								      : r->file_slot - 1;
	}
	if (r->full_len > OT_FULL_MAX || size < head + r->path_len + r->full_len)
		return false;
	if (r->status & OT_REC_FULL) {
		ev->full_path = d->full;
		ev->full_path_len = join_full_path(r, d->full, sizeof(d->full));
	} else if (d->full_path && !(r->status & OT_REC_UNREADABLE) && r->path_len &&
		   r->data[0] == '/') {
		ev->full_path = r->data;
		ev->full_path_len = r->path_len;
	}
	return true;
}
