#!/bin/bash
# make check-fleet: the fleet playbook (fleet/) against qemu guests of two
# kernels, reached by ssh on forwarded loopback ports.
#
#  - web-6.1: Debian's 6.1 (bookworm) with opentrace (the build tree's,
#    through the host's root over 9p), which picks its own backend;
#  - legacy-5.10: Debian's 5.10 (bullseye) with no opentrace, only
#    staprun: the playbook builds its module on this machine against
#    5.10's headers, fetched and unpacked (never installed), runs it there
#    with staprun and normalizes the raw output with opentrace --replay;
#  - down: an inventory host where nothing listens.
#
# The guests boot through tests/vm/guest.sh (qemu user networking with
# restrict=on: no route anywhere; hostfwd on 127.0.0.1 only). Each runs
# sshd from the host's tree and, once its trace is live, a workload
# (tests/vm/lab-opens --opens-only: the lab's opens, without its io_uring
# opens and execs) that writes the opens it made. ansible-playbook
# traces every host at once (-n lab-opens) and merges; then the merged
# JSONL and CSV must hold exactly each guest's opens under its host name,
# ordered by time, and the summary must say how each host went.
#
# Environment: top_builddir, top_srcdir, OPENTRACE (set by make);
# OT_FLEET_DURATION, the seconds each host traces (default 40).
set -u
: "${top_builddir:?run through make check-fleet}"
: "${top_srcdir:?run through make check-fleet}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
: "${OPENTRACE:=$top_builddir/opentrace}"
W=$top_builddir/tests/fleet.dir
T0=$(date +%s)
DURATION=${OT_FLEET_DURATION:-40}

say() { printf 'fleet [%4ss]: %s\n' $(($(date +%s) - T0)) "$*"; }
die() { say "FAIL: $*"; exit 1; }
skip()
{
	if [ "${CI:-}" = true ]; then
		say "FAIL (CI=true, cannot skip): $*"
		exit 99
	fi
	say "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (guests load modules; the module build mounts)"
for p in ansible-playbook ssh ssh-keygen /usr/sbin/sshd qemu-system-x86_64 busybox cpio \
	 apt-get dpkg-deb stap unshare python3 timeout; do
	command -v $p > /dev/null || skip "needs $p (run ./setup)"
done
[ -x "$OPENTRACE" ] || die "no opentrace at $OPENTRACE (make first)"

OT_GUEST_CACHE=$top_builddir/tests/vm-cache
OT_GUEST_VM=${OT_GUEST_VM:-$top_srcdir/tests/vm}
. "$OT_GUEST_VM/guest.sh"

rm -rf "$W"
S=$W/share
mkdir -p "$S" "$W/ansible/tmp" "$W/ansible/cp" || die "cannot create $W"
OT_GUEST_RW=$S
# a bound for a hung guest; a module built cold can take many minutes
OT_GUEST_TIMEOUT=$((DURATION + 3600))
export OT_GUEST_CACHE OT_GUEST_VM OT_GUEST_RW OT_GUEST_TIMEOUT

QEMU_PIDS=
cleanup()
{
	local p

	touch "$S"/*/stop 2> /dev/null
	# each boot runs timeout qemu... in a subshell: timeout passes the
	# signal on to qemu
	for p in $QEMU_PIDS; do
		pkill -P "$p" 2> /dev/null
		kill "$p" 2> /dev/null
	done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

${CC:-cc} -static -O2 -o "$S/lab-opens" "$top_srcdir/tests/vm/lab-opens.c" -luring ||
	die "building the workload failed"
ssh-keygen -q -t ed25519 -N '' -C fleet-test -f "$W/id" || die "ssh-keygen failed"
cp "$W/id.pub" "$S/authorized_keys"

# A guest: its directory in the share (sshd's host key and configuration,
# its temporary directories, the workload's account), its job, a boot in
# the background. Sets PORT, and VAR to the kernel's release.
boot_guest()	# NAME SUITE VAR
{
	local name=$1 suite=$2 g=$S/$1

	ot_guest_kernel "$suite" || die "no $suite kernel"
	mkdir -p "$g/tmp" "$g/async" "$g/files"
	ssh-keygen -q -t ed25519 -N '' -f "$g/host_key" || die "ssh-keygen failed"
	cat > "$g/sshd_config" <<- EOF2
		ListenAddress 0.0.0.0
		HostKey $g/host_key
		AuthorizedKeysFile $S/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		PidFile /run/sshd-fleet.pid
		Subsystem sftp internal-sftp
	EOF2
	cat > "$g/job.sh" <<- EOF2
		G=$g
		S=$S
	EOF2
	cat >> "$g/job.sh" << 'EOF2'
mkdir -p /run/sshd
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || echo "fleet-guest: no network"
/usr/sbin/sshd -f "$G/sshd_config" -E "$G/sshd.log" || echo "fleet-guest: sshd failed"
echo "fleet-guest: sshd started on $(uname -r)"
# The workload, once this guest's trace runs: ten seconds after its
# process appears (opentrace run with --host, or staprun), so the probes
# are attached, and well before its duration ends.
tracing()
{
	for p in /proc/[0-9]*; do
		case $(tr '\0' ' ' < "$p/cmdline" 2> /dev/null) in
		*opentrace\ *--host\ * | staprun\ * | */staprun\ *) return 0 ;;
		esac
	done
	return 1
}
until tracing || [ -e "$G/stop" ]; do sleep 0.5; done
if ! [ -e "$G/stop" ]; then
	echo "fleet-guest: the trace runs; the workload starts in 10 s"
	sleep 10
	"$S/lab-opens" --opens-only "$G/files" "$G/expected.txt" > "$G/workload.out" 2>&1
	echo $? > "$G/workload.rc"
	echo "fleet-guest: workload done"
