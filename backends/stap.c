/* -B stap (-S): a SystemTap script generated from the plan, run by the
 * stap binary (or built into a module for another kernel and run there by
 * staprun). The script prints one text record per event, which the parser
 * below turns into struct ot_event.
 *
 * The script text depends only on the shape of the plan (which filters are
 * present); every value the user gave reaches it as a stap command-line
 * argument, $N or @N, which stap's lexer takes as one literal. So no user
 * byte is ever script text, and no guru mode or embedded C is needed. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "msg.h"
#include "output.h"
#include "stap.h"
#include "stap-template.h"

/* Threads with an open in flight that the script can follow at once. */
#define STASH_ENTRIES 4096
/* stap's module names: C identifiers, and short (its own limit). */
#define MODULE_NAME_MAX 55
/* How long the run loop waits for output before it checks the sink. */
#define POLL_MS 50
/* stap's error output kept for the condensed report. */
#define ERR_KEEP (64 * 1024)
#define ERR_LINES_SHOWN 12

/* ------------------------------------------------------------------ */
/* The script */

struct args {
	char **v;
	size_t n;
};

static void args_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void args_add(struct args *a, const char *fmt, ...)
{
	va_list ap;

	a->v = ot_xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n], fmt, ap) < 0)
		ot_error_msg_and_die("out of memory");
	va_end(ap);
	a->v[++a->n] = NULL;
}

