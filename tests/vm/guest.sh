# tests/vm/guest.sh: Debian's stock kernels booted under qemu, for the lab
# (tests/vm/lab.sh) and any test that needs a real kernel of another
# release. Sourced by sh (dash) or bash; every name it defines begins with
# ot_guest_ or OT_GUEST_. Functions return non-zero with a message on
# standard error ("guest: ...") when something fails; none exits.
#
# Settings, read when a function runs:
#   OT_GUEST_CACHE    directory for fetched kernels (required; e.g.
#                     $top_builddir/tests/vm-cache)
#   OT_GUEST_VM       the directory of tests/vm/init (default:
#                     $top_srcdir/tests/vm)
#   OT_GUEST_RW       host directories the guest mounts writable, at the
#                     same paths, separated by spaces (default: none)
#   OT_GUEST_MEM      guest memory in MB (default 512)
#   OT_GUEST_CPUS     virtual CPUs (default 1: TCG runs each on a host core)
#   OT_GUEST_TIMEOUT  seconds before qemu is killed (default 900)
#   OT_GUEST_MIRROR, OT_GUEST_SECURITY_MIRROR
#                     the Debian archive and its security archive (default:
#                     the URIs of this machine's apt sources for its own
#                     release, else deb.debian.org)
# Paths given to the guest may not hold whitespace or commas (they travel
# on the kernel's command line).
#
# ot_guest_kernel SUITE
#   The newest amd64 kernel of a Debian suite (bullseye: 5.10, bookworm:
#   6.1, trixie: 6.12; the suite and its security updates), with its
#   headers and kbuild, fetched with apt-get download against a private
#   sources list and state directory (the machine's apt sources and state
#   are neither used nor changed) and unpacked with dpkg-deb -x into
#   $OT_GUEST_CACHE/SUITE. Fetched once: later calls use the cache without
#   the network (remove the directory to refresh it). Sets:
#     OT_GUEST_REL      the release, as uname -r says in the guest
#     OT_GUEST_VMLINUZ  the kernel image
#     OT_GUEST_ROOT     the unpacked tree, whose lib/modules/REL holds the
#                       modules (with modules.dep) and build and source
#                       links to the headers
#     OT_GUEST_BUILD    the headers (what /lib/modules/REL/build is)
#     OT_GUEST_SOURCE   the common headers (/lib/modules/REL/source)
#     OT_GUEST_NOTES    what had to be adapted for this host to build
#                       modules for the kernel (one line each; empty when
#                       nothing): a compiler the host lacks, kbuild tools
#                       linked against a newer glibc
#
# ot_guest_initramfs OUT [MODULE...]
#   An initramfs for the kernel last chosen: busybox, tests/vm/init, and
#   the modules its mounts need (virtio_pci, 9pnet_virtio, 9p) plus
#   MODULEs (e.g. virtio_net), with what they depend on, in load order
#   (modules.dep; built-in ones are left out, compressed ones unpacked).
#
# ot_guest_with_headers COMMAND [ARG...]
#   Runs COMMAND on the host in a private mount namespace (unshare -m)
#   whose /lib/modules is the chosen kernel's tree, so that stap -r REL and
#   kbuild find its headers as /lib/modules/REL/build; nothing is
#   installed and the host's mounts are unchanged. PATH leads with the
#   build helpers OT_GUEST_NOTES speaks of, and a pahole that does nothing
#   (modules built here carry no BTF of their own).
#
# ot_guest_boot INITRAMFS JOB LOG [QEMU-ARG...]
#   Boots the chosen kernel under qemu (TCG) with INITRAMFS. The guest
#   mounts the host's root read-only over 9p, the OT_GUEST_RW directories
#   writable, proc, sysfs, devtmpfs, devpts, debugfs, tracefs and tmpfs on
#   /run and /tmp (not on /tmp when a writable directory, the kernel cache
#   or JOB lies under it: TMPDIR is then /run/tmp), and the kernel's own
#   tree over /lib/modules (so its headers are /lib/modules/$(uname
#   -r)/build, as BCC and stap look for them); then runs `sh JOB` chrooted
#   in the host's tree, in JOB's directory, and powers off. JOB is a host
#   path. The console, with all the job prints, goes to LOG. Returns
#   qemu's exit status (0 after a clean power-off, 124 when
#   OT_GUEST_TIMEOUT ran out). QEMU-ARGs are appended to qemu's command
#   line; without a -nic, -netdev or -net among them the guest has no
#   network. For example, a guest reachable by ssh on the host's
#   loopback only (with virtio_net given to ot_guest_initramfs):
#     ot_guest_boot "$I" "$JOB" "$LOG" \
#         -nic user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22
#   Run it in the background (&) to boot several guests at once.

