#!/bin/sh
# The real-kernel lab (make check-vm): proves the stap backend on Debian's
# stock 6.1 kernel, booted under qemu with TCG, since the development
# kernel cannot load modules.
#
#  1. Debian's linux-image for the installed linux-headers (apt-get
#     download, dpkg-deb -x into the lab's cache) and a busybox initramfs
#     with the virtio and 9p modules.
#  2. On the host: opentrace --build-module cross-builds two modules for
#     that kernel (stap -p4 -r RELEASE), through a patched private copy of
#     the stap runtime when the kernel renamed task_work_cancel().
#  3. In the guest (the host's root over 9p, read-only; a writable share
#     for results): opentrace --staprun traces the workload
#     (tests/vm/lab-opens) as a command; staprun alone captures raw records
#     of a second run; a filtered module traces every process of uid 0
#     until opentrace is interrupted; and opentrace -S runs stap itself, on
#     a stap cache the host warmed (so the guest runs passes 1-3 and 5, and
#     never a compiler under TCG); then -B bcc, on the syscall tracepoints
#     and forced onto kprobes (OPENTRACE_BCC_KPROBES=1).
#  4. On the host: the events of each run against what the workload says
#     it did, the raw capture through opentrace --replay.
#
# Environment: top_builddir, top_srcdir, OPENTRACE (set by make);
# OT_LAB_RELEASE to choose the kernel; OT_LAB_TIMEOUT for the guest (s).
set -u
: "${top_builddir:?run through make check-vm}"
: "${top_srcdir:?run through make check-vm}"
: "${OPENTRACE:=$top_builddir/opentrace}"
OPENTRACE=$(cd "$(dirname "$OPENTRACE")" && pwd)/$(basename "$OPENTRACE")
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
VM=$top_srcdir/tests/vm
CACHE=$top_builddir/tests/vm-cache
W=$top_builddir/tests/vm.dir
SHARE=$W/share
T0=$(date +%s)

say() { printf 'lab [%4ss]: %s\n' $(($(date +%s) - T0)) "$*"; }
die() { say "FAIL: $*"; exit 1; }
# In CI the lab must run: a skip there is a failure.
skip()
{
	if [ "${CI:-}" = true ]; then
		say "FAIL (CI=true, cannot skip): $*"
		exit 99
	fi
	say "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (module builds read the headers, the guest mounts)"
for p in stap qemu-system-x86_64 busybox cpio dpkg-deb apt-get python3; do
	command -v $p > /dev/null || skip "needs $p (run ./setup)"
done
[ -x "$OPENTRACE" ] || die "no opentrace at $OPENTRACE (make first)"

. "$VM/guest.sh"
OT_GUEST_CACHE=$CACHE
rm -rf "$W"
mkdir -p "$CACHE" "$SHARE" || die "cannot create $W"

# 1. kernel, headers and initramfs
ot_guest_kernel bookworm || die "fetching bookworm's kernel failed"
REL=$OT_GUEST_REL
ot_guest_initramfs "$W/initramfs.gz" || die "building the initramfs failed"
say "kernel $REL and initramfs ready"

# 2. the runtime, the modules and the workload
RT=$CACHE/stap-runtime
if grep -q 'task_work_cancel_func' "$OT_GUEST_SOURCE/include/linux/task_work.h" 2> /dev/null &&
   grep -q '(&task_work_cancel)' /usr/share/systemtap/runtime/stp_task_work.c; then
	# The kernel renamed task_work_cancel() to task_work_cancel_func();
	# this stap's runtime still calls the old name (opentrace says so when
	# a build fails that way). A private copy with the new name builds.
	if [ ! -f "$RT/stp_task_work.c" ]; then
		rm -rf "$RT"
		cp -r /usr/share/systemtap/runtime "$RT" || die "copying the stap runtime failed"
		sed -i 's/(&task_work_cancel)/(\&task_work_cancel_func)/; s/"task_work_cancel"/"task_work_cancel_func"/' \
			"$RT/stp_task_work.c"
	fi
	SYSTEMTAP_RUNTIME=$RT
	export SYSTEMTAP_RUNTIME
	say "stap runtime: patched copy for task_work_cancel_func ($RT)"
fi

${CC:-cc} -static -O2 -o "$SHARE/lab-opens" "$VM/lab-opens.c" || die "building the workload failed"

say "building modules for $REL (stap -p4; minutes on a cold stap cache)"
ot_guest_with_headers "$OPENTRACE" -S --build-module "$SHARE/ot_lab.ko" -r "$REL" -- /bin/true \
	2> "$W/build1.err" || { cat "$W/build1.err"; die "--build-module (command target)"; }
ot_guest_with_headers "$OPENTRACE" -S --build-module "$SHARE/ot_lab_f.ko" -r "$REL" -u 0 -n lab-op -x --flags 'O_RDONLY|O_CREAT' \
	2> "$W/build2.err" || { cat "$W/build2.err"; die "--build-module (filters)"; }
# The live run's module, built on the host into the cache the guest's stap
# will find: same script on stdin, same runtime, so the same C and hash.
# The options and arguments stap needs come from the run line of --emit
# (without its -c: the command's pid comes with -G, outside the hash).
STAPHOME=$CACHE/stap-home
mkdir -p "$STAPHOME"
"$OPENTRACE" -S --emit --events open,exec -- /bin/true > "$W/live.stp"
sed 1d "$W/live.stp" | ot_guest_with_headers env HOME="$STAPHOME" bash -c 'f=$1 r=$2 args=()
	eval "set -- $(sed -n "1s/^# run: stap //p" "$f")"
	while [ $# -gt 0 ]; do
		case $1 in
		-c) shift ;;
		SCRIPT.stp) args+=(-) ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	exec stap -p4 -r "$r" "${args[@]}"' sh "$W/live.stp" "$REL" > /dev/null 2> "$W/build3.err" ||
	{ cat "$W/build3.err"; die "warming stap's cache for the live run"; }