static void args_free(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* A section of the template: the lines after "#@ NAME" up to the next
 * "#@ " line. */
static const char *section(const char *name, size_t *len)
{
	const char *t = ot_stap_template, *end;
	size_t nlen = strlen(name);

	for (;;) {
		t = strstr(t, "#@ ");
		if (!t)
			ot_error_msg_and_die("stap: template section '%s' is missing", name);
		if ((t == ot_stap_template || t[-1] == '\n') &&
		    !strncmp(t + 3, name, nlen) && t[3 + nlen] == '\n')
			break;
		t += 3;
	}
	t += 3 + nlen + 1;
	end = strstr(t, "\n#@ ");
	*len = end ? (size_t)(end - t) + 1 : strlen(t);
	return t;
}

/* Prints a section, replacing @ARG@ and @ARG2@ by argument indices and
 * @STASH@ and @VERSION@ by constants: only numbers and the version are
 * ever substituted into the text. */
static void put_section(FILE *out, const char *name, unsigned arg, unsigned arg2)
{
	static const char *const keys[] = { "@ARG@", "@ARG2@", "@STASH@", "@VERSION@" };
	size_t len, i;
	const char *s = section(name, &len), *end = s + len;

	while (s < end) {
		const char *at = memchr(s, '@', end - s);

		if (!at) {
			fwrite(s, 1, end - s, out);
			break;
		}
		fwrite(s, 1, at - s, out);
		s = at;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((size_t)(end - s) >= strlen(keys[i]) && !strncmp(s, keys[i], strlen(keys[i])))
				break;
		switch (i) {
		case 0: fprintf(out, "%u", arg); break;
		case 1: fprintf(out, "%u", arg2); break;
		case 2: fprintf(out, "%u", STASH_ENTRIES); break;
		case 3: fputs(PACKAGE_VERSION, out); break;
		default: putc('@', out); s++; continue;
		}
		s += strlen(keys[i]);
	}
}

/* The tapset's path functions (fullpath_struct_file, task_dentry_path)
 * @cast to kernel types, which stap only finds in kernel debuginfo: pass 2
 * fails on a stock kernel ("type definition 'dentry' not found"). */
#define STAP_NO_FULL_PATH "the tapset's path functions need the kernel's debuginfo, " \
			  "which stock kernels do not ship"

/* What the plan asks that the tapset cannot do; 0 or -1 with a message. */
static int unsupported(const struct ot_plan *plan)
{
	if (plan->cgroup || plan->new_cgroup) {
		ot_error_msg("stap: --cgroup and --new-cgroup need the cgroup id of a task, which "
			     "SystemTap's tapset does not give without guru mode; use -B libbpf, "
			     "or a -p, -u or command target");
		return -1;
	}
	return 0;
}

static bool tracks_pids(const struct ot_plan *plan)
{
	return plan->target == OT_TARGET_PID || plan->target == OT_TARGET_COMMAND;
}

/* Writes the script for plan and collects the arguments it takes; pids
 * are the -p targets. */
static void gen_script(const struct ot_plan *plan, const pid_t *pids, size_t npids, FILE *out,
		       struct args *a)
{
	unsigned i;
	size_t p;

	put_section(out, "head", 0, 0);
	put_section(out, "keep_head", 0, 0);
	if (plan->failed_only)
		put_section(out, "keep_failed", 0, 0);
	if (plan->min_latency_ns) {
		args_add(a, "%" PRIu64, plan->min_latency_ns);
		put_section(out, "keep_latency", a->n, 0);
	}
	put_section(out, "keep_end", 0, 0);
	if (tracks_pids(plan))
		put_section(out, "want_pids", 0, 0);
	if (plan->tid) {
		args_add(a, "%d", (int)plan->tid);
		put_section(out, "want_tid", a->n, 0);
	}
	if (plan->target == OT_TARGET_UID) {
		args_add(a, "%u", (unsigned)plan->uid);
		put_section(out, "want_uid", a->n, 0);
	}
	if (plan->comm[0]) {
		args_add(a, "%s", plan->comm);
		put_section(out, "want_comm", a->n, 0);
	}
	put_section(out, "want_task_end", 0, 0);
	if (plan->flags_expr) {
		put_section(out, "want_flags_head", 0, 0);
		for (i = 0; i < plan->flags.nclauses; i++) {
			args_add(a, "%" PRIu64, plan->flags.clause[i].mask);
			args_add(a, "%" PRIu64, plan->flags.clause[i].value);
			put_section(out, "want_flags_clause", a->n - 1, a->n);
		}
		put_section(out, "want_flags_tail", 0, 0);
	}
	put_section(out, "want_end", 0, 0);
	if (tracks_pids(plan)) {
		put_section(out, "pids_head", 0, 0);
		/* a command's pid is known only when it runs */
		if (plan->target == OT_TARGET_COMMAND)
			put_section(out, "pids_cmd", 0, 0);
		put_section(out, "pids_begin", 0, 0);
		if (plan->target == OT_TARGET_COMMAND)
			put_section(out, "pids_cmd_track", 0, 0);
		if (plan->target == OT_TARGET_PID) {
			for (p = 0; p < npids; p++) {
				args_add(a, "%d", (int)pids[p]);
				put_section(out, "pids_arg", a->n, 0);
			}
		}
		put_section(out, "pids_check", 0, 0);
		if (plan->follow)
			put_section(out, "pids_follow", 0, 0);
	}
	if (plan->events & OT_EVENTS_OPEN) {
		put_section(out, "open", 0, 0);
		put_section(out, "openat", 0, 0);
		put_section(out, "openat2", 0, 0);
		put_section(out, "creat", 0, 0);
	}
	if (plan->events & OT_EVENTS_EXEC) {
		args_add(a, "%u", plan->max_args);
		put_section(out, "exec", a->n, 0);
	}
	put_section(out, "tail", 0, 0);
}

/* The options stap needs for the script, before it on its command line.
 * Reading an exec's arguments takes more statements in one probe than
 * stap's default bound (MAXACTION, 1000) allows. */
static void stap_options(const struct ot_plan *plan, struct args *a)
{
	if (plan->events & OT_EVENTS_EXEC)
		args_add(a, "-DMAXACTION=20000");
}

/* The script as one string, and its arguments. */
static char *script_text(const struct ot_plan *plan, const pid_t *pids, size_t npids,
			 struct args *a, size_t *len)
{
	char *text = NULL;
	FILE *f = ot_xmemstream(&text, len);

	gen_script(plan, pids, npids, f, a);
	ot_xmemstream_close(f);
	return text;
}

#define SHELL_SAFE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-=,:+"

/* A word for a shell command line, in ANSI-C quoting when it holds
 * anything but safe characters, so that it stays one word on one line. */
static void put_shell_word(FILE *out, const char *s)
{
	const unsigned char *p;

	if (*s && strspn(s, SHELL_SAFE) == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputs("$'", out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p && strchr(SHELL_SAFE, *p))
			putc(*p, out);
		else
			fprintf(out, "\\x%02x", *p);
	}
	putc('\'', out);
}

/* stap -c takes one string and splits it as a shell would: each argument
 * in single quotes, then the whole as one word. */
static void put_command(FILE *out, char **argv)
{
	char *line = NULL;
	size_t len = 0, i;
	const char *p;
	FILE *f = ot_xmemstream(&line, &len);

	for (i = 0; argv[i]; i++) {
		fputs(i ? " '" : "'", f);
		for (p = argv[i]; *p; p++)
			if (*p == '\'')
				fputs("'\\''", f);
			else
				putc(*p, f);
		putc('\'', f);
	}
	ot_xmemstream_close(f);
	put_shell_word(out, line);
	free(line);
}

static int stap_emit(const struct ot_plan *plan, FILE *out)
{
	struct args a = { 0 }, o = { 0 };
	size_t len, i;
	char *text;

	if (unsupported(plan))
		return -1;
	text = script_text(plan, plan->pids, plan->npids, &a, &len);

	/* How to run it, as a comment: every argument in a form that cannot
	 * end the comment line. */
	fputs("# run: stap", out);
	stap_options(plan, &o);
	for (i = 0; i < o.n; i++) {
		putc(' ', out);
		put_shell_word(out, o.v[i]);
	}
	if (plan->target == OT_TARGET_COMMAND) {
		fputs(" -c ", out);
		put_command(out, plan->argv);
	}
	fputs(" SCRIPT.stp", out);
	for (i = 0; i < a.n; i++) {
		putc(' ', out);
		put_shell_word(out, a.v[i]);
	}
	putc('\n', out);
	fwrite(text, 1, len, out);
	free(text);
	args_free(&a);
	args_free(&o);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The records */

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
		if (!int_field(&c, &v[0]) || c.p != c.end)
			return OT_STAP_BAD;
		out->ts_ns = v[0];
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

/* An exec whose return has not come yet; path and args point into buf. */
struct pending_exec {
	struct ot_event ev;
	char *buf;
};

/* Reads records from a file descriptor a line at a time. */
struct reader {
	struct pending_exec *px;
	size_t npx;
	char *buf;
	size_t len, cap;
	uint64_t bad, other;	/* lines that were not good records */
	uint64_t bad_line;	/* the first bad one, counted from 1 */
	uint64_t lines;
	bool ready, ended;
	struct ot_stap_parsed *rec;
};

static int reader_init(struct reader *r)
{
	memset(r, 0, sizeof(*r));
	/* the longest record: an exec with 128 arguments of 256 bytes, each
	 * byte escaped to four */
	r->cap = 256 * 1024;
	r->buf = ot_xmalloc(r->cap);
	r->rec = ot_xmalloc(sizeof(*r->rec));
	return 0;
}

static struct pending_exec *pending_find(struct reader *r, uint32_t pid)
{
	size_t i;

	for (i = 0; i < r->npx; i++)
		if (r->px[i].ev.pid == pid)
			return &r->px[i];
	return NULL;
}

static void pending_drop(struct reader *r, struct pending_exec *p)
{
	free(p->buf);
	*p = r->px[--r->npx];
}

static void pending_add(struct reader *r, const struct ot_event *ev)
{
	struct pending_exec *p = pending_find(r, ev->pid);

	/* a second entry for the same process: the first never returned, and
	 * the script counted it unmatched */
	if (p)
		pending_drop(r, p);
	r->px = ot_xreallocarray(r->px, r->npx + 1, sizeof(*r->px));
	p = &r->px[r->npx];
	p->buf = ot_xmalloc(ev->path_len + ev->args_len + 1);
	p->ev = *ev;
	memcpy(p->buf, ev->path, ev->path_len);
	memcpy(p->buf + ev->path_len, ev->args, ev->args_len);
	p->ev.path = p->buf;
	p->ev.args = p->buf + ev->path_len;
	r->npx++;
}

static void reader_free(struct reader *r)
{
	while (r->npx)
		pending_drop(r, &r->px[0]);
	free(r->px);
	free(r->buf);
	free(r->rec);
}

/* Handles one line; *ready is set on the script's ready record. */
static void reader_line(struct reader *r, struct ot_sink *sink, const char *line, size_t len)
{
	struct pending_exec *px;
	enum ot_stap_record rec;

	r->lines++;
	rec = ot_stap_parse(line, len, r->rec);
	switch (rec) {
	case OT_STAP_EVENT:
		ot_sink_event(sink, &r->rec->ev);
		break;
	case OT_STAP_READY:
		r->ready = true;
		if (sink->out && !sink->start_ns) {
			sink->start_ns = r->rec->ts_ns;
			ot_output_set_start(sink->out, r->rec->ts_ns);
		}
		break;
	case OT_STAP_END:
		r->ended = true;
		ot_sink_loss(sink, 0, r->rec->unmatched);
		break;
	case OT_STAP_XENTER:
		pending_add(r, &r->rec->ev);
		break;
	case OT_STAP_XEXIT:
	case OT_STAP_XDROP:
		px = pending_find(r, r->rec->ev.pid);
		if (!px) {
			/* the entry's record was lost or mangled */
			ot_sink_loss(sink, rec == OT_STAP_XEXIT, 0);
			break;
		}
		if (rec == OT_STAP_XEXIT) {
			px->ev.ts_ns = r->rec->ev.ts_ns;
			px->ev.latency_ns = r->rec->ev.latency_ns;
			px->ev.tid = r->rec->ev.tid;
			px->ev.ppid = r->rec->ev.ppid;
			px->ev.uid = r->rec->ev.uid;
			px->ev.ret = r->rec->ev.ret;
			ot_sink_event(sink, &px->ev);
		}
		pending_drop(r, px);
		break;
	case OT_STAP_OTHER:
		r->other++;
		break;
	case OT_STAP_BAD:
		/* a record the transport cut or mangled: an event lost */
		if (!r->bad++)
			r->bad_line = r->lines;
		ot_sink_loss(sink, 1, 0);
		break;
	}
}

/* Reads what fd has; 0 at end of file, 1 when more may come, -1 on error. */
static int reader_fill(struct reader *r, int fd, struct ot_sink *sink)
{
	ssize_t n;
	char *nl, *start;

	if (r->len == r->cap) {
		/* a line longer than any record: keep its start, count it bad */
		reader_line(r, sink, r->buf, r->len);
		r->len = 0;
	}
	n = read(fd, r->buf + r->len, r->cap - r->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0) {
		if (r->len)
			reader_line(r, sink, r->buf, r->len);
		r->len = 0;
		return 0;
	}
	r->len += n;
	start = r->buf;
	while ((nl = memchr(start, '\n', r->buf + r->len - start))) {
		reader_line(r, sink, start, nl - start);
		start = nl + 1;
	}
	r->len -= start - r->buf;
	memmove(r->buf, start, r->len);
	return 1;
}

int ot_stap_replay(const struct ot_plan *plan, struct ot_sink *sink)
{
	struct reader r;
	int fd = 0, rc;

	if (strcmp(plan->replay, "-")) {
		fd = open(plan->replay, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ot_perror_msg("--replay: cannot open '%s'", plan->replay);
			return -1;
		}
	}
	if (reader_init(&r)) {
		if (fd)
			close(fd);
		return -1;
	}
	while ((rc = reader_fill(&r, fd, sink)) > 0)
		if (sink->failed)
			break;
	if (rc < 0)
		ot_perror_msg("--replay: reading '%s'", plan->replay);
	ot_sink_tick(sink);
	if (r.bad)
		ot_error_msg("--replay: %" PRIu64 " malformed record(s), counted as lost; the first "
			     "on line %" PRIu64, r.bad, r.bad_line);
	if (!r.ready && !r.bad && r.lines && r.other == r.lines)
		ot_error_msg("--replay: '%s' holds no opentrace records (the raw output of "
			     "'opentrace -S --emit' scripts or --build-module modules)", plan->replay);
	if (!r.ended && rc == 0 && r.ready)
		ot_error_msg("--replay: the capture ends before the script did: opens in flight "
			     "at the end are missing");
	reader_free(&r);
	if (fd)
		close(fd);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Finding stap and saying why it cannot run here */

/* The program from the environment variable var, else from PATH. */
static bool find_prog(const char *var, const char *name, char *path, size_t len)
{
	const char *env = getenv(var), *dirs;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return access(path, X_OK) == 0;
	}
	dirs = getenv("PATH");
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t n = strcspn(dirs, ":");

		snprintf(path, len, "%.*s/%s", (int)n, dirs, name);
		if (n && !access(path, X_OK))
			return true;
		dirs += n + !!dirs[n];
	}
	snprintf(path, len, "%s", name);
	return false;
}

static bool read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* The release of the headers in a kernel build directory. */
static bool headers_release(const char *build, char rel[256])
{
	char path[PATH_MAX + 64], line[256];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", build);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "#define UTS_RELEASE \"%255[^\"]\"", rel) == 1;
	fclose(f);
	return found;
}

struct why {
	char *buf;
	size_t len, used;
};

static void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->used >= w->len)
		return;
	if (w->used)
		w->used += snprintf(w->buf + w->used, w->len - w->used, "; ");
	if (w->used >= w->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->used += n;
}

