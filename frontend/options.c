#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "backend.h"
#include "filter.h"
#include "msg.h"
#include "output.h"
#include "plan.h"

enum {
	OPT_FLAGS = 256,
	OPT_LIST_BACKENDS,
	OPT_FORMAT,
	OPT_EMIT,
	OPT_FIELDS,
	OPT_BUFFER_SIZE,
	OPT_USER,
	OPT_BUILD_MODULE,
	OPT_STAPRUN,
	OPT_REPLAY,
	OPT_EVENTS,
	OPT_MAX_ARGS,
	OPT_ARGS_MATCH,
	OPT_CGROUP,
	OPT_NEW_CGROUP,
	OPT_HOST,
	OPT_PRINT_TIME,
	OPT_PRINT_USER,
};

static const char short_opts[] = "+:p:u:c:t:n:xFL:d:B:So:TUefr:hV";

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "uid", required_argument, NULL, 'u' },
	{ "command", required_argument, NULL, 'c' },
	{ "follow", no_argument, NULL, 'f' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "tid", required_argument, NULL, 't' },
	{ "name", required_argument, NULL, 'n' },
	{ "failed", no_argument, NULL, 'x' },
	{ "full-path", no_argument, NULL, 'F' },
	{ "flags", required_argument, NULL, OPT_FLAGS },
	{ "min-latency", required_argument, NULL, 'L' },
	{ "duration", required_argument, NULL, 'd' },
	{ "backend", required_argument, NULL, 'B' },
	{ "stap", no_argument, NULL, 'S' },
	{ "list-backends", no_argument, NULL, OPT_LIST_BACKENDS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "timestamp", no_argument, NULL, 'T' },
	{ "print-time", no_argument, NULL, OPT_PRINT_TIME },
	{ "print-uid", no_argument, NULL, 'U' },
	{ "print-user", no_argument, NULL, OPT_PRINT_USER },
	{ "extended", no_argument, NULL, 'e' },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "emit", no_argument, NULL, OPT_EMIT },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
	{ "build-module", required_argument, NULL, OPT_BUILD_MODULE },
	{ "kernel-release", required_argument, NULL, 'r' },
	{ "staprun", required_argument, NULL, OPT_STAPRUN },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "max-args", required_argument, NULL, OPT_MAX_ARGS },
	{ "args-match", required_argument, NULL, OPT_ARGS_MATCH },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "new-cgroup", no_argument, NULL, OPT_NEW_CGROUP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs(
"Usage: opentrace [OPTIONS] [-p PID[,PID...] | -u UID|USER | -c 'CMD' | [--] CMD [ARGS...]]\n"
"Trace the files opened on this machine: by a process, a user, or a command\n"
"and its descendants. With no target, every process is traced.\n"
"\n"
"Targets (at most one):\n"
"  -p, --pid PID[,PID...]   processes already running\n"
"  -u, --uid UID|USER       processes of one user\n"
"  -c, --command 'CMD'      run a shell command line and trace it\n"
"  -- CMD [ARGS...]         run CMD with its arguments and trace it\n"
"  -f, --follow             with -p, also trace the targets' new descendants\n"
"      --user USER          run the command as USER (default: SUDO_UID under\n"
"                           sudo, else the caller)\n"
"      --new-cgroup         run the command in a fresh cgroup v2 and trace\n"
"                           everything in that cgroup\n"
"\n"
"Filters (all must hold):\n"
"  -t, --tid TID            one thread\n"
"  -n, --name NAME          command names (comm) containing NAME\n"
"  -x, --failed             failed opens only\n"
"      --flags EXPR         open flags formula: O_* names with | & ~ ( ),\n"
"                           e.g. 'O_WRONLY|O_RDWR', 'O_CREAT&~O_EXCL';\n"
"                           O_RDONLY, O_WRONLY, O_RDWR test the access mode\n"
"  -L, --min-latency USEC   opens (and execs) that took at least USEC\n"
"                           microseconds\n"
"      --cgroup PATH        processes in a cgroup v2 and its descendants\n"
"  -d, --duration SECONDS   stop after SECONDS\n"
"\n"
"Events:\n"
"      --events LIST        open (default), exec, or open,exec\n"
"      --max-args N         exec: arguments captured (default 20, at most 128)\n"
"      --args-match REGEX   exec: only those with an argument matching REGEX\n"
"\n"
"Backends:\n"
"  -B, --backend NAME       libbpf, bcc or stap (default: the first usable)\n"
"  -S, --stap               the SystemTap backend (as -B stap)\n"
"      --list-backends      say which backends work here, and why not; with\n"
"                           --format json, as one JSON object\n"
"      --emit               print what the backend would load, do not trace\n"
"      --buffer-size BYTES  kernel buffer size, K and M suffixes (libbpf: 8M, bcc: 4M)\n"
"\n"
"SystemTap on hosts without opentrace or without a compiler (implies -S):\n"
"      --build-module FILE.ko  build the module for the filters given, do not\n"
"                           trace (stap -p4); FILE is the module's name\n"
"  -r, --kernel-release REL for --build-module: the kernel it is built for\n"
"                           (default: this one; needs its linux-headers)\n"
"      --staprun FILE.ko    trace with a module built by --build-module\n"
"      --replay FILE        print the raw output of an emitted script or of a\n"
"                           module (staprun -o FILE) as events; - for stdin\n"
"\n"
"Output:\n"
"      --format FMT         text (default), csv, json or jsonl\n"
"  -o, --output FILE        write events to FILE\n"
"  -T, --timestamp          a TIME(s) column: seconds since the start (text)\n"
"      --print-time         a TIME column: the time of day (text; CSV and JSON\n"
"                           carry the date and time in the time field)\n"
"  -U, --print-uid          a UID column (text)\n"
"      --print-user         a USER column: the uid's name (text)\n"
"  -e, --extended           KIND, FLAGS, MODE and LAT(us) columns (text)\n"
"  -F, --full-path          resolve each path in the kernel: the file opened,\n"
"                           or the would-be path of a failed open (text\n"
"                           shows it as PATH; CSV and JSON add full_path)\n"
"      --fields LIST        choose the fields, e.g. pid,comm,filename,return\n"
"      --host NAME          the host field (default: this node's name; with\n"
"                           --replay, empty unless given)\n"
"  -h, --help               this help\n"
"  -V, --version            the version\n"
"\n"
"Examples:\n"
"  opentrace -- make                   files a build opens, with its children\n"
"  opentrace -c 'cat /etc/passwd | wc' a shell pipeline\n"
"  opentrace -p 1234 -x                failed opens of process 1234\n"
"  opentrace -u www-data --flags 'O_WRONLY|O_RDWR'  writes by one user\n"
"  opentrace -n ssh -T -e              ssh processes, timestamped, with flags\n"
"  opentrace --events exec -- make     the commands a build runs (execsnoop)\n"
"  opentrace --format csv -o opens.csv -d 10   ten seconds, every process\n"
"  opentrace -S --emit -p 1234         the SystemTap script, for another host\n"
"  opentrace -u 1000 --build-module ot_u1000.ko -r 6.1.0-25-amd64\n"
"                                      a module for another kernel\n"
"  opentrace --staprun ot_u1000.ko --format csv   run it there\n"
"\n"
"At the end, a summary on standard error counts the events written, those the\n"
"kernel could not hand over (lost), entries whose exit never came (unmatched)\n"
"and, when the output could not be written, the events that were not\n"
"(unwritten). Exit status: 0 on success, 1 on a failure (an output not\n"
"written whole among them), 2 on a usage error; with a command, the command's\n"
"status.\n",
	stdout);
}

