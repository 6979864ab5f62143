# Sourced by every tests/*.test, in the style of strace's tests/init.sh.
# Each test runs in its own directory, tests/NAME.dir, in the build tree.
#
#   fail_ MSG            the test failed (exit 1)
#   skip_ MSG            the host lacks something (exit 77); under CI=true a
#                        live libbpf or bcc test that skips fails instead
#   framework_failure_   the test itself could not be set up (exit 99)
#   require_root_        root, or skip
#   require_backend_ B   backend B usable here, or skip with its reason
#   require_prog_ P      program P on PATH, or skip
#   bcc_ring_            whether -B bcc sends records through the BPF ring
#                        buffer here (else through perf buffers)
#   match_diff EXP ACT   ACT equals EXP, or fail showing the diff
#   start_helper_ ARGS   starts $HELPER ARGS held on a fifo; sets HELPER_PID
#   start_tracer_ ARGS   starts opentrace ARGS in the background, waits until
#                        it is tracing; sets TRACER_PID, stdout to out, stderr
#                        to err
#   release_helper_      lets the held helper run
#   user_dir_            goes on in a directory an unprivileged user can
#                        reach (the build tree may be under /root)
#   wait_tracer_         waits for opentrace; fails on a non-zero exit

set -u
ME_=${0##*/}
NAME=${ME_%.test}
: "${top_builddir:?run the tests through make check}"
: "${top_srcdir:?run the tests through make check}"
: "${OPENTRACE:=$top_builddir/opentrace}"
HELPER=$top_builddir/tests/open-helper
LIVE_BACKEND=

warn_() { printf '%s: %s\n' "$ME_" "$*" >&2; }
fail_() { warn_ "FAIL: $*"; exit 1; }
framework_failure_() { warn_ "framework failure: $*"; exit 99; }
skip_()
{
	case "${CI:-}:$LIVE_BACKEND" in
	true:libbpf|true:bcc)
		warn_ "a live $LIVE_BACKEND test may not skip in CI: $*"
		exit 99 ;;
	esac
	warn_ "SKIP: $*"
	exit 77
}

require_root_()
{
	[ "$(id -u)" = 0 ] || skip_ "needs root (BPF programs)"
}

require_prog_()
{
	command -v "$1" > /dev/null 2>&1 || skip_ "needs $1"
}

require_backend_()
{
	LIVE_BACKEND=$1
	require_root_
	line=$("$OPENTRACE" --list-backends | grep "^$1 ") ||
		framework_failure_ "--list-backends does not list $1"
	case $line in
	*" usable") ;;
	*) skip_ "$line" ;;
	esac
}

# The BPF backends a live test runs each scenario with: make check-valgrind
# leaves bcc out, since memcheck would run LLVM's compile of its program
# (minutes per start); the bcc-* tests and plain make check run it.
bpf_backends_()
{
	case $OPENTRACE in
	*valgrind*) echo libbpf ;;
	*) echo libbpf bcc ;;
	esac
}

bcc_ring_()
{
	"$OPENTRACE" -B bcc --emit | grep -q '^#define OT_HOST_RING_PAGES [1-9]'
}

match_diff()
{
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" >&2 || :
		fail_ "${3:-$2 differs from $1}"
	fi
}

DIR=$top_builddir/tests/$NAME.dir
rm -rf "$DIR"
mkdir -p "$DIR" || framework_failure_ "cannot create $DIR"
cd "$DIR" || framework_failure_ "cannot enter $DIR"

# Only the test's own shell cleans up: bash runs the EXIT trap in a
# subshell that a signal ends (a watchdog killed once its job is over), and
# there cleanup_ removed the test's directory while the test went on.
cleanup_()
{
	[ "${BASHPID:-$$}" = "$$" ] || return 0
	[ -n "${HELPER_PID:-}" ] && kill -9 "$HELPER_PID" 2> /dev/null
	[ -n "${TRACER_PID:-}" ] && kill -INT "$TRACER_PID" 2> /dev/null
	exec 7>&- 2> /dev/null
	if [ -n "${USER_DIR_:-}" ]; then
		cd / && cp -a "$USER_DIR_/." "$BUILD_DIR_/" 2> /dev/null
		rm -rf "$USER_DIR_"
	fi
	:
}
trap cleanup_ EXIT

# user_dir_: the test goes on in a directory an unprivileged user can
# reach, for what it runs as one. The build tree may lie where only root
# passes (a clone in /root, mode 0700, as a new user makes one), so a
# fresh directory under /tmp; its files are copied back to tests/NAME.dir
# at the end.
user_dir_()
{
	BUILD_DIR_=$DIR
	USER_DIR_=$(mktemp -d "/tmp/opentrace-$NAME.XXXXXX") ||
		framework_failure_ "cannot create a directory under /tmp"
	chmod 755 "$USER_DIR_" || framework_failure_ "chmod $USER_DIR_"
	DIR=$USER_DIR_
	cd "$DIR" || framework_failure_ "cannot enter $DIR"
}

start_helper_()
{
	rm -f go.fifo
	mkfifo go.fifo || framework_failure_ "mkfifo"
	"$HELPER" "$@" < go.fifo 3> expected.csv 4> expected.jsonl &
	HELPER_PID=$!
	exec 7> go.fifo
}

release_helper_()
{
	echo go >&7
	exec 7>&-
}

start_tracer_()
{
	# a stale err from an earlier run must not pass for this one's
	rm -f out err
	"$OPENTRACE" "$@" > out 2> err &
	TRACER_PID=$!
	i=0
	until grep -q 'tracing, Ctrl-C to end' err 2> /dev/null; do
		kill -0 "$TRACER_PID" 2> /dev/null || { cat err >&2; fail_ "opentrace $* exited early"; }
		i=$((i + 1))
		[ $i -lt 300 ] || fail_ "opentrace $* did not start tracing in 30 s"
		sleep 0.1
	done
}

wait_tracer_()
{
	wait "$TRACER_PID"
	rc=$?
	TRACER_PID=
	[ $rc = 0 ] || { cat err >&2; fail_ "opentrace exited with $rc"; }
}

wait_helper_()
{
	wait "$HELPER_PID" || fail_ "the helper failed"
	HELPER_PID=
}