/* What keeps this kernel from loading the modules that stap and staprun
 * build and run; each reason says what to do. */
static void probe_kernel(struct why *w, const char *rel)
{
	char line[256];
	bool modules = !access("/proc/modules", F_OK);

	if (!modules)
		why_add(w, "kernel %s cannot load modules (no CONFIG_MODULES: no /proc/modules) "
			"and everything SystemTap runs is a module: build one for another host "
			"(--build-module FILE.ko -r RELEASE) or use -B libbpf", rel);
	else if (read_first_line("/proc/sys/kernel/modules_disabled", line, sizeof(line)) &&
		 !strcmp(line, "1"))
		why_add(w, "module loading is switched off until reboot (kernel.modules_disabled=1)");
	/* Lockdown shows only where securityfs is mounted; and where it is,
	 * stap 4.8 insists on signing its module with a machine owner key
	 * (MOK) and stops without one. */
	if (read_first_line("/sys/kernel/security/lockdown", line, sizeof(line))) {
		const char *mode = strchr(line, '[');

		if (!strstr(line, "[none]"))
			why_add(w, "the kernel is in lockdown (%.*s) and refuses unsigned modules: "
				"enrol a machine owner key for stap (stap --sign-module, mokutil) or "
				"boot without lockdown", mode ? (int)strcspn(mode + 1, "]") : 0,
				mode ? mode + 1 : "");
		else if (modules)
			why_add(w, "securityfs is mounted on /sys/kernel/security, so stap wants to "
				"sign its module with a machine owner key (MOK) and stops when there "
				"is none; on a kernel that does not enforce signatures, unmount it "
				"(umount /sys/kernel/security)");
	} else if (modules && read_first_line("/sys/module/module/parameters/sig_enforce", line,
					      sizeof(line)) && !strcmp(line, "Y")) {
		why_add(w, "the kernel loads only signed modules (module.sig_enforce=1): sign "
			"stap's modules (stap --sign-module) or boot without sig_enforce");
	}
}

