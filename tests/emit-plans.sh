# The one list of plans every backend's --emit is tested with. Sourced by
#   tests/emit.test          libbpf: the values each plan sets
#   tests/bcc-emit.test      bcc: the text against tests/golden/bcc/NAME.h
#   tests/stap-emit.test     stap: the script against tests/golden/stap/NAME.stp,
#                            the run line giving back what -n said
#   tests/emit-hostile.test  every backend: a hostile value changes no program
#   tests/bcc-compile.test   libbcc compiles every text, the kernel verifies it
#   tests/stap-p2.test       stap elaborates every script with its arguments
#
# A test defines plan_ (called once a plan, in the order of this file, with
# plan_name, plan_libbpf, plan_refused, plan_same and plan_bcc set and the
# plan's opentrace options as "$@"), then sources this file. One line a
# plan, shell words, a comment after it:
#	plan NAME [KEY=VALUE...] [OPTIONS...]	# what it shows
# The KEYs, before the options:
#	libbpf='LINE; ...'  the targ., pids and cgroups lines of libbpf's --emit
#	                    that differ from plan all's, every one of them (for
#	                    all: lines it prints); every plan but same= ones has it
#	refused=B[,B]       the backends that refuse the plan: they exit non-zero
#	                    and say why on stderr, print nothing
#	same=PLAN           PLAN with one value made hostile: the program must
#	                    not change (bcc: the same text; stap: the same
#	                    script but for its run line; libbpf: the same keys)
#	bcc=kprobes,tracepoints,perf  bcc-compile compiles this text also
#	                    with the kprobe fallback (OPENTRACE_BCC_KPROBES=1),
#	                    with the perf-event tracepoints in place of the raw
#	                    ones (OPENTRACE_BCC_RAW=0), with the perf buffers
#	                    (OPENTRACE_BCC_TRANSPORT=perf) forced
# A plan without same= has a golden file for bcc and for stap (not for a
# backend that refuses it); a same= plan is checked against its PLAN's.
# NAMEs are file names: letters, digits, '-'.

nl='
'
# --cgroup and --args-match take values of any length
long=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "%s", "}\"\\%{" }')
long_re=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "%s", "\"};%" }')

plan()
{
	plan_name=$1 plan_libbpf= plan_refused= plan_same= plan_bcc=
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		libbpf=*) plan_libbpf=${1#libbpf=} ;;
		refused=*) plan_refused=${1#refused=} ;;
		same=*) plan_same=${1#same=} ;;
		bcc=*) plan_bcc=${1#bcc=} ;;
		*) break ;;
		esac
		shift
	done
	plan_ "$@"
}

