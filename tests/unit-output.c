/* The formatter given the largest events it can get: every field once,
 * and a path, full path, argv, comm and host made of the bytes that grow
 * most in each encoding (a quote doubles in CSV; a control byte becomes
 * six in JSON, whose text CSV then quotes again). Each CSV record is read
 * back and compared; under AddressSanitizer (.ci/hardening) a record that
 * outgrew its buffer stops the test at once. A field list that names a
 * field twice is refused: records are sized per column. And the marks
 * backends set (unfinished, read at exit, unreadable argv), in exact rows. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "output.h"
#include "sink.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL: " __VA_ARGS__);			\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* One RFC 4180 field at *p: its bytes into out (NUL-terminated), *p past
 * it and its separator; *last set when the separator ended the record. */
static size_t csv_field(const char **p, char *out, bool *last)
{
	const char *s = *p;
	size_t n = 0;

	if (*s != '"') {
		while (*s && *s != ',' && *s != '\n')
			out[n++] = *s++;
	} else {
		for (s++; *s; s++) {
			if (*s == '"' && s[1] != '"')
				break;
			if (*s == '"')
				s++;
			out[n++] = *s;
		}
		s++;
	}
	out[n] = '\0';
	*last = *s != ',';
	*p = *s ? s + 1 : s;
	return n;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(4 << 20);

	if (!f || !buf)
		exit(99);
	*len = fread(buf, 1, (4 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Every field, from the message that lists the known ones. */
static char *all_fields(void)
{
	char err[1024], *list, *p;

	if (!ot_output_check_fields("no-such-field", err, sizeof(err)))
		exit(99);
	p = strstr(err, "(known: ");
	if (!p)
		exit(99);
	list = strdup(p + 8);
	if (!list)
		exit(99);
	list[strcspn(list, ")")] = '\0';
	for (p = list; *p; p++)
		if (*p == ' ')
			*p = ',';
	return list;
}

static void run(enum ot_format format, const char *fields, const struct ot_event *ev,
		const char *path)
{
	struct ot_output_spec spec;
	struct ot_sink sink;

	memset(&spec, 0, sizeof(spec));
	spec.format = format;
	spec.path = path;
	spec.fields = fields;
	spec.host = ev->comm[0] ? "h" : NULL;
	memset(&sink, 0, sizeof(sink));
	sink.out = ot_output_open(&spec, 0);
	if (!sink.out)
		exit(99);
	ot_sink_event(&sink, ev);
	ot_sink_event(&sink, ev);
	if (ot_output_close(sink.out, &sink.stats))
		exit(99);
}

/* One event in one format and field list, compared with want exactly. */
static void exact(enum ot_format format, const char *fields, const struct ot_event *ev,
		  const char *path, const char *want)
{
	struct ot_output_spec spec;
	struct ot_sink sink;
	size_t len;
	char *got;

	memset(&spec, 0, sizeof(spec));
	spec.format = format;
	spec.path = path;
	spec.fields = fields;
	memset(&sink, 0, sizeof(sink));
	sink.out = ot_output_open(&spec, 0);
	if (!sink.out)
		exit(99);
	ot_sink_event(&sink, ev);
	if (ot_output_close(sink.out, &sink.stats))
		exit(99);
	got = slurp(path, &len);
	CHECK(!strcmp(got, want), "format %d, %s: got [%s], want [%s]", format, fields, got, want);
	free(got);
}

/* What the backends mark: an open still blocked when the trace ended, a
 * path read at exit (where the entry read faulted), an exec whose argv
 * could not be read. */
static void marks(const char *path)
{
	struct ot_event ev;
	const char *f = "kind,return,fd,errno,filename,unfinished,path_at_exit";

	memset(&ev, 0, sizeof(ev));
	strcpy(ev.comm, "sh");
	ev.kind = OT_KIND_OPENAT;
	ev.path = "/fifo";
	ev.path_len = 5;
	ev.status = OT_EV_UNFINISHED;
	exact(OT_FORMAT_CSV, f, &ev, path, "kind,return,fd,errno,filename,unfinished,path_at_exit\n"
	      "\"openat\",,,,\"/fifo\",1,0\n");
	exact(OT_FORMAT_JSONL, f, &ev, path, "{\"type\":\"event\",\"kind\":\"openat\",\"return\":null,"
	      "\"fd\":null,\"errno\":null,\"filename\":\"/fifo\",\"unfinished\":true,"
	      "\"path_at_exit\":false}\n{\"type\":\"summary\",\"events\":1,\"lost\":0,"
	      "\"unmatched\":0}\n");
	exact(OT_FORMAT_TEXT, "fd,errno,filename", &ev, path,
	      " FD ERR          PATH\n  ? <unfinished> /fifo\n");

	ev.status = OT_EV_PATH_AT_EXIT;
	ev.ret = 3;
	exact(OT_FORMAT_CSV, f, &ev, path, "kind,return,fd,errno,filename,unfinished,path_at_exit\n"
	      "\"openat\",3,3,,\"/fifo\",0,1\n");
	exact(OT_FORMAT_TEXT, "fd,errno,filename", &ev, path,
	      " FD ERR          PATH\n  3 0            /fifo [read at exit]\n");

	ev.kind = OT_KIND_EXECVE;
	ev.status = OT_EV_ARGS_UNREADABLE;
	ev.ret = -14;
	ev.args = "";
	ev.args_len = 0;
	exact(OT_FORMAT_CSV, "kind,return,errno,args", &ev, path,
	      "kind,return,errno,args\n\"execve\",-14,\"EFAULT\",\n");
	exact(OT_FORMAT_JSONL, "kind,args", &ev, path, "{\"type\":\"event\",\"kind\":\"execve\","
	      "\"args\":null}\n{\"type\":\"summary\",\"events\":1,\"lost\":0,\"unmatched\":0}\n");
	exact(OT_FORMAT_TEXT, "return,args", &ev, path, " RET ARGS\n -14 [unreadable]\n");
}

int main(void)
{
	static char path[4096], full[8192], args[128 * 256], host[256];
	char tmp[] = "/tmp/unit-output.XXXXXX", err[1024], *fields = all_fields();
	const char *names[] = { "filename", "full_path", "comm", NULL };
	struct ot_output_spec spec;
	struct ot_sink sink;
	struct ot_event ev;
	size_t i, len;
	char *csv, *val, *vals[64];
	const char *p;
	int fd, ncols = 0, k;
	enum ot_format fmt;
	bool last = false;

	CHECK(ot_output_check_fields("args,args", err, sizeof(err)) &&
	      !strcmp(err, "--fields: the field args is named twice; name each field once"),
	      "args,args: %s", err);
	CHECK(ot_output_check_fields("pid,path,comm,filename", err, sizeof(err)),
	      "path and filename are one field");
	CHECK(ot_output_check_fields("full_path,pid,full_path", err, sizeof(err)), "full_path twice");
	CHECK(!ot_output_check_fields(fields, err, sizeof(err)), "every field once: %s", err);

	fd = mkstemp(tmp);
	if (fd < 0)
		return 99;
	close(fd);

	memset(path, '"', sizeof(path));
	memset(full, '"', sizeof(full));
	memset(host, '"', sizeof(host) - 1);
	/* 128 arguments of 255 bytes: control bytes, invalid bytes, quotes */
	for (i = 0; i < 128; i++) {
		memset(args + 256 * i, i % 3 == 0 ? '\x01' : i % 3 == 1 ? '\xff' : '"', 255);
		args[256 * i + 255] = '\0';
	}
	memset(&ev, 0, sizeof(ev));
	memset(ev.comm, '"', 16);
	ev.kind = OT_KIND_EXECVE;
	ev.ret = -4095;
	ev.flags = ~0ull;
	ev.mode = ~0u;
	ev.ts_ns = ~0ull;
	ev.latency_ns = ~0ull;
	ev.uid = 4000000000u;
	ev.path = path;
	ev.path_len = sizeof(path);
	ev.full_path = full;
	ev.full_path_len = sizeof(full);
	ev.args = args;
	ev.args_len = sizeof(args);
	ev.status = ~(unsigned)OT_EV_ARGS_UNREADABLE;

	for (fmt = OT_FORMAT_TEXT; fmt <= OT_FORMAT_JSONL; fmt++) {
		run(fmt, fields, &ev, tmp);
		ev.kind = OT_KIND_OPENAT;
		run(fmt, fields, &ev, tmp);
		ev.kind = OT_KIND_EXECVE;
	}

	marks(tmp);

	/* the CSV record, read back: every string field whole */
	memset(&spec, 0, sizeof(spec));
	spec.format = OT_FORMAT_CSV;
	spec.path = tmp;
	spec.fields = fields;
	spec.host = host;
	memset(&sink, 0, sizeof(sink));
	sink.out = ot_output_open(&spec, 0);
	if (!sink.out)
		return 99;
	ot_sink_event(&sink, &ev);
	if (ot_output_close(sink.out, &sink.stats))
		return 99;
	csv = slurp(tmp, &len);
	val = malloc(len + 1);
	if (!val)
		return 99;
	for (p = csv; !last && ncols < 64; ncols++) {
		csv_field(&p, val, &last);
		vals[ncols] = strdup(val);
	}
	for (k = 0; k < ncols; k++) {
		size_t n = csv_field(&p, val, &last);

		if (!strcmp(vals[k], "filename"))
			CHECK(n == sizeof(path) && !memcmp(val, path, n), "filename read back");
		else if (!strcmp(vals[k], "full_path"))
			CHECK(n == sizeof(full) && !memcmp(val, full, n), "full_path read back");
		else if (!strcmp(vals[k], "comm"))
			CHECK(n == 16 && !memcmp(val, ev.comm, n), "comm read back");
		else if (!strcmp(vals[k], "host"))
			CHECK(n == strlen(host) && !memcmp(val, host, n), "host read back");
		else if (!strcmp(vals[k], "args"))
			CHECK(n > sizeof(args) && val[0] == '[' && val[n - 1] == ']', "args read back");
		free(vals[k]);
	}
	CHECK(last && *p == '\0', "one record, and nothing after it");
	for (i = 0; names[i]; i++)
		CHECK(strstr(fields, names[i]), "%s is a field", names[i]);
	free(val);
	free(csv);
	free(fields);
	unlink(tmp);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
