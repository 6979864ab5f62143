#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "flags.h"
#include "msg.h"
#include "output.h"

enum field {
	F_TS, F_TIME, F_HOST, F_PID, F_TID, F_PPID, F_UID, F_USER, F_CGID, F_COMM, F_KIND, F_DFD,
	F_FLAGS, F_FLAGS_STR, F_MODE, F_FILENAME, F_RETURN, F_FD, F_ERRNO,
	F_LATENCY, F_TRUNCATED, F_SLOT, F_FULL_PATH, F_FULL_TRUNCATED, F_ARGS,
	F_ARGS_TRUNCATED, F_UNFINISHED, F_PATH_AT_EXIT, F_MAX
};

struct field_desc {
	const char *name;	/* CSV column and JSON key */
	const char *title;	/* text column header */
	int width;		/* text column width; negative: left-aligned */
};

static const struct field_desc fields[F_MAX] = {
	[F_TS] = { "ts_ns", "TIME(s)", -14 },
	[F_TIME] = { "time", "TIME", -15 },
	[F_HOST] = { "host", "HOST", -16 },
	[F_PID] = { "pid", "PID", -7 },
	[F_TID] = { "tid", "TID", -7 },
	[F_PPID] = { "ppid", "PPID", -7 },
	[F_UID] = { "uid", "UID", -6 },
	[F_USER] = { "user", "USER", -10 },
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
	[F_ERRNO] = { "errno", "ERR", -12 },
	[F_LATENCY] = { "latency_ns", "LAT(us)", 9 },
	[F_TRUNCATED] = { "truncated", "TRUNC", -5 },
	[F_SLOT] = { "slot", "SLOT", 4 },
	[F_FULL_PATH] = { "full_path", "PATH", 0 },
	[F_FULL_TRUNCATED] = { "full_path_truncated", "FTRUNC", -6 },
	[F_ARGS] = { "args", "ARGS", 0 },
	[F_ARGS_TRUNCATED] = { "args_truncated", "ATRUNC", -6 },
	[F_UNFINISHED] = { "unfinished", "UNFIN", -5 },
	[F_PATH_AT_EXIT] = { "path_at_exit", "ATEXIT", -6 },
};

/* Existing opentrace users post-process the first eight CSV columns. */
static const enum field csv_default[] = {
	F_PID, F_CGID, F_COMM, F_KIND, F_FLAGS, F_MODE, F_FILENAME, F_RETURN,
	F_TS, F_TID, F_PPID, F_UID, F_DFD, F_FLAGS_STR, F_ERRNO, F_LATENCY, F_TRUNCATED, F_SLOT,
	F_TIME, F_HOST, F_UNFINISHED, F_PATH_AT_EXIT,
};
static const enum field json_default[] = {
	F_TS, F_TIME, F_HOST, F_PID, F_TID, F_PPID, F_UID, F_CGID, F_COMM, F_KIND, F_DFD, F_FLAGS,
	F_FLAGS_STR, F_MODE, F_FILENAME, F_RETURN, F_ERRNO, F_LATENCY, F_TRUNCATED, F_SLOT,
	F_UNFINISHED, F_PATH_AT_EXIT,
};

/* Beyond this many distinct uids, names are looked up each time rather
 * than kept: the cache stays small whatever uids a system uses. */
#define USER_CACHE 1024

struct user_name {
	uint32_t uid;
	char *name;	/* NULL: a free slot */
};

/* A batch this large is written out without waiting for the next flush. */
#define BATCH_MAX (1 << 20)

