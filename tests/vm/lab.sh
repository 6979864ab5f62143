#!/bin/sh
# The kernel matrix (make check-vm): every backend on Debian's stock
# kernels, booted under qemu with TCG (tests/vm/guest.sh), and on the host,
# all tracing one workload (tests/vm/lab-opens) that writes its own account
# of what it did.
#
#  1. In the background, kernel by kernel (bullseye's 5.10, bookworm's
#     6.1, trixie's 6.12): fetch the image, headers and kbuild into the
#     lab's cache, and cross-build on the host what the stap cells load:
#     opentrace -S --build-module -r RELEASE for the workload, and stap -p4
#     of the script opentrace -S will run in the guest, so that the
#     guest's stap finds it in the warmed cache and never compiles under
#     TCG. Where the installed stap's runtime calls task_work_cancel() and
#     the kernel renamed it, a patched copy of the runtime is used.
#  2. On the host: the workload under -B libbpf (with -F), -B bcc (and
#     forced onto kprobes where the kernel has them), and no -B.
#  3. One guest per kernel, one after another, each running
#     tests/vm/lab-job.sh: the cells auto (no -B), libbpf (with -F), bcc,
#     bcc-kprobes (OPENTRACE_BCC_KPROBES=1), stap-module (opentrace
#     --staprun of the cross-built module), stap-raw (staprun -o alone,
#     replayed on the host by opentrace --replay) and stap-guest
#     (opentrace -S: stap in the guest); on 6.1 also stap-filters (a
#     module with -u/-n/-x/--flags, interrupted) and nobtf (a tmpfs over
#     /sys/kernel/btf: opentrace must choose bcc and say why).
#  4. Each cell's events against the workload's account (tests/vm/compare.py),
#     and against the other cells' (pid and time aside); a known failure
#     (below) must fail with its known reason. Then the table, kernel by
#     backend, which README.md carries as the support matrix.
#
# Environment: top_builddir, top_srcdir, OPENTRACE (set by make);
# OT_LAB_KERNELS, the Debian suites to boot (default: bullseye bookworm
# trixie); OT_LAB_TIMEOUT for each guest (s).
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
# stap's cache (HOME/.systemtap) and bcc's compiled programs, for the host
# and the guests alike, kept across runs
LABHOME=$CACHE/home
KERNELS=${OT_LAB_KERNELS:-bullseye bookworm trixie}
CELLS="auto libbpf bcc bcc-kprobes stap-module stap-raw stap-guest"
FIELDS=kind,flags,return,truncated,filename,comm,args
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

# Known failures: cells that fail because of the program or the installed
# tools, not the lab, each with the reason its output must show (a grep
# -E pattern) and the explanation the table gives. A known failure that
# passes, or fails otherwise, fails the lab: then this list and README.md
# must change.
known()	# RELEASE CELL: prints "PATTERN<TAB>EXPLANATION" or nothing
{
	case $1:$2 in
	5.10.*:libbpf)
		printf '%s\t%s\n' 'lacks BPF ring buffers or task storage' \
			'the libbpf backend needs BPF task storage (Linux 5.11) and ring buffers (5.8); use -B bcc' ;;
	6.12.*:stap-*)
		printf '%s\t%s\n' "resolving probe point: identifier 'kernel'|get_user_pages_remote|strlcpy|do_each_thread|asm/unaligned.h" \
			"SystemTap 4.8 cannot build for 6.12: its tracepoint query defines COUNT_ARGS, which Linux 6.7 added to linux/args.h, and 6.12 builds with -Werror, so no kernel.trace() probe resolves (pass 2); its runtime also calls kernel APIs changed in 6.5-6.12 (get_user_pages_remote(), strlcpy(), do_each_thread(), asm/unaligned.h); SystemTap 5.1 or later is needed" ;;
	esac
}

[ "$(id -u)" = 0 ] || skip "needs root (the BPF cells, the private mount namespace)"
for p in stap qemu-system-x86_64 busybox cpio dpkg-deb apt-get python3 unshare depmod objdump xz; do
	command -v $p > /dev/null || skip "needs $p (run ./setup)"
