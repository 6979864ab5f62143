#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

size_t ot_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *ot_csv_quote(char *dst, const char *s, size_t n)
{
	const char *q;

	*dst++ = '"';
	while (n && (q = memchr(s, '"', n))) {
		memcpy(dst, s, q - s + 1);
		dst += q - s + 1;
		*dst++ = '"';
		n -= q - s + 1;
		s = q + 1;
	}
	memcpy(dst, s, n);
	dst += n;
	*dst++ = '"';
	return dst;
}

static const char hexdigits[] = "0123456789abcdef";

/* Valid UTF-8 that a reader at a terminal must not get as it is: the C1
 * controls (U+0080 to U+009F), which some terminals obey (U+009B is CSI),
 * and the bidirectional marks, embeddings, overrides and isolates
 * (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), with
 * which one file name can display as another. */
static bool unsafe_on_terminal(const unsigned char *p, size_t len)
{
	if (len == 2)
		return (p[0] == 0xc2 && p[1] < 0xa0) || (p[0] == 0xd8 && p[1] == 0x9c);
	if (len == 3 && p[0] == 0xe2)
		return (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
					 (p[2] >= 0xaa && p[2] <= 0xae))) ||
		       (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
	return false;
}

/* Shared walk: runs of bytes that need no escaping are written whole; the
 * caller's escape function handles the rest. For a terminal, the
 * sequences above are escaped byte by byte too. */
static void escaped(FILE *f, const char *s, size_t n,
		    void (*esc)(FILE *, unsigned char, int), bool terminal)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	const unsigned char *end = p + n;

	while (p < end) {
		size_t len;

		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\'' && *p != '\\') {
			p++;
			continue;
		}
		len = *p >= 0x80 ? ot_utf8_seq_len(p, end - p) : 0;
		if (terminal && unsafe_on_terminal(p, len))
			len = 0;
		if (len) {
			p += len;
			continue;
		}
		fwrite_unlocked(run, 1, p - run, f);
		esc(f, *p, *p >= 0x80);
		run = ++p;
	}
	fwrite_unlocked(run, 1, p - run, f);
}

static void json_esc(FILE *f, unsigned char c, int invalid)
{
	const char *short_form = NULL;

	switch (c) {
	case '"': short_form = "\\\""; break;
	case '\\': short_form = "\\\\"; break;
	case '\'': short_form = "'"; break;
	case '\n': short_form = "\\n"; break;
	case '\r': short_form = "\\r"; break;
	case '\t': short_form = "\\t"; break;
	case '\b': short_form = "\\b"; break;
	case '\f': short_form = "\\f"; break;
	}
	if (short_form) {
		fputs_unlocked(short_form, f);
		return;
	}
	fputs_unlocked(invalid ? "\\udc" : "\\u00", f);
	putc_unlocked(hexdigits[c >> 4], f);
	putc_unlocked(hexdigits[c & 15], f);
}

static void text_esc(FILE *f, unsigned char c, int invalid)
{
	switch (c) {
	case '"': putc_unlocked('"', f); return;
	case '\'': putc_unlocked('\'', f); return;
	case '\\': fputs_unlocked("\\\\", f); return;
	case '\n': fputs_unlocked("\\n", f); return;
	case '\r': fputs_unlocked("\\r", f); return;
	case '\t': fputs_unlocked("\\t", f); return;
	}
	fputs_unlocked("\\x", f);
	putc_unlocked(hexdigits[c >> 4], f);
	putc_unlocked(hexdigits[c & 15], f);
}

void ot_json_string(FILE *f, const char *s, size_t n)
{
	putc_unlocked('"', f);
	escaped(f, s, n, json_esc, false);
	putc_unlocked('"', f);
}

void ot_text_string(FILE *f, const char *s, size_t n)
{
	escaped(f, s, n, text_esc, true);
}

/* Inside $'...': as text_esc, and the quote that would end it. */
static void ansi_esc(FILE *f, unsigned char c, int invalid)
{
	if (c == '\'')
		fputs_unlocked("\\'", f);
	else
		text_esc(f, c, invalid);
}

enum word_form { WORD_BARE, WORD_SINGLE, WORD_ANSI };

static enum word_form word_form(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	enum word_form form = n ? WORD_BARE : WORD_SINGLE;

	while (p < end) {
		size_t len;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f || *p == '\\')
				return WORD_ANSI;
			if (!strchr("@%+=:,./_-", *p) && !(*p >= '0' && *p <= '9') &&
			    !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
				form = WORD_SINGLE;
			p++;
			continue;
		}
		len = ot_utf8_seq_len(p, end - p);
		if (!len || unsafe_on_terminal(p, len))
			return WORD_ANSI;
		p += len;
	}
	return form;
}

void ot_text_word(FILE *f, const char *s, size_t n, bool quote)
{
	enum word_form form = word_form(s, n);
	const char *q;

	if (form == WORD_BARE && quote)
		form = WORD_SINGLE;
	switch (form) {
	case WORD_BARE:
		fwrite_unlocked(s, 1, n, f);
		return;
	case WORD_SINGLE:
		putc_unlocked('\'', f);
		while (n && (q = memchr(s, '\'', n))) {
			fwrite_unlocked(s, 1, q - s, f);
			fputs_unlocked("'\\''", f);
			n -= q - s + 1;
			s = q + 1;
		}
		fwrite_unlocked(s, 1, n, f);
		putc_unlocked('\'', f);
		return;
	case WORD_ANSI:
		fputs_unlocked("$'", f);
		escaped(f, s, n, ansi_esc, true);
		putc_unlocked('\'', f);
		return;
	}
}

void ot_term_safe(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t len = 1;

		if (*p >= 0x80) {
			len = ot_utf8_seq_len(p, end - p);
			if (unsafe_on_terminal(p, len))
				len = 0;
		} else if ((*p < 0x20 && *p != '\n') || *p == 0x7f) {
			len = 0;
		}
		if (!len) {
			fprintf(f, "\\x%02x", *p++);
			continue;
		}
		fwrite(p, 1, len, f);
		p += len;
	}
}
