/* Open flags: one table of O_* names, used both by the --flags formula
 * parser and by every printer of flags. */
#ifndef OPENTRACE_FRONTEND_FLAGS_H
#define OPENTRACE_FRONTEND_FLAGS_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "opentrace.h"

/* The kernel side evaluates at most this many clauses. */
#define OT_FLAGS_MAX_CLAUSES OT_MAX_CLAUSES

/* flags satisfy a clause when (flags & mask) == value. */
struct ot_flag_clause {
	uint64_t mask;
	uint64_t value;
};

/* A formula in disjunctive normal form: it holds when any clause does. */
struct ot_flags_dnf {
	unsigned nclauses;
	struct ot_flag_clause clause[OT_FLAGS_MAX_CLAUSES];
};

/* Parses a formula of O_* names (case-insensitive, "O_" optional) and
 * numbers with | & ~ ( ). O_RDONLY, O_WRONLY and O_RDWR compare the access
 * mode; other names require all their bits. 0 on success; otherwise -1
 * with a message in err. */
int ot_flags_parse(const char *expr, struct ot_flags_dnf *dnf, char *err, size_t errlen);

/* Whether flags satisfy the DNF, as the kernel side decides it: what the
 * unit tests and the fuzzer hold the parser's clauses to. */
int ot_flags_match(const struct ot_flags_dnf *dnf, uint64_t flags);

/* "O_WRONLY|O_CREAT|O_TRUNC"; unknown bits as a trailing hex number.
 * Returns the length it needed (as snprintf does). */
int ot_flags_format(uint64_t flags, char *buf, size_t len);

#endif