say "modules built"

# 3. the guest's job, in the host's tree
cat > "$SHARE/job.sh" << EOF
S=$SHARE
OT=$OPENTRACE
STAPHOME=$STAPHOME
RT=${SYSTEMTAP_RUNTIME:-}
EOF
cat >> "$SHARE/job.sh" << 'EOF'
cd "$S" || exit 1
mkdir -p files1 files2 files3
t=$(date +%s)
"$OT" --staprun "$S/ot_lab.ko" --format csv --fields kind,flags,return,truncated,filename,comm \
	-o "$S/run1.csv" -- "$S/lab-opens" "$S/files1" "$S/expected1.txt" > run1.out 2> run1.err
echo $? > run1.rc
echo "job: run 1 (opentrace --staprun -- CMD) took $(($(date +%s) - t)) s"

t=$(date +%s)
staprun -o "$S/raw2.txt" -c "$S/lab-opens $S/files2 $S/expected2.txt" "$S/ot_lab.ko" \
	> run2.out 2> run2.err
echo $? > run2.rc
echo "job: run 2 (staprun -o -c) took $(($(date +%s) - t)) s"

t=$(date +%s)
"$OT" --staprun "$S/ot_lab_f.ko" --format csv --fields kind,flags,return,truncated,filename,comm \
	-o "$S/run3.csv" > run3.out 2> run3.err &
ot=$!
i=0
until grep -q 'tracing, Ctrl-C to end' run3.err 2> /dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $ot 2> /dev/null; then
		echo "job: run 3 did not start"
		break
	fi
	sleep 0.1
done
"$S/lab-opens" "$S/files3" "$S/expected3.txt"
sleep 0.5
kill -INT $ot
wait $ot
echo $? > run3.rc
echo "job: run 3 (filters, interrupted) took $(($(date +%s) - t)) s"

mkdir -p files4
t=$(date +%s)
[ -n "$RT" ] && export SYSTEMTAP_RUNTIME="$RT"
HOME=$STAPHOME "$OT" -S --events open,exec --format csv \
	--fields kind,flags,return,truncated,filename,comm,args -o "$S/run4.csv" \
	-- "$S/lab-opens" "$S/files4" "$S/expected4.txt" > run4.out 2> run4.err
echo $? > run4.rc
echo "job: run 4 (opentrace -S, stap in the guest) took $(($(date +%s) - t)) s"

# -B bcc on the same kernel: the syscall tracepoints, then kprobes. Its
# compiled programs are kept in the persistent share, so only a first lab
# compiles under TCG (about 50 s each).
mkdir -p files5 files6 "$STAPHOME/bcc-cache"
export OPENTRACE_BCC_CACHE="$STAPHOME/bcc-cache"
t=$(date +%s)
"$OT" -B bcc --format csv --fields kind,flags,return,truncated,filename,comm \
	-o "$S/run5.csv" -- "$S/lab-opens" "$S/files5" "$S/expected5.txt" > run5.out 2> run5.err