struct ot_output {
	/* Records are built in memory, a batch at a time, and written to fd by
	 * write(2), so that exactly the records that reached the output are
	 * known when a write fails (a full disk): ends[] holds where each
	 * record of the batch ends. */
	FILE *f;
	char *batch;
	size_t batch_len;
	size_t *ends;
	size_t nends, ends_cap;
	int fd;
	uint64_t written;	/* records wholly written */
	uint64_t unwritten;	/* records produced but not written */
	FILE *cell;		/* text: a right-aligned cell, measured first */
	char *cell_buf;
	size_t cell_len;
	char *name;		/* for messages: quoted, or "standard output" */
	enum ot_format format;
	enum field cols[F_MAX];
	size_t ncols;
	uint64_t start_ns;
	uint64_t records;
	const char *host;	/* NULL: unknown (--replay without --host) */
	size_t host_len;
	/* the date and time of the last second formatted, which repeats */
	time_t time_sec;
	bool time_valid;
	bool time_unknown_said;
	/* user names by uid, looked up once each (USER_CACHE at most) */
	struct user_name *users;
	size_t nusers;
	char user_tmp[256];
	char time_str[32];
	bool exec_only;		/* execsnoop's table: PCOMM for COMM */
	bool stream;		/* a pipe or socket, whose reader can go away */
	bool failed;
	bool started;		/* the header is out */
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

/* "unknown field 'x' (known: ...)", the known names from the table. */
static void unknown_field(const char *name, size_t len, char *err, size_t errlen)
{
	char piece[72];
	FILE *m;
	char *msg;
	size_t n;
	int i;

	m = ot_xmemstream(&msg, &n);
	snprintf(piece, sizeof(piece), "%.*s", (int)(len < 65 ? len : 65), name);
	fprintf(m, "--fields: unknown field %s (known:", ot_quote(piece));
	for (i = 0; i < F_MAX; i++)
		fprintf(m, " %s", fields[i].name);
	fputc(')', m);
	ot_xmemstream_close(m);
	snprintf(err, errlen, "%s", msg);
	free(msg);
}

static int parse_fields(const char *list, enum field *cols, size_t *ncols,
			char *err, size_t errlen)
{
	const char *p = list;
	bool seen[F_MAX] = { false };

	*ncols = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		int f = field_lookup(p, len);

		if (f < 0) {
			unknown_field(p, len, err, errlen);
			return -1;
		}
		/* A field is one column: twice would say nothing more, and each
		 * CSV record is sized for its columns. */
		if (seen[f]) {
			snprintf(err, errlen, "--fields: the field %s is named twice; name each field once",
				 fields[f].name);
			return -1;
		}
		seen[f] = true;
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
		if (spec->wall_time)
			o->cols[o->ncols++] = F_TIME;
		if (spec->uid)
			o->cols[o->ncols++] = F_UID;
		if (spec->user)
			o->cols[o->ncols++] = F_USER;
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
		if (spec->wall_time)
			o->cols[o->ncols++] = F_TIME;
		if (spec->uid)
			o->cols[o->ncols++] = F_UID;
		if (spec->user)
			o->cols[o->ncols++] = F_USER;
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
	/* strace's names for the kernel's restart codes, which glibc lacks */
	static const char *const restart[] = {
		"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
		"ERESTART_RESTARTBLOCK",
	};
	static char buf[16];

	if (err >= OT_ERESTARTSYS && err <= OT_ERESTART_RESTARTBLOCK)
		return restart[err - OT_ERESTARTSYS];
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

/* A string from a traced process (or the user): in text one shell word
 * (ot_text_word), so that it cannot pass for two values or a marker; in
 * JSON a string literal. */
static void put_string(struct ot_output *o, const char *s, size_t n)
{
	if (o->format == OT_FORMAT_TEXT)
		ot_text_word(o->f, s, n, false);
	else
		ot_json_string(o->f, s, n);
}

/* The text table's markers: no shell word starts with [ unquoted, so no
 * file name or argument can print as one. */
#define TEXT_TRUNCATED " [truncated]"
#define TEXT_UNREADABLE "[unreadable]"
/* the path was read when the call returned, from memory the process
 * could have rewritten meanwhile */
#define TEXT_AT_EXIT " [read at exit]"

static void put_path_text(FILE *f, const char *s, size_t n, unsigned status)
{
	if (status & OT_EV_PATH_UNREADABLE) {
		fputs_unlocked(TEXT_UNREADABLE, f);
		return;
	}
	ot_text_word(f, s, n, false);
	if (status & OT_EV_PATH_TRUNCATED)
		fputs_unlocked(TEXT_TRUNCATED, f);
	if (status & OT_EV_PATH_AT_EXIT)
		fputs_unlocked(TEXT_AT_EXIT, f);
}

/* No result came back: a signal cut the call (the kernel restarts it or
 * fails it with EINTR), or the trace ended first. */
static bool no_result(const struct ot_event *ev)
{
	return ev->status & (OT_EV_INTERRUPTED | OT_EV_UNFINISHED);
}

/* Text: the arguments as a shell command line that gives them back. */
static void put_args_text(FILE *f, const struct ot_event *ev)
{
	const char *p = ev->args, *end = ev->args + ev->args_len;

	if (ev->status & OT_EV_ARGS_UNREADABLE) {
		fputs_unlocked(TEXT_UNREADABLE, f);
		return;
	}
	while (p < end) {
		size_t n = strnlen(p, end - p);

		if (p != ev->args)
			putc_unlocked(' ', f);
		ot_text_word(f, p, n, false);
		p += n + 1;
	}
	if (ev->status & OT_EV_ARGS_TRUNCATED)
		fputs_unlocked(TEXT_TRUNCATED, f);
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

/* The wall-clock time: ISO 8601 in UTC with microseconds for CSV and JSON
 * (2026-11-22T19:31:47.123456Z, which sorts as text across hosts), the
 * local time of day for the text table, as opensnoop and execsnoop show
 * it (19:31:47.123456). The date part is formatted once a second. */
static size_t time_str(struct ot_output *o, uint64_t wall_ns, char *buf)
{
	time_t sec = wall_ns / 1000000000;
	unsigned usec = wall_ns % 1000000000 / 1000;
	bool text = o->format == OT_FORMAT_TEXT;
	size_t n;

	if (!o->time_valid || o->time_sec != sec) {
		struct tm tm;

		if (text ? !localtime_r(&sec, &tm) : !gmtime_r(&sec, &tm))
			memset(&tm, 0, sizeof(tm));
		strftime(o->time_str, sizeof(o->time_str), text ? "%H:%M:%S" : "%Y-%m-%dT%H:%M:%S", &tm);
		o->time_sec = sec;
		o->time_valid = true;
	}
	n = strlen(o->time_str);
	memcpy(buf, o->time_str, n);
	n += snprintf(buf + n, 9, ".%06u%s", usec, text ? "" : "Z");
	return n;
}

/* The uid's name from NSS (/etc/passwd, LDAP, ...), or the number when it
 * has none. Each uid is looked up once: a directory service may be slow,
 * and a trace repeats the same few uids. */
static const char *user_name(struct ot_output *o, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	struct user_name *slot = NULL;
	char buf[1024];
	size_t i;

	if (!o->users)
		o->users = ot_xcalloc(2 * USER_CACHE, sizeof(*o->users));
	for (i = uid * 2654435761u % (2 * USER_CACHE); o->users[i].name; i = (i + 1) % (2 * USER_CACHE))
		if (o->users[i].uid == uid)
			return o->users[i].name;
	if (o->nusers < USER_CACHE)
		slot = &o->users[i];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		snprintf(o->user_tmp, sizeof(o->user_tmp), "%" PRIu32, uid);
	else
		snprintf(o->user_tmp, sizeof(o->user_tmp), "%s", res->pw_name);
	if (!slot)
		return o->user_tmp;
	slot->uid = uid;
	slot->name = ot_xstrdup(o->user_tmp);
	o->nusers++;
	return slot->name;
}

/* Events replayed from a capture without a wall-clock reference (made by
 * an older script) have no time: said once, not left to be guessed. */
static void time_unknown(struct ot_output *o)
{
	if (!o->time_unknown_said)
		ot_error_msg("the capture has no wall-clock reference (its script predates it): "
			     "the time field is left empty");
	o->time_unknown_said = true;
}

/* A field that does not apply to this event: blank in text, null in JSON
 * (CSV leaves the field empty). */
static void put_none(struct ot_output *o)
{
	if (o->format != OT_FORMAT_TEXT)
		fputs_unlocked("null", o->f);
}

/* A yes-or-no field: true or false in JSON, 1 or 0 elsewhere. */
static void put_flag(struct ot_output *o, bool set)
{
	if (o->format == OT_FORMAT_JSON || o->format == OT_FORMAT_JSONL)
		fputs_unlocked(set ? "true" : "false", o->f);
	else
		putc_unlocked(set ? '1' : '0', o->f);
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
	case F_TIME: {
		char buf[48];

		if (ev->wall_ns) {
			put_string(o, buf, time_str(o, ev->wall_ns, buf));
			return;
		}
		time_unknown(o);
		if (json)
			fputs_unlocked("null", f);
		else
			putc_unlocked('-', f);
		return;
	}
	case F_HOST:
		if (o->host)
			put_string(o, o->host, o->host_len);
		else if (json)
			fputs_unlocked("null", f);
		else
			putc_unlocked('-', f);
		return;
	case F_PID: put_u64(f, ev->pid); return;
	case F_TID: put_u64(f, ev->tid); return;
	case F_PPID: put_u64(f, ev->ppid); return;
	case F_UID: put_u64(f, ev->uid); return;
	case F_USER: {
		const char *name = user_name(o, ev->uid);

		put_string(o, name, strlen(name));
		return;
	}
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
		if (ot_kind_is_exec(ev->kind))
			put_none(o);
		else if (text)
			fprintf(f, "%#llo", (unsigned long long)ev->flags);
		else
			put_u64(f, ev->flags);
		return;
	case F_FLAGS_STR: {
		size_t n;
		const char *str;

		if (ot_kind_is_exec(ev->kind)) {
			put_none(o);
			return;
		}
		str = flags_str(o, ev->flags, &n);
		if (text)
			fwrite_unlocked(str, 1, n, f);
		else
			put_string(o, str, n);
		return;
	}
	case F_MODE:
		if (!(ev->status & OT_EV_MODE_USED))
			put_none(o);
		else if (text)
			fprintf(f, "%04o", ev->mode);
		else
			put_u64(f, ev->mode);
		return;
	case F_FILENAME:
		if (text && ot_kind_is_exec(ev->kind) && !o->exec_only) {
			put_args_text(f, ev);
			return;
		}
		if (text)
			put_path_text(f, ev->path, ev->path_len, ev->status);
		else
			put_string(o, ev->path, ev->path_len);
		return;
	case F_RETURN:
		/* strace's "= ? ERESTARTSYS": no value came back */
		if (!no_result(ev))
			put_s64(f, ev->ret);
		else if (text)
			putc_unlocked('?', f);
		else
			put_none(o);
		return;
	case F_FD:
		if (ot_kind_is_exec(ev->kind)) {
			put_none(o);
		} else if (no_result(ev)) {
			if (text)
				putc_unlocked('?', f);
			else
				put_none(o);
		} else if (ev->fixed_file && ev->ret >= 0) {
			putc_unlocked('@', f);
			put_u64(f, ev->slot);
		} else {
			put_s64(f, ev->ret >= 0 ? ev->ret : -1);
		}
		return;
	case F_FULL_PATH:
		/* text: the path as passed where none was resolved */
		if (text && ev->full_path)
			put_path_text(f, ev->full_path, ev->full_path_len,
				      ev->status & OT_EV_FULL_TRUNCATED ? OT_EV_PATH_TRUNCATED : 0);
		else if (text)
			put_path_text(f, ev->path, ev->path_len, ev->status);
		else if (ev->full_path)
			put_string(o, ev->full_path, ev->full_path_len);
		else
			fputs_unlocked("null", f);
		return;
	case F_FULL_TRUNCATED:
		put_flag(o, ev->status & OT_EV_FULL_TRUNCATED);
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
		if (ev->status & OT_EV_UNFINISHED) {
			/* strace's "<unfinished ...>" */
			if (text)
				fputs_unlocked("<unfinished>", f);
			else
				put_none(o);
		} else if (ev->ret < 0 && ev->ret > -4096) {
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
		put_flag(o, ev->status & OT_EV_PATH_TRUNCATED);
		return;
	case F_ARGS:
		if (!ot_kind_is_exec(ev->kind) ||
		    (!text && (ev->status & OT_EV_ARGS_UNREADABLE))) {
			if (json)
				fputs_unlocked("null", f);
		} else if (text) {
			put_args_text(f, ev);
		} else {
			put_args_json(f, ev);
		}
		return;
	case F_ARGS_TRUNCATED:
		put_flag(o, ev->status & OT_EV_ARGS_TRUNCATED);
		return;
	case F_UNFINISHED:
		put_flag(o, ev->status & OT_EV_UNFINISHED);
		return;
	case F_PATH_AT_EXIT:
		put_flag(o, ev->status & OT_EV_PATH_AT_EXIT);
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

/* The most bytes a string of n bytes takes in CSV: each byte a doubled
 * quote, and the two quotes around. */
#define CSV_STRING_MAX(n) (2 * (size_t)(n) + 2)

/* The most bytes one field may take in a CSV record; a record is sized by
 * summing this over its columns. */
static size_t csv_budget(const struct ot_output *o, enum field fld, const struct ot_event *ev)
{
	switch (fld) {
	case F_COMM: return CSV_STRING_MAX(sizeof(ev->comm));
	case F_FILENAME: return CSV_STRING_MAX(ev->path_len);
	case F_FULL_PATH: return CSV_STRING_MAX(ev->full_path_len);
	/* argv as a JSON array: a byte takes at most 6 (\u00XX, \udcXX);
	 * each argument's NUL becomes at most two quotes and a comma */
	case F_ARGS: return CSV_STRING_MAX(6 * ev->args_len + 2);
	case F_FLAGS_STR: return CSV_STRING_MAX(sizeof(o->flags_str));
	case F_HOST: return CSV_STRING_MAX(o->host_len);
	case F_USER: return CSV_STRING_MAX(sizeof(o->user_tmp));
	case F_TIME: return CSV_STRING_MAX(sizeof(o->time_str) + 16);
	case F_KIND: case F_ERRNO: return CSV_STRING_MAX(32);
	default: return 24;	/* a number, or one digit */
	}
}

/* argv as the JSON array text, in one CSV field (room: csv_budget) */
static char *csv_args(char *p, const struct ot_event *ev)
{
	char *array;
	size_t len;
	FILE *m = ot_xmemstream(&array, &len);

	put_args_json(m, ev);
	ot_xmemstream_close(m);
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
	case F_TIME: {
		char buf[48];

		if (ev->wall_ns)
			return ot_csv_quote(p, buf, time_str(o, ev->wall_ns, buf));
		time_unknown(o);
		return p;
	}
	case F_HOST: return o->host ? ot_csv_quote(p, o->host, o->host_len) : p;
	case F_PID: return csv_u64(p, ev->pid);
	case F_TID: return csv_u64(p, ev->tid);
	case F_PPID: return csv_u64(p, ev->ppid);
	case F_UID: return csv_u64(p, ev->uid);
	case F_USER: return csv_cstr(p, user_name(o, ev->uid));
	case F_CGID: return csv_u64(p, ev->cgid);
	case F_COMM: return csv_cstr(p, ev->comm);
	case F_KIND: return csv_cstr(p, ot_kind_name(ev->kind));
	case F_DFD: return csv_s64(p, ev->dfd);
	case F_FLAGS: return ot_kind_is_exec(ev->kind) ? p : csv_u64(p, ev->flags);
	case F_FLAGS_STR:
		if (ot_kind_is_exec(ev->kind))
			return p;
		s = flags_str(o, ev->flags, &n);
		return ot_csv_quote(p, s, n);
	case F_MODE: return ev->status & OT_EV_MODE_USED ? csv_u64(p, ev->mode) : p;
	case F_FILENAME: return ot_csv_quote(p, ev->path, ev->path_len);
	case F_RETURN: return no_result(ev) ? p : csv_s64(p, ev->ret);
	case F_FD:
		if (ot_kind_is_exec(ev->kind) || no_result(ev))
			return p;
		return csv_s64(p, ev->ret >= 0 ? ev->ret : -1);
	case F_SLOT: return ev->fixed_file ? csv_u64(p, ev->slot) : p;
	case F_FULL_PATH:
		return ev->full_path ? ot_csv_quote(p, ev->full_path, ev->full_path_len) : p;
	case F_FULL_TRUNCATED:
		*p++ = ev->status & OT_EV_FULL_TRUNCATED ? '1' : '0';
		return p;
	case F_ERRNO:
		if (!(ev->status & OT_EV_UNFINISHED) && ev->ret < 0 && ev->ret > -4096)
			return csv_cstr(p, errno_name(-ev->ret));
		return p;
	case F_LATENCY: return csv_u64(p, ev->latency_ns);
	case F_TRUNCATED:
		*p++ = ev->status & OT_EV_PATH_TRUNCATED ? '1' : '0';
		return p;
	case F_ARGS:
		return ot_kind_is_exec(ev->kind) && !(ev->status & OT_EV_ARGS_UNREADABLE) ?
		       csv_args(p, ev) : p;
	case F_ARGS_TRUNCATED:
		*p++ = ev->status & OT_EV_ARGS_TRUNCATED ? '1' : '0';
		return p;
	case F_UNFINISHED:
		*p++ = ev->status & OT_EV_UNFINISHED ? '1' : '0';
		return p;
	case F_PATH_AT_EXIT:
		*p++ = ev->status & OT_EV_PATH_AT_EXIT ? '1' : '0';
		return p;
	case F_MAX:
		break;
	}
	return p;
}

static void put_csv_row(struct ot_output *o, const struct ot_event *ev)
{
	size_t i, need = o->ncols + 1;	/* the commas and the newline */
	char *p;

	for (i = 0; i < o->ncols; i++)
		need += csv_budget(o, o->cols[i], ev);
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

/* Text columns are padded to their width: a left-aligned one by spaces
 * after it, a right-aligned one by writing it aside first to measure it.
 * The last column (usually the path) is written unpadded. */
static void put_text_row(struct ot_output *o, const struct ot_event *ev)
{
	size_t i;

	for (i = 0; i < o->ncols; i++) {
		const struct field_desc *d = &fields[o->cols[i]];
		off_t start = ftello(o->f), len;
		FILE *saved = o->f;

		if (i + 1 == o->ncols) {
			put_field(o, o->cols[i], ev);
			break;
		}
		if (d->width < 0) {
			put_field(o, o->cols[i], ev);
			for (len = ftello(o->f) - start; len < -d->width; len++)
				putc_unlocked(' ', o->f);
		} else {
			if (!o->cell)
				o->cell = ot_xmemstream(&o->cell_buf, &o->cell_len);
			rewind(o->cell);
			o->f = o->cell;
			put_field(o, o->cols[i], ev);
			o->f = saved;
			if (fflush(o->cell))
				ot_error_msg_and_die("out of memory");
			fprintf(o->f, "%*.*s", d->width, (int)o->cell_len, o->cell_buf);
		}
		putc_unlocked(' ', o->f);
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

static void output_free(struct ot_output *o)
{
	size_t i;

	if (o->fd != STDOUT_FILENO)
		close(o->fd);
	fclose(o->f);
	free(o->batch);
	if (o->cell)
		fclose(o->cell);
	free(o->cell_buf);
	if (o->users)
		for (i = 0; i < 2 * USER_CACHE; i++)
			free(o->users[i].name);
	free(o->users);
	free(o->ends);
	free(o->rec);
	free(o->name);
	free(o);
}

struct ot_output *ot_output_open(const struct ot_output_spec *spec, uint64_t start_ns)
{
	struct ot_output *o = ot_xcalloc(1, sizeof(*o));
	struct stat st;
	char err[512];

	o->format = spec->format;
	o->start_ns = start_ns;
	o->host = spec->host;
	o->host_len = spec->host ? strlen(spec->host) : 0;
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
		o->name = ot_xstrdup(ot_quote(spec->path));
		o->fd = open(spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (o->fd < 0) {
			ot_perror_msg("cannot open output file %s", o->name);
			free(o->name);
			free(o);
			return NULL;
		}
	} else {
		o->name = ot_xstrdup("standard output");
		o->fd = STDOUT_FILENO;
	}
	o->f = ot_xmemstream(&o->batch, &o->batch_len);
	o->stream = !fstat(o->fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	return o;
}

/* The header goes out when the trace starts (the probes are live), so
 * that a run that fails before, for whatever reason, writes nothing but
 * its message; and at once then, so a reader sees the columns. */
int ot_output_start(struct ot_output *o)
{
	if (o->started)
		return 0;
	o->started = true;
	put_header(o);
	return ot_output_flush(o);
}

void ot_output_event(struct ot_output *o, const struct ot_event *ev)
{
	FILE *f = o->f;
	size_t i;

	if (o->failed) {
		o->unwritten++;
		return;
	}
	if (!o->started)
		ot_output_start(o);
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
	if (o->nends == o->ends_cap) {
		o->ends_cap = o->ends_cap ? 2 * o->ends_cap : 1024;
		o->ends = ot_xreallocarray(o->ends, o->ends_cap, sizeof(*o->ends));
	}
	o->ends[o->nends] = ftello(f);
	if (o->ends[o->nends++] >= BATCH_MAX)
		ot_output_flush(o);
}

int ot_output_flush(struct ot_output *o)
{
	size_t done = 0, whole = 0;
	ssize_t n;

	if (o->failed)
		return -1;
	if (fflush(o->f))
		ot_error_msg_and_die("out of memory");
	while (done < o->batch_len) {
		n = write(o->fd, o->batch + done, o->batch_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ot_perror_msg("writing to %s", o->name);
			o->failed = true;
			break;
		}
		done += n;
	}
	/* the records that reached the output whole; a cut one did not */
	while (whole < o->nends && o->ends[whole] <= done)
		whole++;
	o->written += whole;
	o->unwritten += o->nends - whole;
	o->nends = 0;
	rewind(o->f);
	return o->failed ? -1 : 0;
}

int ot_output_check(struct ot_output *o)
{
	struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };

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
	int rc = 0;

	/* JSON: an array of events and nothing else, so that .[] works; the
	 * counts are in the summary line, and in JSONL's last record. */
	if (o->format == OT_FORMAT_JSON && o->started)
		fputs(o->records ? "\n]\n" : "]\n", o->f);
	if (o->format == OT_FORMAT_JSONL && !o->failed)
		fprintf(o->f, "{\"type\":\"summary\",\"events\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"unmatched\":%" PRIu64 "}\n", o->written + o->nends,
			st->lost, st->unmatched);
	if (ot_output_flush(o))
		rc = -1;
	if (o->fd != STDOUT_FILENO && close(o->fd) && !o->failed) {
		ot_perror_msg("writing to %s", o->name);
		o->failed = true;
		rc = -1;
	}
	o->fd = STDOUT_FILENO;
	/* events: those written whole; unwritten: the rest the backends
	 * delivered, which an output that failed could not take */
	fprintf(stderr, "opentrace: %" PRIu64 " events, %" PRIu64 " lost, %" PRIu64 " unmatched",
		o->written, st->lost, st->unmatched);
	if (o->unwritten)
		fprintf(stderr, ", %" PRIu64 " unwritten", o->unwritten);
	fputc('\n', stderr);
	output_free(o);
	return rc;
}
