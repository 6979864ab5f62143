/* The stap backend's record parser: one line of what a script prints
 * (the grammar is at the top of templates/stap/opentrace.stp) to an
 * event. Traced processes choose much of that text (file names, comms,
 * exec arguments), so everything is bounded and checked; a line that
 * starts like a record but is not a whole one is OT_STAP_BAD. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stap.h"

static const struct {
	const char *name;
	enum ot_kind kind;
} kinds[] = {
	{ "open", OT_KIND_OPEN },
	{ "openat", OT_KIND_OPENAT },
	{ "openat2", OT_KIND_OPENAT2 },
	{ "creat", OT_KIND_CREAT },
	{ "execve", OT_KIND_EXECVE },
	{ "execveat", OT_KIND_EXECVEAT },
};

struct cursor {
	const char *p, *end;
};

/* The next space-separated field. */
static bool field(struct cursor *c, const char **f, size_t *n)
{
	const char *sp;

	if (c->p >= c->end)
		return false;
	sp = memchr(c->p, ' ', c->end - c->p);
	*f = c->p;
	*n = (sp ? sp : c->end) - c->p;
	c->p = sp ? sp + 1 : c->end;
	return *n > 0;
}

static bool int_field(struct cursor *c, int64_t *v)
{
	char num[24], *e;
	const char *f;
	size_t n;

	if (!field(c, &f, &n) || n >= sizeof(num))
		return false;
	memcpy(num, f, n);
	num[n] = '\0';
	errno = 0;
	*v = strtoll(num, &e, 10);
	return !errno && *e == '\0' && (isdigit((unsigned char)num[0]) || num[0] == '-');
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t utf8_put(char *b, uint32_t c)
{
	if (c < 0x80) {
		b[0] = c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = 0xc0 | (c >> 6);
		b[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		b[0] = 0xe0 | (c >> 12);
		b[1] = 0x80 | ((c >> 6) & 0x3f);
		b[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	b[0] = 0xf0 | (c >> 18);
	b[1] = 0x80 | ((c >> 12) & 0x3f);
	b[2] = 0x80 | ((c >> 6) & 0x3f);
	b[3] = 0x80 | (c & 0x3f);
	return 4;
}

struct strbuf {
	char *b;
	size_t len, cap;
	bool cut;	/* more bytes than cap */
};

static void sb_put(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n > sb->cap) {
		sb->cut = true;
		n = sb->cap - sb->len;
	}
	memcpy(sb->b + sb->len, s, n);
	sb->len += n;
}

/* Decodes one string as stap's string_quoted() writes it: in double
 * quotes, with \a \b \f \n \r \t \v \" \\, \ooo for other bytes and
 * \uXXXX or \UXXXXXXXX for UTF-8 sequences. A "..." after the closing
 * quote is stap's mark for a string it cut (MAXSTRINGLEN). Appends the
 * bytes to sb; false when this is not such a string. */
static bool quoted(struct cursor *c, struct strbuf *sb, bool *cut)
{
	const char *p = c->p, *end = c->end;
	char u[4];

	if (p >= end || *p++ != '"')
		return false;
	while (p < end && *p != '"') {
		uint32_t cp = 0;
		int i, d, ndig;

		if (*p != '\\') {
			sb_put(sb, p++, 1);
			continue;
		}
		if (++p >= end)
			return false;
		switch (*p) {
		case 'a': sb_put(sb, "\a", 1); p++; continue;
		case 'b': sb_put(sb, "\b", 1); p++; continue;
		case 'f': sb_put(sb, "\f", 1); p++; continue;
		case 'n': sb_put(sb, "\n", 1); p++; continue;
		case 'r': sb_put(sb, "\r", 1); p++; continue;
		case 't': sb_put(sb, "\t", 1); p++; continue;
		case 'v': sb_put(sb, "\v", 1); p++; continue;
		case '"': sb_put(sb, "\"", 1); p++; continue;
		case '\\': sb_put(sb, "\\", 1); p++; continue;
		case 'u': ndig = 4; break;
		case 'U': ndig = 8; break;
		default:
			/* \ooo: one to three octal digits, a byte */
			for (i = 0; i < 3 && p < end && *p >= '0' && *p <= '7'; i++)
				cp = cp * 8 + (*p++ - '0');
			if (i == 0 || cp > 0xff)
				return false;
			u[0] = (char)cp;
			sb_put(sb, u, 1);
			continue;
		}
		p++;
		for (i = 0; i < ndig; i++) {
			if (p >= end || (d = hexval((unsigned char)*p)) < 0)
				return false;
			cp = cp * 16 + d;
			p++;
		}
		/* stap writes only what valid, shortest UTF-8 decodes to */
		if (cp < 0x80 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		sb_put(sb, u, utf8_put(u, cp));
	}
	if (p >= end)
		return false;
	p++;
	if (end - p >= 3 && !memcmp(p, "...", 3)) {
		*cut = true;
		p += 3;
	}
	c->p = p;
	return true;
}

static bool kind_field(struct cursor *c, enum ot_kind *kind, bool exec)
{
	const char *f;
	size_t n, i;

	if (!field(c, &f, &n))
		return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n && !memcmp(f, kinds[i].name, n) &&
		    !!ot_kind_is_exec(kinds[i].kind) == exec) {
			*kind = kinds[i].kind;
			return true;
		}
	return false;
}

static bool comm_field(struct cursor *c, struct ot_event *ev)
{
	char comm[16];
	struct strbuf sb = { comm, 0, sizeof(comm), false };
	bool cut = false;

	if (!quoted(c, &sb, &cut) || sb.cut || c->p >= c->end || *c->p++ != ' ')
		return false;
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, comm, sb.len);
	return true;
}

/* A path or an argument: quoted pieces back to back, or - when unreadable
 * (2). 0 when read, 1 when a piece carries stap's cut mark, -1 when bad. */
static int string_field(struct cursor *c, struct strbuf *sb)
{
	size_t start = sb->len;
	bool cut = false;

	if (c->p < c->end && *c->p == '-') {
		c->p++;
		return 2;
	}
	if (!quoted(c, sb, &cut))
		return -1;
	while (c->p < c->end && *c->p == '"')
		if (!quoted(c, sb, &cut))
			return -1;
	/* a NUL would end the string early in every consumer */
	if (memchr(sb->b + start, '\0', sb->len - start))
		return -1;
	return cut || sb->cut;
}

static bool plus_mark(struct cursor *c)
{
	if (c->end - c->p >= 2 && !memcmp(c->p, " +", 2) &&
	    (c->end - c->p == 2 || c->p[2] == ' ')) {
		c->p += 2;
		return true;
	}
	return false;
}

/* OT1 xenter KIND PID DFD FLAGS COMM PATH [+] | ARG... [+] */
static enum ot_stap_record parse_xenter(struct cursor *c, struct ot_stap_parsed *out)
{
	struct strbuf sb = { out->path, 0, sizeof(out->path), false };
	struct strbuf ab = { out->args, 0, sizeof(out->args), false };
	int64_t v[3];
	int i, r;

	if (!kind_field(c, &out->ev.kind, true))
		return OT_STAP_BAD;
	for (i = 0; i < 3; i++)
		if (!int_field(c, &v[i]))
			return OT_STAP_BAD;
	if (v[0] <= 0 || v[0] > INT32_MAX || v[1] < INT32_MIN || v[1] > INT32_MAX)
		return OT_STAP_BAD;
	out->ev.pid = v[0];
	out->ev.dfd = v[1];
	out->ev.flags = (uint32_t)v[2];
	if (!comm_field(c, &out->ev))
		return OT_STAP_BAD;
	r = string_field(c, &sb);
	if (r < 0)
		return OT_STAP_BAD;
	if (r == 2)
		out->ev.status |= OT_EV_PATH_UNREADABLE;
	if (plus_mark(c) || r == 1)
		out->ev.status |= OT_EV_PATH_TRUNCATED;
	if (c->end - c->p < 2 || memcmp(c->p, " |", 2))
		return OT_STAP_BAD;
	c->p += 2;
	while (c->p < c->end) {
		if (plus_mark(c)) {
			out->ev.status |= OT_EV_ARGS_TRUNCATED;
			break;
		}
		if (*c->p++ != ' ')
			return OT_STAP_BAD;
		r = string_field(c, &ab);
		if (r < 0)
			return OT_STAP_BAD;
		if (r)
			out->ev.status |= OT_EV_ARGS_TRUNCATED;
		sb_put(&ab, "", 1);
		if (ab.cut)
			out->ev.status |= OT_EV_ARGS_TRUNCATED;
	}
	if (c->p != c->end)
		return OT_STAP_BAD;
	out->ev.path = out->path;
	out->ev.path_len = sb.len;
	out->ev.args = out->args;
	/* a list cut by our bound ends with its last whole argument */
	while (ab.len && out->args[ab.len - 1] != '\0')
		ab.len--;
	out->ev.args_len = ab.len;
	return OT_STAP_XENTER;
}

/* OT1 xexit PID TS LAT TID PPID UID RET */
static enum ot_stap_record parse_xexit(struct cursor *c, struct ot_stap_parsed *out)
{
	int64_t v[7];
	int i;

	for (i = 0; i < 7; i++)
		if (!int_field(c, &v[i]))
			return OT_STAP_BAD;
	if (c->p != c->end || v[0] <= 0 || v[0] > INT32_MAX || v[1] < 0 || v[2] < 0 ||
	    v[3] <= 0 || v[3] > INT32_MAX || v[4] < 0 || v[4] > INT32_MAX || v[5] < 0 ||
	    v[5] > UINT32_MAX)
		return OT_STAP_BAD;
	out->ev.pid = v[0];
	out->ev.ts_ns = v[1];
	out->ev.latency_ns = v[2];
	out->ev.tid = v[3];
	out->ev.ppid = v[4];
	out->ev.uid = v[5];
	out->ev.ret = v[6];
	return OT_STAP_XEXIT;
}

enum ot_stap_record ot_stap_parse(const char *line, size_t len, struct ot_stap_parsed *out)
{
	struct cursor c = { line, line + len };
	struct strbuf sb;
	int64_t v[10];
	const char *f;
	size_t n, i;
	int r;

	if (len < 4 || memcmp(line, "OT1 ", 4))
		return OT_STAP_OTHER;
	c.p += 4;
	memset(&out->ev, 0, sizeof(out->ev));
	if (!field(&c, &f, &n))
		return OT_STAP_BAD;
	if (n == 5 && !memcmp(f, "ready", 5)) {
		if (!int_field(&c, &v[0]))
			return OT_STAP_BAD;
		v[1] = 0;
		if (c.p != c.end && (!int_field(&c, &v[1]) || v[1] <= 0))
			return OT_STAP_BAD;
		if (c.p != c.end)
			return OT_STAP_BAD;
		out->ts_ns = v[0];
		out->wall_ns = v[1];
		return OT_STAP_READY;
	}
	if (n == 3 && !memcmp(f, "end", 3)) {
		if (!int_field(&c, &v[0]) || c.p != c.end)
			return OT_STAP_BAD;
		out->unmatched = v[0] > 0 ? v[0] : 0;
		return OT_STAP_END;
	}
	if (n == 6 && !memcmp(f, "xenter", 6))
		return parse_xenter(&c, out);
	if (n == 5 && !memcmp(f, "xexit", 5))
		return parse_xexit(&c, out);
	if (n == 5 && !memcmp(f, "xdrop", 5)) {
		if (!int_field(&c, &v[0]) || c.p != c.end || v[0] <= 0 || v[0] > INT32_MAX)
			return OT_STAP_BAD;
		out->ev.pid = v[0];
		return OT_STAP_XDROP;
	}
	c.p = f;
	if (!kind_field(&c, &out->ev.kind, false))
		return OT_STAP_BAD;
	/* TS LAT PID TID PPID UID FLAGS MODE DFD RET */
	for (i = 0; i < 10; i++)
		if (!int_field(&c, &v[i]))
			return OT_STAP_BAD;
	if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[2] > INT32_MAX || v[3] < 0 || v[3] > INT32_MAX ||
	    v[4] < 0 || v[4] > INT32_MAX || v[5] < 0 || v[5] > UINT32_MAX || v[8] < INT32_MIN ||
	    v[8] > INT32_MAX)
		return OT_STAP_BAD;
	out->ev.ts_ns = v[0];
	out->ev.latency_ns = v[1];
	out->ev.pid = v[2];
	out->ev.tid = v[3];
	out->ev.ppid = v[4];
	out->ev.uid = v[5];
	/* open and openat pass int flags, which stap sign-extends */
	out->ev.flags = out->ev.kind == OT_KIND_OPENAT2 ? (uint64_t)v[6] : (uint32_t)v[6];
	out->ev.mode = (uint32_t)v[7];
	out->ev.dfd = (int32_t)v[8];
	out->ev.ret = v[9];

	if (!comm_field(&c, &out->ev))
		return OT_STAP_BAD;
	sb = (struct strbuf){ out->path, 0, sizeof(out->path), false };
	r = string_field(&c, &sb);
	if (r < 0)
		return OT_STAP_BAD;
	if (r == 2)
		out->ev.status |= OT_EV_PATH_UNREADABLE;
	if (plus_mark(&c) || r == 1)
		out->ev.status |= OT_EV_PATH_TRUNCATED;
	if (c.p != c.end)
		return OT_STAP_BAD;
	out->ev.path = out->path;
	out->ev.path_len = sb.len;
	return OT_STAP_EVENT;
}