done
[ -x "$OPENTRACE" ] || die "no opentrace at $OPENTRACE (make first)"

. "$VM/guest.sh"
OT_GUEST_CACHE=$CACHE
OT_GUEST_VM=$VM
rm -rf "$W"
mkdir -p "$CACHE" "$SHARE" "$LABHOME" "$W/results" || die "cannot create $W"
chmod 700 "$LABHOME"

${CC:-cc} -static -O2 -o "$SHARE/lab-opens" "$VM/lab-opens.c" -luring ||
	die "building the workload failed (it needs liburing-dev: run ./setup)"

# The stap runtime as the kernel needs it: the installed one, or a copy
# calling task_work_cancel_func() where the kernel renamed
# task_work_cancel() (Linux 6.1.192, 5.10.222 and other 2024 stable
# updates) and the installed stap still calls the old name.
runtime_for()	# COMMON-HEADERS: prints the runtime directory, or nothing
{
	grep -q 'task_work_cancel_func' "$1/include/linux/task_work.h" 2> /dev/null &&
		grep -q '(&task_work_cancel)' /usr/share/systemtap/runtime/stp_task_work.c ||
		return 0
	rt=$CACHE/stap-runtime
	if [ ! -f "$rt/stp_task_work.c" ]; then
		rm -rf "$rt" "$rt.tmp"
		cp -r /usr/share/systemtap/runtime "$rt.tmp" &&
			sed -i 's/(&task_work_cancel)/(\&task_work_cancel_func)/; s/"task_work_cancel"/"task_work_cancel_func"/' \
				"$rt.tmp/stp_task_work.c" && mv "$rt.tmp" "$rt" || return 1
	fi
	echo "$rt"
}

# Linux 6.7's <linux/args.h> defines COUNT_ARGS, and stap 4.8's
# tracepoint queries define it again: a redefinition their -Werror makes
# fatal, so that no kernel.trace() probe resolves. For such a kernel the
# lab builds with the kernel's compiler under -Wno-error (in DIR), so that
# the build goes on to what stap's runtime itself makes of the kernel.
stap_tools_for()	# DIR: prints the PATH prefix stap builds run with
{
	if grep -q '^#define COUNT_ARGS' "$OT_GUEST_SOURCE/include/linux/args.h" 2> /dev/null &&
	   grep -aq '^#define COUNT_ARGS' "$(command -v stap)"; then
		cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$OT_GUEST_BUILD/.config")
		next=$(PATH=$ot_guest_tools:$PATH command -v "$cc") || return 1
		mkdir -p "$1"
		printf '#!/bin/sh\n# stap 4.8 redefines COUNT_ARGS of <linux/args.h>\nexec %s "$@" -Wno-error\n' \
			"$next" > "$1/$cc"
		chmod +x "$1/$cc"
		echo "$1:$ot_guest_tools"
	else
		echo "$ot_guest_tools"
	fi
}

