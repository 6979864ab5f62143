#!/bin/sh
# make check-deb: the Debian package that make deb built, installed with
# apt into a fresh Debian 12 (debootstrap --variant=minbase bookworm) as a
# user would, then run there: its files where they belong, its
# dependencies pulled in by apt alone, --list-backends, and a real trace.
#
# The pristine chroot is made once and kept in the build tree
# (tests/deb-cache/bookworm); every run installs into a fresh copy of it,
# in a private mount namespace (the chroot's /proc, /sys and /dev never
# show in this machine's mounts).
#
# Environment: top_builddir, top_srcdir (set by make).
set -u
: "${top_builddir:?run through make check-deb}"
: "${top_srcdir:?run through make check-deb}"
top_builddir=$(cd "$top_builddir" && pwd)
CACHE=$top_builddir/tests/deb-cache
W=$top_builddir/tests/deb.dir
T0=$(date +%s)

say() { printf 'deb [%4ss]: %s\n' $(($(date +%s) - T0)) "$*"; }
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

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mounts, BPF)"
for p in debootstrap unshare chroot python3; do
	command -v $p > /dev/null || skip "needs $p (run ./setup)"
done
DEB=$(ls "$top_builddir"/deb/opentrace_*.deb 2> /dev/null | head -n 1)
[ -n "$DEB" ] || die "no deb/opentrace_*.deb (make deb first)"

# The archive this machine's apt uses for bookworm, else Debian's.
MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2> /dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
	/etc/apt/sources.list 2> /dev/null | head -n 1)
: "${MIRROR:=http://deb.debian.org/debian}"

ROOT=$CACHE/bookworm
if [ ! -f "$ROOT/.complete" ]; then
	say "debootstrap --variant=minbase bookworm from $MIRROR (once; cached in $CACHE)"
	rm -rf "$ROOT"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/debootstrap.log"; die "debootstrap failed"; }
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	chroot "$ROOT" apt-get update -q > "$CACHE/update.log" 2>&1 ||
		{ cat "$CACHE/update.log"; die "apt-get update in the chroot failed"; }
	touch "$ROOT/.complete"
fi

rm -rf "$W"
mkdir -p "$W"
say "a fresh copy of the chroot"
cp -a "$ROOT" "$W/root" || die "copying the chroot failed"
cp "$DEB" "$W/root/tmp/" || die "copying the package failed"

# Inside: the chroot's own mounts, then as root in the chroot what a user
# does; everything it prints goes to the log, the verdicts to files.
cat > "$W/root/tmp/inside.sh" << 'EOF'
set -u
cd /tmp
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
apt-get install -y -q --no-install-recommends ./opentrace_*.deb > install.log 2>&1
echo $? > install.rc
dpkg-query -W -f '${Status} ${Version}\n' opentrace > status 2>&1
for f in /usr/bin/opentrace /usr/share/man/man1/opentrace.1.gz \
	 /usr/share/doc/opentrace/copyright /usr/share/doc/opentrace/README.md.gz \
	 /usr/share/opentrace/fleet/README.md /usr/share/opentrace/fleet/trace.yml \
	 /usr/share/opentrace/fleet/roles/opentrace/files/ot-merge; do
	[ -e "$f" ] || echo "$f"
done > missing
dpkg-query -W -f '${Package}\n' libbpf1 libelf1 zlib1g > deps 2>&1
opentrace --version > version 2>&1
opentrace --list-backends > list.txt 2> list.err
echo $? > list.rc
opentrace --list-backends --format json > list.json 2>> list.err
opentrace -B libbpf --format csv --fields comm,kind,return,filename -o trace.csv \
	-- cat /etc/hostname > trace.out 2> trace.err
echo $? > trace.rc
EOF
say "apt-get install ./$(basename "$DEB") in the chroot, then opentrace there"
unshare -m --propagation private sh -c '
	r=$1
	mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
		mount --rbind /dev "$r/dev" || exit 1
	exec chroot "$r" /bin/sh /tmp/inside.sh' sh "$W/root" ||
	die "could not enter the chroot"
T=$W/root/tmp

fail=0
bad() { say "$*"; fail=1; }
[ "$(cat "$T/install.rc")" = 0 ] || { cat "$T/install.log"; bad "apt-get install failed"; }
grep -q '^install ok installed ' "$T/status" || bad "not installed: $(cat "$T/status")"
[ -s "$T/missing" ] && bad "the package lacks: $(cat "$T/missing")"
[ "$(cat "$T/deps")" = "$(printf 'libbpf1\nlibelf1\nzlib1g')" ] ||
	bad "its dependencies were not installed with it: $(cat "$T/deps")"
say "installed: $(cat "$T/version"), with $(grep -c '^Unpacking' "$T/install.log") packages" \
	"unpacked by apt"
[ "$(cat "$T/list.rc")" = 0 ] || bad "--list-backends failed: $(cat "$T/list.err")"
sed 's/^/  /' "$T/list.txt"
grep -qx 'libbpf  usable' "$T/list.txt" || bad "libbpf is not usable in the chroot"
python3 - "$T/list.json" << 'EOF' || bad "--list-backends --format json: $(cat "$T/list.json")"
import json, os, sys
j = json.load(open(sys.argv[1]))
assert j['kernel_release'] == os.uname().release, j
assert j['default'] == 'libbpf' and j['btf'] is True, j
assert [b['name'] for b in j['backends']] == ['libbpf', 'bcc', 'stap'], j
EOF
[ "$(cat "$T/trace.rc")" = 0 ] || bad "the trace failed: $(cat "$T/trace.err")"
# cat's open of /etc/hostname: its fd 3
grep -qx '"cat","openat",3,"/etc/hostname"' "$T/trace.csv" ||
	bad "no open of /etc/hostname by cat in the trace: $(cat "$T/trace.csv")"
[ "$(cat "$T/trace.out")" = "$(cat "$W/root/etc/hostname")" ] || bad "cat's output was not passed on"
grep -h 'events,' "$T/trace.err" | sed 's/^/  /'
[ $fail = 0 ] || die "the package does not work in a fresh Debian 12"
say "PASS: $(basename "$DEB") installs into a fresh Debian 12 with its dependencies and traces"
rm -rf "$W/root"
