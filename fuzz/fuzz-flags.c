/* libFuzzer harness for the --flags formula parser (frontend/flags.c).
 *
 * Beyond not crashing, every formula that parses must give a DNF the
 * kernel side can take (1 to OT_FLAGS_MAX_CLAUSES clauses, each value
 * inside its mask), and its negation, when that parses too, must hold for
 * exactly the flags the formula does not. The symbolic printer of flags
 * is fed the input's first 8 bytes, into buffers of every small size. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"

static void check_dnf(const struct ot_flags_dnf *dnf)
{
	unsigned i;

	if (dnf->nclauses == 0 || dnf->nclauses > OT_FLAGS_MAX_CLAUSES)
		abort();
	for (i = 0; i < dnf->nclauses; i++) {
		if (dnf->clause[i].value & ~dnf->clause[i].mask)
			abort();
		if (!ot_flags_match(dnf, dnf->clause[i].value))
			abort();
	}
}

/* Flags values where a formula and its negation could disagree: each
 * clause's own value, that value with one masked bit flipped, and a few
 * from the input. */
static void check_negation(const struct ot_flags_dnf *pos, const struct ot_flags_dnf *neg,
			   const uint8_t *data, size_t size)
{
	uint64_t probe[2 + 8];
	size_t nprobe = 0, i;
	unsigned c;
	int bit;

	probe[nprobe++] = 0;
	probe[nprobe++] = ~(uint64_t)0;
	for (i = 0; i + 8 <= size && nprobe < sizeof(probe) / sizeof(probe[0]); i += 8)
		memcpy(&probe[nprobe++], data + i, 8);
	for (i = 0; i < nprobe; i++)
		if (ot_flags_match(pos, probe[i]) == ot_flags_match(neg, probe[i]))
			abort();
	for (c = 0; c < pos->nclauses; c++) {
		uint64_t v = pos->clause[c].value;

		if (ot_flags_match(neg, v))
			abort();
		for (bit = 0; bit < 64; bit++) {
			uint64_t b = (uint64_t)1 << bit, w = v ^ b;

			if ((pos->clause[c].mask & b) &&
			    ot_flags_match(pos, w) == ot_flags_match(neg, w))
				abort();
		}
	}
}

static void check_format(const uint8_t *data, size_t size)
{
	char full[512], small[32];
	uint64_t flags = 0;
	size_t len;
	int n;

	memcpy(&flags, data, size < 8 ? size : 8);
	n = ot_flags_format(flags, full, sizeof(full));
	if (n < 0 || (size_t)n >= sizeof(full) || strlen(full) != (size_t)n)
		abort();
	for (len = 1; len <= sizeof(small); len++) {
		memset(small, 'x', sizeof(small));
		if (ot_flags_format(flags, small, len) != n)
			abort();
		if (strnlen(small, len) == len || strncmp(small, full, strlen(small)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ot_flags_dnf pos, neg;
	char *expr = malloc(size + 1), *negated = malloc(size + 4);
	char err[512];

	if (!expr || !negated)
		abort();
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (!ot_flags_parse(expr, &pos, err, sizeof(err))) {
		check_dnf(&pos);
		memcpy(negated, "~(", 2);
		memcpy(negated + 2, expr, strlen(expr));
		strcpy(negated + 2 + strlen(expr), ")");
		if (!ot_flags_parse(negated, &neg, err, sizeof(err))) {
			check_dnf(&neg);
			check_negation(&pos, &neg, data, size);
		}
	} else if (!err[0] || !memchr(err, '\0', sizeof(err))) {
		abort();	/* a failure must say why */
	}
	check_format(data, size);
	free(expr);
	free(negated);
	return 0;
}
