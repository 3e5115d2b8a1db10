#!/bin/bash
# Run a command in a throwaway QEMU VM whose /sys/fs/cgroup is a pure
# cgroup v2 hierarchy with every controller enabled, and exit with its
# status.  What a hybrid host cannot show (the cgroup v2 controllers; later
# AppArmor, criu, systemd) is tested there; tests/vm/lane.sh uses it.
#
#   tests/vm/run-in-vm.sh [OPTIONS] -- COMMAND [ARG...]
#   tests/vm/run-in-vm.sh --check
#
#   --check            boot nothing: install what is missing, make the
#                      cache, and say whether a VM can run here (status 0,
#                      or 125 and why not)
#   --timeout S        stop the VM after S seconds, boot included
#                      (default 600; 0: never)
#   --mem MB           guest memory (default 2048)
#   --cpus N           guest CPUs (default: as many as the host has)
#   --env NAME[=VAL]   give COMMAND a variable (without =, the host's value)
#   --share DIR        share DIR read-write too, at the same path
#   --lsm NAME         the major security module: apparmor (Debian's
#                      default) or selinux (booted with security=selinux;
#                      the guest loads the host's policy,
#                      selinux-policy-default, in permissive mode)
#
# The guest:
#   - boots Debian's kernel (linux-image-amd64: the newest in /boot that has
#     its modules) with cgroup_no_v1=all, under KVM when KVM works on this
#     host and under TCG (emulation) otherwise;
#   - has the host's / read-only over 9p, under a tmpfs overlay that takes
#     the writes and is lost at power-off, and fresh tmpfs on /tmp,
#     /var/tmp and /run;
#   - has this build tree (the repository) and every --share read-write,
#     at their host paths: what COMMAND writes there stays;
#   - mounts cgroup2 on /sys/fs/cgroup, with every controller in the root's
#     cgroup.subtree_control;
#   - has only loopback networking; its hostname is moat-vm.
# COMMAND runs as root, in the current directory, through the host's
# /bin/sh, with stdin /dev/null and its stdout and stderr together on the
# VM's console, streamed here as they come.  Its environment is PATH (the
# host's), HOME=/root, TERM=dumb, LANG, LC_ALL and TZ when set, MOAT_VM=1
# (how the tests know they are in this VM) and the --env variables.
#
# Exit status: COMMAND's; 124 on timeout; 125 when the VM did not boot or
# stopped before COMMAND ended (saying why on stderr); 2 on a usage error.
#
# Needs qemu-system-x86, linux-image-amd64 and busybox-static: as root it
# installs those missing with apt-get.  Made once and cached in
# $MOAT_VM_CACHE (default: /var/cache/moat-vm as root, else
# ${XDG_CACHE_HOME:-~/.cache}/moat-vm): the initramfs (busybox,
# guest-init.sh beside this script, the modules it loads), the kernel
# uncompressed, and whether KVM works here.
#
# Environment: MOAT_VM_ACCEL (auto, kvm or tcg; default auto),
# MOAT_VM_KERNEL (a kernel version of /boot), MOAT_VM_VERBOSE=1 (kernel
# messages, qemu's stderr and a trace of the guest's init on the console).
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
prog=${0##*/}

timeout=600
mem=2048
cpus=$(nproc)
envs=()
check=0
lsm=apparmor
shares=("$repo")
accel=${MOAT_VM_ACCEL:-auto}
verbose=${MOAT_VM_VERBOSE:-0}
# a guest that has not started COMMAND by then is taken as hung: its boot
# takes seconds, even emulated
boot_limit=60

usage_error() {
	echo "$prog: $*" >&2
	echo "usage: $prog [--timeout S] [--mem MB] [--cpus N] [--env NAME[=VAL]]... [--share DIR]... [--lsm NAME] -- COMMAND [ARG...]" >&2
	exit 2
}

# the VM could not run COMMAND: why, and status 125
die() {
	echo "$prog: $*" >&2
	exit 125
}

# ---- command line -------------------------------------------------------------

parse_args() {
	local dir
	while [ $# -gt 0 ]; do
		case $1 in
		--timeout | --mem | --cpus | --env | --share | --lsm)
			[ $# -ge 2 ] || usage_error "$1 needs a value"
			case $1 in
			--timeout) timeout=$2 ;;
			--mem) mem=$2 ;;
			--cpus) cpus=$2 ;;
			--env) envs+=("$2") ;;
			--lsm) lsm=$2 ;;
			--share)
				dir=$(cd "$2" 2>/dev/null && pwd -P) || usage_error "--share $2: not a directory"
				shares+=("$dir")
				;;
			esac
			shift 2
			;;
		--check) check=1; shift ;;
		--) shift; break ;;
		*) usage_error "unknown option $1 (COMMAND comes after --)" ;;
		esac
	done
	[ $# -gt 0 ] || [ "$check" = 1 ] || usage_error "no COMMAND"
	command=("$@")
	case $timeout$mem$cpus in *[!0-9]*) usage_error "--timeout, --mem and --cpus take numbers" ;; esac
	if [ "$mem" -lt 256 ] || [ "$cpus" -lt 1 ]; then
		usage_error "--mem must be 256 or more and --cpus 1 or more"
	fi
	case $accel in auto | kvm | tcg) ;; *) usage_error "MOAT_VM_ACCEL must be auto, kvm or tcg" ;; esac
	case $lsm in apparmor | selinux) ;; *) usage_error "--lsm must be apparmor or selinux" ;; esac
	local s
	for s in "${shares[@]}"; do
		case $s in
		/) usage_error "--share /: the host's root is already there (read-only)" ;;
		*$'\n'* | *' '*) usage_error "share path with a space or a newline: $s" ;;
		esac
	done
}