ot_guest_msg()
{
	echo "guest: $*" >&2
}

ot_guest_pathok()	# PATH...: whether each can go on the kernel's command line
{
	local p

	for p in "$@"; do
		case $p in
		*[[:space:],]* | '')
			ot_guest_msg "path '$p' is empty or holds whitespace or a comma"
			return 1 ;;
		esac
	done
}

# This machine's Debian release (bookworm), from os-release.
ot_guest_host_suite()
{
	sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2> /dev/null
}

# The archive this machine uses, for the private sources lists: the first
# URI serving its release (or the release's security updates) in its
# deb822 or one-line sources. Only the URI is taken.
ot_guest_mirror()	# main|security
{
	local want f

	want=$(ot_guest_host_suite)
	[ "$1" = security ] && want=$want-security
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$want" '
			/^[ \t]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) ok = 1 }
			END { if (uri != "" && ok) print uri }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n "s/^deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+$want[ \t].*/\2/p" "$f"
	done
}

# apt with a private sources list, state and cache in DIR; the machine's
# apt.conf.d (proxies and the like) still applies.
ot_guest_apt()	# DIR apt-get|apt-cache ARG...
{
	local d=$1 cmd=$2

	shift 2
	"$cmd" -q -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::Etc::preferences="$d/preferences" \
		-o Dir::Etc::preferencesparts="$d/preferences.d" \
		-o Dir::State::lists="$d/lists" -o Dir::State::status="$d/status" \
		-o Dir::Cache="$d/cache" -o Dir::Cache::archives="$d/cache/archives" \
		-o APT::Architectures::=amd64 -o APT::Sandbox::User=root "$@"
}

# A private apt state in DIR for SUITE and its security updates, updated.
ot_guest_apt_setup()	# SUITE DIR
{
	local suite=$1 d=$2 main sec key=/usr/share/keyrings/debian-archive-keyring.gpg

	main=${OT_GUEST_MIRROR:-$(ot_guest_mirror main | head -n 1)}
	sec=${OT_GUEST_SECURITY_MIRROR:-$(ot_guest_mirror security | head -n 1)}
	rm -rf "$d"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/preferences.d" "$d/debs" ||
		return 1
	: > "$d/status"
	: > "$d/preferences"
	{
		echo "deb [signed-by=$key] ${main:-http://deb.debian.org/debian} $suite main"
		echo "deb [signed-by=$key] ${sec:-http://deb.debian.org/debian-security}" \
		     "$suite-security main"
	} > "$d/sources.list"
	ot_guest_msg "$suite: fetching the package index"
	ot_guest_apt "$d" apt-get update > "$d/update.log" 2>&1 ||
		{ cat "$d/update.log" >&2; ot_guest_msg "apt-get update for $suite failed"; return 1; }
}

# The packages PACKAGE depends on whose names match PATTERN (a sed BRE).
ot_guest_depends()	# DIR PACKAGE PATTERN
{
	ot_guest_apt "$1" apt-cache depends --no-recommends --no-suggests "$2" 2> /dev/null |
		sed -n "s/^ *|\?Depends: \($3\)\$/\1/p"
}

# apt-get download PACKAGE... into DIR/debs, then dpkg-deb -x into ROOT.
ot_guest_unpack()	# DIR ROOT PACKAGE...
{
	local d=$1 root=$2 deb

	shift 2
	(cd "$d/debs" && ot_guest_apt "$d" apt-get download "$@") > "$d/download.log" 2>&1 ||
		{ cat "$d/download.log" >&2; ot_guest_msg "apt-get download $* failed"; return 1; }
	for deb in "$d"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root" || { ot_guest_msg "dpkg-deb -x $deb failed"; return 1; }
	done
	rm -rf "$d/debs" "$d/cache"
	mkdir -p "$d/debs"
}

