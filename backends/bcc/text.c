/* The C text the bcc backend compiles: the run's filter as #defines of
 * integers, then what probing the host found (OT_HOST_*), then the
 * embedded sources, which #if on both. Strings never enter the text: the
 * -n comm, opentrace's own pid and the --cgroup directory reach the
 * program through maps, so a hostile -n leaves the text byte for byte the
 * same, and one compiled program serves every -n. */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "bcc.h"
#include "filter.h"
#include "templates/bcc/embedded.h"

unsigned ot_bcc_ring_pages(const struct ot_plan *plan, const struct ot_bcc_host *h)
{
	size_t bytes = plan->buffer_size ? plan->buffer_size : OT_BCC_DEFAULT_BUFFER;
	long page = sysconf(_SC_PAGESIZE);

	/* the kernel wants a power of two of pages; --buffer-size is one */
	if (h->ring != OT_RING_YES)
		return 0;
	if (page <= 0 || bytes <= (size_t)page)
		return 1;
	return bytes / page;
}

/* The flags formula as one C expression of integers. */
static void print_flags_match(FILE *out, const struct ot_filter *f)
{
	unsigned i;

	fprintf(out, "#define OT_FLAGS_MATCH(f) (");
	for (i = 0; i < f->nclauses; i++)
		fprintf(out, "%s((f) & %#" PRIx64 "ULL) == %#" PRIx64 "ULL", i ? " || \\\n\t" : "",
			(uint64_t)f->clause_mask[i], (uint64_t)f->clause_value[i]);
	if (!f->nclauses)
		fprintf(out, "1");
	fprintf(out, ")\n");
}

void ot_bcc_print_text(FILE *out, const struct ot_plan *plan, const struct ot_bcc_host *h)
{
	struct ot_filter f = plan->filter;
	size_t i;

	/* the -n bytes and their length are in ot_conf: the text says only
	 * whether there are any, so it is the same for every -n */
	f.comm_len = f.comm_len != 0;
	memset(f.comm, 0, sizeof(f.comm));
	fprintf(out, "/* opentrace, bcc backend: the C text libbcc compiles. */\n\n");
	fprintf(out, "/* The run's filter (struct ot_filter): integers only; the -n comm is in "
		"the ot_conf map. */\n");
	ot_filter_print(out, &f, "#define OT_CFG_", " ", "ULL\n");
	print_flags_match(out, &f);
	if (h->tracefs)
		fprintf(out, "\n/* The host, as probed: 1 tracepoint, 2 kprobe, 0 absent; raw "
			"tracepoints or not; the ring buffer's pages, 0 for perf buffers. */\n");
	else
		fprintf(out, "\n/* The host could not be probed (tracefs is not readable here): "
			"tracepoints assumed. */\n");
	for (i = 0; i < OT_SC_MAX; i++)
		fprintf(out, "#define OT_HOST_%s %d\n", ot_bcc_syscall_define(i), (int)h->via[i]);
	fprintf(out, "#define OT_HOST_SYSCALL_WRAPPER %d\n", h->syscall_wrapper);
	fprintf(out, "#define OT_HOST_EXIT_GROUP_DEAD %d\n", h->exit_group_dead);
	fprintf(out, "#define OT_HOST_TASK_READS %d\n", h->task_reads);
	fprintf(out, "#define OT_HOST_TASK_OFFSETS %d\n", h->task_offsets);
	fprintf(out, "#define OT_HOST_RAW_TRACEPOINTS %d\n", h->raw_tracepoints);
	if (h->task_offsets) {
#define OFF(s, f) fprintf(out, "#define OT_HOST_OFF_%s_%s %u\n", #s, #f, h->off.s##_##f);
		OT_BCC_OFFSETS(OFF)
#undef OFF
	}
	if (h->ring == OT_RING_UNKNOWN)
		fprintf(out, "/* The host's BPF ring buffer could not be probed (no privilege "
			"to create maps): perf buffers assumed. */\n");
	fprintf(out, "#define OT_HOST_RING_PAGES %u\n\n", ot_bcc_ring_pages(plan, h));
	fputs(ot_bcc_text_kinds, out);
	fputc('\n', out);
	fputs(ot_bcc_text_record, out);
	fputc('\n', out);
	fputs(ot_bcc_text_maps, out);
	fputc('\n', out);
	fputs(ot_bcc_text_helpers, out);
	fputc('\n', out);
	fputs(ot_bcc_text_main, out);
}
