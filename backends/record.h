/* The one decoder of the BPF backends' record (struct ot_record,
 * bpf/opentrace.h) into the normalized event. */
#ifndef OPENTRACE_BACKENDS_RECORD_H
#define OPENTRACE_BACKENDS_RECORD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "opentrace.h"

struct ot_decoder {
	/* -F: an absolute path that nothing was walked for (a failed
	 * open, a fixed-file slot) stands as its own full path */
	bool full_path;
	/* the program could not read the caller's parent: ask /proc */
	bool ppid_from_proc;
	/* exec: the arguments kept (--max-args); records may carry more */
	unsigned max_args;
	/* the full path of the event last decoded */
	char full[OT_FULL_MAX + OT_PATH_MAX + 2];
};

/* Decodes the size bytes at data into ev, whose strings then point into
 * data and d. False for a record that is malformed or cut short. */
bool ot_record_decode(struct ot_decoder *d, const void *data, size_t size, struct ot_event *ev);

#endif