# ---- what the VM is made of -------------------------------------------------------

# The newest kernel version in /boot that has its modules (the guest loads
# virtio, 9p and overlay from them, and can modprobe the rest), or
# $MOAT_VM_KERNEL.
find_kernel() {
	if [ -n "${MOAT_VM_KERNEL:-}" ]; then
		echo "$MOAT_VM_KERNEL"
		return
	fi
	local f
	for f in /boot/vmlinuz-*; do
		[ -d "/lib/modules/${f#/boot/vmlinuz-}/kernel" ] && echo "${f#/boot/vmlinuz-}"
	done | sort -V | tail -n 1
}

static_busybox() {
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

# CI starts from a fresh Debian: install what is missing (as root).
install_missing() {
	local missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	[ -n "$(find_kernel)" ] || missing+=(linux-image-amd64)
	static_busybox || missing+=(busybox-static)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
	echo "$prog: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# the lock timeout: another run may be installing them right now
	local apt=(apt-get -o DPkg::Lock::Timeout=300 -qq -y --no-install-recommends)
	{ "${apt[@]}" install "${missing[@]}" ||
		{ apt-get -qq update && "${apt[@]}" install "${missing[@]}"; }; } >&2 ||
		die "apt-get install ${missing[*]} failed"
	# installed is not yet usable (a PATH without /usr/bin, a kernel
	# package without its modules)
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found after installing qemu-system-x86"
	[ -n "$(find_kernel)" ] || die "no kernel in /boot with its modules after installing linux-image-amd64"
	static_busybox || die "no static /bin/busybox after installing busybox-static"
}

# The cache: built once, shared by concurrent runs (every entry is written
# under a temporary name and renamed into place), pruned of what has not
# been used for two days.
setup_cache() {
	if [ -n "${MOAT_VM_CACHE:-}" ]; then
		cache=$MOAT_VM_CACHE
	elif [ -z "${XDG_CACHE_HOME:-}" ] && [ "$(id -u)" = 0 ]; then
		cache=/var/cache/moat-vm
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/moat-vm
	fi
	mkdir -p "$cache" || die "cannot make the cache directory $cache"
	find "$cache" -mindepth 1 -maxdepth 1 -mmin +2880 -exec rm -rf {} + 2>/dev/null
}

# an entry's name: NAME-<hash of what it is made from>, hashed from stdin
cache_key() {
	sha256sum | cut -c1-16
}

# The kernel as an ELF vmlinux, which qemu boots straight into through its
# PVH entry: the bzImage's own decompression and real-mode start take
# seconds under TCG.  Prints the image to boot, the bzImage itself when the
# kernel has no PVH entry or its payload cannot be unpacked here.
kernel_image() {
	local kernel=/boot/vmlinuz-$kver out tmp
	out=$cache/vmlinux-$kver-$(stat -c '%s %Y' "$kernel" | cache_key)
	if [ ! -s "$out" ]; then
		grep -qx CONFIG_PVH=y "/boot/config-$kver" 2>/dev/null || { echo "$kernel"; return; }
		tmp=$(mktemp "$out.XXXXXX") || die "cannot write in $cache"
		if bzimage_payload "$kernel" >"$tmp" && [ "$(head -c 4 "$tmp" | tr -d '\0')" = $'\x7fELF' ]; then
			mv "$tmp" "$out"
		else
			rm -f "$tmp"
			echo "$kernel"
			return
		fi
	fi
	touch "$out"
	echo "$out"
}

# The compressed kernel of a bzImage, decompressed: where it is and how long
# are fields of the boot protocol's setup header (setup_sects at 0x1f1,
# payload_offset at 0x248, payload_length at 0x24c); its magic says by what
# it is compressed.  --single-stream and head: the payload ends with 4 bytes
# of size that are no part of the stream.
bzimage_payload() {
	local kernel=$1 sects offset length magic
	sects=$(od -An -tu1 -j $((0x1f1)) -N 1 "$kernel" | tr -d ' ')
	offset=$(od -An -tu4 -j $((0x248)) -N 4 "$kernel" | tr -d ' ')
	length=$(od -An -tu4 -j $((0x24c)) -N 4 "$kernel" | tr -d ' ')
	[ -n "$sects" ] && [ -n "$offset" ] && [ -n "$length" ] || return 1
	offset=$(((sects + 1) * 512 + offset))
	magic=$(tail -c +$((offset + 1)) "$kernel" | head -c 4 | od -An -tx1 | tr -d ' \n')
	tail -c +$((offset + 1)) "$kernel" | head -c "$length" | case $magic in
	fd377a58) xz -dc --single-stream ;;
	28b52ffd) zstd -qdc ;;
	1f8b*) gzip -dc 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# The modules stage 1 loads (virtio over PCI, 9p over virtio, overlay) with
