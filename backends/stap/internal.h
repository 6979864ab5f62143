/* What the files of the stap backend share. Its interface to the rest of
 * opentrace is stap.h (the record parser, --replay) and the ops table in
 * run.c. */
#ifndef OPENTRACE_BACKENDS_STAP_INTERNAL_H
#define OPENTRACE_BACKENDS_STAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "backend.h"
#include "plan.h"
#include "sink.h"
#include "spawn.h"
#include "stap.h"

/* A growing argument vector, NULL-terminated. */
struct ot_stap_args {
	char **v;
	size_t n;
};

void ot_stap_args_add(struct ot_stap_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ot_stap_args_free(struct ot_stap_args *a);
/* --buffer-size as stap -s and staprun -b take it (OPT and a size in
 * megabytes), added to args; nothing when the plan has none. */
void ot_stap_buffer_option(const struct ot_plan *plan, const char *opt, struct ot_stap_args *args);

/* script.c: the script a plan asks for, and the command lines that run
 * it. */
struct ot_stap_script {
	char *text;
	size_t len;
	struct ot_stap_args options;	/* stap options the script needs */
	struct ot_stap_args args;	/* its arguments: $1, @1 ... */
};

/* The tapset's path functions (fullpath_struct_file, task_dentry_path)
 * @cast to kernel types, which stap only finds in kernel debuginfo: pass 2
 * fails on a stock kernel ("type definition 'dentry' not found"). */
#define OT_STAP_NO_FULL_PATH "the tapset's path functions need the kernel's debuginfo, " \
			     "which stock kernels do not ship"

/* Builds the script for plan, whose pid set starts with pids (the -p
 * targets); -1 with a message when the plan asks what the tapset cannot
 * do. */
int ot_stap_script(const struct ot_plan *plan, const pid_t *pids, size_t npids,
		   struct ot_stap_script *s);
void ot_stap_script_free(struct ot_stap_script *s);
/* stap's command line: prog, the options the script needs, the caller's
 * (pre), "--", the script file (- for stdin) and the script's arguments.
 * stap reads no option after "--", so no value of the user's can become
 * one (-V, -c CMD, -o FILE, -g). Runs, --build-module and the run line
 * of --emit all come from here. */
void ot_stap_argv(struct ot_stap_args *argv, const char *prog, const struct ot_stap_args *pre,
		  const struct ot_stap_script *s, const char *script_file);
int ot_stap_emit(const struct ot_plan *plan, FILE *out);

/* reader.c: records from a stream, a line at a time, with each exec's
 * entry paired to its return. */
struct ot_stap_pending;

struct ot_stap_reader {
	struct ot_stap_pending *pending;	/* execs waiting for their return */
	char *buf;
	size_t len, cap;
	uint64_t bad, other;	/* lines that were not good records */
	uint64_t bad_line;	/* the first bad one, counted from 1 */
	uint64_t lines;
	bool ready, ended;
	struct ot_stap_parsed *rec;
};

void ot_stap_reader_init(struct ot_stap_reader *r);
void ot_stap_reader_free(struct ot_stap_reader *r);
/* Reads what fd has and hands each whole line's record to the sink; 0 at
 * end of file, 1 when more may come, -1 on an error. */
int ot_stap_reader_fill(struct ot_stap_reader *r, int fd, struct ot_sink *sink);

/* child.c: stap or staprun, running. */
struct ot_stap_child {
	struct ot_spawn sp;
	char *errbuf;		/* the start and the end of what it wrote to stderr */
	size_t errlen;
	bool interrupted;
};

/* Starts argv with the script text (if any) on its stdin, in dir (NULL:
 * here). 0, or -1 with a message. */
int ot_stap_child_start(struct ot_stap_child *ch, char **argv, const char *dir,
			const struct ot_stap_script *s);
/* Runs it to its end, handing its records to the sink. 0 when it traced. */
int ot_stap_child_run(struct ot_stap_child *ch, struct ot_sink *sink, const char *what);
/* Waits for it, keeping only its stderr; its exit status, or -1. */
int ot_stap_child_drain(struct ot_stap_child *ch);
/* What it said on stderr, condensed, with the causes we know. */
void ot_stap_child_report(struct ot_stap_child *ch, const char *what);
void ot_stap_child_free(struct ot_stap_child *ch);

/* probe.c: finding stap, and why it cannot run here. */
bool ot_stap_find_prog(const char *var, const char *name, char *path, size_t len);
int ot_stap_probe(char *why, size_t len);

#endif