/* One comma-separated piece of a list, for a message: as much of it as
 * ot_quote shows. */
static const char *piece(const char *p, size_t len)
{
	static char buf[72];

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 65 ? len : 65), p);
	return buf;
}

static long long parse_int(const char *opt, const char *arg, long long min, long long max,
			   const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	/* digits only: strtoll would take ' 65534' and '+65534' too */
	if (!isdigit((unsigned char)*arg) || *end || errno || v < min || v > max)
		ot_error_msg_and_help("%s: %s is not %s (%lld to %lld)", opt, ot_quote(arg), what, min, max);
	return v;
}

static void set_target(struct ot_plan *plan, enum ot_target target, const char *opt)
{
	if (plan->target != OT_TARGET_ALL && plan->target_opt && strcmp(plan->target_opt, opt))
		ot_error_msg_and_help("%s and %s are mutually exclusive targets: give only one "
				      "of -p, -u, -c and -- CMD", plan->target_opt, opt);
	plan->target = target;
	plan->target_opt = opt;
}

/* One mode at a time: the option that chose it is named if another comes. */
static void set_mode(struct ot_plan *plan, enum ot_mode mode, const char **mode_opt,
		     const char *opt)
{
	if (plan->mode != OT_MODE_TRACE && plan->mode != mode)
		ot_error_msg_and_help("%s and %s are mutually exclusive: give only one of --emit, "
				      "--build-module, --staprun, --replay and --list-backends",
				      *mode_opt, opt);
	plan->mode = mode;
	*mode_opt = opt;
}

