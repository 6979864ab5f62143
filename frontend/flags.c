#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flags.h"
#include "msg.h"

/* glibc defines O_LARGEFILE as 0 for 64-bit programs, but the kernel ABI
 * bit is real and 32-bit callers pass it. */
#if defined(__x86_64__) || defined(__i386__)
# define OT_O_LARGEFILE 0100000
#elif defined(__aarch64__) || defined(__arm__)
# define OT_O_LARGEFILE 0400000
#else
# define OT_O_LARGEFILE (O_LARGEFILE ? O_LARGEFILE : 0100000)
#endif

struct ot_oflag {
	const char *name;
	uint64_t mask;
	uint64_t value;
};

/* Printing order: access mode first, multi-bit names before their parts. */
static const struct ot_oflag oflags[] = {
	{ "O_RDONLY", O_ACCMODE, O_RDONLY },
	{ "O_WRONLY", O_ACCMODE, O_WRONLY },
	{ "O_RDWR", O_ACCMODE, O_RDWR },
	{ "O_CREAT", O_CREAT, O_CREAT },
	{ "O_EXCL", O_EXCL, O_EXCL },
	{ "O_NOCTTY", O_NOCTTY, O_NOCTTY },
	{ "O_TRUNC", O_TRUNC, O_TRUNC },
	{ "O_APPEND", O_APPEND, O_APPEND },
	{ "O_NONBLOCK", O_NONBLOCK, O_NONBLOCK },
	{ "O_SYNC", O_SYNC, O_SYNC },
	{ "O_DSYNC", O_DSYNC, O_DSYNC },
	{ "O_ASYNC", O_ASYNC, O_ASYNC },
	{ "O_DIRECT", O_DIRECT, O_DIRECT },
	{ "O_LARGEFILE", OT_O_LARGEFILE, OT_O_LARGEFILE },
	{ "O_TMPFILE", O_TMPFILE, O_TMPFILE },
	{ "O_DIRECTORY", O_DIRECTORY, O_DIRECTORY },
	{ "O_NOFOLLOW", O_NOFOLLOW, O_NOFOLLOW },
	{ "O_NOATIME", O_NOATIME, O_NOATIME },
	{ "O_CLOEXEC", O_CLOEXEC, O_CLOEXEC },
	{ "O_PATH", O_PATH, O_PATH },
	/* Accepted when parsing, never printed. */
	{ "O_NDELAY", O_NONBLOCK, O_NONBLOCK },
	{ "O_RSYNC", O_SYNC, O_SYNC },
	{ "O_FSYNC", O_SYNC, O_SYNC },
};
#define N_PRINTED 20

int ot_flags_format(uint64_t flags, char *buf, size_t len)
{
	uint64_t left = flags & ~(uint64_t)O_ACCMODE;
	int n = 0;
	size_t i;

#define APPEND(...) do { \
	int k_ = snprintf(buf + ((size_t)n < len ? (size_t)n : len), \
			  (size_t)n < len ? len - (size_t)n : 0, __VA_ARGS__); \
	n += k_; \
} while (0)
	for (i = 0; i < 3; i++)
		if ((flags & O_ACCMODE) == oflags[i].value)
			APPEND("%s", oflags[i].name);
	if ((flags & O_ACCMODE) == O_ACCMODE)
		APPEND("O_ACCMODE");
	for (i = 3; i < N_PRINTED; i++) {
		if ((left & oflags[i].mask) == oflags[i].mask) {
			APPEND("|%s", oflags[i].name);
			left &= ~oflags[i].mask;
		}
	}
	if (left)
		APPEND("|%#llx", (unsigned long long)left);
#undef APPEND
	return n;
}

int ot_flags_match(const struct ot_flags_dnf *dnf, uint64_t flags)
{
	unsigned i;

	for (i = 0; i < dnf->nclauses; i++)
		if ((flags & dnf->clause[i].mask) == dnf->clause[i].value)
			return 1;
	return 0;
}