# what they need, in load order, as modprobe's "insmod PATH" lines; those
# built in print as "builtin NAME" and need nothing.
module_paths() {
	local m
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$m" || die "module $m not found for kernel $kver"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# The initramfs: a static busybox, guest-init.sh as /init, the modules
# (uncompressed: busybox's insmod reads plain .ko).  Rebuilt when any of
# them changes.
initramfs_image() {
	local out tmp paths f name
	paths=$(module_paths) || exit 125
	mapfile -t paths <<<"$paths"
	out=$cache/initramfs-$kver-$({
		cat "$here/guest-init.sh"
		stat -c '%n %s %Y' /bin/busybox "${paths[@]}"
	} | cache_key).cpio
	if [ ! -s "$out" ]; then
		tmp=$(mktemp -d "$out.XXXXXX") || die "cannot write in $cache"
		mkdir -p "$tmp/bin" "$tmp/modules"
		cp /bin/busybox "$tmp/bin/busybox"
		install -m 0755 "$here/guest-init.sh" "$tmp/init"
		for f in "${paths[@]}"; do
			name=${f##*/}
			name=${name%.xz} name=${name%.zst} name=${name%.gz}
			case $f in
			*.xz) xz -dc "$f" ;;
			*.zst) zstd -qdc "$f" ;;
			*.gz) gzip -dc "$f" ;;
			*) cat "$f" ;;
			esac >"$tmp/modules/$name" || die "cannot unpack $f"
			echo "$name" >>"$tmp/modules/order"
		done
		(cd "$tmp" && find . | cpio -o -H newc -R 0:0 --quiet) >"$tmp.cpio" ||
			die "cannot build the initramfs"
		mv "$tmp.cpio" "$out"
		rm -rf "$tmp"
	fi
	touch "$out"
	echo "$out"
}

