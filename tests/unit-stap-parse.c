/* The stap record parser on good and hostile records: every byte a path
 * can hold comes back, and nothing that is not a whole record becomes an
 * event. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stap/stap.h"

static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);         \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			failures++;                                             \
		}                                                               \
	} while (0)

static struct ot_stap_parsed rec;

static enum ot_stap_record parse(const char *line)
{
	return ot_stap_parse(line, strlen(line), &rec);
}

static void expect_path(const char *line, const char *path, size_t len, unsigned status)
{
	enum ot_stap_record r = parse(line);

	CHECK(r == OT_STAP_EVENT, "not an event: %s", line);
	if (r != OT_STAP_EVENT)
		return;
	CHECK(rec.ev.path_len == len && !memcmp(rec.ev.path, path, len),
	      "path of %s: got %zu bytes '%.*s'", line, rec.ev.path_len, (int)rec.ev.path_len,
	      rec.ev.path);
	CHECK(rec.ev.status == status, "status of %s: %u, not %u", line, rec.ev.status, status);
}

static void expect_bad(const char *line)
{
	enum ot_stap_record r = parse(line);

	CHECK(r == OT_STAP_BAD, "accepted: %s (%d)", line, r);
}

#define HEAD "OT1 openat 1000 20 42 43 1 1000 577 420 -100 3 \"cat\" "

static void test_fields(void)
{
	CHECK(parse(HEAD "\"/etc/passwd\"") == OT_STAP_EVENT, "plain record");
	CHECK(rec.ev.kind == OT_KIND_OPENAT && rec.ev.ts_ns == 1000 && rec.ev.latency_ns == 20 &&
	      rec.ev.pid == 42 && rec.ev.tid == 43 && rec.ev.ppid == 1 && rec.ev.uid == 1000 &&
	      rec.ev.flags == 577 && rec.ev.mode == 420 && rec.ev.dfd == -100 && rec.ev.ret == 3,
	      "fields");
	CHECK(!strcmp(rec.ev.comm, "cat"), "comm '%s'", rec.ev.comm);

	CHECK(parse("OT1 open 5 1 7 7 1 0 -2147483648 0 -100 -2 \"x\" \"/a\"") == OT_STAP_EVENT,
	      "open with a sign-extended int flag");
	CHECK(rec.ev.flags == 0x80000000u && rec.ev.ret == -2 && rec.ev.kind == OT_KIND_OPEN,
	      "flags %#llx", (unsigned long long)rec.ev.flags);
	CHECK(parse("OT1 openat2 5 1 7 7 1 0 4294967296 0 3 4 \"x\" \"/a\"") == OT_STAP_EVENT &&
	      rec.ev.flags == 1ull << 32 && rec.ev.dfd == 3, "openat2 keeps 64-bit flags");
	CHECK(parse("OT1 creat 5 1 7 7 1 0 577 384 -100 4 \"x\" \"/a\"") == OT_STAP_EVENT &&
	      rec.ev.kind == OT_KIND_CREAT, "creat");

	CHECK(parse("OT1 ready 123456789") == OT_STAP_READY && rec.ts_ns == 123456789 &&
	      rec.wall_ns == 0, "ready");
	CHECK(parse("OT1 ready 123456789 1763840000000000000") == OT_STAP_READY &&
	      rec.ts_ns == 123456789 && rec.wall_ns == 1763840000000000000ull, "ready with a wall clock");
	CHECK(parse("OT1 end 4") == OT_STAP_END && rec.unmatched == 4, "end");
	CHECK(parse("Pass 5: starting run.") == OT_STAP_OTHER, "other");
	CHECK(parse("") == OT_STAP_OTHER, "empty line");
	CHECK(parse("OT1") == OT_STAP_OTHER, "prefix alone");
}

#define PRINTABLE " !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\177\200\377"
#define EXPECT_PATH(line, lit, status) expect_path(line, lit, sizeof(lit) - 1, status)

static void test_paths(void)
{
	static const char all[] = "\"\\001\\002\\003\\004\\005\\006\\a\\b\\t\\n\\v\\f\\r\\016\\037"
				  " !\\\"#$%&'()*+,-./09:;<=>?@AZ[\\\\]^_`az{|}~\\177\\200\\377\"";
	char line[1024], want[64];
	size_t n = 0;
	int c;

	/* escapes, one of each kind, and bytes that are not UTF-8 */
	for (c = 1; c <= 7; c++)
		want[n++] = c;
	memcpy(want + n, "\b\t\n\v\f\r\016\037", 8);
	n += 8;
	memcpy(want + n, PRINTABLE, sizeof(PRINTABLE) - 1);
	n += sizeof(PRINTABLE) - 1;
	snprintf(line, sizeof(line), HEAD "%s", all);
	expect_path(line, want, n, 0);

	/* UTF-8 comes back as the bytes it was */
	EXPECT_PATH(HEAD "\"caf\\u00e9/\\u20ac/\\U0001f600\"",
		    "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", 0);
	/* pieces back to back, split even inside a UTF-8 sequence */
	expect_path(HEAD "\"/tmp/ab\"\"cd\\303\"\"\\251\"", "/tmp/abcd\xc3\xa9", 11, 0);
	/* a record inside a path is data */
	expect_path(HEAD "\"a\\nOT1 openat 1 1 1 1 1 1 1 1 1 1 \\\"x\\\" \\\"/etc/shadow\\\"\"",
		    "a\nOT1 openat 1 1 1 1 1 1 1 1 1 1 \"x\" \"/etc/shadow\"",
		    sizeof("a\nOT1 openat 1 1 1 1 1 1 1 1 1 1 \"x\" \"/etc/shadow\"") - 1, 0);
	/* marks: cut by us beyond PATH_MAX, cut by stap, unreadable */
	expect_path(HEAD "\"/long\" +", "/long", 5, OT_EV_PATH_TRUNCATED);
	expect_path(HEAD "\"/lo\"...", "/lo", 3, OT_EV_PATH_TRUNCATED);
	expect_path(HEAD "\"/lo\"...\"ng\"", "/long", 5, OT_EV_PATH_TRUNCATED);
	expect_path(HEAD "\"/lo\"...\"ng\" +", "/long", 5, OT_EV_PATH_TRUNCATED);
	expect_path(HEAD "-", "", 0, OT_EV_PATH_UNREADABLE);
	expect_path(HEAD "\"\"", "", 0, 0);
	/* a path that ends in what looks like a mark is still the path */
	expect_path(HEAD "\"x +\"", "x +", 3, 0);
	expect_path(HEAD "\"...\"", "...", 3, 0);
	/* raw bytes stap would have escaped are still taken as bytes */
	expect_path(HEAD "\"\xff\t\"", "\xff\t", 2, 0);
}