# The newest glibc symbol version FILE needs, or nothing.
ot_guest_glibc_needed()	# FILE
{
	objdump -T "$1" 2> /dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
		sort -uV | tail -n 1
}

# The kbuild tools (fixdep, modpost, objtool...) of a newer Debian than
# this host's are linked against a newer glibc and cannot run here:
# replace them by this host's Debian build of the same kernel series
# (bookworm-security carries linux-kbuild-6.12.*+deb12, for instance).
ot_guest_fix_kbuild()	# DIR ROOT
{
	local dir=$1 r=$2 kb have f need top= bad= series host pkg tmp

	have=$(getconf GNU_LIBC_VERSION | sed 's/^glibc //')
	kb=$(cd "$r/usr/lib" && ls -d linux-kbuild-* | head -n 1)
	for f in $(find "$r/usr/lib/$kb" -type f -perm -u+x); do
		need=$(ot_guest_glibc_needed "$f")
		[ -n "$need" ] || continue
		if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
			bad="$bad ${f#"$r/usr/lib/$kb/"}"
			top=$need
		fi
	done
	[ -n "$bad" ] || return 0
	series=$(echo "${kb#linux-kbuild-}" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
	host=$(ot_guest_host_suite)
	ot_guest_apt_setup "$host" "$dir/apt-host" || return 1
	pkg=$(ot_guest_apt "$dir/apt-host" apt-cache pkgnames "linux-kbuild-$series" 2> /dev/null |
		grep -x "linux-kbuild-$series\([.+].*\)\?" | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		ot_guest_msg "$kb's tools need glibc $top, this host has $have, and $host has" \
			     "no linux-kbuild-$series to replace them"
		return 1
	fi
	tmp=$dir/apt-host/root
	ot_guest_unpack "$dir/apt-host" "$tmp" "$pkg" || return 1
	for f in $bad; do
		[ -f "$tmp/usr/lib/$pkg/$f" ] ||
			{ ot_guest_msg "$pkg has no $f to replace $kb's"; return 1; }
		cp "$tmp/usr/lib/$pkg/$f" "$r/usr/lib/$kb/$f" || return 1
	done
	rm -rf "$dir/apt-host"
	echo "$kb's tools need glibc $top, this host has $have: replaced by those of $pkg" \
	     "(from $host)" >> "$dir/notes"
}

# What kbuild runs that this host lacks, in DIR/bin: a pahole that does
# nothing (6.12's headers carry vmlinux for module BTF, and the pahole
# options the kernel was built with: stap's modules need no BTF), and the
# compiler the kernel was built with when the host has no such command.
ot_guest_build_tools()	# DIR ROOT REL
{
	local dir=$1 r=$2 rel=$3 cc

	mkdir -p "$dir/bin" || return 1
	printf '#!/bin/sh\n# modules built for the lab carry no BTF\nexit 0\n' > "$dir/bin/pahole"
	chmod +x "$dir/bin/pahole"
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' \
		"$r/usr/src/linux-headers-$rel/.config")
	[ -z "$cc" ] && return 0
	command -v "$cc" > /dev/null && return 0
	# gcc 14's -fmin-function-alignment=N is what kbuild passes an older gcc
	# as -falign-functions=N
	{
		echo '#!/bin/sh'
		echo "# $cc, which this host lacks: its gcc"
		echo 'for a; do'
		echo '	shift'
		echo '	case $a in -fmin-function-alignment=*) a=-falign-functions=${a#*=} ;; esac'
		echo '	set -- "$@" "$a"'
		echo 'done'
		echo 'exec gcc "$@"'
	} > "$dir/bin/$cc"
	chmod +x "$dir/bin/$cc"
	echo "$rel was built by $cc, which this host lacks: modules are built by gcc" \
	     "$(gcc -dumpfullversion) under that name" >> "$dir/notes"
}

ot_guest_fetch()	# SUITE DIR
{
	local suite=$1 dir=$2 apt image rel hdr more common mk r

	apt=$dir.tmp/apt
	rm -rf "$dir" "$dir.tmp"
	ot_guest_apt_setup "$suite" "$apt" || return 1
	image=$(ot_guest_depends "$apt" linux-image-amd64 'linux-image-[0-9][^ ]*-amd64' | head -n 1)
	[ -n "$image" ] || { ot_guest_msg "$suite has no linux-image-amd64"; return 1; }
	rel=${image#linux-image-}
	hdr=linux-headers-$rel
	more=$(ot_guest_depends "$apt" "$hdr" 'linux-\(headers-[^ ]*-common\|kbuild-[^ ]*\)')
	case $more in
	*-common*) ;;
	*) ot_guest_msg "$hdr depends on no -common headers"; return 1 ;;
	esac
	ot_guest_msg "$suite: fetching $image, $hdr," $more
	r=$dir.tmp/root
	# shellcheck disable=SC2086
	ot_guest_unpack "$apt" "$r" "$image" "$hdr" $more || return 1
	# trixie's modules are under usr/lib: the guest mounts lib/modules
	if [ -d "$r/usr/lib/modules/$rel" ]; then
		mkdir -p "$r/lib/modules/$rel" &&
			cp -a "$r/usr/lib/modules/$rel/." "$r/lib/modules/$rel/" &&
			rm -rf "$r/usr/lib/modules/$rel" || return 1
	fi
	# Debian's headers name their other half by an absolute path: make
	# them name the cache, so that they build from there.
	common=$(cd "$r/usr/src" && ls -d linux-headers-*-common* | head -n 1)
	mk=$r/usr/src/$hdr/Makefile
	sed -i "s,/usr/src/$common/,$dir/root/usr/src/$common/," "$mk" || return 1
	grep -q "$dir/root/usr/src/$common/Makefile" "$mk" ||
		{ ot_guest_msg "$mk does not include the -common Makefile as expected"; return 1; }
	ln -sfn "$dir/root/usr/src/$hdr" "$r/lib/modules/$rel/build"
	ln -sfn "$dir/root/usr/src/$common" "$r/lib/modules/$rel/source"
	depmod -b "$r" "$rel" || { ot_guest_msg "depmod for $rel failed"; return 1; }
	: > "$dir.tmp/notes"
	ot_guest_fix_kbuild "$dir.tmp" "$r" && ot_guest_build_tools "$dir.tmp" "$r" "$rel" ||
		return 1
	rm -rf "$apt"
	echo "$rel" > "$dir.tmp/release"
	mv "$dir.tmp" "$dir"
	ot_guest_msg "$suite: kernel $rel in $dir"
}

ot_guest_kernel()	# SUITE
{
	local suite=$1 dir

	: "${OT_GUEST_CACHE:?set OT_GUEST_CACHE}"
	case $suite in
	*[!a-z]* | '') ot_guest_msg "bad suite name '$suite'"; return 1 ;;
	esac
	dir=$OT_GUEST_CACHE/$suite
	mkdir -p "$OT_GUEST_CACHE" || return 1
	# one fetch at a time, whoever else boots guests from this cache
	( flock 9 && { [ -f "$dir/release" ] && [ -f "$dir/notes" ] ||
			ot_guest_fetch "$suite" "$dir"; } ) \
		9> "$OT_GUEST_CACHE/$suite.lock" || return 1
	OT_GUEST_REL=$(cat "$dir/release")
	OT_GUEST_ROOT=$dir/root
	OT_GUEST_VMLINUZ=$OT_GUEST_ROOT/boot/vmlinuz-$OT_GUEST_REL
	OT_GUEST_BUILD=$(readlink "$OT_GUEST_ROOT/lib/modules/$OT_GUEST_REL/build")
	OT_GUEST_SOURCE=$(readlink "$OT_GUEST_ROOT/lib/modules/$OT_GUEST_REL/source")
	OT_GUEST_NOTES=$(cat "$dir/notes")
	ot_guest_tools=$dir/bin
	[ -f "$OT_GUEST_VMLINUZ" ] || { ot_guest_msg "no $OT_GUEST_VMLINUZ"; return 1; }
}