# 1. Per kernel, on the host: W/SUITE/{prep.log, prep.env, built-module,
# built-guest: "ok" or the reason the build failed}; prep.done last.
prepare()	# SUITE
{
	d=$W/$1
	mkdir -p "$d"
	t=$(date +%s)
	if ! ot_guest_kernel "$1" > "$d/fetch.log" 2>&1; then
		echo "fetching $1's kernel failed: $(tail -n 3 "$d/fetch.log")" > "$d/prep.failed"
		touch "$d/prep.done"
		return
	fi
	k=$SHARE/$OT_GUEST_REL
	mkdir -p "$k"
	ot_guest_initramfs "$d/initramfs.gz" > "$d/initramfs.log" 2>&1 ||
		echo "building the initramfs failed: $(cat "$d/initramfs.log")" > "$d/prep.failed"
	rt=$(runtime_for "$OT_GUEST_SOURCE")
	tools=$(stap_tools_for "$d/bin")
	{
		echo "REL=$OT_GUEST_REL"
		echo "RT=$rt"
		echo "TOOLS=$tools"
		echo "FETCH_S=$(($(date +%s) - t))"
	} > "$d/prep.env"
	t=$(date +%s)
	# the workload's module: what stap-module and stap-raw load
	if ot_guest_with_headers env HOME="$LABHOME" PATH="$tools:$PATH" \
		${rt:+SYSTEMTAP_RUNTIME="$rt"} "$OPENTRACE" -S --build-module "$k/ot_lab.ko" -r "$OT_GUEST_REL" \
		--events open,exec -- /bin/true > "$d/build-module.log" 2>&1; then
		echo ok > "$d/built-module"
	else
		cp "$d/build-module.log" "$d/built-module"
	fi
	# The script opentrace -S runs in the guest, through pass 4 into the
	# cache the guest's stap will find: same script on stdin, same runtime,
	# so the same C and hash. The options and arguments come from the run
	# line of --emit (without its -c: the command's pid comes with -G,
	# outside the hash).
	"$OPENTRACE" -S --emit --events open,exec -- /bin/true > "$d/guest.stp"
	if sed 1d "$d/guest.stp" | ot_guest_with_headers env HOME="$LABHOME" PATH="$tools:$PATH" \
		${rt:+SYSTEMTAP_RUNTIME="$rt"} bash -c 'f=$1 r=$2 args=()
		eval "set -- $(sed -n "1s/^# run: stap //p" "$f")"
		while [ $# -gt 0 ]; do
			case $1 in
			-c) shift ;;
			SCRIPT.stp) args+=(-) ;;
			*) args+=("$1") ;;
			esac
			shift
		done
		exec stap -p4 -r "$r" "${args[@]}"' sh "$d/guest.stp" "$OT_GUEST_REL" \
		> /dev/null 2> "$d/build-guest.log"; then
		echo ok > "$d/built-guest"
	else
		{ echo "stap -p4 failed:"; grep -E 'error|failed' "$d/build-guest.log" | head -n 8; } \
			> "$d/built-guest"
	fi
	if [ "$1" = bookworm ]; then
		ot_guest_with_headers env HOME="$LABHOME" PATH="$tools:$PATH" \
			${rt:+SYSTEMTAP_RUNTIME="$rt"} "$OPENTRACE" -S --build-module "$k/ot_lab_f.ko" -r "$OT_GUEST_REL" \
			-u 0 -n lab-op -x --flags 'O_RDONLY|O_CREAT' > "$d/build-filters.log" 2>&1 &&
			echo ok > "$d/built-filters" || cp "$d/build-filters.log" "$d/built-filters"
	fi
	echo "BUILD_S=$(($(date +%s) - t))" >> "$d/prep.env"
	touch "$d/prep.done"
}
say "preparing $KERNELS in the background (fetching, cross-building stap modules)"
(for s in $KERNELS; do prepare "$s"; done) > "$W/prepare.log" 2>&1 &
prep_pid=$!

# The verdict of one cell: W/results/KERNEL.CELL holds
# "STATUS<TAB>MATCHED/EXPECTED<TAB>REASON" (STATUS pass, FAIL, known, n/a)
# and W/results/KERNEL.CELL.norm its events for the comparison between
# cells.
verdict()	# KERNEL CELL STATUS MATCHED REASON
{
	printf '%s\t%s\t%s\n' "$3" "$4" "$5" > "$W/results/$1.$2"
	case $3 in
	pass) say "$1 $2: pass, $4 events as expected" ;;
	known) say "$1 $2: known failure: $5" ;;
	n/a) say "$1 $2: n/a: $5" ;;
	*) say "$1 $2: FAIL: $5" ;;
	esac
}

# The reason a run failed: its messages, without the summary line and
# the stap and bcc backends' note that they leave io_uring out.
reason_of()	# ERR-FILE
{
	grep -av -e '^opentrace: [0-9]* events' -e 'io_uring opens are not traced' -e '^$' \
		"$1" 2> /dev/null | head -n 6 | tr '\n' ' ' | sed 's/  */ /g; s/ $//'
}