static void parse_pids(struct ot_plan *plan, const char *arg)
{
	const char *p = arg;
	size_t cap = plan->npids;

	for (;;) {
		size_t len = strcspn(p, ",");
		char num[16];

		if (len == 0 || len >= sizeof(num))
			ot_error_msg_and_help("-p: %s is not a list of process IDs "
					      "(e.g. -p 1234 or -p 1234,5678)", ot_quote(arg));
		if (plan->npids == OT_MAX_PIDS)
			ot_error_msg_and_help("-p: more than %d process IDs; trace them by "
					      "user (-u) or cgroup (--cgroup) instead", OT_MAX_PIDS);
		memcpy(num, p, len);
		num[len] = '\0';
		if (plan->npids == cap) {
			pid_t *grown;

			cap = cap ? 2 * cap : 16;
			grown = ot_xreallocarray(plan->pids, cap, sizeof(*plan->pids));
			plan->pids = grown;
		}
		plan->pids[plan->npids++] = parse_int("-p", num, 1, INT_MAX, "a process ID");
		if (!p[len])
			break;
		p += len + 1;
	}
}

static uid_t parse_user(const char *opt, const char *arg)
{
	struct passwd *pw;

	if (isdigit((unsigned char)arg[0]))
		return parse_int(opt, arg, 0, UINT_MAX - 1, "a user ID");
	pw = getpwnam(arg);
	if (!pw)
		ot_error_msg_and_help("%s: no user named %s", opt, ot_quote(arg));
	return pw->pw_uid;
}

static double parse_seconds(const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!*arg || *end || errno || !(v > 0) || v > 1e9)
		ot_error_msg_and_help("-d: %s is not a positive number of seconds", ot_quote(arg));
	return v;
}

static size_t parse_size(const char *arg)
{
	char *end;
	unsigned long long v, mult = 1, size = 4096;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (!isdigit((unsigned char)*arg) || *end || errno || v > (1ull << 30) / mult ||
	    v * mult < 4096)
		ot_error_msg_and_help("--buffer-size: %s is not a size from 4K to 1024M", ot_quote(arg));
	v *= mult;
	/* the kernel wants a power of two of whole pages */
	while (size < v)
		size <<= 1;
	return size;
}

/* -S and the stap-only options choose -B stap. */
static const char *set_stap(struct ot_plan *plan, const char *prev, const char *opt)
{
	if (plan->backend && strcmp(plan->backend, "stap"))
		ot_error_msg_and_help("%s and -B %s disagree: %s is for -B stap (-S)", opt,
				      plan->backend, opt);
	plan->backend = "stap";
	return prev ? prev : opt;
}

/* Options that would change nothing are refused, never silently ignored. */
static void check_applies(const struct ot_plan *plan, bool max_args_opt)
{
	const struct ot_output_spec *out = &plan->out;
	/* the text table's options, each with the fields that hold its column
	 * by default in the other formats (NULL: none do) */
	const struct {
		bool on;
		const char *opt, *fields;
	} text_opts[] = {
		{ out->timestamp, "-T", "ts_ns" },
		{ out->uid, "-U", "uid" },
		{ out->extended, "-e", "kind, flags_str, mode and latency_ns" },
		{ out->wall_time, "--print-time", "time" },
		{ out->user, "--print-user", NULL },
	};
	const char *text_opt = NULL, *text_fields = NULL;
	static const char *const format_names[] = { "text", "csv", "json", "jsonl" };
	size_t i;

	for (i = 0; i < sizeof(text_opts) / sizeof(text_opts[0]) && !text_opt; i++)
		if (text_opts[i].on) {
			text_opt = text_opts[i].opt;
			text_fields = text_opts[i].fields;
		}

	if (max_args_opt && !(plan->events & OT_EVENTS_EXEC))
		ot_error_msg_and_help("--max-args sets how many arguments exec events capture: "
				      "add --events exec (or open,exec)");
	if (!(plan->events & OT_EVENTS_OPEN)) {
		if (plan->flags_expr)
			ot_error_msg_and_help("--flags filters opens by their flags, and only exec "
					      "events are traced: add --events open,exec");
		if (plan->full_path)
			ot_error_msg_and_help("-F resolves the paths of opens, and only exec events "
					      "are traced: add --events open,exec");
	}
	/* the text table's columns; the other formats have every field */
	if (text_opt && out->format != OT_FORMAT_TEXT && text_fields)
		ot_error_msg_and_help("%s adds a column to the text table: --format %s has %s "
				      "already (--fields chooses among all the fields)",
				      text_opt, format_names[out->format], text_fields);
	if (text_opt && out->format != OT_FORMAT_TEXT)
		ot_error_msg_and_help("%s adds a column to the text table: with --format %s, "
				      "name the field user in --fields (e.g. --fields "
				      "pid,uid,user,comm,kind,filename,return)",
				      text_opt, format_names[out->format]);
	if (text_opt && out->fields)
		ot_error_msg_and_help("%s adds a column to the default table, which --fields "
				      "replaces: name the field in --fields instead", text_opt);
	if (plan->mode == OT_MODE_EMIT && (plan->duration_s || out->path || out->fields || text_opt || out->host ||
			   out->format != OT_FORMAT_TEXT))
		ot_error_msg_and_help("--emit prints what would be loaded, on standard output, and "
				      "traces nothing: -d, -o and the output options are for a trace");
}