# plan_refuses_ BACKEND: whether the current plan is refused by BACKEND
plan_refuses_()
{
	case ",$plan_refused," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# plan_emit_ BACKEND OUT OPTIONS...: --emit into OUT, OUT.err; returns 1 if
# BACKEND refuses the plan (after checking that it does, and says why),
# fails the test if it does not print what it should, with nothing on
# stderr
plan_emit_()
{
	pe_b=$1 pe_out=$2
	shift 2
	if plan_refuses_ "$pe_b"; then
		"$OPENTRACE" -B "$pe_b" --emit "$@" > "$pe_out" 2> "$pe_out.err" &&
			fail_ "$plan_name: -B $pe_b takes a plan it should refuse"
		[ -s "$pe_out.err" ] || fail_ "$plan_name: -B $pe_b refuses it without a word"
		[ -s "$pe_out" ] && fail_ "$plan_name: -B $pe_b refuses it but prints a program"
		return 1
	fi
	"$OPENTRACE" -B "$pe_b" --emit "$@" > "$pe_out" 2> "$pe_out.err" ||
		{ cat "$pe_out.err" >&2; fail_ "$plan_name: -B $pe_b --emit failed"; }
	[ -s "$pe_out.err" ] && { cat "$pe_out.err" >&2; fail_ "$plan_name: -B $pe_b --emit wrote to stderr"; }
	[ -s "$pe_out" ] || fail_ "$plan_name: -B $pe_b --emit printed nothing"
	return 0
}

# Plans that set one thing each
plan all libbpf='targ.filter_pids = 0; targ.nclauses = 0' bcc=kprobes,tracepoints,perf	# no filter: everything traced
plan pid libbpf='targ.filter_pids = 1; pids = { 1 }' -p 1
plan pid-123 libbpf='targ.filter_pids = 1; pids = { 123 }' -p 123	# a pid of several digits
plan pids libbpf='targ.filter_pids = 1; pids = { 1, 2, 3 }' -p 1,2,3
plan follow libbpf='targ.filter_pids = 1; targ.follow = 1; pids = { 1 }' bcc=kprobes,perf -p 1 -f
plan pids-follow libbpf='targ.filter_pids = 1; targ.follow = 1; pids = { 1, 22, 333 }' -p 1,22,333 -f
plan command libbpf="targ.filter_pids = 1; targ.follow = 1; pids = { the command's pid, set at run time }" -- true
plan command-args libbpf="targ.filter_pids = 1; targ.follow = 1; pids = { the command's pid, set at run time }" -- /bin/echo "two words" "it's"	# arguments with a space, a quote
plan shell-command libbpf="targ.filter_pids = 1; targ.follow = 1; pids = { the command's pid, set at run time }" -c 'cat /etc/passwd | wc -l'
plan tid libbpf='targ.tid = 42' -t 42
plan uid libbpf='targ.filter_uid = 1; targ.uid = 1000' -u 1000
plan uid-0 libbpf='targ.filter_uid = 1; targ.uid = 0' -u 0	# uid 0 is a filter, not its absence
plan uid-root libbpf='targ.filter_uid = 1; targ.uid = 0' -u root	# a user name
plan comm libbpf='targ.comm_len = 3; targ.comm = { 0x63, 0x61, 0x74 }' -n cat
plan tid-name libbpf='targ.tid = 7; targ.comm_len = 4; targ.comm = { 0x62, 0x61, 0x73, 0x68 }' -t 7 -n bash
plan failed libbpf='targ.failed_only = 1' -x
plan latency libbpf='targ.min_latency_ns = 250000' -L 250
plan failed-latency libbpf='targ.failed_only = 1; targ.min_latency_ns = 250000' -x -L 250
plan flags-one libbpf='targ.nclauses = 1; targ.clause[0] = (flags & 0x3) == 0x1' --flags O_WRONLY
plan flags-write libbpf='targ.nclauses = 2; targ.clause[0] = (flags & 0x3) == 0x1; targ.clause[1] = (flags & 0x3) == 0x2' --flags 'O_WRONLY|O_RDWR'
plan flags-formula libbpf='targ.nclauses = 2; targ.clause[0] = (flags & 0x203) == 0x1; targ.clause[1] = (flags & 0x203) == 0x2' bcc=kprobes --flags '(O_WRONLY|O_RDWR)&~O_TRUNC'
plan flags-rdonly libbpf='targ.nclauses = 2; targ.clause[0] = (flags & 0x3) == 0; targ.clause[1] = (flags & 0xc0) == 0x40' --flags 'O_RDONLY|O_CREAT&~O_EXCL'
plan flags-rdonly-notrunc libbpf='targ.nclauses = 1; targ.clause[0] = (flags & 0x203) == 0' --flags 'O_RDONLY&~O_TRUNC'
plan cgroup libbpf='targ.filter_cgroup = 1; cgroups[0] = { / }' refused=stap --cgroup /
plan new-cgroup libbpf="targ.filter_pids = 0; targ.filter_cgroup = 1; pids = { the command's pid, set at run time }; cgroups[0] = { a new cgroup made at run time }" refused=stap --new-cgroup -- true

# Plans that combine filters
plan pid-comm-failed libbpf='targ.filter_pids = 1; pids = { 1 }; targ.comm_len = 2; targ.comm = { 0x73, 0x68 }; targ.failed_only = 1' -p 1 -n sh -x
plan uid-flags-latency libbpf='targ.filter_uid = 1; targ.nclauses = 1; targ.clause[0] = (flags & 0x40) == 0x40; targ.min_latency_ns = 10000' -u 0 --flags O_CREAT -L 10
plan filters libbpf='targ.filter_pids = 1; pids = { 12, 34 }; targ.tid = 56; targ.comm_len = 4; targ.comm = { 0x62, 0x61, 0x73, 0x68 }; targ.failed_only = 1; targ.min_latency_ns = 250000; targ.nclauses = 2; targ.clause[0] = (flags & 0x203) == 0x1; targ.clause[1] = (flags & 0x203) == 0x2' \
	-p 12,34 -t 56 -n bash -x -L 250 --flags '(O_WRONLY|O_RDWR)&~O_TRUNC'
plan everything libbpf='targ.filter_pids = 1; targ.follow = 1; pids = { 1 }; targ.tid = 7; targ.comm_len = 2; targ.comm = { 0x61, 0x62 }; targ.failed_only = 1; targ.nclauses = 1; targ.clause[0] = (flags & 0x403) == 0x1; targ.min_latency_ns = 1000' bcc=kprobes,tracepoints \
	-p 1 -f -t 7 -n ab -x --flags 'O_WRONLY&~O_APPEND' -L 1
plan everything-or libbpf='targ.filter_pids = 1; targ.follow = 1; pids = { 5 }; targ.tid = 6; targ.comm_len = 2; targ.comm = { 0x73, 0x68 }; targ.failed_only = 1; targ.nclauses = 2; targ.clause[0] = (flags & 0x40) == 0x40; targ.clause[1] = (flags & 0x200) == 0x200; targ.min_latency_ns = 1000' \
	-p 5 -f -t 6 -n sh --flags 'O_CREAT|O_TRUNC' -x -L 1

# exec events
plan exec libbpf='targ.events = 2' --events exec
plan exec-open-args libbpf='targ.events = 3; targ.max_args = 128; targ.filter_pids = 1; targ.follow = 1; pids = { 1 }; targ.failed_only = 1' bcc=kprobes,tracepoints,perf \
	--events open,exec --max-args 128 -p 1 -f -x
plan exec-filters libbpf='targ.events = 2; targ.filter_uid = 1; targ.comm_len = 2; targ.comm = { 0x73, 0x68 }; targ.min_latency_ns = 5000; targ.max_args = 1' \
	--events exec -u 0 -n sh -L 5 --max-args 1
plan open-exec-failed libbpf="targ.events = 3; targ.failed_only = 1; targ.max_args = 4; targ.filter_pids = 1; targ.follow = 1; pids = { the command's pid, set at run time }" \
	--events open,exec -x --max-args 4 -- ls -l
plan args-match libbpf='targ.events = 2' --args-match plain --events exec	# the regex is applied in user space

# Hostile values: code of the generated languages (C, stap, embedded C),
# quotes, a newline, bytes that are not UTF-8, control bytes, stap's own
# options, the shape of libbpf's --emit lines. -n takes at most 15 bytes,
# the longest a comm can be.
plan name-dquote same=comm -n '"'
plan name-squote same=comm -n "'"
plan name-brace same=comm -n '}'
plan name-embed-open same=comm -n '%{'
plan name-embed-close same=comm -n '%}'
plan name-probe same=comm -n '} probe begin {'
plan name-exit same=comm -n '"); exit(); ("'
plan name-backslash same=comm -n '\'
plan name-stap-args same=comm -n '$1 @1 #'
plan name-shell same=comm -n '$1 @1 $(id)'
plan name-newline same=comm -n "a${nl}b"
plan name-utf8 same=comm -n "$(printf 'caf\303\251')"
plan name-bytes same=comm -n "$(printf '\377\376')"
plan name-x-bytes same=comm -n "$(printf 'x\377\376')"
plan name-control same=comm -n "$(printf 'x\001\033')"
plan name-c-decl same=comm -n '"; } int x; {'
plan name-c-braces same=comm libbpf='targ.comm_len = 5; targ.comm = { 0x22, 0x3b, 0x20, 0x7d, 0x7b }' -n '"; }{'
plan name-c-escape same=comm -n 'a\b'
plan name-c-comment same=comm -n '*/ #define'
plan name-c-mixed same=comm -n 'a\b */ #define'
plan name-format same=comm -n '%s%n'
plan name-format-embed same=comm -n '%s%n %{exit()%}'
plan name-opt-version same=comm -n -V
plan name-opt-cmd same=comm -n '-ctouch /tmp/x'
plan name-opt-output same=comm -n -o/tmp/x
plan name-opt-guru same=comm -n -g
plan cgroup-newline same=cgroup refused=stap --cgroup "/x${nl}targ.filter_pids = 0"
plan cgroup-embed same=cgroup refused=stap --cgroup '/"}{; %{ system("id") %}'
plan cgroup-backslash same=cgroup refused=stap --cgroup '/a\nb\'
plan cgroup-long same=cgroup refused=stap --cgroup "/$long"
plan args-match-newline same=args-match --args-match "x${nl}y" --events exec
plan args-match-code same=args-match --args-match '"\); system\("reboot' --events exec
plan args-match-long same=args-match --args-match "$long_re" --events exec
