/* libFuzzer harness for the escapers (frontend/escape.c) and the one
 * formatter (frontend/output.c), through the sink's normalizer.
 *
 * The escapers (the text table's shell words among them) must be lossless and must never let a byte through that
 * could end or forge a record: each output is decoded again here, by a
 * separate reading of the format, and compared with the input. Then a
 * whole event built from the input goes through ot_sink_event in the
 * format and columns the input chooses: one of a few lists, every field
 * once (the largest record), or names the input picks, repeats and the
 * alternative names included, which must be refused exactly when some
 * field is named twice. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "output.h"
#include "sink.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A strict UTF-8 check written apart from ot_utf8_seq_len. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], cp, len, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || i + len > n)
			return false;
		cp = c & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

static char *capture(void (*put)(FILE *, const char *, size_t), const char *s, size_t n,
		     size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	if (!f)
		abort();
	put(f, s, n);
	if (fclose(f))
		abort();
	return out;
}

static void check_json(const char *s, size_t n)
{
	size_t len, i, j = 0;
	char *out = capture(ot_json_string, s, n, &len);
	unsigned char *back = malloc(n + 1);

	if (!back || len < 2 || out[0] != '"' || out[len - 1] != '"')
		abort();
	if (!valid_utf8((unsigned char *)out, len))
		abort();
	for (i = 1; i < len - 1; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == '"')
			abort();	/* would end or break the record */
		if (j >= n + 1)
			abort();
		if (c != '\\') {
			back[j++] = c;
			continue;
		}
		switch (out[++i]) {
		case '"': back[j++] = '"'; break;
		case '\\': back[j++] = '\\'; break;
		case 'n': back[j++] = '\n'; break;
		case 'r': back[j++] = '\r'; break;
		case 't': back[j++] = '\t'; break;
		case 'b': back[j++] = '\b'; break;
		case 'f': back[j++] = '\f'; break;
		case 'u':
			/* \u00XX for a control byte or DEL, \udcXX for a byte outside UTF-8 */
			if (i + 4 >= len - 1 || hexval(out[i + 3]) < 0 || hexval(out[i + 4]) < 0)
				abort();
			if (!memcmp(out + i + 1, "00", 2) && hexval(out[i + 3]) < 8)
				back[j++] = hexval(out[i + 3]) << 4 | hexval(out[i + 4]);
			else if (!memcmp(out + i + 1, "dc", 2) && hexval(out[i + 3]) >= 8)
				back[j++] = hexval(out[i + 3]) << 4 | hexval(out[i + 4]);
			else
				abort();
			i += 4;
			break;
		default:
			abort();
		}
	}
	if (j != n || memcmp(back, s, n))
		abort();
	free(back);
	free(out);
}

static void check_text(const char *s, size_t n)
{
	size_t len, i, j = 0;
	char *out = capture(ot_text_string, s, n, &len);
	unsigned char *back = malloc(n + 1);

	if (!back || !valid_utf8((unsigned char *)out, len))
		abort();
	for (i = 0; i < len; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == 0x7f)
			abort();	/* a control byte would reach the terminal */
		if (c == 0xc2 && i + 1 < len && (unsigned char)out[i + 1] < 0xa0)
			abort();	/* so would a C1 control (U+0080 to U+009F) */
		if (c == 0xe2 && i + 2 < len && !memcmp(out + i + 1, "\x80\xae", 2))
			abort();	/* a right-to-left override reorders the line */
		if (j >= n + 1)
			abort();
		if (c != '\\') {
			back[j++] = c;
			continue;
		}
		switch (out[++i]) {
		case '\\': back[j++] = '\\'; break;
		case 'n': back[j++] = '\n'; break;
		case 'r': back[j++] = '\r'; break;
		case 't': back[j++] = '\t'; break;
		case 'x':
			if (i + 2 >= len || hexval(out[i + 1]) < 0 || hexval(out[i + 2]) < 0)
				abort();
			back[j++] = hexval(out[i + 1]) << 4 | hexval(out[i + 2]);
			i += 2;
			break;
		default:
			abort();
		}
	}
	if (j != n || memcmp(back, s, n))
		abort();
	free(back);
	free(out);
}

static void word(FILE *f, const char *s, size_t n)
{
	ot_text_word(f, s, n, false);
}

/* A text word, read back as a POSIX shell (bash, for $'...') would: bare
 * (only the safe bytes, never a space, quote or [), '...' with '\'' for
 * a quote, or $'...' with text escapes and \'. */