/* The legacy-fleet modes take what they can use and refuse the rest. */
static void check_stap_modes(const struct ot_plan *plan, bool max_args_opt)
{
	const char *mode = plan->build_module ? "--build-module" :
			   plan->staprun_module ? "--staprun" : plan->replay ? "--replay" : NULL;
	bool filters = plan->tid || plan->comm[0] || plan->failed_only || plan->flags_expr ||
		       plan->min_latency_ns || max_args_opt;

	if (plan->kernel_release && !plan->build_module)
		ot_error_msg_and_help("-r names the kernel that --build-module builds for: give "
				      "--build-module FILE.ko too");
	if (!mode)
		return;
	if (plan->build_module && (plan->duration_s || plan->out.path || plan->out.fields ||
				   plan->out.host ||
				   plan->out.format != OT_FORMAT_TEXT || plan->out.timestamp ||
				   plan->out.wall_time || plan->out.user ||
				   plan->out.uid || plan->out.extended))
		ot_error_msg_and_help("--build-module only builds: output options and -d belong "
				      "to the run (opentrace --staprun FILE.ko ...)");
	if (plan->staprun_module && (filters || plan->target == OT_TARGET_PID ||
				     plan->target == OT_TARGET_UID))
		ot_error_msg_and_help("--staprun: the targets and filters are built into the "
				      "module; give them to --build-module (only -- CMD or -c CMD, "
				      "for a module built for a command, --buffer-size and output "
				      "options go here)");
	if (plan->replay && (filters || plan->target != OT_TARGET_ALL || plan->buffer_size ||
			     plan->duration_s))
		ot_error_msg_and_help("--replay prints what was captured: targets, filters and "
				      "-d applied when it was captured; only output options go here");
}

static unsigned parse_events(const char *arg)
{
	const char *p = arg;
	unsigned events = 0;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 4 && !strncmp(p, "open", 4))
			events |= OT_EVENTS_OPEN;
		else if (len == 4 && !strncmp(p, "exec", 4))
			events |= OT_EVENTS_EXEC;
		else
			ot_error_msg_and_help("--events: %s is not an event class (open, exec)",
					      ot_quote(piece(p, len)));
		if (!p[len])
			return events;
		p += len + 1;
	}
}

static void check_regex(const char *re)
{
	regex_t preg;
	char err[256];
	int rc = regcomp(&preg, re, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		regerror(rc, &preg, err, sizeof(err));
		ot_error_msg_and_help("--args-match: %s is not a regular expression: %s", ot_quote(re), err);
	}
	regfree(&preg);
}

static enum ot_format parse_format(const char *arg)
{
	static const char *const names[] = { "text", "csv", "json", "jsonl" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i]))
			return (enum ot_format)i;
	ot_error_msg_and_help("--format: %s is not one of text, csv, json, jsonl", ot_quote(arg));
}