/* Intermediate results may grow past what the kernel takes and shrink
 * again once contradictions and subsumed clauses are dropped. */
#define WORK_CLAUSES 256
#define MAX_DEPTH 200

struct dnf {
	size_t n;
	bool overflow;
	struct ot_flag_clause c[WORK_CLAUSES];
};

/* A sub-formula in both polarities, so that ~ is a swap. */
struct both {
	struct dnf *pos, *neg;
};

struct parser {
	const char *s;
	const char *p;
	int depth;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (ps->failed)
		return;
	ps->failed = true;
	off = snprintf(ps->err, ps->errlen, "column %zu: ", (size_t)(ps->p - ps->s) + 1);
	if (off < 0 || (size_t)off >= ps->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + off, ps->errlen - off, fmt, ap);
	va_end(ap);
}

static struct dnf *dnf_new(void)
{
	return ot_xcalloc(1, sizeof(struct dnf));
}

/* Adds a clause unless an existing one already covers it; drops the
 * existing clauses it covers. A covers B when B's constraints include A's. */
static void dnf_add(struct dnf *d, struct ot_flag_clause c)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		const struct ot_flag_clause *a = &d->c[i];

		if ((a->mask & c.mask) == a->mask && (c.value & a->mask) == a->value)
			return;
	}
	for (i = j = 0; i < d->n; i++) {
		const struct ot_flag_clause *a = &d->c[i];

		if (!((c.mask & a->mask) == c.mask && (a->value & c.mask) == c.value))
			d->c[j++] = *a;
	}
	d->n = j;
	if (d->n == WORK_CLAUSES) {
		d->overflow = true;
		return;
	}
	d->c[d->n++] = c;
}

static struct dnf *dnf_or(struct dnf *a, const struct dnf *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		dnf_add(a, b->c[i]);
	a->overflow |= b->overflow;
	return a;
}

static struct dnf *dnf_and(const struct dnf *a, const struct dnf *b)
{
	struct dnf *r = dnf_new();
	size_t i, j;

	r->overflow = a->overflow || b->overflow;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			const struct ot_flag_clause *x = &a->c[i], *y = &b->c[j];

			if ((x->value ^ y->value) & x->mask & y->mask)
				continue;	/* contradiction */
			dnf_add(r, (struct ot_flag_clause){ x->mask | y->mask, x->value | y->value });
		}
	}
	return r;
}

static struct both literal(uint64_t mask, uint64_t value)
{
	struct both b = { dnf_new(), dnf_new() };
	uint64_t bit;

	dnf_add(b.pos, (struct ot_flag_clause){ mask, value });
	/* not (flags & mask == value): some bit of mask differs from value */
	for (bit = 1; bit; bit <<= 1)
		if (mask & bit)
			dnf_add(b.neg, (struct ot_flag_clause){ bit, ~value & bit });
	return b;
}

static void both_free(struct both b)
{
	free(b.pos);
	free(b.neg);
}

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static struct both parse_or(struct parser *ps);

static bool lookup_name(const char *name, size_t len, uint64_t *mask, uint64_t *value)
{
	size_t i;

	for (i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++) {
		const char *n = oflags[i].name;

		if ((strlen(n) == len && !strncasecmp(n, name, len)) ||
		    (strlen(n) - 2 == len && !strncasecmp(n + 2, name, len))) {
			*mask = oflags[i].mask;
			*value = oflags[i].value;
			return true;
		}
	}
	return false;
}

static struct both parse_atom(struct parser *ps)
{
	struct both r;