static void check_word(const char *s, size_t n)
{
	size_t len, i, j = 0;
	char *out = capture(word, s, n, &len);
	unsigned char *back = malloc(n + 1);

	if (!back || !valid_utf8((unsigned char *)out, len) || !len)
		abort();
	for (i = 0; i < len; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == 0xc2 && i + 1 < len && (unsigned char)out[i + 1] < 0xa0)
			abort();
		if (c == 0xe2 && i + 2 < len && !memcmp(out + i + 1, "\x80\xae", 2))
			abort();
	}
	if (out[0] == '$') {
		if (len < 3 || out[1] != '\'' || out[len - 1] != '\'')
			abort();
		for (i = 2; i < len - 1; i++) {
			unsigned char c = out[i];

			if (j >= n + 1 || c == '\'')
				abort();	/* a bare quote would end the word */
			if (c != '\\') {
				back[j++] = c;
				continue;
			}
			switch (out[++i]) {
			case '\\': back[j++] = '\\'; break;
			case '\'': back[j++] = '\''; break;
			case 'n': back[j++] = '\n'; break;
			case 'r': back[j++] = '\r'; break;
			case 't': back[j++] = '\t'; break;
			case 'x':
				if (i + 2 >= len - 1 || hexval(out[i + 1]) < 0 || hexval(out[i + 2]) < 0)
					abort();
				back[j++] = hexval(out[i + 1]) << 4 | hexval(out[i + 2]);
				i += 2;
				break;
			default:
				abort();
			}
		}
	} else if (out[0] == '\'') {
		/* quoted pieces, joined by \' */
		for (i = 0; i < len;) {
			if (out[i] == '\\' && i + 1 < len && out[i + 1] == '\'') {
				back[j++] = '\'';
				i += 2;
				continue;
			}
			if (out[i++] != '\'')
				abort();
			while (i < len && out[i] != '\'') {
				if (j >= n + 1)
					abort();
				back[j++] = out[i++];
			}
			if (i++ >= len)
				abort();	/* an open quote */
		}
	} else {
		for (i = 0; i < len; i++) {
			unsigned char c = out[i];

			if (c < 0x80 && !strchr("@%+=:,./_-", c) && !(c >= '0' && c <= '9') &&
			    !((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
				abort();	/* a bare word with a shell-special byte */
			back[j++] = c;
		}
	}
	if (j != n || memcmp(back, s, n))
		abort();
	free(back);
	free(out);
}

static void check_csv(const char *s, size_t n)
{
	char *out = malloc(2 * n + 2), *end;
	size_t len, i, j = 0;

	if (!out)
		abort();
	end = ot_csv_quote(out, s, n);
	len = end - out;
	if (len < 2 || len > 2 * n + 2 || out[0] != '"' || out[len - 1] != '"')
		abort();
	for (i = 1; i < len - 1; i++) {
		if (out[i] == '"' && out[++i] != '"')
			abort();	/* a lone quote would end the field */
		if (j >= n || out[i] != s[j++])
			abort();
	}
	if (j != n)
		abort();
	free(out);
}

/* The event: a fixed header the input fills as far as it reaches, then
 * comm, path and exec arguments cut from the rest. */
struct header {
	uint8_t format, opts, kind, status;
	uint8_t comm_len, path_cut, fields, host_len;
	uint64_t flags;
	int64_t ret;
	uint64_t ts, latency;
	uint32_t pid, tid, ppid, uid, mode;
	int32_t dfd;
};

static const char *const field_lists[] = {
	"filename,comm,args",
	"args",
	"host,time,user,full_path",
};

/* Every field's name, from the message that lists the known ones. */
static char names[1024];
static const char *name_at[64];
static size_t nnames;

static void load_names(void)
{
	char err[1024], *p;

	if (nnames)
		return;
	if (!ot_output_check_fields("", err, sizeof(err)) || !(p = strstr(err, "(known: ")))
		abort();
	snprintf(names, sizeof(names), "%s", p + 8);
	names[strcspn(names, ")")] = '\0';
	for (p = strtok(names, " "); p && nnames < 62; p = strtok(NULL, " "))
		name_at[nnames++] = p;
	/* the text titles' names */
	name_at[nnames++] = "path";
	name_at[nnames++] = "ts";
}

/* path is filename, ts is ts_ns */
static const char *canonical(const char *name)
{
	return !strcmp(name, "path") ? "filename" : !strcmp(name, "ts") ? "ts_ns" : name;
}

/* A list of up to 32 names the input picks; *dup set if one repeats. */
static void pick_fields(char *list, size_t cap, const uint8_t **data, size_t *n, bool *dup)
{
	size_t count = 1, i, j, len = 0;
	const char *picked[32];

	*dup = false;
	if (*n) {
		count += **data % 32;
		(*data)++;
		(*n)--;
	}
	for (i = 0; i < count && *n; i++) {
		picked[i] = name_at[(*data)[0] % nnames];
		(*data)++;
		(*n)--;
		for (j = 0; j < i; j++)
			if (!strcmp(canonical(picked[j]), canonical(picked[i])))
				*dup = true;
		len += snprintf(list + len, cap - len, "%s%s", i ? "," : "", picked[i]);
	}
	if (!i)
		snprintf(list, cap, "pid");
}

static void check_output(const uint8_t *data, size_t size)
{
	struct header h;
	struct ot_output_spec spec;
	struct ot_sink sink;
	struct ot_event ev;
	const char *rest;
	size_t n, cut;
	char list[32 * 24], err[1024];
	bool dup = false;
	const uint8_t *p;

	load_names();
	memset(&h, 0, sizeof(h));
	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	rest = (const char *)data + (size < sizeof(h) ? size : sizeof(h));
	n = size - (size < sizeof(h) ? size : sizeof(h));

	memset(&spec, 0, sizeof(spec));
	spec.format = (enum ot_format)(h.format % 4);
	spec.path = "/dev/null";
	spec.timestamp = h.opts & 1;
	spec.uid = h.opts & 2;
	spec.extended = h.opts & 4;
	spec.ppid = h.opts & 8;
	spec.events = (h.opts >> 4) % 3 + 1;
	spec.wall_time = h.status & 0x40;
	spec.user = h.status & 0x20;
	switch (h.fields % 6) {
	case 0:
		break;
	case 1: case 2: case 3:
		spec.fields = field_lists[h.fields % 6 - 1];
		break;
	case 4:		/* every field once: the largest record */
		for (cut = 0, list[0] = '\0'; cut + 2 < nnames; cut++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 cut ? "," : "", name_at[cut]);
		spec.fields = list;
		break;
	case 5:
		p = (const uint8_t *)rest;
		pick_fields(list, sizeof(list), &p, &n, &dup);
		rest = (const char *)p;
		if (!ot_output_check_fields(list, err, sizeof(err)) == dup)
			abort();	/* a repeat accepted, or a list without one refused */
		spec.fields = list;
		if (dup) {
			if (ot_output_open(&spec, 0))
				abort();
			return;
		}
		break;
	}
	/* a host of up to 255 bytes from the input */
	cut = h.host_len < n ? h.host_len : n;
	if (h.host_len) {
		static char host[256];

		memcpy(host, rest, cut);
		host[cut] = '\0';
		spec.host = host[0] ? host : NULL;
		rest += cut;
		n -= cut;
	}

	memset(&ev, 0, sizeof(ev));
	ev.kind = (enum ot_kind)(h.kind % (OT_KIND_MAX + 1));
	ev.status = h.status;
	ev.flags = h.flags;
	ev.ret = h.ret;
	ev.ts_ns = h.ts;
	ev.latency_ns = h.latency;
	ev.pid = h.pid;
	ev.tid = h.tid;
	ev.ppid = h.ppid;
	ev.uid = h.uid;
	ev.mode = h.mode;
	ev.dfd = h.dfd;
	cut = h.comm_len % 17 < n ? h.comm_len % 17 : n;
	memcpy(ev.comm, rest, cut < sizeof(ev.comm) ? cut : sizeof(ev.comm));
	rest += cut;
	n -= cut;
	cut = n ? h.path_cut * n / 255 : 0;
	ev.path = rest;
	ev.path_len = cut;
	/* with -F, the full path is the path as read, whatever it holds */
	if (h.status & 0x80) {
		ev.full_path = rest;
		ev.full_path_len = cut;
	}
	ev.args = rest + cut;
	ev.args_len = n - cut;

	memset(&sink, 0, sizeof(sink));
	sink.out = ot_output_open(&spec, h.ts / 2);
	if (!sink.out)
		abort();
	ot_sink_event(&sink, &ev);
	ot_sink_event(&sink, &ev);	/* the flags string is cached */
	if (ot_output_close(sink.out, &sink.stats))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_json((const char *)data, size);
	check_text((const char *)data, size);
	check_word((const char *)data, size);
	check_csv((const char *)data, size);
	check_output(data, size);
	return 0;
}
