/* libFuzzer harness for the SystemTap backend's record parser
 * (backends/stap/parse.c): the text a stap script prints, which traced
 * processes partly control (their file names, comms and exec arguments).
 *
 * The input is one line. Beyond not crashing or reading out of bounds,
 * what the parser hands on must be safe to use: an event's path and
 * arguments lie inside the parsed record's own buffers and within their
 * bounds, its comm is a C string of at most 15 bytes, and its kind is one
 * the formatter knows. Every event then goes through the sink and the
 * formatter, as a live run would send it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "sink.h"
#include "stap/stap.h"

static struct ot_stap_parsed rec;

static void check_event(const struct ot_event *ev)
{
	if ((unsigned)ev->kind >= OT_KIND_MAX)
		abort();
	if (!memchr(ev->comm, '\0', sizeof(ev->comm)))
		abort();
	if (ev->path_len > OT_STAP_PATH_MAX || ev->args_len > OT_STAP_ARGS_MAX)
		abort();
	if (ev->path_len && (!ev->path || ev->path < rec.path ||
			     ev->path + ev->path_len > rec.path + sizeof(rec.path)))
		abort();
	if (ev->args_len && (!ev->args || ev->args < rec.args ||
			     ev->args + ev->args_len > rec.args + sizeof(rec.args)))
		abort();
	/* exec arguments are NUL-terminated strings, the last one too */
	if (ev->args_len && ev->args[ev->args_len - 1] != '\0')
		abort();
}

static void format(const struct ot_event *ev)
{
	struct ot_output_spec spec;
	struct ot_sink sink;

	memset(&spec, 0, sizeof(spec));
	spec.format = OT_FORMAT_JSONL;
	spec.path = "/dev/null";
	spec.events = OT_EVENTS_OPEN | OT_EVENTS_EXEC;
	memset(&sink, 0, sizeof(sink));
	sink.out = ot_output_open(&spec, 0);
	if (!sink.out)
		abort();
	ot_sink_event(&sink, ev);
	if (ot_output_close(sink.out, &sink.stats))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the line */
	char *line = malloc(size ? size : 1);

	if (!line)
		abort();
	memcpy(line, data, size);
	switch (ot_stap_parse(line, size, &rec)) {
	case OT_STAP_EVENT:
	case OT_STAP_XENTER:
		check_event(&rec.ev);
		format(&rec.ev);
		break;
	default:
		break;
	}
	free(line);
	return 0;
}