# KVM works when a kernel boots under it.  Without an initramfs the kernel
# panics at once for want of a root (panic=-1, -no-reboot: qemu exits 0).
# Some hosts have a /dev/kvm that cannot run a guest: qemu aborts (a nested
# hypervisor refusing an MSR) or the guest hangs.  Tried once per host
# kernel and qemu, the answer cached.
kvm_works() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local mark
	mark=$cache/kvm-$({ uname -r; qemu-system-x86_64 --version; } | cache_key)
	if [ ! -e "$mark.yes" ] && [ ! -e "$mark.no" ]; then
		if timeout 30 qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
			-accel kvm -cpu host -m 256 -kernel "$image" -append "panic=-1 quiet" \
			</dev/null >/dev/null 2>&1; then
			touch "$mark.yes"
		else
			touch "$mark.no"
		fi
	fi
	touch "$mark".* 2>/dev/null
	[ -e "$mark.yes" ]
}

# ---- one run ------------------------------------------------------------------------

# WORD quoted for /bin/sh
sh_quote() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

# The per-run directory $run: ctl/ is the guest's control share (see
# guest-init.sh), qemu.err qemu's messages.
prepare_run() {
	run=$(mktemp -d "${TMPDIR:-/tmp}/moat-vm.XXXXXX") || die "cannot make a temporary directory"
	mkdir "$run/ctl"
	[ "$verbose" = 1 ] && touch "$run/ctl/verbose"
	echo "$lsm" >"$run/ctl/lsm"
	# parents before children: a share inside another is mounted on it
	local i=0 s
	while read -r s; do
		echo "share$i $s"
		share_args+=(-fsdev "local,id=share$i,path=$s,security_model=$security"
			-device "virtio-9p-pci,fsdev=share$i,mount_tag=share$i")
		i=$((i + 1))
	done < <(printf '%s\n' "${shares[@]}" | sort -u) >"$run/ctl/shares"
	write_command >"$run/ctl/cmd"
}