static int stap_probe(char *why, size_t len)
{
	struct why w = { why, len, 0 };
	char path[PATH_MAX], build[sizeof(((struct utsname *)0)->release) + 32], rel[256];
	struct utsname u;

	*why = '\0';
	uname(&u);
	if (!find_prog("STAP_PATH", "stap", path, sizeof(path)))
		why_add(&w, "no stap binary (%s; set STAP_PATH or install systemtap, "
			"apt install systemtap)", getenv("STAP_PATH") && *getenv("STAP_PATH") ?
			"STAP_PATH is not executable" : "none on PATH");
	if (geteuid())
		why_add(&w, "needs root (or membership of the stapusr and stapdev groups) to load "
			"its module");
	probe_kernel(&w, u.release);
	snprintf(build, sizeof(build), "/lib/modules/%s/build", u.release);
	if (access(build, F_OK))
		why_add(&w, "no kernel headers for %s (looked in %s): install "
			"linux-headers-%s", u.release, build, u.release);
	else if (headers_release(build, rel) && strcmp(rel, u.release))
		why_add(&w, "%s holds the headers of %s, not of the running %s: a module built "
			"against them would not load; install linux-headers-%s", build, rel,
			u.release, u.release);
	return w.used ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Running stap or staprun */

struct child {
	pid_t pid;
	int out, err;		/* its stdout and stderr */
	char *errbuf;		/* what it wrote to stderr, the first ERR_KEEP bytes */
	size_t errlen;
	bool interrupted;
};

/* Starts argv with the script (if any) on its stdin, its stdout and
 * stderr on pipes. In its own process group, so that a Ctrl-C reaches it
 * once, from us, after we have decided how to stop. */
static int child_start(struct child *ch, char **argv, const char *dir, const char *script,
		       size_t script_len)
{
	int in[2] = { -1, -1 }, out[2], err[2];
	pid_t parent = getpid();

	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	if ((script && pipe2(in, O_CLOEXEC)) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		ot_perror_msg("stap: pipe");
		return -1;
	}
	ch->pid = fork();
	if (ch->pid < 0) {
		ot_perror_msg("stap: fork");
		return -1;
	}
	if (ch->pid == 0) {
		setpgid(0, 0);
		/* stap must not outlive us, whatever ends us */
		prctl(PR_SET_PDEATHSIG, SIGINT);
		if (getppid() != parent)
			_exit(127);
		if (script)
			dup2(in[0], 0);
		else
			dup2(open("/dev/null", O_RDONLY), 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (dir && chdir(dir)) {
			fprintf(stderr, "ERROR: cannot enter %s: %s\n", dir, strerror(errno));
			_exit(127);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		fprintf(stderr, "ERROR: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	ch->out = out[0];
	ch->err = err[0];
	if (script) {
		size_t off = 0;
		ssize_t n;

		close(in[0]);
		/* stap reads the whole script before it does anything else */
		while (off < script_len) {
			n = write(in[1], script + off, script_len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += n;
		}
		close(in[1]);
	}
	ch->errbuf = ot_xmalloc(ERR_KEEP);
	return 0;
}

/* Keeps the start of stap's diagnostics (what failed first) and their
 * latest part (the loss counts come last), dropping the middle of a long
 * run's warnings. */
static void err_append(struct child *ch, const char *s, size_t n)
{
	size_t half = ERR_KEEP / 2, drop;

	if (n > half) {
		s += n - half;
		n = half;
	}
	if (ch->errlen + n > ERR_KEEP) {
		drop = ch->errlen + n - ERR_KEEP;
		memmove(ch->errbuf + half, ch->errbuf + half + drop, ch->errlen - half - drop);
		ch->errlen -= drop;
	}
	memcpy(ch->errbuf + ch->errlen, s, n);
	ch->errlen += n;
}

static int child_read_err(struct child *ch)
{
	char tmp[4096];
	ssize_t n = read(ch->err, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	err_append(ch, tmp, n);
	return 1;
}

static void child_interrupt(struct child *ch)
{
	if (ch->pid > 0 && !ch->interrupted) {
		kill(ch->pid, SIGINT);
		ch->interrupted = true;
	}
}

static int child_wait(struct child *ch)
{
	int status;

	while (waitpid(ch->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	ch->pid = -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Waits for a child whose standard output does not matter; its exit
 * status. */
static int child_drain(struct child *ch)
{
	struct pollfd fds[2] = {
		{ .fd = ch->out, .events = POLLIN },
		{ .fd = ch->err, .events = POLLIN },
	};
	char tmp[4096];
	int status;

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents && read(ch->out, tmp, sizeof(tmp)) <= 0)
			fds[0].fd = -1;
		if (fds[1].revents && child_read_err(ch) <= 0)
			fds[1].fd = -1;
	}
	status = child_wait(ch);
	close(ch->out);
	close(ch->err);
	return status;
}

static bool has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

static bool line_matters(const char *l, size_t n)
{
	static const char *const starts[] = {
		"semantic error", "parse error", "error:", "ERROR:", "WARNING:", "Pass ",
		"staprun:", "stapio:", "Error",
	};
	size_t i;

	if (has(l, n, "Pass ") && !has(l, n, "failed"))
		return false;
	if (has(l, n, "Kernel function symbol table missing"))
		return false;
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (n >= strlen(starts[i]) && !memcmp(l, starts[i], strlen(starts[i])))
			return true;
	/* a compiler's own "file:line:col: error:" */
	return has(l, n, ": error:") || has(l, n, ": fatal error:");
}

/* Counts of loss that stap prints when it ends. */
static void child_loss(struct child *ch, struct ot_sink *sink)
{
	const char *p = ch->errbuf, *end = ch->errbuf + ch->errlen;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char line[512];
		unsigned long long a, b;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		if (sscanf(line, "WARNING: Number of errors: %llu, skipped probes: %llu", &a, &b) == 2)
			ot_sink_loss(sink, b, 0);
		else if (sscanf(line, "WARNING: There were %llu transport failures", &a) == 1)
			ot_sink_loss(sink, a, 0);
		p += n + 1;
	}
}

/* stap's diagnostics, condensed to the lines that say what went wrong,
 * with an explanation of the failures we know. */
static void child_report(struct child *ch, const char *what)
{
	const char *p = ch->errbuf, *end = ch->errbuf + ch->errlen;
	size_t shown = 0, hidden = 0;

	ot_error_msg("%s failed; what it said:", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		if (line_matters(p, n)) {
			if (shown++ < ERR_LINES_SHOWN)
				fprintf(stderr, "  %.*s\n", (int)n, p);
			else
				hidden++;
		} else if (n) {
			hidden++;
		}
		p += n + 1;
	}
	if (!shown && ch->errlen)
		fprintf(stderr, "  %.*s\n", (int)(ch->errlen > 400 ? 400 : ch->errlen), ch->errbuf);
	if (hidden)
		fprintf(stderr, "  (%zu more line(s) left out; run the script of 'opentrace -S "
			"--emit' with stap -v to see them all)\n", hidden);
	if (has(ch->errbuf, ch->errlen, "task_work_cancel"))
		ot_error_msg("this is a known mismatch: the kernel renamed task_work_cancel() to "
			     "task_work_cancel_func() (Linux 6.1.192 and other 2024 stable updates), "
			     "and SystemTap 4.8's runtime still calls the old name. Upgrade SystemTap, or "
			     "build with a runtime copy that uses the new name:\n"
			     "  cp -r /usr/share/systemtap/runtime DIR && sed -i "
			     "'s/(&task_work_cancel)/(\\&task_work_cancel_func)/; "
			     "s/\"task_work_cancel\"/\"task_work_cancel_func\"/' DIR/stp_task_work.c\n"
			     "  then run opentrace with SYSTEMTAP_RUNTIME=DIR in its environment");
	if (has(ch->errbuf, ch->errlen, "module signing") ||
	    has(ch->errbuf, ch->errlen, "MOK") ||
	    has(ch->errbuf, ch->errlen, "secureboot"))
		ot_error_msg("stap believes this kernel requires signed modules: it checks for that "
			     "where securityfs is mounted (/sys/kernel/security); on a kernel that "
			     "does not enforce signatures, unmount it, else sign the module "
			     "(stap --sign-module)");
	if (has(ch->errbuf, ch->errlen, "insert module") ||
	    has(ch->errbuf, ch->errlen, "init_module"))
		ot_error_msg("the kernel refused the module; 'opentrace --list-backends' says why%s",
			     has(ch->errbuf, ch->errlen, "ot_cmd") ?
			     " (and a module built without -- CMD takes no command)" : "");
}

/* Runs the child to its end, handing its records to the sink. */
static int child_run(struct child *ch, struct ot_sink *sink, const char *what, bool *was_ready)
{
	struct reader r;
	struct pollfd fds[2];
	bool out_open = true, err_open = true;
	int rc, status;

	if (reader_init(&r))
		return -1;
	fds[0] = (struct pollfd){ .fd = ch->out, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = ch->err, .events = POLLIN };
	while (out_open || err_open) {
		fds[0].fd = out_open ? ch->out : -1;
		fds[1].fd = err_open ? ch->err : -1;
		rc = poll(fds, 2, POLL_MS);
		if (rc < 0 && errno != EINTR) {
			ot_perror_msg("%s: poll", what);
			child_interrupt(ch);
			break;
		}
		if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
			out_open = reader_fill(&r, ch->out, sink) > 0;
		if (rc > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
			err_open = child_read_err(ch) > 0;
		if (r.ready && !*was_ready) {
			*was_ready = true;
			if (ot_sink_ready(sink))
				child_interrupt(ch);
		}
		if (ot_sink_tick(sink))
			child_interrupt(ch);
	}
	ot_sink_tick(sink);
	status = child_wait(ch);
	close(ch->out);
	close(ch->err);
	child_loss(ch, sink);
	if (r.bad)
		ot_error_msg("%s: %" PRIu64 " malformed record(s), counted as lost", what, r.bad);
	reader_free(&r);
	if (!*was_ready && ch->interrupted && !ch->errlen) {
		ot_error_msg("%s: stopped before tracing started", what);
		return -1;
	}
	if (!*was_ready || (status && !ch->interrupted)) {
		child_report(ch, what);
		return -1;
	}
	return 0;
}

static int stap_run(const struct ot_plan *plan, const struct ot_targets *targets,
		    struct ot_sink *sink)
{
	char prog[PATH_MAX], pidbuf[32], mb[16];
	struct args argv = { 0 }, sargs = { 0 };
	struct child ch;
	bool ready = false;
	char *text = NULL;
	size_t len = 0, i;
	int rc = -1;

	if (unsupported(plan))
		return -1;
	if (plan->staprun_module) {
		if (!find_prog("STAPRUN_PATH", "staprun", prog, sizeof(prog))) {
			ot_error_msg("--staprun: no staprun binary (set STAPRUN_PATH or install "
				     "systemtap-runtime)");
			return -1;
		}
	} else if (!find_prog("STAP_PATH", "stap", prog, sizeof(prog))) {
		ot_error_msg("stap: no stap binary (set STAP_PATH or install systemtap)");
		return -1;
	}
	args_add(&argv, "%s", prog);
	/* the held command: ot_cmd in the script, not -x, which would make
	 * stap read our own binary's symbols into the module (and into the
	 * hash of its cache) */
	snprintf(pidbuf, sizeof(pidbuf), "ot_cmd=%d",
		 plan->target == OT_TARGET_COMMAND ? (int)targets->pids[0] : 0);
	if (plan->target == OT_TARGET_COMMAND && !plan->staprun_module) {
		args_add(&argv, "-G");
		args_add(&argv, "%s", pidbuf);
	}
	if (plan->staprun_module) {
		/* staprun MODULE [NAME=VALUE...]: module parameters */
		args_add(&argv, "%s", plan->staprun_module);
		if (plan->target == OT_TARGET_COMMAND)
			args_add(&argv, "%s", pidbuf);
	} else {
		if (plan->buffer_size) {
			/* stap sizes its buffers in whole megabytes */
			snprintf(mb, sizeof(mb), "%zu", (plan->buffer_size + (1 << 20) - 1) >> 20);
			args_add(&argv, "-s");
			args_add(&argv, "%s", mb);
		}
		stap_options(plan, &argv);
		text = script_text(plan, targets->pids, targets->npids, &sargs, &len);
		args_add(&argv, "-");
		for (i = 0; i < sargs.n; i++)
			args_add(&argv, "%s", sargs.v[i]);
	}
	if (child_start(&ch, argv.v, NULL, text, len) == 0) {
		rc = child_run(&ch, sink, plan->staprun_module ? "staprun" : "stap", &ready);
		free(ch.errbuf);
	}
	free(text);
	args_free(&argv);
	args_free(&sargs);
	return rc;
}

/* --build-module FILE.ko [-r RELEASE]: stap -p4 writes NAME.ko into its
 * working directory, so it runs in FILE's. */
static int stap_build(const struct ot_plan *plan)
{
	char prog[PATH_MAX], *dir, *name, *dot, *copy = ot_xstrdup(plan->build_module);
	char *copy2 = ot_xstrdup(plan->build_module);
	struct args argv = { 0 }, sargs = { 0 };
	struct child ch;
	char *text;
	size_t len, i;
	int rc = -1;

	if (unsupported(plan))
		goto out;
	/* reading a request needs io_uring's private structures, which the
	 * tapset cannot cast to without debuginfo: say so, do not hide it */
	if (plan->events & OT_EVENTS_OPEN)
		ot_error_msg("stap: io_uring opens are not traced by this backend "
			     "(-B libbpf traces them)");
	dir = dirname(copy);
	name = basename(copy2);
	dot = strrchr(name, '.');
	if (!dot || strcmp(dot, ".ko") || dot == name) {
		ot_error_msg("--build-module: '%s' does not end in .ko", plan->build_module);
		goto out;
	}
	*dot = '\0';
	if (strlen(name) > MODULE_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
		ot_error_msg("--build-module: a module's name is its file name without .ko, and "
			     "must be at most %d lowercase letters, digits and _ ('%s' is not)",
			     MODULE_NAME_MAX, name);
		goto out;
	}
	if (!find_prog("STAP_PATH", "stap", prog, sizeof(prog))) {
		ot_error_msg("--build-module: no stap binary (set STAP_PATH or install systemtap)");
		goto out;
	}
	args_add(&argv, "%s", prog);
	args_add(&argv, "-p4");
	args_add(&argv, "-m");
	args_add(&argv, "%s", name);
	if (plan->kernel_release) {
		args_add(&argv, "-r");
		args_add(&argv, "%s", plan->kernel_release);
	}
	stap_options(plan, &argv);
	text = script_text(plan, plan->pids, plan->npids, &sargs, &len);
	args_add(&argv, "-");
	for (i = 0; i < sargs.n; i++)
		args_add(&argv, "%s", sargs.v[i]);
	if (child_start(&ch, argv.v, dir, text, len) == 0) {
		if (child_drain(&ch)) {
			child_report(&ch, "stap -p4");
		} else {
			fprintf(stderr, "opentrace: built %s/%s.ko for kernel %s; run it there with "
				"'opentrace -S --staprun %s.ko%s' (or staprun)\n", dir, name,
				plan->kernel_release ? plan->kernel_release : "this kernel", name,
				plan->target == OT_TARGET_COMMAND ? " -- CMD" : "");
			rc = 0;
		}
		free(ch.errbuf);
	}
	free(text);
out:
	args_free(&argv);
	args_free(&sargs);
	free(copy);
	free(copy2);
	return rc;
}

const struct ot_backend ot_backend_stap = {
	.name = "stap",
	.probe = stap_probe,
	.emit = stap_emit,
	.run = stap_run,
	.build = stap_build,
	.replay = ot_stap_replay,
	.no_full_path = STAP_NO_FULL_PATH,
};