# judge KERNEL CELL DIR RC-OR-EMPTY [compare.py options]: DIR holds
# trace.csv, err, files/account.
judge()
{
	kernel=$1 cell=$2 dir=$3 rc=$4
	shift 4
	kn=$(known "$kernel" "$cell")
	if [ "$rc" != 0 ] || [ ! -s "$dir/trace.csv" ]; then
		why=$(reason_of "$dir/err")
		[ "$rc" = 124 ] && why="timed out after $(cat "$dir/limit" 2> /dev/null || echo 300) s; $why"
		why=${why:-exit status ${rc:-none} and no trace}
		if [ -n "$kn" ] && printf '%s\n' "$why" | grep -qE "${kn%%	*}"; then
			verdict "$kernel" "$cell" known - "${kn#*	}: \"$why\""
		else
			verdict "$kernel" "$cell" FAIL - "$why"
			[ -n "$kn" ] && say "  (a known failure, but not for its known reason: ${kn%%	*})"
		fi
		return
	fi
	# a filtered cell's events are a subset: only its account says what
	# they must be
	norm="--norm $W/results/$kernel.$cell.norm"
	case " $* " in *" --filter "*) norm= ;; esac
	# shellcheck disable=SC2086
	python3 "$VM/compare.py" "$@" --dir "$dir/files" $norm \
		"$dir/files/account" "$dir/trace.csv" > "$dir/compare.out"
	crc=$?
	m=$(sed -n '1s/^\([0-9]*\) of \([0-9]*\) events.*/\1\/\2/p' "$dir/compare.out")
	if [ $crc = 0 ] && [ -z "$kn" ]; then
		verdict "$kernel" "$cell" pass "$m" ""
	elif [ $crc = 0 ]; then
		verdict "$kernel" "$cell" FAIL "$m" "a known failure now passes: update known() in tests/vm/lab.sh and README.md's matrix"
	else
		sed 's/^/    /' "$dir/compare.out"
		verdict "$kernel" "$cell" FAIL "$m" "the events differ from the workload's account"
	fi
}

# Which backend opentrace chose by itself (its "using B:" note, else the
# first), against the first usable one --list-backends names.
chosen()	# ERR LIST: prints "USED FIRST-USABLE"
{
	used=$(sed -n 's/^opentrace: using \([a-z]*\): .*/\1/p' "$1" | head -n 1)
	first=$(awk '$2 == "usable" { print $1; exit }' "$2")
	echo "${used:-libbpf} $first"
}

# Which of the libbpf backend's loaders ran (OPENTRACE_LIBBPF_DEBUG's line).
loader_of()	# KERNEL ERR
{
	l=$(sed -n 's/^opentrace: libbpf: loaded by //p' "$2" | head -n 1)
	if [ -n "$l" ]; then
		say "$1 libbpf: loaded by $l"
	fi
}

# 2. The host's column: the same workload, live here.
HOSTK=host
host_cell()	# CELL [VAR=VALUE...] OPENTRACE-OPTION...
{
	c=$1
	shift
	d=$W/host/$c
	mkdir -p "$d/files"
	env "$@" -o "$d/trace.csv" -- "$SHARE/lab-opens" "$d/files" "$d/files/account" \
		> "$d/out" 2> "$d/err"
	echo $?
}
say "the host: $(uname -r)"
"$OPENTRACE" --list-backends > "$W/host-backends" 2>&1
rc=$(host_cell libbpf OPENTRACE_LIBBPF_DEBUG=1 "$OPENTRACE" -B libbpf -F --events open,exec \
	--format csv --fields "$FIELDS,full_path")
judge "$HOSTK" libbpf "$W/host/libbpf" "$rc" --uring --full
loader_of "$HOSTK" "$W/host/libbpf/err"
rc=$(host_cell bcc "$OPENTRACE" -B bcc --events open,exec --format csv --fields "$FIELDS")
judge "$HOSTK" bcc "$W/host/bcc" "$rc"
if [ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/kernel/debug/tracing/kprobe_events ]; then
	rc=$(host_cell bcc-kprobes OPENTRACE_BCC_KPROBES=1 "$OPENTRACE" -B bcc --events open,exec \
		--format csv --fields "$FIELDS")
	judge "$HOSTK" bcc-kprobes "$W/host/bcc-kprobes" "$rc"
else
	verdict "$HOSTK" bcc-kprobes n/a - "this kernel has no kprobes"