fi
until [ -e "$G/stop" ]; do sleep 0.5; done
EOF2
	ot_guest_initramfs "$W/$name.initramfs" virtio_net || die "no initramfs for $name"
	PORT=$(free_port)
	ot_guest_boot "$W/$name.initramfs" "$g/job.sh" "$W/$name.console" \
		-nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22" &
	QEMU_PIDS="$QEMU_PIDS $!"
	eval "$3=\$OT_GUEST_REL"
	say "$name: booting $OT_GUEST_REL, ssh on 127.0.0.1:$PORT"
}

boot_guest web-6.1 bookworm REL_WEB
PORT_WEB=$PORT
boot_guest legacy-5.10 bullseye REL_LEGACY
PORT_LEGACY=$PORT
PORT_DOWN=$(free_port)
# Debian's stap 4.8 runtime calls task_work_cancel(), which stable updates
# of 5.10 and 6.1 renamed task_work_cancel_func(): the module builds with
# a patched copy of the runtime (the same as the lab's, in the same cache).
RT=
if grep -q task_work_cancel_func "$OT_GUEST_SOURCE/include/linux/task_work.h" &&
   grep -q '(&task_work_cancel)' /usr/share/systemtap/runtime/stp_task_work.c; then
	RT=$OT_GUEST_CACHE/stap-runtime
	if [ ! -f "$RT/stp_task_work.c" ]; then
		rm -rf "$RT"
		cp -r /usr/share/systemtap/runtime "$RT" || die "copying the stap runtime failed"
		sed -i 's/(&task_work_cancel)/(\&task_work_cancel_func)/; s/"task_work_cancel"/"task_work_cancel_func"/' \
			"$RT/stp_task_work.c"
	fi
	say "stap runtime: patched copy for task_work_cancel_func ($RT)"
fi
# The module build needs the mirror the guests' kernels came from.
MIRROR=${OT_GUEST_MIRROR:-$(ot_guest_mirror main | head -n 1)}
SECURITY=${OT_GUEST_SECURITY_MIRROR:-$(ot_guest_mirror security | head -n 1)}