# MODULE and what it needs, each once, what it needs first; ot_guest_seen
# holds the modules already listed.
ot_guest_modlist()	# MODDIR MODULE
{
	local m line dep d

	m=$(echo "$2" | tr - _)
	case " $ot_guest_seen " in *" $m "*) return 0 ;; esac
	ot_guest_seen="$ot_guest_seen $m"
	line=$(awk -F: -v m="$m" '{
			n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n)
			if (n == m) { print; exit }
		}' "$1/modules.dep")
	if [ -z "$line" ]; then
		awk -v m="$m" '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n)
				if (n == m) found = 1 } END { exit !found }' "$1/modules.builtin" &&
			return 0
		ot_guest_msg "the kernel has no module $m"
		return 1
	fi
	for dep in ${line#*:}; do
		d=${dep##*/}
		ot_guest_modlist "$1" "${d%%.ko*}" || return 1
	done
	echo "${line%%:*}"
}

ot_guest_initramfs()	# OUT [MODULE...]
{
	local out=$1 md i list ko n m vm

	: "${OT_GUEST_REL:?call ot_guest_kernel first}"
	shift
	vm=${OT_GUEST_VM:-$top_srcdir/tests/vm}
	md=$OT_GUEST_ROOT/lib/modules/$OT_GUEST_REL
	i=$out.d
	rm -rf "$i"
	mkdir -p "$i/bin" "$i/lib/modules" "$i/proc" "$i/sys" "$i/dev" "$i/host" || return 1
	cp "$(command -v busybox)" "$i/bin/busybox" && cp "$vm/init" "$i/init" &&
		chmod +x "$i/init" "$i/bin/busybox" || return 1
	ot_guest_seen=
	list=$(for m in virtio_pci 9pnet_virtio 9p "$@"; do
			ot_guest_modlist "$md" "$m" || echo FAILED
		done)
	case $list in *FAILED*) return 1 ;; esac
	: > "$i/lib/modules/order"
	for ko in $list; do
		n=${ko##*/}
		case $ko in
		*.ko.xz) xz -dc "$md/$ko" > "$i/lib/modules/${n%.xz}" ;;
		*.ko.zst) zstd -qdc "$md/$ko" > "$i/lib/modules/${n%.zst}" ;;
		*.ko.gz) gzip -dc "$md/$ko" > "$i/lib/modules/${n%.gz}" ;;
		*) cp "$md/$ko" "$i/lib/modules/$n" ;;
		esac || { ot_guest_msg "cannot unpack $ko"; return 1; }
		echo "${n%%.ko*}.ko" >> "$i/lib/modules/order"
	done
	(cd "$i" && find . | cpio -o -H newc 2> /dev/null | gzip -1) > "$out" ||
		{ ot_guest_msg "packing the initramfs failed"; return 1; }
	rm -rf "$i"
}

