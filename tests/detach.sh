# Sourced by live-detach.test and bcc-detach.test, after init.sh and
# require_backend_: nothing opentrace loaded outlives it. The command reads
# its parent's (opentrace's) /proc/PID/fdinfo while everything is
# attached, which names the programs, links and maps opentrace holds by
# their ids; once opentrace has exited, none of those ids may exist a
# moment later. A link goes when its last descriptor is closed; a program
# or map may wait for an RCU grace period, so the check allows 5 s on a
# loaded machine. Ids are not handed out again soon after, so other
# tracers running at the same time cannot be mistaken for ours.
require_prog_ bpftool

detach_check_()	# backend
{
	"$OPENTRACE" -B "$1" -o out -- sh -c 'cat /proc/$PPID/fdinfo/* > held; exit 7' 2> err
	rc=$?
	[ "$rc" = 7 ] || { cat err >&2; fail_ "-B $1: exit $rc, want the command's 7"; }
	for kind in prog link map; do
		sed -n "s/^${kind}_id:[[:space:]]*//p" held | sort -un > "held.$kind"
	done
	[ -s held.prog ] || fail_ "-B $1: the command saw no BPF program held by opentrace"
	i=0
	while :; do
		left=
		for kind in prog link map; do
			while read -r id; do
				bpftool "$kind" show id "$id" > /dev/null 2>&1 && left="$left $kind $id"
			done < "held.$kind"
		done
		[ -z "$left" ] && break
		i=$((i + 1))
		[ $i -lt 50 ] || fail_ "-B $1: still in the kernel 5 s after opentrace exited:$left"
		sleep 0.1
	done
}
