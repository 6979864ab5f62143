# tests/vm/lab-job.sh: what a lab guest runs, chrooted in the host's tree
# (tests/vm/guest.sh boots it; tests/vm/lab.sh writes its settings to
# job.env beside it and reads the results). Each cell traces the workload
# (tests/vm/lab-opens) once, one after another, in a directory of its own:
# CELL/files (the workload's), CELL/trace.csv, CELL/err, CELL/rc.
set -u
. ./job.env
# S: this kernel's directory in the share; WORKLOAD: the workload, by the
# same path in every cell (its exec events name it); OT: the host's
# opentrace; LABHOME: the persistent home (stap's cache, bcc's compiled
# programs); RT: a patched stap runtime, or empty; TOOLS: the build
# helpers stap on the host ran with (tests/vm/guest.sh); CELLS: the cells
# to run; NOBTF: 1 to run the BTF-less cell too.
FIELDS=kind,flags,return,truncated,filename,comm,args
export OPENTRACE_BCC_CACHE=$LABHOME/bcc
mkdir -p "$OPENTRACE_BCC_CACHE"
chmod 700 "$OPENTRACE_BCC_CACHE"

# cell NAME COMMAND...: runs COMMAND for the cell, with at most LIMIT
# seconds (300 unless the cell sets it; written to NAME/limit).
cell()
{
	name=$1
	shift
	D=$S/$name
	rm -rf "$D"
	mkdir -p "$D/files"
	echo "${LIMIT:-300}" > "$D/limit"
	t=$(date +%s)
	timeout "${LIMIT:-300}" "$@" > "$D/out" 2> "$D/err"
	echo $? > "$D/rc"
	echo "job: $name: exit $(cat "$D/rc") in $(($(date +%s) - t)) s"
}
"$OT" --list-backends > list-backends 2>&1
for c in $CELLS; do
	case $c in
	auto)
		cell auto "$OT" --events open,exec --format csv --fields "$FIELDS" \
			-o "$S/auto/trace.csv" -- "$WORKLOAD" "$S/auto/files" "$S/auto/files/account" ;;
	libbpf)
		cell libbpf env OPENTRACE_LIBBPF_DEBUG=1 "$OT" -B libbpf -F --events open,exec --format csv \
			--fields "$FIELDS,full_path" -o "$S/libbpf/trace.csv" \
			-- "$WORKLOAD" "$S/libbpf/files" "$S/libbpf/files/account" ;;
	bcc)
		cell bcc "$OT" -B bcc --events open,exec --format csv --fields "$FIELDS" \
			-o "$S/bcc/trace.csv" -- "$WORKLOAD" "$S/bcc/files" "$S/bcc/files/account" ;;
	bcc-kprobes)
		cell bcc-kprobes env OPENTRACE_BCC_KPROBES=1 "$OT" -B bcc --events open,exec \
			--format csv --fields "$FIELDS" -o "$S/bcc-kprobes/trace.csv" \
			-- "$WORKLOAD" "$S/bcc-kprobes/files" "$S/bcc-kprobes/files/account" ;;
	stap-module)
		cell stap-module "$OT" --staprun "$S/ot_lab.ko" --format csv --fields "$FIELDS" \
			-o "$S/stap-module/trace.csv" \
			-- "$WORKLOAD" "$S/stap-module/files" "$S/stap-module/files/account" ;;
	stap-raw)
		# staprun alone; the host replays its raw output
		cell stap-raw staprun -o "$S/stap-raw/raw.txt" \
			-c "$WORKLOAD $S/stap-raw/files $S/stap-raw/files/account" "$S/ot_lab.ko" ;;
	stap-guest)
		# stap itself, on the stap cache the host warmed: passes 1-3 and 5.
		# Measured on 5.10 (stap -v in the guest): pass 2 236 s of 248,
		# 175 s of it system time; strace shows it stat'ing /lib/modules
		# and the header tree over 9p (~10000 calls), but a tmpfs over
		# the module tree did not make it faster. 39 s in all on 6.1.
		LIMIT=900 cell stap-guest env HOME="$LABHOME" PATH="$TOOLS:$PATH" ${RT:+SYSTEMTAP_RUNTIME="$RT"} \
			"$OT" -S \
			--events open,exec --format csv --fields "$FIELDS" \
			-o "$S/stap-guest/trace.csv" \
			-- "$WORKLOAD" "$S/stap-guest/files" "$S/stap-guest/files/account" ;;
	stap-filters)
		# a module with filters, tracing every process of uid 0 until
		# opentrace is interrupted
		D=$S/stap-filters
		rm -rf "$D"
		mkdir -p "$D/files"
		t=$(date +%s)
		"$OT" --staprun "$S/ot_lab_f.ko" --format csv --fields "$FIELDS" \
			-o "$D/trace.csv" > "$D/out" 2> "$D/err" &
		ot=$!
		i=0
		until grep -q 'tracing, Ctrl-C to end' "$D/err" 2> /dev/null; do
			i=$((i + 1))
			if [ $i -gt 600 ] || ! kill -0 $ot 2> /dev/null; then
				echo "job: stap-filters: opentrace did not start"
				break
			fi
			sleep 0.1
		done
		"$WORKLOAD" "$D/files" "$D/files/account"
		sleep 0.5
		kill -INT $ot
		wait $ot
		echo $? > "$D/rc"
		echo "job: stap-filters: exit $(cat "$D/rc") in $(($(date +%s) - t)) s" ;;
	esac
done

# The kernel as if built without BTF: opentrace must choose bcc itself
# and say why libbpf cannot run.
if [ "${NOBTF:-}" = 1 ]; then
	if mount -t tmpfs nobtf /sys/kernel/btf; then
		"$OT" --list-backends > list-backends-nobtf 2>&1
		cell nobtf "$OT" --events open,exec --format csv --fields "$FIELDS" \
			-o "$S/nobtf/trace.csv" -- "$WORKLOAD" "$S/nobtf/files" "$S/nobtf/files/account"
		umount /sys/kernel/btf
	else
		echo "job: nobtf: cannot mount a tmpfs over /sys/kernel/btf"
	fi
fi