ot_guest_with_headers()	# COMMAND [ARG...]
{
	: "${OT_GUEST_REL:?call ot_guest_kernel first}"
	PATH=$ot_guest_tools:$PATH unshare -m --propagation private sh -c \
		'mount --bind "$1" /lib/modules || exit 125; shift; exec "$@"' \
		sh "$OT_GUEST_ROOT/lib/modules" "$@"
}

ot_guest_boot()	# INITRAMFS JOB LOG [QEMU-ARG...]
{
	local initrd=$1 job=$2 log=$3 net="-nic none" a d n=0 rw

	: "${OT_GUEST_REL:?call ot_guest_kernel first}"
	shift 3
	# shellcheck disable=SC2086
	ot_guest_pathok "$job" "$OT_GUEST_ROOT" ${OT_GUEST_RW:-} || return 1
	rw=$(echo ${OT_GUEST_RW:-} | tr ' ' ,)
	for a in "$@"; do
		case $a in -nic | -netdev | -net) net= ;; esac
	done
	# the shares, then the QEMU-ARGs: add the shares at the end, rotate
	set -- "$@" --ot-guest-end--
	for d in ${OT_GUEST_RW:-}; do
		set -- "$@" -fsdev "local,id=rw$n,path=$d,security_model=none,multidevs=remap" \
			-device "virtio-9p-pci,fsdev=rw$n,mount_tag=rw$n"
		n=$((n + 1))
	done
	while [ "$1" != --ot-guest-end-- ]; do
		set -- "$@" "$1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	timeout "${OT_GUEST_TIMEOUT:-900}" qemu-system-x86_64 -m "${OT_GUEST_MEM:-512}" \
		-smp "${OT_GUEST_CPUS:-1}" -cpu max -accel tcg,thread=multi -nographic -no-reboot \
		$net -kernel "$OT_GUEST_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 ot_job=$job ot_rw=$rw ot_kroot=$OT_GUEST_ROOT" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
		"$@" < /dev/null > "$log" 2>&1
}