static void test_hostile(void)
{
	char *huge;
	size_t i, n;

	expect_bad("OT1 ");
	expect_bad("OT1 openat");
	expect_bad("OT1 unlink 1 1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat x 1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat 1 1 -1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 4294967296 1 1 1 1 \"x\" \"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 1 1 1 1 99999999999999999999 \"x\" \"/a\"");
	expect_bad("OT1 openat 1  1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");
	expect_bad(HEAD "\"/a");			/* unterminated */
	expect_bad(HEAD "\"/a\\\"");			/* escaped closing quote */
	expect_bad(HEAD "\"/a\\");			/* lone backslash */
	expect_bad(HEAD "\"/a\\q\"");			/* unknown escape */
	expect_bad(HEAD "\"/a\\400\"");			/* octal beyond a byte */
	expect_bad(HEAD "\"/a\\000\"");			/* a NUL would cut the path */
	expect_bad(HEAD "\"/a\\u12\"");			/* short \u */
	expect_bad(HEAD "\"/a\\ud800\"");		/* a surrogate */
	expect_bad(HEAD "\"/a\\u0041\"");		/* ASCII is never \u */
	expect_bad(HEAD "\"/a\\U00110000\"");		/* beyond Unicode */
	expect_bad(HEAD "/a");				/* unquoted */
	expect_bad(HEAD "\"/a\" ");
	expect_bad(HEAD "\"/a\" +x");
	expect_bad(HEAD "\"/a\" \"/b\"");
	expect_bad(HEAD "-\"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 1 1 1 1 1 \"seventeen bytes!!\" \"/a\"");
	expect_bad("OT1 openat 1 1 1 1 1 1 1 1 1 1 x \"/a\"");
	expect_bad("OT1 ready");
	expect_bad("OT1 ready 1 2 3");
	expect_bad("OT1 ready 1 0");
	expect_bad("OT1 ready 1 -5");
	expect_bad("OT1 end x");

	/* a path far beyond PATH_MAX is cut at the parser's bound, marked */
	n = OT_STAP_PATH_MAX * 3;
	huge = malloc(n + 200);
	if (!huge)
		abort();
	i = (size_t)sprintf(huge, HEAD "\"");
	memset(huge + i, 'a', n);
	strcpy(huge + i + n, "\"");
	CHECK(parse(huge) == OT_STAP_EVENT && rec.ev.path_len == OT_STAP_PATH_MAX &&
	      rec.ev.status == OT_EV_PATH_TRUNCATED, "huge path: %zu", rec.ev.path_len);
	free(huge);
}

/* The largest exec record the script prints: 128 arguments of 256 bytes,
 * every byte escaped to four characters. */
