/* The one place that formats events: text table, CSV, JSON, JSONL. */
#ifndef OPENTRACE_FRONTEND_OUTPUT_H
#define OPENTRACE_FRONTEND_OUTPUT_H

#include <stdio.h>

#include "event.h"
#include "plan.h"

struct ot_output;

/* Checks a --fields list; 0 if every name is known, else -1 with a
 * message in err. */
int ot_output_check_fields(const char *list, char *err, size_t errlen);

/* Opens spec->path (or wraps stdout); the header waits for
 * ot_output_start(). NULL with a message printed on failure. */
struct ot_output *ot_output_open(const struct ot_output_spec *spec, uint64_t start_ns);
/* Writes the header: when the trace starts, or before the first event.
 * -1 if the output cannot be written (reported). */
int ot_output_start(struct ot_output *out);
void ot_output_event(struct ot_output *out, const struct ot_event *ev);
/* Writes the closing summary record (JSON/JSONL) and closes; the summary
 * line on stderr is written for every format. 0, or -1 if any write
 * failed (reported). */
int ot_output_close(struct ot_output *out, const struct ot_stats *stats);
/* Pushes buffered records out; -1 once a write has failed. */
int ot_output_flush(struct ot_output *out);
/* -1 (reported) when the output is a pipe or socket that nobody reads
 * any more, so that a trace with nothing to write still notices. */
int ot_output_check(struct ot_output *out);
/* Moves the origin of relative times (text -T), for output whose start is
 * known only from its records (--replay). */
void ot_output_set_start(struct ot_output *out, uint64_t start_ns);

#endif