void ot_options_parse(struct ot_plan *plan, int argc, char **argv)
{
	const char *stap_opt = NULL, *mode_opt = NULL, *command = NULL, *run_as = NULL;
	bool max_args_opt = false, dashdash;
	char err[512];
	int c, before;

	memset(plan, 0, sizeof(*plan));
	plan->uid = (uid_t)-1;
	plan->events = OT_EVENTS_OPEN;
	plan->max_args = 20;
	opterr = 0;
	for (;;) {
		before = optind;
		c = getopt_long(argc, argv, short_opts, long_opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'p':
			set_target(plan, OT_TARGET_PID, "-p");
			parse_pids(plan, optarg);
			break;
		case 'u':
			set_target(plan, OT_TARGET_UID, "-u");
			plan->uid = parse_user("-u", optarg);
			break;
		case 'c':
			set_target(plan, OT_TARGET_COMMAND, "-c");
			if (command)
				ot_error_msg_and_help("-c given twice: put the whole command line in one -c");
			command = optarg;
			if (!*command)
				ot_error_msg_and_help("-c: the command is empty");
			break;
		case 'f':
			plan->follow = true;
			break;
		case OPT_USER:
			run_as = optarg;
			break;
		case 't':
			plan->tid = parse_int("-t", optarg, 1, INT_MAX, "a thread ID");
			break;
		case 'n':
			if (!*optarg)
				ot_error_msg_and_help("-n: the name is empty");
			if (strlen(optarg) > sizeof(plan->comm) - 1)
				ot_error_msg_and_help("-n: %s is longer than 15 bytes, the longest a "
						      "command name (comm) can be, so it would never match",
						      ot_quote(optarg));
			strcpy(plan->comm, optarg);
			break;
		case 'x':
			plan->failed_only = true;
			break;
		case 'F':
			plan->full_path = true;
			plan->out.full_path = true;
			break;
		case OPT_FLAGS:
			plan->flags_expr = optarg;
			if (ot_flags_parse(optarg, &plan->flags, err, sizeof(err)))
				ot_error_msg_and_help("--flags: %s", err);
			break;
		case 'L':
			plan->min_latency_ns = parse_int("-L", optarg, 0, 3600000000LL,
							 "a latency in microseconds") * 1000;
			break;
		case 'd':
			plan->duration_s = parse_seconds(optarg);
			break;
		case 'B':
			if (!ot_backend_known(optarg))
				ot_error_msg_and_help("-B: no backend named %s (known: libbpf, bcc, stap; "
						      "see --list-backends)", ot_quote(optarg));
			if (plan->backend && strcmp(plan->backend, optarg))
				ot_error_msg_and_help("%s and -B %s disagree: choose one backend",
						      stap_opt ? stap_opt : "-B", optarg);
			plan->backend = optarg;
			break;
		case 'S':
			stap_opt = set_stap(plan, stap_opt, "-S");
			break;
		case OPT_LIST_BACKENDS:
			set_mode(plan, OT_MODE_LIST, &mode_opt, "--list-backends");
			break;
		case OPT_FORMAT:
			plan->out.format = parse_format(optarg);
			break;
		case 'o':
			plan->out.path = optarg;
			break;
		case 'T':
			plan->out.timestamp = true;
			break;
		case OPT_PRINT_TIME:
			plan->out.wall_time = true;
			break;
		case 'U':
			plan->out.uid = true;
			break;
		case OPT_PRINT_USER:
			plan->out.user = true;
			break;
		case 'e':
			plan->out.extended = true;
			break;
		case OPT_FIELDS:
			if (ot_output_check_fields(optarg, err, sizeof(err)))
				ot_error_msg_and_help("%s", err);
			plan->out.fields = optarg;
			break;
		case OPT_HOST:
			if (!*optarg || strlen(optarg) > 255)
				ot_error_msg_and_help("--host: a host name is 1 to 255 bytes");
			plan->out.host = optarg;
			break;
		case OPT_EMIT:
			set_mode(plan, OT_MODE_EMIT, &mode_opt, "--emit");
			break;
		case OPT_BUFFER_SIZE:
			plan->buffer_size = parse_size(optarg);
			break;
		case OPT_BUILD_MODULE:
			plan->build_module = optarg;
			set_mode(plan, OT_MODE_BUILD, &mode_opt, "--build-module");
			stap_opt = set_stap(plan, stap_opt, "--build-module");
			break;
		case 'r':
			if (!*optarg || strchr(optarg, '/'))
				ot_error_msg_and_help("-r: %s is not a kernel release (such as "
						      "6.1.0-25-amd64, as uname -r prints it)", ot_quote(optarg));
			plan->kernel_release = optarg;
			break;
		case OPT_STAPRUN:
			plan->staprun_module = optarg;
			set_mode(plan, OT_MODE_STAPRUN, &mode_opt, "--staprun");
			stap_opt = set_stap(plan, stap_opt, "--staprun");
			break;
		case OPT_REPLAY:
			plan->replay = optarg;
			set_mode(plan, OT_MODE_REPLAY, &mode_opt, "--replay");
			stap_opt = set_stap(plan, stap_opt, "--replay");
			break;
		case OPT_EVENTS:
			plan->events = parse_events(optarg);
			break;
		case OPT_MAX_ARGS:
			max_args_opt = true;
			plan->max_args = parse_int("--max-args", optarg, 1, OT_MAX_ARGS,
						   "a number of arguments");
			break;
		case OPT_ARGS_MATCH:
			check_regex(optarg);
			plan->args_match = optarg;
			break;
		case OPT_CGROUP:
			if (!*optarg)
				ot_error_msg_and_help("--cgroup: the path is empty (a cgroup v2 directory, "
						      "absolute or relative to the cgroup2 mount)");
			plan->cgroup = optarg;
			break;
		case OPT_NEW_CGROUP:
			plan->new_cgroup = true;
			break;
		case 'h':
			usage();
			ot_exit(0);
		case 'V':
			printf("opentrace %s\n", PACKAGE_VERSION);
			ot_exit(0);
		case ':':
			ot_error_msg_and_help("option %s needs an argument", ot_quote(argv[optind - 1]));
		default:
			if (optopt) {
				char opt[3] = { '-', (char)optopt, '\0' };

				ot_error_msg_and_help("unknown option %s", ot_quote(opt));
			}
			ot_error_msg_and_help("unknown option %s", ot_quote(argv[optind - 1]));
		}
	}

	/* getopt consumed a "--" of its own that nothing follows */
	dashdash = optind == before + 1 && optind <= argc && !strcmp(argv[before], "--");
	if (dashdash && optind == argc)
		ot_error_msg_and_help("-- must be followed by the command to run; with no target, "
				      "leave out the -- to trace every process");
	if (optind < argc) {
		set_target(plan, OT_TARGET_COMMAND, "-- CMD");
		if (command)
			ot_error_msg_and_help("-c and -- CMD are mutually exclusive targets: give only "
					      "one of -p, -u, -c and -- CMD");
		plan->argv = &argv[optind];
	} else if (command) {
		static char sh[] = "/bin/sh", dash_c[] = "-c";

		plan->argv = ot_xcalloc(4, sizeof(char *));
		plan->argv[0] = sh;
		plan->argv[1] = dash_c;
		plan->argv[2] = (char *)command;
	}
	if (plan->target == OT_TARGET_COMMAND) {
		plan->follow = true;
		plan->run_as = run_as;
	} else if (run_as) {
		ot_error_msg_and_help("--user chooses who runs a command: give -c 'CMD' or -- CMD");
	}
	if (plan->follow && plan->target != OT_TARGET_PID && plan->target != OT_TARGET_COMMAND)
		ot_error_msg_and_help("-f follows the descendants of -p targets: give -p PID");
	if (plan->new_cgroup && plan->target != OT_TARGET_COMMAND)
		ot_error_msg_and_help("--new-cgroup runs the command in a fresh cgroup: "
				      "give -c 'CMD' or -- CMD");
	if (plan->new_cgroup && plan->cgroup)
		ot_error_msg_and_help("--cgroup and --new-cgroup are mutually exclusive");
	if (plan->args_match && !(plan->events & OT_EVENTS_EXEC))
		ot_error_msg_and_help("--args-match filters exec events: add --events exec");
	check_applies(plan, max_args_opt);
	plan->out.events = plan->events;
	plan->out.ppid = plan->follow;
	if (plan->mode == OT_MODE_LIST && plan->target != OT_TARGET_ALL)
		ot_error_msg_and_help("--list-backends takes no target");
	if (plan->mode == OT_MODE_LIST && plan->out.format == OT_FORMAT_CSV)
		ot_error_msg_and_help("--list-backends prints text, or with --format json (or "
				      "jsonl) one JSON object; not CSV");
	check_stap_modes(plan, max_args_opt);
	ot_filter_lower(plan);
	/* A capture replayed here came from elsewhere: its host is not ours. */
	if (!plan->out.host && !plan->replay) {
		struct utsname u;

		if (!uname(&u)) {
			snprintf(plan->nodename, sizeof(plan->nodename), "%s", u.nodename);
			plan->out.host = plan->nodename;
		}
	}
}

void ot_plan_free(struct ot_plan *plan)
{
	free(plan->pids);
	if (plan->argv && plan->argv[0] && !strcmp(plan->target_opt, "-c"))
		free(plan->argv);
	plan->pids = NULL;
	plan->argv = NULL;
}