fi
rc=$(host_cell auto "$OPENTRACE" --events open,exec --format csv --fields "$FIELDS")
set -- $(chosen "$W/host/auto/err" "$W/host-backends")
if [ "$1" != "$2" ]; then
	verdict "$HOSTK" auto FAIL - "chose $1, but the first usable backend is $2"
elif [ "$1" = libbpf ]; then
	judge "$HOSTK" auto "$W/host/auto" "$rc" --uring
else
	judge "$HOSTK" auto "$W/host/auto" "$rc"
fi
for c in stap-module stap-raw stap-guest; do
	verdict "$HOSTK" $c n/a - "$(sed -n 's/^stap *unusable: \([^;]*\).*/\1/p' "$W/host-backends")"
done

# 3. The guests, one after another.
for s in $KERNELS; do
	d=$W/$s
	while [ ! -f "$d/prep.done" ]; do
		kill -0 $prep_pid 2> /dev/null || break
		sleep 2
	done
	if [ -f "$d/prep.failed" ] || [ ! -f "$d/prep.env" ]; then
		say "$s: FAIL: $(cat "$d/prep.failed" 2> /dev/null || echo "preparing it failed")"
		echo "$s" >> "$W/failed-kernels"
		continue
	fi
	. "$d/prep.env"
	ot_guest_kernel "$s" 2> /dev/null || die "the cache of $s vanished"
	K=$REL
	say "$K ($s): fetched in ${FETCH_S}s, stap built in ${BUILD_S}s"
	[ -n "$OT_GUEST_NOTES" ] && printf '%s\n' "$OT_GUEST_NOTES" | sed "s/^/  $K: /"
	[ -n "$RT" ] && say "  $K: stap runtime: a copy calling task_work_cancel_func() ($RT)"
	case $TOOLS in *"$d/bin"*) say "  $K: stap builds with -Wno-error: its tracepoint queries redefine COUNT_ARGS of <linux/args.h>" ;; esac
	k=$SHARE/$K
	cells=$CELLS
	# a stap cell whose module did not build fails with the build's reason
	for c in stap-module stap-raw stap-guest stap-filters; do
		case $c in stap-guest) f=$d/built-guest ;; stap-filters) f=$d/built-filters ;;
		*) f=$d/built-module ;; esac
		[ -f "$f" ] || continue
		[ "$(cat "$f")" = ok ] && continue
		cells=$(echo " $cells " | sed "s/ $c / /")
		mkdir -p "$k/$c"
		cp "$f" "$k/$c/err"
		echo build > "$k/$c/rc"
	done
	[ "$s" = bookworm ] && [ "$(cat "$d/built-filters" 2> /dev/null)" = ok ] &&
		cells="$cells stap-filters"
	{
		echo "S=$k"
		echo "WORKLOAD=$SHARE/lab-opens"
		echo "OT=$OPENTRACE"
		echo "LABHOME=$LABHOME"
		echo "RT=$RT"
		echo "TOOLS=$TOOLS"
		echo "CELLS='$cells'"
		[ "$s" = bookworm ] && echo NOBTF=1
	} > "$k/job.env"
	cp "$VM/lab-job.sh" "$k/job.sh"
	say "$K: booting (cells:$cells)"
	t=$(date +%s)
	OT_GUEST_RW="$SHARE $LABHOME" OT_GUEST_TIMEOUT=${OT_LAB_TIMEOUT:-1800} \
		ot_guest_boot "$d/initramfs.gz" "$k/job.sh" "$d/console.log"
	qrc=$?
	grep -aE '^(lab-init|job):' "$d/console.log" | sed 's/\r$//; s/^/  /'
	[ $qrc = 0 ] || { tail -n 30 "$d/console.log"; say "$K: qemu exited with $qrc (124: timed out)"; }
	say "$K: guest done in $(($(date +%s) - t)) s"

	for c in $CELLS stap-filters nobtf; do
		dir=$k/$c
		[ -d "$dir" ] || continue
		rc=$(cat "$dir/rc" 2> /dev/null)
		case $c in
		libbpf)
			judge "$K" $c "$dir" "$rc" --uring --full
			loader_of "$K" "$dir/err" ;;
		stap-raw)
			if [ "$rc" = 0 ]; then
				"$OPENTRACE" --replay "$dir/raw.txt" --format csv --fields "$FIELDS" \
					-o "$dir/trace.csv" 2> "$dir/err"
				rc=$?
			fi
			judge "$K" $c "$dir" "$rc" ;;
		stap-filters) judge "$K" $c "$dir" "$rc" --filter failed-rdonly-creat ;;
		auto | nobtf)
			list=$k/list-backends
			[ $c = nobtf ] && list=$k/list-backends-nobtf
			set -- $(chosen "$dir/err" "$list")
			if [ "$1" != "$2" ]; then
				verdict "$K" $c FAIL - "chose $1, but the first usable backend is $2"
				continue
			fi
			if [ $c = nobtf ]; then
				if [ "$1" != bcc ] || ! grep -q '^opentrace: using bcc: libbpf cannot run here: the kernel has no BTF' "$dir/err"; then
					verdict "$K" $c FAIL - "without BTF, opentrace chose $1 and said: $(reason_of "$dir/err")"
					continue
				fi
				say "$K nobtf: $(grep '^opentrace: using' "$dir/err")"
			fi
			if [ "$1" = libbpf ]; then
				judge "$K" $c "$dir" "$rc" --uring
			else
				judge "$K" $c "$dir" "$rc"
			fi ;;
		*) judge "$K" $c "$dir" "$rc" ;;
		esac
	done
	sed "s/^/  $K: /" "$k/list-backends" 2> /dev/null