static void test_exec_largest(void)
{
	size_t cap = 200 * 1024, n, i, j;
	char *line = malloc(cap);

	if (!line)
		abort();
	n = (size_t)sprintf(line, "OT1 xenter execve 42 -100 0 \"sh\" \"/bin/x\" |");
	for (i = 0; i < 128; i++) {
		n += (size_t)sprintf(line + n, " \"");
		for (j = 0; j < 256; j++)
			n += (size_t)sprintf(line + n, "\\377");
		n += (size_t)sprintf(line + n, "\"");
	}
	strcpy(line + n, " +");
	CHECK(parse(line) == OT_STAP_XENTER && rec.ev.args_len == 128 * 257 &&
	      rec.ev.status == OT_EV_ARGS_TRUNCATED && (unsigned char)rec.ev.args[0] == 0xff &&
	      rec.ev.args[256] == '\0', "the largest exec record: %zu bytes of arguments",
	      rec.ev.args_len);
	free(line);
}

static void test_exec(void)
{
	static const char want_args[] = "/bin/echo\0a b\0line1\nline2\0caf\xc3\xa9\0";

	CHECK(parse("OT1 xenter execve 42 -100 0 \"sh\" \"/bin/echo\" | \"/bin/echo\" \"a b\" "
		    "\"line1\\nline2\" \"caf\\u00e9\"") == OT_STAP_XENTER, "xenter");
	CHECK(rec.ev.kind == OT_KIND_EXECVE && rec.ev.pid == 42 && rec.ev.dfd == -100 &&
	      !strcmp(rec.ev.comm, "sh") && rec.ev.status == 0, "xenter fields");
	CHECK(rec.ev.args_len == sizeof(want_args) - 1 &&
	      !memcmp(rec.ev.args, want_args, rec.ev.args_len), "xenter args (%zu bytes)",
	      rec.ev.args_len);
	CHECK(parse("OT1 xenter execveat 7 3 4096 \"sh\" \"\" |") == OT_STAP_XENTER &&
	      rec.ev.args_len == 0 && rec.ev.kind == OT_KIND_EXECVEAT && rec.ev.flags == 4096,
	      "xenter without arguments");
	CHECK(parse("OT1 xenter execve 7 -100 0 \"sh\" \"/x\" + | \"a\" - \"b\"...\"c\" +") ==
	      OT_STAP_XENTER && rec.ev.status == (OT_EV_PATH_TRUNCATED | OT_EV_ARGS_TRUNCATED) &&
	      rec.ev.args_len == 6 && !memcmp(rec.ev.args, "a\0\0bc\0", 6), "xenter marks");
	CHECK(parse("OT1 xenter execve 7 -100 0 \"sh\" - | \"+\"") == OT_STAP_XENTER &&
	      rec.ev.status == OT_EV_PATH_UNREADABLE && rec.ev.args_len == 2, "an argument '+'");
	CHECK(parse("OT1 xexit 42 2000 100 43 1 1000 -2") == OT_STAP_XEXIT && rec.ev.pid == 42 &&
	      rec.ev.ts_ns == 2000 && rec.ev.latency_ns == 100 && rec.ev.tid == 43 &&
	      rec.ev.ppid == 1 && rec.ev.uid == 1000 && rec.ev.ret == -2, "xexit");
	CHECK(parse("OT1 xdrop 42") == OT_STAP_XDROP && rec.ev.pid == 42, "xdrop");

	expect_bad("OT1 xenter openat 42 -100 0 \"sh\" \"/x\" |");	/* not an exec */
	expect_bad("OT1 execve 1 1 1 1 1 1 1 1 1 1 \"x\" \"/a\"");		/* an exec as an open */
	expect_bad("OT1 xenter execve 42 -100 0 \"sh\" \"/x\"");		/* no | */
	expect_bad("OT1 xenter execve 42 -100 0 \"sh\" \"/x\" | \"a\"\"");
	expect_bad("OT1 xenter execve 42 -100 0 \"sh\" \"/x\" |  \"a\"");
	expect_bad("OT1 xenter execve 42 -100 0 \"sh\" \"/x\" | a");
	expect_bad("OT1 xenter execve 42 -100 0 \"sh\" \"/x\" | \"a\\000\"");
	expect_bad("OT1 xenter execve 0 -100 0 \"sh\" \"/x\" |");
	expect_bad("OT1 xexit 42 2000 100 43 1 1000");
	expect_bad("OT1 xexit 42 2000 100 43 1 1000 0 9");
	expect_bad("OT1 xdrop");
	expect_bad("OT1 xdrop -1");
	test_exec_largest();
}

int main(void)
{
	test_fields();
	test_paths();
	test_hostile();
	test_exec();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