	skip_space(ps);
	if (*ps->p == '~' || *ps->p == '!') {
		struct dnf *t;

		ps->p++;
		if (++ps->depth > MAX_DEPTH) {
			fail(ps, "formula nests more than %d levels deep", MAX_DEPTH);
			return literal(0, 0);
		}
		r = parse_atom(ps);
		ps->depth--;
		t = r.pos;
		r.pos = r.neg;
		r.neg = t;
		return r;
	}
	if (*ps->p == '(') {
		ps->p++;
		if (++ps->depth > MAX_DEPTH) {
			fail(ps, "formula nests more than %d levels deep", MAX_DEPTH);
			return literal(0, 0);
		}
		r = parse_or(ps);
		ps->depth--;
		skip_space(ps);
		if (*ps->p != ')')
			fail(ps, "expected ')'");
		else
			ps->p++;
		return r;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		const char *start = ps->p;
		uint64_t mask, value;

		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		if (!lookup_name(start, ps->p - start, &mask, &value)) {
			int len = ps->p - start > 64 ? 64 : (int)(ps->p - start);

			ps->p = start;
			fail(ps, "unknown flag '%.*s' (known: O_RDONLY O_WRONLY O_RDWR O_CREAT "
			     "O_EXCL O_NOCTTY O_TRUNC O_APPEND O_NONBLOCK O_SYNC O_DSYNC O_ASYNC "
			     "O_DIRECT O_LARGEFILE O_TMPFILE O_DIRECTORY O_NOFOLLOW O_NOATIME "
			     "O_CLOEXEC O_PATH)", len, start);
			return literal(0, 0);
		}
		return literal(mask, value);
	}
	if (isdigit((unsigned char)*ps->p)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(ps->p, &end, 0);
		if (errno || isalnum((unsigned char)*end) || v == 0) {
			fail(ps, "bad number: give a nonzero value such as 0x80000");
			return literal(0, 0);
		}
		ps->p = end;
		return literal(v, v);
	}
	if (*ps->p)
		fail(ps, "unexpected '%c': expected a flag name, '~' or '('", *ps->p);
	else
		fail(ps, "formula ends where a flag name was expected");
	return literal(0, 0);
}

static struct both parse_and(struct parser *ps)
{
	struct both r = parse_atom(ps);

	for (;;) {
		struct both b;
		struct dnf *pos;

		skip_space(ps);
		if (*ps->p != '&' || ps->failed)
			return r;
		ps->p++;
		if (ps->p[0] == '&')
			ps->p++;
		b = parse_atom(ps);
		pos = dnf_and(r.pos, b.pos);
		dnf_or(r.neg, b.neg);
		free(r.pos);
		r.pos = pos;
		both_free(b);
	}
}

static struct both parse_or(struct parser *ps)
{
	struct both r = parse_and(ps);

	for (;;) {
		struct both b;
		struct dnf *neg;

		skip_space(ps);
		if ((*ps->p != '|' && *ps->p != ',') || ps->failed)
			return r;
		ps->p++;
		if (ps->p[0] == '|')
			ps->p++;
		b = parse_and(ps);
		dnf_or(r.pos, b.pos);
		neg = dnf_and(r.neg, b.neg);
		free(r.neg);
		r.neg = neg;
		both_free(b);
	}
}

int ot_flags_parse(const char *expr, struct ot_flags_dnf *out, char *err, size_t errlen)
{
	struct parser ps = { expr, expr, 0, err, errlen, false };
	struct both r;
	size_t i;

	memset(out, 0, sizeof(*out));
	r = parse_or(&ps);
	skip_space(&ps);
	if (!ps.failed && *ps.p)
		fail(&ps, "unexpected '%c' after a complete formula", *ps.p);
	if (!ps.failed && r.pos->n == 0) {
		ps.p = ps.s;
		fail(&ps, "the formula can never hold (it contradicts itself)");
	}
	if (!ps.failed && (r.pos->overflow || r.pos->n > OT_FLAGS_MAX_CLAUSES)) {
		ps.p = ps.s;
		fail(&ps, "the formula expands to more than %d alternatives; simplify it",
		     OT_FLAGS_MAX_CLAUSES);
	}
	if (!ps.failed) {
		out->nclauses = r.pos->n;
		for (i = 0; i < r.pos->n; i++)
			out->clause[i] = r.pos->c[i];
	}
	both_free(r);
	return ps.failed ? -1 : 0;
}
