/* How untrusted bytes are written in CSV, JSON and text. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

static int failures;

static void check(void (*fn)(FILE *, const char *, size_t), const char *name,
		  const char *in, size_t n, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		exit(99);
	fn(f, in, n);
	fclose(f);
	if (len != strlen(want) || memcmp(buf, want, len)) {
		failures++;
		fprintf(stderr, "FAIL %s(%zu bytes): got [%.*s], want [%s]\n", name, n, (int)len, buf, want);
	}
	free(buf);
}

/* CSV fields are built in memory: room for every byte doubled and quotes */
static void csv_string(FILE *f, const char *s, size_t n)
{
	char *buf = malloc(2 * n + 2), *end;

	if (!buf)
		exit(99);
	end = ot_csv_quote(buf, s, n);
	fwrite(buf, 1, end - buf, f);
	free(buf);
}

#define CSV(in, want) check(csv_string, "csv", in, sizeof(in) - 1, want)
#define JSON(in, want) check(ot_json_string, "json", in, sizeof(in) - 1, want)
#define TEXT(in, want) check(ot_text_string, "text", in, sizeof(in) - 1, want)

static void word(FILE *f, const char *s, size_t n)
{
	ot_text_word(f, s, n, false);
}

static void quoted_word(FILE *f, const char *s, size_t n)
{
	ot_text_word(f, s, n, true);
}

#define WORD(in, want) check(word, "word", in, sizeof(in) - 1, want)
#define QWORD(in, want) check(quoted_word, "quoted word", in, sizeof(in) - 1, want)

int main(void)
{
	CSV("/etc/passwd", "\"/etc/passwd\"");
	CSV("", "\"\"");
	CSV("a\"b", "\"a\"\"b\"");
	CSV("\"\"", "\"\"\"\"\"\"");
	CSV("a,b\nc\r\td", "\"a,b\nc\r\td\"");
	CSV("\xff\xfe", "\"\xff\xfe\"");

	JSON("/etc/passwd", "\"/etc/passwd\"");
	JSON("a\"b\\c", "\"a\\\"b\\\\c\"");
	JSON("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	JSON("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	JSON("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	JSON("bad\xff", "\"bad\\udcff\"");
	JSON("\xc3", "\"\\udcc3\"");			/* truncated sequence */
	JSON("\xc0\x80", "\"\\udcc0\\udc80\"");		/* overlong NUL */
	JSON("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");	/* UTF-16 surrogate */
	JSON("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");	/* past U+10FFFF */
	JSON("\xe2\x82", "\"\\udce2\\udc82\"");
	JSON("}{\"pid\":1", "\"}{\\\"pid\\\":1\"");

	TEXT("/etc/passwd", "/etc/passwd");
	TEXT("a b\"c", "a b\"c");
	TEXT("new\nline\ttab\rcr", "new\\nline\\ttab\\rcr");
	TEXT("back\\slash", "back\\\\slash");
	TEXT("bad\xff\x01", "bad\\xff\\x01");
	TEXT("caf\xc3\xa9", "caf\xc3\xa9");
	/* C1 controls, valid UTF-8 that some terminals obey: U+009B is CSI */
	TEXT("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	TEXT("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0");
	JSON("\xc2\x9b", "\"\xc2\x9b\"");
	/* bidirectional controls, with which a name displays as another */
	TEXT("a\xe2\x80\xaetxt.exe", "a\\xe2\\x80\\xaetxt.exe");
	TEXT("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c",
	     "\\xe2\\x81\\xa6\\xe2\\x81\\xa9\\xe2\\x80\\x8f\\xd8\\x9c");
	TEXT("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5", "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5");
	JSON("\xe2\x80\xae", "\"\xe2\x80\xae\"");
	TEXT("\x7f", "\\x7f");
	TEXT("it's", "it's");
	JSON("it's", "\"it's\"");

	/* text words: what a shell reads back as the same bytes */
	WORD("/etc/ld.so.cache", "/etc/ld.so.cache");
	WORD("a-b_c+d=e:f,g@h%i", "a-b_c+d=e:f,g@h%i");
	WORD("caf\xc3\xa9", "caf\xc3\xa9");
	WORD("", "''");
	WORD("x [truncated]", "'x [truncated]'");
	WORD("[unreadable]", "'[unreadable]'");
	WORD("...", "...");
	WORD("a\", \"b", "'a\", \"b'");
	WORD("it's", "'it'\\''s'");
	WORD("''", "''\\'''\\'''");
	WORD("$HOME;*", "'$HOME;*'");
	WORD("back\\slash", "$'back\\\\slash'");
	WORD("new\nline's", "$'new\\nline\\'s'");
	WORD("bad\xff", "$'bad\\xff'");
	WORD("\xc2\x9b" "2J", "$'\\xc2\\x9b2J'");
	WORD("a\xe2\x80\xaetxt.exe", "$'a\\xe2\\x80\\xaetxt.exe'");
	WORD("\x1b]2;x\a", "$'\\x1b]2;x\\x07'");
	QWORD("nobody", "'nobody'");
	QWORD("", "''");
	QWORD("\n", "$'\\n'");

	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