done
wait $prep_pid

# 4. Every cell against the others: the same events, pid and time aside.
fail=0
ref=$W/results/$HOSTK.libbpf.norm
for f in "$W"/results/*.norm; do
	[ "$f" = "$ref" ] && continue
	case $(cut -f1 "${f%.norm}") in pass) ;; *) continue ;; esac
	if ! cmp -s "$ref" "$f"; then
		n=$(basename "${f%.norm}")
		say "$n: its events differ from the host's libbpf run's:"
		diff -u "$ref" "$f" | sed -n '3,40p' | sed 's/^/    /'
		printf 'FAIL\t%s\tits events differ from the host libbpf run'"'"'s\n' \
			"$(cut -f2 "${f%.norm}")" > "${f%.norm}"
	fi
done

# The table: kernel by cell.
python3 - "$W/results" "$CELLS stap-filters nobtf" "$(uname -r)" > "$W/matrix.txt" << 'EOF'
import os, sys
d, cells, host = sys.argv[1], sys.argv[2].split(), sys.argv[3]
res, notes = {}, []
for name in sorted(os.listdir(d)):
    if name.endswith('.norm'):
        continue
    kernel, cell = name.rsplit('.', 1)
    status, matched, reason = open(os.path.join(d, name)).read().rstrip('\n').split('\t')
    if status == 'pass':
        text = 'pass %s' % matched
    else:
        if reason not in notes:
            notes.append(reason)
        text = '%s (%d)' % (status, notes.index(reason) + 1)
    res.setdefault(kernel, {})[cell] = text
cells = [c for c in cells if any(c in r for r in res.values())]
kernels = sorted(res, key=lambda k: (k.startswith('host'), [int(x) if x.isdigit() else 0
                                     for x in k.replace('-', '.').split('.')[:3]]))
print('| kernel | ' + ' | '.join(cells) + ' |')
print('|---|' + '---|' * len(cells))
for k in kernels:
    name = '%s (this host)' % host if k == 'host' else k
    print('| %s | ' % name + ' | '.join(res[k].get(c, '') for c in cells) + ' |')
print()
for i, n in enumerate(notes):
    print('(%d) %s' % (i + 1, n))
EOF
echo
cat "$W/matrix.txt"
echo
grep -q '^FAIL' "$W"/results/* 2> /dev/null && fail=1
[ -f "$W/failed-kernels" ] && fail=1
say "lab done in $(($(date +%s) - T0)) s"
[ $fail = 0 ] || die "cells failed (the table above; each cell's files are in $W)"
say "PASS"
exit 0