SSH_OPTS="-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o LogLevel=ERROR"
for port in $PORT_WEB $PORT_LEGACY; do
	i=0
	# shellcheck disable=SC2086
	until ssh $SSH_OPTS -o BatchMode=yes -o ConnectTimeout=10 -i "$W/id" -p "$port" \
			root@127.0.0.1 true 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 60 ] || { tail -n 30 "$W"/*.console; die "no ssh on port $port after 3 minutes"; }
		sleep 3
	done
done
say "both guests answer ssh"

# The inventory and the run's settings, as a user would give them.
cat > "$W/inventory.yml" << EOF
all:
  vars:
    ansible_host: 127.0.0.1
    ansible_user: root
    ansible_python_interpreter: /usr/bin/python3
  hosts:
    web-6.1:
      ansible_port: $PORT_WEB
      opentrace_command: $OPENTRACE
      ansible_remote_tmp: $S/web-6.1/tmp
      ansible_async_dir: $S/web-6.1/async
      opentrace_remote_tmp: $S/web-6.1/tmp
    legacy-5.10:
      ansible_port: $PORT_LEGACY
      ansible_remote_tmp: $S/legacy-5.10/tmp
      ansible_async_dir: $S/legacy-5.10/async
      opentrace_remote_tmp: $S/legacy-5.10/tmp
    down:
      ansible_port: $PORT_DOWN
EOF
# On a machine where an opentrace is installed, the guests see it too;
# then the legacy guest is told to use a module all the same.
EXPECT_LEGACY_MODE=staprun
if command -v opentrace > /dev/null; then
	EXPECT_LEGACY_MODE=opentrace-staprun
	sed -i 's|^      ansible_port: '"$PORT_LEGACY"'$|&\n      opentrace_mode: staprun|' "$W/inventory.yml"
	say "an opentrace is installed here ($(command -v opentrace)): legacy-5.10 gets opentrace_mode: staprun"
fi
KEY=/usr/share/keyrings/debian-archive-keyring.gpg
python3 - "$W/vars.json" "$DURATION" "$W/results" "$OPENTRACE" "$top_builddir/tests/fleet-cache" "$RT" \
	"deb [signed-by=$KEY] ${MIRROR:-http://deb.debian.org/debian} bullseye main" \
	"deb [signed-by=$KEY] ${SECURITY:-http://deb.debian.org/debian-security} bullseye-security main" \
	<< 'EOF'
import json, sys
out, duration, results, opentrace, cache, runtime = sys.argv[1:7]
json.dump({
    'opentrace_options': ['-n', 'lab-opens'],
    'opentrace_duration': int(duration),
    'opentrace_poll': 2,
    'opentrace_results': results,
    'opentrace_build_command': opentrace,
    'opentrace_controller_command': opentrace,
    'opentrace_cache': cache,
    'opentrace_headers_sources': sys.argv[7:],
    'opentrace_build_environment': {'SYSTEMTAP_RUNTIME': runtime} if runtime else {},
}, open(out, 'w'), indent=1)
EOF

: > "$W/ansible.cfg"
export ANSIBLE_CONFIG=$W/ansible.cfg ANSIBLE_HOME=$W/ansible ANSIBLE_LOCAL_TEMP=$W/ansible/tmp \
	ANSIBLE_SSH_CONTROL_PATH_DIR=$W/ansible/cp ANSIBLE_PRIVATE_KEY_FILE=$W/id \
	ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_TIMEOUT=60 \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False \
	ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=120s $SSH_OPTS"
say "ansible-playbook: tracing for $DURATION s (the module build first: minutes on a cold stap cache)"
ansible-playbook -i "$W/inventory.yml" -e "@$W/vars.json" "$top_srcdir/fleet/trace.yml" \
	> "$W/playbook.log" 2>&1
prc=$?
sed -n '/TASK \[opentrace : Summary\]/,/^$/p; /^PLAY RECAP/,$p' "$W/playbook.log"
touch "$S/web-6.1/stop" "$S/legacy-5.10/stop"
for p in $QEMU_PIDS; do
	wait "$p"
done
QEMU_PIDS=
grep -h '^fleet-guest:' "$W"/*.console | sed 's/\r$//; s/^/  /'
for g in web-6.1 legacy-5.10; do
	[ "$(cat "$S/$g/workload.rc" 2> /dev/null)" = 0 ] ||
		die "$g: the workload did not run during the trace: $(cat "$S/$g/workload.out" 2> /dev/null)"
done
[ $prc = 0 ] || { cat "$W/playbook.log"; die "ansible-playbook exited with $prc"; }
say "playbook done"

python3 "$top_srcdir/tests/fleet/check.py" "$W/results" \
	"web-6.1=$S/web-6.1/expected.txt:ok:opentrace:libbpf:$REL_WEB" \
	"legacy-5.10=$S/legacy-5.10/expected.txt:ok:$EXPECT_LEGACY_MODE:stap:$REL_LEGACY" \
	"down=:unreachable:::" || die "the merged trace is not what the guests did"
say "PASS: two kernels ($REL_WEB with opentrace, $REL_LEGACY with staprun only) and an unreachable host, merged"
