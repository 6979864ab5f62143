#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "flags.h"
#include "msg.h"
#include "output.h"

enum field {
	F_TS, F_PID, F_TID, F_PPID, F_UID, F_CGID, F_COMM, F_KIND, F_DFD,
	F_FLAGS, F_FLAGS_STR, F_MODE, F_FILENAME, F_RETURN, F_FD, F_ERRNO,
	F_LATENCY, F_TRUNCATED, F_SLOT, F_FULL_PATH, F_FULL_TRUNCATED, F_ARGS,
	F_ARGS_TRUNCATED, F_MAX
};

struct field_desc {
	const char *name;	/* CSV column and JSON key */
	const char *title;	/* text column header */
	int width;		/* text column width; negative: left-aligned */
};

static const struct field_desc fields[F_MAX] = {
	[F_TS] = { "ts_ns", "TIME(s)", -14 },
	[F_PID] = { "pid", "PID", -7 },
	[F_TID] = { "tid", "TID", -7 },
	[F_PPID] = { "ppid", "PPID", -7 },
	[F_UID] = { "uid", "UID", -6 },
	[F_CGID] = { "cgid", "CGID", -8 },
	[F_COMM] = { "comm", "COMM", -16 },
	[F_KIND] = { "kind", "KIND", -8 },
	[F_DFD] = { "dfd", "DFD", -9 },
	[F_FLAGS] = { "flags", "FLAGS", -8 },
	[F_FLAGS_STR] = { "flags_str", "FLAGS", -24 },
	[F_MODE] = { "mode", "MODE", -5 },
	[F_FILENAME] = { "filename", "PATH", 0 },
	[F_RETURN] = { "return", "RET", 4 },
	[F_FD] = { "fd", "FD", 3 },
	[F_ERRNO] = { "errno", "ERR", -7 },
	[F_LATENCY] = { "latency_ns", "LAT(us)", 9 },
	[F_TRUNCATED] = { "truncated", "TRUNC", -5 },
	[F_SLOT] = { "slot", "SLOT", 4 },
	[F_FULL_PATH] = { "full_path", "PATH", 0 },
	[F_FULL_TRUNCATED] = { "full_path_truncated", "FTRUNC", -6 },
	[F_ARGS] = { "args", "ARGS", 0 },
	[F_ARGS_TRUNCATED] = { "args_truncated", "ATRUNC", -6 },
};

/* Existing opentrace users post-process the first eight CSV columns. */
static const enum field csv_default[] = {
	F_PID, F_CGID, F_COMM, F_KIND, F_FLAGS, F_MODE, F_FILENAME, F_RETURN,
	F_TS, F_TID, F_PPID, F_UID, F_DFD, F_FLAGS_STR, F_ERRNO, F_LATENCY, F_TRUNCATED, F_SLOT,
};
static const enum field json_default[] = {
	F_TS, F_PID, F_TID, F_PPID, F_UID, F_CGID, F_COMM, F_KIND, F_DFD, F_FLAGS,
	F_FLAGS_STR, F_MODE, F_FILENAME, F_RETURN, F_ERRNO, F_LATENCY, F_TRUNCATED, F_SLOT,
};

struct ot_output {
	FILE *f;
	const char *name;
	enum ot_format format;
	enum field cols[F_MAX];
	size_t ncols;
	uint64_t start_ns;
	uint64_t records;
	bool exec_only;		/* execsnoop's table: PCOMM for COMM */
	bool stream;		/* a pipe or socket, whose reader can go away */
	bool failed;
	/* CSV: the record being built, handed to stdio whole */
	char *rec;
	size_t rec_cap;
	/* the symbolic form of the last flags seen, which repeat */
	uint64_t flags_key;
	bool flags_valid;
	size_t flags_len;
	char flags_str[256];
};

static int field_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < F_MAX; i++)
		if (strlen(fields[i].name) == len && !strncmp(fields[i].name, name, len))
			return i;
	/* the text titles' names are accepted too */
	if (len == 4 && !strncmp(name, "path", 4))
		return F_FILENAME;
	if (len == 2 && !strncmp(name, "ts", 2))
		return F_TS;
	return -1;
}