echo $? > run5.rc
echo "job: run 5 (-B bcc, tracepoints) took $(($(date +%s) - t)) s"
t=$(date +%s)
OPENTRACE_BCC_KPROBES=1 "$OT" -B bcc --format csv \
	--fields kind,flags,return,truncated,filename,comm \
	-o "$S/run6.csv" -- "$S/lab-opens" "$S/files6" "$S/expected6.txt" > run6.out 2> run6.err
echo $? > run6.rc
echo "job: run 6 (-B bcc, kprobes) took $(($(date +%s) - t)) s"
EOF

# 4. boot; the console is the guest's log
say "booting the guest"
OT_GUEST_RW="$SHARE $STAPHOME" OT_GUEST_TIMEOUT=${OT_LAB_TIMEOUT:-900} \
	ot_guest_boot "$W/initramfs.gz" "$SHARE/job.sh" "$W/console.log"
qrc=$?
grep -E '^(lab-init|job):' "$W/console.log" | sed 's/\r$//' | sed 's/^/  /'
[ $qrc = 0 ] || { tail -n 40 "$W/console.log"; die "qemu exited with $qrc (124: timed out)"; }
say "guest done"

# 5. the verdicts
fail=0
check() { # NAME RCFILE
	rc=$(cat "$SHARE/$2" 2> /dev/null)
	if [ "$rc" != 0 ]; then
		say "$1: exit status '${rc:-none}'"
		sed 's/^/    /' "$SHARE/${2%.rc}.err" 2> /dev/null
		fail=1
	fi
}
check "run 1, opentrace --staprun -- CMD" run1.rc
check "run 2, staprun -c" run2.rc
check "run 3, opentrace --staprun, interrupted" run3.rc
check "run 4, opentrace -S" run4.rc
check "run 5, -B bcc on tracepoints" run5.rc
check "run 6, -B bcc on kprobes" run6.rc
python3 "$VM/compare.py" "$SHARE/expected1.txt" "$SHARE/run1.csv" || fail=1
"$OPENTRACE" --replay "$SHARE/raw2.txt" --format csv \
	--fields kind,flags,return,truncated,filename,comm -o "$W/replay2.csv" 2> "$W/replay2.err" ||
	{ cat "$W/replay2.err"; fail=1; }
python3 "$VM/compare.py" "$SHARE/expected2.txt" "$W/replay2.csv" || fail=1
# the same workload, traced live and replayed from a raw capture, gives the same events
if ! grep -av '^kind' "$SHARE/run1.csv" | sed "s,$SHARE/expected1.txt,EXPECTED," > "$W/run1.norm" ||
   ! grep -av '^kind' "$W/replay2.csv" | sed "s,$SHARE/expected2.txt,EXPECTED," > "$W/replay2.norm" ||
   ! cmp -s "$W/run1.norm" "$W/replay2.norm"; then
	say "--staprun and --replay of a raw capture differ"
	diff "$W/run1.norm" "$W/replay2.norm" | head -n 20
	fail=1
fi
python3 "$VM/compare.py" "$SHARE/expected3.txt" "$SHARE/run3.csv" failed-rdonly-creat || fail=1
python3 "$VM/compare.py" "$SHARE/expected4.txt" "$SHARE/run4.csv" || fail=1
python3 "$VM/compare.py" "$SHARE/expected5.txt" "$SHARE/run5.csv" || fail=1
python3 "$VM/compare.py" "$SHARE/expected6.txt" "$SHARE/run6.csv" || fail=1
# ...and run 4's one exec: the held command becoming the workload
python3 - "$SHARE" << 'EOF' || fail=1
import csv, io, json, sys
s = sys.argv[1]
rows = [r for r in csv.DictReader(io.StringIO(open(s + '/run4.csv', 'rb').read().decode('latin-1'),
                                              newline='')) if r['kind'] == 'execve']
want = [s + '/lab-opens', s + '/files4', s + '/expected4.txt']
if len(rows) != 1 or rows[0]['filename'] != want[0] or rows[0]['return'] != '0' or \
   json.loads(rows[0]['args']) != want:
    print('run 4: the exec event is not the workload\'s: %r' % rows)
    sys.exit(1)
print('%s/run4.csv: the exec event as expected' % s)
EOF
grep -h 'events,' "$SHARE"/run*.err | sed 's/^/  /'

[ $fail = 0 ] || die "the stap backend does not match the workload on $REL"
say "PASS: on $REL: stap (--build-module, --staprun, staprun + --replay, filters, -S) and bcc (tracepoints, kprobes)"
exit 0
