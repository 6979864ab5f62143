/* The SystemTap script a plan asks for, the stap command lines that run
 * it, and --emit, which prints both.
 *
 * The script's text depends only on the shape of the plan (which filters
 * are present); every value the user gave reaches it as a stap
 * command-line argument, $N or @N, which stap's lexer takes as one
 * literal. So no user byte is ever script text, and no guru mode or
 * embedded C is needed. On stap's command line those values come after
 * "--", where stap reads no options (without it, stap's getopt took a -n
 * of "-V" or "-ctouch /x" for its own options). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "msg.h"
#include "stap-template.h"

/* Threads with an open in flight that the script can follow at once. */
#define STASH_ENTRIES 4096

void ot_stap_args_add(struct ot_stap_args *a, const char *fmt, ...)
{
	va_list ap;

	a->v = ot_xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n], fmt, ap) < 0)
		ot_error_msg_and_die("out of memory");
	va_end(ap);
	a->v[++a->n] = NULL;
}

void ot_stap_args_free(struct ot_stap_args *a)
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

/* Everything the backend reads of the plan's filters is read here, from
 * their lowered form (plan->filter): which sections the script has, which
 * arguments it takes, which stap options it needs. The plan itself says
 * only whether the pid set starts with a command, whose pid comes later. */
int ot_stap_script(const struct ot_plan *plan, const pid_t *pids, size_t npids,
		   struct ot_stap_script *s)
{
	const struct ot_filter *f = &plan->filter;
	bool command = plan->target == OT_TARGET_COMMAND;
	struct ot_stap_args *a = &s->args;
	unsigned i;
	size_t p;
	FILE *out;

	memset(s, 0, sizeof(*s));
	if (f->filter_cgroup) {
		ot_error_msg("stap: --cgroup and --new-cgroup need the cgroup id of a task, which "
			     "SystemTap's tapset does not give without guru mode; use -B libbpf, "
			     "or a -p, -u or command target");
		return -1;
	}
	out = ot_xmemstream(&s->text, &s->len);
	put_section(out, "head", 0, 0);
	put_section(out, "keep_head", 0, 0);
	if (f->failed_only)
		put_section(out, "keep_failed", 0, 0);
	if (f->min_latency_ns) {
		ot_stap_args_add(a, "%llu", (unsigned long long)f->min_latency_ns);
		put_section(out, "keep_latency", a->n, 0);
	}
	put_section(out, "keep_end", 0, 0);
	if (f->filter_pids)
		put_section(out, "want_pids", 0, 0);
	if (f->tid) {
		ot_stap_args_add(a, "%u", (unsigned)f->tid);
		put_section(out, "want_tid", a->n, 0);
	}
	if (f->filter_uid) {
		ot_stap_args_add(a, "%u", (unsigned)f->uid);
		put_section(out, "want_uid", a->n, 0);
	}
	if (f->comm_len) {
		ot_stap_args_add(a, "%.*s", (int)f->comm_len, f->comm);
		put_section(out, "want_comm", a->n, 0);
	}
	put_section(out, "want_task_end", 0, 0);
	if (f->nclauses) {
		put_section(out, "want_flags_head", 0, 0);
		for (i = 0; i < f->nclauses; i++) {
			ot_stap_args_add(a, "%llu", (unsigned long long)f->clause_mask[i]);
			ot_stap_args_add(a, "%llu", (unsigned long long)f->clause_value[i]);
			put_section(out, "want_flags_clause", a->n - 1, a->n);
		}
		put_section(out, "want_flags_tail", 0, 0);
	}
	put_section(out, "want_end", 0, 0);
	if (f->filter_pids) {
		put_section(out, "pids_head", 0, 0);
		/* a command's pid is known only when it runs */
		if (command)
			put_section(out, "pids_cmd", 0, 0);
		put_section(out, "pids_begin", 0, 0);
		if (command)
			put_section(out, "pids_cmd_track", 0, 0);
		for (p = 0; !command && p < npids; p++) {
			ot_stap_args_add(a, "%d", (int)pids[p]);
			put_section(out, "pids_arg", a->n, 0);
		}
		put_section(out, "pids_check", 0, 0);
		if (f->follow)
			put_section(out, "pids_follow", 0, 0);
	}
	if (f->events & OT_EVENTS_OPEN) {
		put_section(out, "open", 0, 0);
		put_section(out, "openat", 0, 0);
		put_section(out, "openat2", 0, 0);
		put_section(out, "creat", 0, 0);
	}
	if (f->events & OT_EVENTS_EXEC) {
		ot_stap_args_add(a, "%u", (unsigned)f->max_args);
		put_section(out, "exec", a->n, 0);
		/* reading an exec's arguments takes more statements in one
		 * probe than stap's default bound (MAXACTION, 1000) allows */
		ot_stap_args_add(&s->options, "-DMAXACTION=20000");
	}
	put_section(out, "tail", 0, 0);
	ot_xmemstream_close(out);
	return 0;
}

void ot_stap_script_free(struct ot_stap_script *s)
{
	free(s->text);
	ot_stap_args_free(&s->options);
	ot_stap_args_free(&s->args);
}

void ot_stap_argv(struct ot_stap_args *argv, const char *prog, const struct ot_stap_args *pre,
		  const struct ot_stap_script *s, const char *script_file)
{
	size_t i;

	ot_stap_args_add(argv, "%s", prog);
	for (i = 0; i < s->options.n; i++)
		ot_stap_args_add(argv, "%s", s->options.v[i]);
	for (i = 0; pre && i < pre->n; i++)
		ot_stap_args_add(argv, "%s", pre->v[i]);
	ot_stap_args_add(argv, "--");
	ot_stap_args_add(argv, "%s", script_file);
	for (i = 0; i < s->args.n; i++)
		ot_stap_args_add(argv, "%s", s->args.v[i]);
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
static char *command_line(char **argv)
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
	return line;
}

/* --buffer-size as stap -s and staprun -b take it: whole megabytes,
 * rounded up (the option allows 4K to 1024M; both take 1 to 4095). */
void ot_stap_buffer_option(const struct ot_plan *plan, const char *opt, struct ot_stap_args *args)
{
	if (!plan->buffer_size)
		return;
	ot_stap_args_add(args, "%s", opt);
	ot_stap_args_add(args, "%zu", (plan->buffer_size + (1 << 20) - 1) >> 20);
}

int ot_stap_emit(const struct ot_plan *plan, FILE *out)
{
	struct ot_stap_args pre = { 0 }, argv = { 0 };
	struct ot_stap_script s;
	size_t i;

	if (ot_stap_script(plan, plan->pids, plan->npids, &s))
		return -1;
	if (plan->target == OT_TARGET_COMMAND) {
		char *line = command_line(plan->argv);

		ot_stap_args_add(&pre, "-c");
		ot_stap_args_add(&pre, "%s", line);
		free(line);
	}
	ot_stap_buffer_option(plan, "-s", &pre);
	/* How to run it, as a comment: the command line run and
	 * --build-module use, every word in a form that cannot end the
	 * comment line. */
	ot_stap_argv(&argv, "stap", &pre, &s, "SCRIPT.stp");
	fputs("# run:", out);
	for (i = 0; i < argv.n; i++) {
		putc(' ', out);
		put_shell_word(out, argv.v[i]);
	}
	putc('\n', out);
	fwrite(s.text, 1, s.len, out);
	ot_stap_script_free(&s);
	ot_stap_args_free(&pre);
	ot_stap_args_free(&argv);
	return 0;
}