static int parse_fields(const char *list, enum field *cols, size_t *ncols,
			char *err, size_t errlen)
{
	const char *p = list;

	*ncols = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		int f = field_lookup(p, len);

		if (f < 0) {
			snprintf(err, errlen, "--fields: unknown field '%.*s' (known: ts_ns pid tid "
				 "ppid uid cgid comm kind dfd flags flags_str mode filename return "
				 "fd errno latency_ns truncated slot full_path full_path_truncated args "
				 "args_truncated)",
				 (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		if (*ncols == F_MAX) {
			snprintf(err, errlen, "--fields: more than %d fields", F_MAX);
			return -1;
		}
		cols[(*ncols)++] = f;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int ot_output_check_fields(const char *list, char *err, size_t errlen)
{
	enum field cols[F_MAX];
	size_t n;

	return parse_fields(list, cols, &n, err, errlen);
}

static void default_columns(struct ot_output *o, const struct ot_output_spec *spec)
{
	const enum field *src = csv_default;
	size_t n = sizeof(csv_default) / sizeof(csv_default[0]);

	o->ncols = 0;
	if (spec->format == OT_FORMAT_TEXT && spec->events == OT_EVENTS_EXEC) {
		/* execsnoop's table */
		o->exec_only = true;
		if (spec->timestamp)
			o->cols[o->ncols++] = F_TS;
		if (spec->uid)
			o->cols[o->ncols++] = F_UID;
		o->cols[o->ncols++] = F_COMM;
		o->cols[o->ncols++] = F_PID;
		o->cols[o->ncols++] = F_PPID;
		o->cols[o->ncols++] = F_RETURN;
		o->cols[o->ncols++] = F_ARGS;
		return;
	}
	if (spec->format == OT_FORMAT_TEXT) {
		/* opensnoop's table, widened by -T, -U and -e; exec rows show
		 * their arguments in the PATH column */
		if (spec->timestamp)
			o->cols[o->ncols++] = F_TS;
		if (spec->uid)
			o->cols[o->ncols++] = F_UID;
		o->cols[o->ncols++] = F_PID;
		if (spec->ppid)
			o->cols[o->ncols++] = F_PPID;
		o->cols[o->ncols++] = F_COMM;
		if ((spec->events & OT_EVENTS_EXEC) && !spec->extended)
			o->cols[o->ncols++] = F_KIND;
		o->cols[o->ncols++] = F_FD;
		o->cols[o->ncols++] = F_ERRNO;
		if (spec->extended) {
			o->cols[o->ncols++] = F_KIND;
			o->cols[o->ncols++] = F_FLAGS_STR;
			o->cols[o->ncols++] = F_MODE;
			o->cols[o->ncols++] = F_LATENCY;
		}
		o->cols[o->ncols++] = spec->full_path ? F_FULL_PATH : F_FILENAME;
		return;
	}
	if (spec->format != OT_FORMAT_CSV) {
		src = json_default;
		n = sizeof(json_default) / sizeof(json_default[0]);
	}
	memcpy(o->cols, src, n * sizeof(*src));
	o->ncols = n;
	if (spec->full_path) {
		o->cols[o->ncols++] = F_FULL_PATH;
		o->cols[o->ncols++] = F_FULL_TRUNCATED;
	}
	if (spec->events & OT_EVENTS_EXEC) {
		o->cols[o->ncols++] = F_ARGS;
		o->cols[o->ncols++] = F_ARGS_TRUNCATED;
	}
}

static const char *errno_name(int err)
{
	static char buf[16];
#ifdef HAVE_STRERRORNAME_NP
	const char *name = strerrorname_np(err);

	if (name)
		return name;
#endif
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static void put_u64(FILE *f, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, f);
}

static void put_s64(FILE *f, int64_t v)
{
	if (v < 0) {
		putc_unlocked('-', f);
		put_u64(f, -(uint64_t)v);
	} else {
		put_u64(f, v);
	}
}

static void put_string(struct ot_output *o, const char *s, size_t n)
{
	if (o->format == OT_FORMAT_TEXT)
		ot_text_string(o->f, s, n);
	else
		ot_json_string(o->f, s, n);
}

/* Text: arguments joined by spaces, quoted where a space or nothing would
 * make the list ambiguous. */
static void put_args_text(FILE *f, const struct ot_event *ev)
{
	const char *p = ev->args, *end = ev->args + ev->args_len;

	while (p < end) {
		size_t n = strnlen(p, end - p);
		bool quote = n == 0 || memchr(p, ' ', n) || memchr(p, '"', n);

		if (p != ev->args)
			putc_unlocked(' ', f);
		if (quote)
			putc_unlocked('"', f);
		ot_text_string(f, p, n);
		if (quote)
			putc_unlocked('"', f);
		p += n + 1;
	}
	if (ev->status & OT_EV_ARGS_TRUNCATED)
		fputs_unlocked(" ...", f);
}

/* JSON: an array of strings (CSV carries the same text in one field). */
static void put_args_json(FILE *f, const struct ot_event *ev)
{
	const char *p = ev->args, *end = ev->args + ev->args_len;

	putc_unlocked('[', f);
	while (p < end) {
		size_t n = strnlen(p, end - p);

		if (p != ev->args)
			putc_unlocked(',', f);
		ot_json_string(f, p, n);
		p += n + 1;
	}
	putc_unlocked(']', f);
}

static const char *flags_str(struct ot_output *o, uint64_t flags, size_t *len)
{
	if (!o->flags_valid || o->flags_key != flags) {
		int n = ot_flags_format(flags, o->flags_str, sizeof(o->flags_str));

		o->flags_len = n < (int)sizeof(o->flags_str) ? (size_t)n : sizeof(o->flags_str) - 1;
		o->flags_key = flags;
		o->flags_valid = true;
	}
	*len = o->flags_len;
	return o->flags_str;
}

/* One field's value, in the text or JSON format. */
static void put_field(struct ot_output *o, enum field fld, const struct ot_event *ev)
{
	FILE *f = o->f;
	bool text = o->format == OT_FORMAT_TEXT;
	bool json = o->format == OT_FORMAT_JSON || o->format == OT_FORMAT_JSONL;

	switch (fld) {
	case F_TS:
		if (text)
			fprintf(f, "%-14.6f", (ev->ts_ns - o->start_ns) / 1e9);
		else
			put_u64(f, ev->ts_ns);
		return;
	case F_PID: put_u64(f, ev->pid); return;
	case F_TID: put_u64(f, ev->tid); return;
	case F_PPID: put_u64(f, ev->ppid); return;
	case F_UID: put_u64(f, ev->uid); return;
	case F_CGID: put_u64(f, ev->cgid); return;
	case F_COMM: put_string(o, ev->comm, strlen(ev->comm)); return;
	case F_KIND:
		if (text)
			fputs_unlocked(ot_kind_name(ev->kind), f);
		else
			put_string(o, ot_kind_name(ev->kind), strlen(ot_kind_name(ev->kind)));
		return;
	case F_DFD:
		if (text && ev->dfd == OT_AT_FDCWD)
			fputs_unlocked("AT_FDCWD", f);
		else
			put_s64(f, ev->dfd);
		return;
	case F_FLAGS:
		if (text)
			fprintf(f, "%#llo", (unsigned long long)ev->flags);
		else
			put_u64(f, ev->flags);
		return;
	case F_FLAGS_STR: {
		size_t n;
		const char *str = flags_str(o, ev->flags, &n);

		if (text)
			fwrite_unlocked(str, 1, n, f);
		else
			put_string(o, str, n);
		return;
	}
	case F_MODE:
		if (text)
			fprintf(f, "%04o", ev->mode);
		else
			put_u64(f, ev->mode);
		return;
	case F_FILENAME:
		if (text && ot_kind_is_exec(ev->kind) && !o->exec_only) {
			put_args_text(f, ev);
			return;
		}
		put_string(o, ev->path, ev->path_len);
		if (text && (ev->status & OT_EV_PATH_TRUNCATED))
			fputs_unlocked(" [truncated]", f);
		if (text && (ev->status & OT_EV_PATH_UNREADABLE))
			fputs_unlocked("[unreadable]", f);
		return;
	case F_RETURN: put_s64(f, ev->ret); return;
	case F_FD:
		if (ev->fixed_file && ev->ret >= 0) {
			putc_unlocked('@', f);
			put_u64(f, ev->slot);
		} else {
			put_s64(f, ev->ret >= 0 ? ev->ret : -1);
		}
		return;
	case F_FULL_PATH:
		if (ev->full_path)
			put_string(o, ev->full_path, ev->full_path_len);
		else if (json)
			fputs_unlocked("null", f);
		else if (text)
			put_string(o, ev->path, ev->path_len);
		if (text && (ev->status & OT_EV_FULL_TRUNCATED))
			fputs_unlocked(" [truncated]", f);
		return;
	case F_FULL_TRUNCATED:
		if (json)
			fputs_unlocked(ev->status & OT_EV_FULL_TRUNCATED ? "true" : "false", f);
		else
			putc_unlocked(ev->status & OT_EV_FULL_TRUNCATED ? '1' : '0', f);
		return;
	case F_SLOT:
		if (ev->fixed_file)
			put_u64(f, ev->slot);
		else if (json)
			fputs_unlocked("null", f);
		else if (text)
			putc_unlocked('-', f);
		return;
	case F_ERRNO:
		if (ev->ret < 0 && ev->ret > -4096) {
			const char *name = errno_name(-ev->ret);

			if (text)
				fputs_unlocked(name, f);
			else
				put_string(o, name, strlen(name));
		} else if (text) {
			putc_unlocked('0', f);
		} else if (json) {
			fputs_unlocked("null", f);
		}
		return;
	case F_LATENCY:
		if (text)
			fprintf(f, "%9.3f", ev->latency_ns / 1e3);
		else
			put_u64(f, ev->latency_ns);
		return;
	case F_TRUNCATED:
		if (json)
			fputs_unlocked(ev->status & OT_EV_PATH_TRUNCATED ? "true" : "false", f);
		else
			putc_unlocked(ev->status & OT_EV_PATH_TRUNCATED ? '1' : '0', f);
		return;
	case F_ARGS:
		if (!ot_kind_is_exec(ev->kind)) {
			if (json)
				fputs_unlocked("null", f);
		} else if (text) {
			put_args_text(f, ev);
		} else {
			put_args_json(f, ev);
		}
		return;
	case F_ARGS_TRUNCATED:
		if (json)
			fputs_unlocked(ev->status & OT_EV_ARGS_TRUNCATED ? "true" : "false", f);
		else
			putc_unlocked(ev->status & OT_EV_ARGS_TRUNCATED ? '1' : '0', f);
		return;
	case F_MAX:
		break;
	}
}

/* CSV records are built whole in memory and go to stdio in one call:
 * stdio calls per field were most of the consumer's time under perf. */
static char *csv_u64(char *p, uint64_t v)
{
	uint64_t t = v;
	char *end;

	do
		p++;
	while ((t /= 10));
	end = p;
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static char *csv_s64(char *p, int64_t v)
{
	if (v >= 0)
		return csv_u64(p, v);
	*p++ = '-';
	return csv_u64(p, -(uint64_t)v);
}

static char *csv_cstr(char *p, const char *s)
{
	return ot_csv_quote(p, s, strlen(s));
}

/* Bytes one CSV field may take: a quoted path doubles, anything else is
 * shorter than the quoted flags string. */
#define CSV_FIELD_MAX(path_len) (2 * (path_len) + 2 * 256 + 8)
/* argv in JSON (a byte at most 6, plus quotes and commas), then doubled */
#define CSV_ARGS_MAX(args_len) (2 * (8 * (args_len) + 2) + 2)

/* argv as the JSON array text, in one CSV field (room: CSV_ARGS_MAX) */
static char *csv_args(struct ot_output *o, char *p, const struct ot_event *ev)
{
	char *array = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&array, &len);

	if (!m) {
		o->failed = true;
		return p;
	}
	put_args_json(m, ev);
	fclose(m);
	p = ot_csv_quote(p, array, len);
	free(array);
	return p;
}

static char *csv_field(struct ot_output *o, char *p, enum field fld, const struct ot_event *ev)
{
	const char *s;
	size_t n;

	switch (fld) {
	case F_TS: return csv_u64(p, ev->ts_ns);
	case F_PID: return csv_u64(p, ev->pid);
	case F_TID: return csv_u64(p, ev->tid);
	case F_PPID: return csv_u64(p, ev->ppid);
	case F_UID: return csv_u64(p, ev->uid);
	case F_CGID: return csv_u64(p, ev->cgid);
	case F_COMM: return csv_cstr(p, ev->comm);
	case F_KIND: return csv_cstr(p, ot_kind_name(ev->kind));
	case F_DFD: return csv_s64(p, ev->dfd);
	case F_FLAGS: return csv_u64(p, ev->flags);
	case F_FLAGS_STR:
		s = flags_str(o, ev->flags, &n);
		return ot_csv_quote(p, s, n);
	case F_MODE: return csv_u64(p, ev->mode);
	case F_FILENAME: return ot_csv_quote(p, ev->path, ev->path_len);
	case F_RETURN: return csv_s64(p, ev->ret);
	case F_FD: return csv_s64(p, ev->ret >= 0 ? ev->ret : -1);
	case F_SLOT: return ev->fixed_file ? csv_u64(p, ev->slot) : p;
	case F_FULL_PATH:
		return ev->full_path ? ot_csv_quote(p, ev->full_path, ev->full_path_len) : p;
	case F_FULL_TRUNCATED:
		*p++ = ev->status & OT_EV_FULL_TRUNCATED ? '1' : '0';
		return p;
	case F_ERRNO:
		if (ev->ret < 0 && ev->ret > -4096)
			return csv_cstr(p, errno_name(-ev->ret));
		return p;
	case F_LATENCY: return csv_u64(p, ev->latency_ns);
	case F_TRUNCATED:
		*p++ = ev->status & OT_EV_PATH_TRUNCATED ? '1' : '0';
		return p;
	case F_ARGS:
		return ot_kind_is_exec(ev->kind) ? csv_args(o, p, ev) : p;
	case F_ARGS_TRUNCATED:
		*p++ = ev->status & OT_EV_ARGS_TRUNCATED ? '1' : '0';
		return p;
	case F_MAX:
		break;
	}
	return p;
}

static void put_csv_row(struct ot_output *o, const struct ot_event *ev)
{
	size_t i, need = o->ncols * CSV_FIELD_MAX(ev->path_len) + CSV_ARGS_MAX(ev->args_len) +
			 2 * ev->full_path_len + 3;
	char *p;

	if (need > o->rec_cap) {
		o->rec = ot_xreallocarray(o->rec, 1, need);
		o->rec_cap = need;
	}
	p = o->rec;
	for (i = 0; i < o->ncols; i++) {
		if (i)
			*p++ = ',';
		p = csv_field(o, p, o->cols[i], ev);
	}
	*p++ = '\n';
	fwrite_unlocked(o->rec, 1, p - o->rec, o->f);
}

/* Text columns are padded by writing the value to a small buffer first;
 * only the last column (usually the path) is written unpadded. */
static void put_text_row(struct ot_output *o, const struct ot_event *ev)
{
	size_t i;

	for (i = 0; i < o->ncols; i++) {
		const struct field_desc *d = &fields[o->cols[i]];
		char *cell = NULL;
		size_t len = 0;
		FILE *saved = o->f;
		int w = d->width < 0 ? -d->width : d->width;

		if (i + 1 == o->ncols) {
			put_field(o, o->cols[i], ev);
			break;
		}
		o->f = open_memstream(&cell, &len);
		if (!o->f) {
			o->f = saved;
			o->failed = true;
			return;
		}
		put_field(o, o->cols[i], ev);
		fclose(o->f);
		o->f = saved;
		if (d->width < 0)
			fprintf(o->f, "%-*s ", w, cell);
		else
			fprintf(o->f, "%*s ", w, cell);
		free(cell);
	}
	putc_unlocked('\n', o->f);
}

static void put_header(struct ot_output *o)
{
	size_t i;

	if (o->format == OT_FORMAT_JSON) {
		fputs("[\n", o->f);
		return;
	}
	if (o->format == OT_FORMAT_JSONL)
		return;
	for (i = 0; i < o->ncols; i++) {
		const struct field_desc *d = &fields[o->cols[i]];

		if (o->format == OT_FORMAT_CSV) {
			fprintf(o->f, "%s%s", i ? "," : "", d->name);
		} else {
			const char *title = o->exec_only && o->cols[i] == F_COMM ? "PCOMM" : d->title;
			int w = d->width < 0 ? -d->width : d->width;

			if (i + 1 == o->ncols)
				fputs(title, o->f);
			else
				fprintf(o->f, d->width < 0 ? "%-*s " : "%*s ", w, title);
		}
	}
	putc('\n', o->f);
}

struct ot_output *ot_output_open(const struct ot_output_spec *spec, uint64_t start_ns)
{
	struct ot_output *o = ot_xcalloc(1, sizeof(*o));
	struct stat st;
	char err[256];

	o->format = spec->format;
	o->start_ns = start_ns;
	if (spec->fields) {
		if (parse_fields(spec->fields, o->cols, &o->ncols, err, sizeof(err))) {
			ot_error_msg("%s", err);
			free(o);
			return NULL;
		}
	} else {
		default_columns(o, spec);
	}
	if (spec->path) {
		o->name = spec->path;
		o->f = fopen(spec->path, "we");
		if (!o->f) {
			ot_perror_msg("cannot open output file '%s'", spec->path);
			free(o);
			return NULL;
		}
	} else {
		o->name = "standard output";
		o->f = stdout;
	}
	/* Records are written in batches and flushed once per batch. */
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	o->stream = !fstat(fileno(o->f), &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	put_header(o);
	/* The header goes out now, so a reader sees the columns at once and
	 * an output that cannot be written fails before anything runs. */
	if (ot_output_flush(o)) {
		if (o->f != stdout)
			fclose(o->f);
		free(o);
		return NULL;
	}
	return o;
}

void ot_output_event(struct ot_output *o, const struct ot_event *ev)
{
	FILE *f = o->f;
	size_t i;

	if (o->failed)
		return;
	switch (o->format) {
	case OT_FORMAT_TEXT:
		put_text_row(o, ev);
		break;
	case OT_FORMAT_CSV:
		put_csv_row(o, ev);
		break;
	case OT_FORMAT_JSON:
	case OT_FORMAT_JSONL:
		if (o->format == OT_FORMAT_JSON && o->records)
			fputs_unlocked(",\n", f);
		fputs_unlocked("{\"type\":\"event\"", f);
		for (i = 0; i < o->ncols; i++) {
			fprintf(f, ",\"%s\":", fields[o->cols[i]].name);
			put_field(o, o->cols[i], ev);
		}
		putc_unlocked('}', f);
		if (o->format == OT_FORMAT_JSONL)
			putc_unlocked('\n', f);
		break;
	}
	o->records++;
}

int ot_output_flush(struct ot_output *o)
{
	if (!o->failed && (fflush(o->f) || ferror(o->f))) {
		ot_perror_msg("writing to %s", o->name);
		o->failed = true;
	}
	return o->failed ? -1 : 0;
}

int ot_output_check(struct ot_output *o)
{
	struct pollfd pfd = { .fd = fileno(o->f), .events = POLLOUT };

	if (o->failed || !o->stream)
		return o->failed ? -1 : 0;
	/* A pipe whose readers are all gone polls as POLLERR, a socket shut
	 * down by its peer as POLLHUP; a write would fail with EPIPE. */
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP))) {
		errno = EPIPE;
		ot_perror_msg("writing to %s", o->name);
		o->failed = true;
	}
	return o->failed ? -1 : 0;
}

void ot_output_set_start(struct ot_output *o, uint64_t start_ns)
{
	o->start_ns = start_ns;
}

int ot_output_close(struct ot_output *o, const struct ot_stats *st)
{
	int rc;

	if (!o->failed && (o->format == OT_FORMAT_JSON || o->format == OT_FORMAT_JSONL)) {
		if (o->format == OT_FORMAT_JSON && o->records)
			fputs(",\n", o->f);
		fprintf(o->f, "{\"type\":\"summary\",\"events\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"unmatched\":%" PRIu64 "}\n", st->events, st->lost, st->unmatched);
		if (o->format == OT_FORMAT_JSON)
			fputs("]\n", o->f);
	}
	rc = ot_output_flush(o);
	if (o->f != stdout && fclose(o->f) && !o->failed) {
		ot_perror_msg("writing to %s", o->name);
		rc = -1;
	}
	fprintf(stderr, "opentrace: %" PRIu64 " events, %" PRIu64 " lost, %" PRIu64 " unmatched\n",
		st->events, st->lost, st->unmatched);
	free(o->rec);
	free(o);
	return rc;
}