# COMMAND as a /bin/sh script: its environment, its directory, itself.
write_command() {
	local v e name value
	echo "export PATH=$(sh_quote "$PATH") HOME=/root USER=root LOGNAME=root TERM=dumb MOAT_VM=1"
	for v in LANG LC_ALL TZ; do
		[ -n "${!v:-}" ] && echo "export $v=$(sh_quote "${!v}")"
	done
	for e in "${envs[@]}"; do
		name=${e%%=*}
		[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || usage_error "--env $e: not a variable name"
		if [ "$name" = "$e" ]; then value=${!name:-}; else value=${e#*=}; fi
		echo "export $name=$(sh_quote "$value")"
	done
	echo "umask 022"
	echo "cd $(sh_quote "$(pwd -P)") || exit 125"
	printf 'exec'
	for e in "${command[@]}"; do printf ' %s' "$(sh_quote "$e")"; done
	echo
}

# qemu's command line but for the accelerator, in qemu_args
qemu_command() {
	local append="console=ttyS0 rdinit=/init cgroup_no_v1=all"
	# a panic (the init died) ends qemu at once (with -no-reboot), not
	# after a timeout
	append+=" panic=-1"
	# emulated, the mitigations of speculative execution cost much and
	# protect nothing in a VM that lives for one command
	append+=" mitigations=off"
	# under TCG the clocksource watchdog can find the TSC unstable and move
	# to a slow emulated clock
	append+=" tsc=reliable"
	# one major security module at a time: AppArmor is the kernel's default
	[ "$lsm" = selinux ] && append+=" security=selinux selinux=1"
	# the kernel's messages would mix with COMMAND's output
	if [ "$verbose" = 1 ]; then append+=" loglevel=7"; else append+=" quiet loglevel=0"; fi
	# q35: a plain PCI machine; microvm would boot faster but has been seen
	# to hang at boot under TCG
	qemu_args=(-nodefaults -no-user-config -display none -no-reboot
		-machine q35 -smp "$cpus" -m "$mem"
		-kernel "$image" -initrd "$initrd" -append "$append"
		# signal=off: ^C stops this script, which stops qemu
		-chardev "stdio,id=console,signal=off" -serial chardev:console
		# remap: the host's / spans several filesystems, whose inode
		# numbers could collide in one 9p export
		-fsdev "local,id=hostroot,path=/,security_model=$security,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
		-fsdev "local,id=moatctl,path=$run/ctl,security_model=$security"
		-device "virtio-9p-pci,fsdev=moatctl,mount_tag=moatctl"
		"${share_args[@]}")
}

# Boot once with accelerator $1 and wait for qemu to end; sets outcome to
# ended (qemu ended by itself), timeout or hung (COMMAND not started in boot_limit s).
boot() {
	local accel_args started=$SECONDS
	if [ "$1" = kvm ]; then
		accel_args=(-accel kvm -cpu host)
	else
		# every guest CPU on a host thread
		accel_args=(-accel "tcg,thread=multi" -cpu max)
	fi
	rm -f "$run/ctl/booted" "$run/ctl/status"
	if [ "$verbose" = 1 ]; then
		qemu-system-x86_64 "${accel_args[@]}" "${qemu_args[@]}" </dev/null &
	else
		qemu-system-x86_64 "${accel_args[@]}" "${qemu_args[@]}" </dev/null 2>"$run/qemu.err" &
	fi
	qemu=$!
	outcome=ended
	while kill -0 "$qemu" 2>/dev/null; do
		if [ "$timeout" -gt 0 ] && [ $((SECONDS - t0)) -ge "$timeout" ]; then
			outcome=timeout
			break
		fi
		if [ ! -e "$run/ctl/booted" ] && [ $((SECONDS - started)) -ge "$boot_limit" ]; then
			outcome=hung
			break
		fi
		sleep 0.1
	done
	stop_qemu
}

# Stop our qemu, by its pid: TERM, then KILL.  Its status goes to
# qemu_status.  (wait's stderr: bash reports a job killed by a signal.)
stop_qemu() {
	[ -n "${qemu:-}" ] || return 0
	local i
	kill "$qemu" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	qemu_status=$?
	qemu=
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	stop_qemu
	[ -n "${run:-}" ] && rm -rf "$run"
}

# Why the VM did not give COMMAND's status, on stderr; exits 124 or 125.
report_failure() {
	if [ "$outcome" = timeout ]; then
		echo "$prog: timeout: stopped the VM after ${timeout}s" >&2
		exit 124
	fi
	if [ -e "$run/ctl/booted" ]; then
		echo "$prog: the VM stopped before COMMAND ended (qemu exit status $qemu_status)" >&2
	elif [ "$outcome" = hung ]; then
		echo "$prog: the VM did not boot: COMMAND not started after ${boot_limit}s, twice ($accel)" >&2
	else
		echo "$prog: the VM did not boot (qemu exit status $qemu_status, $accel)" >&2
	fi
	if [ -s "$run/qemu.err" ]; then
		echo "$prog: qemu said:" >&2
		tail -n 20 "$run/qemu.err" | sed 's/^/  /' >&2
	fi
	echo "$prog: MOAT_VM_VERBOSE=1 shows the kernel's messages and the init's trace" >&2
	exit 125
}

main() {
	parse_args "$@"
	install_missing
	kver=$(find_kernel)
	[ -n "$kver" ] || die "no kernel in /boot with its modules in /lib/modules (apt-get install linux-image-amd64)"
	if [ ! -r "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver" ]; then
		die "kernel $kver: /boot/vmlinuz-$kver or /lib/modules/$kver missing"
	fi
	setup_cache
	image=$(kernel_image) || exit 125
	initrd=$(initramfs_image) || exit 125
	# passthrough keeps owners and modes as they are: needs root; as a user,
	# files the guest makes are the user's
	if [ "$(id -u)" = 0 ]; then security=passthrough; else security=none; fi
	share_args=()
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	if [ "$accel" = auto ]; then
		if kvm_works; then accel=kvm; else accel=tcg; fi
	fi
	if [ "$check" = 1 ]; then
		echo "$prog: ready: kernel $kver, $accel, $cpus CPUs, $mem MB"
		exit 0
	fi
	prepare_run
	qemu_command
	t0=$SECONDS
	boot "$accel"
	if [ "$outcome" = hung ]; then
		echo "$prog: the VM did not start COMMAND within ${boot_limit}s: booting again" >&2
		boot "$accel"
	fi
	if [ "$outcome" = ended ] && [ -s "$run/ctl/status" ]; then
		exit "$(cat "$run/ctl/status")"
	fi
	report_failure
}

main "$@"
