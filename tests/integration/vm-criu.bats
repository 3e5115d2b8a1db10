#!/usr/bin/env bats
# Checkpoint and restore with CRIU for real: a counting container dumped
# and restored counts on; --leave-running; a pre-dump and a dump on it;
# bind mounts, tmpfs and masked paths; a terminal; an established TCP
# connection; a restore under another id; the memory through a page
# server, and lazily (userfaultfd); an empty network namespace; the
# config's AppArmor profile; failures that leave nothing.
# The VM lane (tests/vm/lane.sh) runs it: CRIU needs a kernel it knows
# (Debian's criu 3.17 cannot read the vDSO of newer kernels).  On a host
# where `criu check` fails the tests skip, saying so; in the VM they never
# skip.

load helpers
load ../lib/criu

setup() {
	criu_setup
}

@test "criu: a counting container checkpointed and restored counts on; state, kill and delete work on it" {
	_counter
	start "$ID"
	local old at
	old=$(pid_of "$ID")
	at=$(count "$ID")
	ok_io checkpoint --image-path "$T/img" "$ID"
	assert_eq "$(status_of "$ID")" stopped "status after checkpoint"
	wait_gone "$old" "the checkpointed init"
	[ -f "$T/img/inventory.img" ] && [ -f "$T/img/moat-checkpoint.json" ] && [ -f "$T/img/moat-config.json" ] ||
		fail "images: $(ls "$T/img")"
	ok_io restore -d --pid-file "$T/pid" --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	assert_eq "$(cat "$T/pid")" "$(pid_of "$ID")" "pid file"
	counts_on "$ID" "$at"
	run --separate-stderr moat exec "$ID" cat /tmp/count
	assert_status 0
	[ "$output" -ge "$at" ] || fail "exec in the restored container reads $output"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	wait_status "$ID" stopped
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "criu: restore without --detach takes the stopped container's id, waits and exits with its status" {
	set_sh 'i=0; while [ $i -lt 80 ]; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done; exit 7'
	start "$ID"
	ok_io checkpoint --image-path "$T/img" "$ID"
	assert_eq "$(status_of "$ID")" stopped "status after checkpoint"
	# its stdio as at the checkpoint: CRIU checks the size and mode of a
	# regular file given back
	local rc=0
	moat_io restore --image-path "$T/img" --bundle "$BUNDLE" "$ID" || rc=$?
	assert_eq "$rc" 7 "restore's status (stderr: $(cat "$T/err"))"
	assert_nothing_left "$ID"
}

@test "criu: --leave-running keeps the container; its image restores under another id" {
	_counter
	start "$ID"
	local pid at
	pid=$(pid_of "$ID")
	at=$(count "$ID")
	ok_io checkpoint --leave-running --image-path "$T/img" "$ID"
	assert_eq "$(status_of "$ID")" running "status"
	assert_eq "$(pid_of "$ID")" "$pid" "pid"
	counts_on "$ID" "$at"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-b"
	restored "$ID-b"
	counts_on "$ID-b" "$at"
	assert_ne "$(pid_of "$ID-b")" "$pid" "pid of the copy"
	run --separate-stderr moat delete -f "$ID-b"
	assert_status 0
	assert_nothing_left "$ID-b"
	assert_eq "$(status_of "$ID")" running "status of the original"
}

@test "criu: a pre-dump, then a dump on it with --parent-path, restores" {
	_counter
	start "$ID"
	local pid at
	pid=$(pid_of "$ID")
	ok_io checkpoint --pre-dump --image-path "$T/pre" "$ID"
	assert_eq "$(status_of "$ID")" running "status after the pre-dump"
	assert_eq "$(pid_of "$ID")" "$pid" "pid after the pre-dump"
	at=$(count "$ID")
	ok_io checkpoint --parent-path ../pre --image-path "$T/img" "$ID"
	[ -L "$T/img/parent" ] || fail "the dump does not build on the pre-dump: $(ls -l "$T/img")"
	assert_eq "$(status_of "$ID")" stopped "status after the dump"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
}

@test "criu: --work-path keeps CRIU's logs apart; --auto-dedup frees the parent's pages the dump takes again" {
	_counter
	start "$ID"
	local at before after
	ok_io checkpoint --pre-dump --image-path "$T/pre" --work-path "$T/work" "$ID"
	[ -f "$T/work/pre-dump.log" ] && [ ! -e "$T/pre/pre-dump.log" ] ||
		fail "the pre-dump's log: $(ls "$T/work" "$T/pre")"
	before=$(du -sk "$T/pre" | cut -f1)
	sleep 0.5
	at=$(count "$ID")
	ok_io checkpoint --parent-path ../pre --auto-dedup --image-path "$T/img" --work-path "$T/work" "$ID"
	[ -f "$T/work/dump.log" ] && [ ! -e "$T/img/dump.log" ] || fail "the dump's log: $(ls "$T/work" "$T/img")"
	after=$(du -sk "$T/pre" | cut -f1)
	[ "$after" -lt "$before" ] || fail "--auto-dedup freed nothing of the parent: $before KiB, then $after KiB"
	ok_io restore -d --image-path "$T/img" --work-path "$T/work2" --bundle "$BUNDLE" "$ID"
	[ -f "$T/work2/restore.log" ] && [ ! -e "$T/img/restore.log" ] || fail "the restore's log: $(ls "$T/work2" "$T/img")"
	restored "$ID"
	counts_on "$ID" "$at"
}

@test "criu: a bind mount, a tmpfs and masked paths are there again after restore" {
	bind_out /out
	mkdir -p "$ROOTFS/scratch"
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	set_sh 'echo kept >/scratch/file; i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i >/out/count; sleep 0.1; done'
	start "$ID"
	local at pid
	at=$(count "$ID")
	ok_io checkpoint --image-path "$T/img" "$ID"
	jq -e '.externalMounts | map(.key) | index("/out")' "$T/img/moat-checkpoint.json" >/dev/null ||
		fail "/out is not external: $(cat "$T/img/moat-checkpoint.json")"
	rm "$OUT/count"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	pid=$(pid_of "$ID")
	counts_on "$ID" "$at"
	wait_file "$OUT/count"
	[ "$(cat "$OUT/count")" -ge "$at" ] || fail "the bind mount gets $(cat "$OUT/count")"
	assert_eq "$(cat "/proc/$pid/root/scratch/file")" kept "the tmpfs's file"
	assert_eq "$(awk '$5 == "/scratch" { print $9 }' "/proc/$pid/mountinfo")" tmpfs "/scratch's filesystem"
	# a masked file is the host's /dev/null again (1:3), a masked directory
	# an empty read-only tmpfs
	assert_eq "$(stat -c %t:%T "/proc/$pid/root/proc/kcore")" 1:3 "masked /proc/kcore"
	local dir
	dir=$(jq -r '.linux.maskedPaths[] | select(. == "/proc/acpi" or . == "/proc/scsi")' "$CFG" | head -n 1)
	if [ -n "$dir" ]; then
		assert_eq "$(awk -v d="$dir" '$5 == d { print $9 }' "/proc/$pid/mountinfo")" tmpfs "masked $dir"
	fi
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "criu: a terminal container restores with its terminal on the new --console-socket" {
	[ -x "$RECVTTY" ] || fail "tests/lib/recvtty is not built (make check builds it)"
	cfg '.process.terminal = true'
	set_sh 'i=0; while :; do i=$((i+1)); echo "tick $i $(tty)"; sleep 0.2; done'
	start_recvtty "$T/tty1.sock" "$T/tty1.out" "$T/tty1.out.err"
	ok_io run -d --console-socket "$T/tty1.sock" --bundle "$BUNDLE" "$ID"
	record_pid "$ID"
	local i last
	for ((i = 0; i < 100; i++)); do
		grep -q "tick 5 " "$T/tty1.out" && break
		sleep 0.1
	done
	ok_io checkpoint --image-path "$T/img" "$ID"
	last=$(tr -d '\r' <"$T/tty1.out" | sed -n 's/^tick \([0-9]*\) .*/\1/p' | tail -n 1)
	[ -n "$last" ] || fail "no tick before the checkpoint: $(cat "$T/tty1.out")"
	# without a console socket there is nowhere for the terminal to go
	moat_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID" && fail "restore without --console-socket"
	assert_contains "$(cat "$T/err")" "needs --console-socket"
	start_recvtty "$T/tty2.sock" "$T/tty2.out" "$T/tty2.out.err"
	ok_io restore -d --console-socket "$T/tty2.sock" --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	for ((i = 0; i < 100; i++)); do
		[ "$(tr -d '\r' <"$T/tty2.out" | grep -c '^tick ')" -ge 3 ] && break
		sleep 0.1
	done
	local first
	first=$(tr -d '\r' <"$T/tty2.out" | sed -n 's/^tick \([0-9]*\) .*/\1/p' | head -n 1)
	[ -n "$first" ] && [ "$first" -gt "$last" ] ||
		fail "after restore the terminal shows [$(head -c 300 "$T/tty2.out")], the last tick before was $last"
	assert_contains "$(cat "$T/tty2.out")" "/dev/pts/" "the process's tty"
}

@test "criu: an established TCP connection on loopback goes on with --tcp-established (refused without)" {
	# the server's stdin never ends (a background job's is /dev/null, and
	# busybox nc ends the connection at its end); the client connects once
	# the server listens (port 5000 is 1388 in /proc/net/tcp6 or tcp, 0A:
	# LISTEN)
	set_sh 'sleep 100000 | nc -l -p 5000 >/tmp/recv &
		until grep -qs ":1388 [0-9A-F]*:0000 0A" /proc/net/tcp6 /proc/net/tcp; do sleep 0.1; done
		i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i; sleep 0.1; done | nc 127.0.0.1 5000'
	start "$ID"
	local pid at got
	pid=$(pid_of "$ID")
	wait_file "/proc/$pid/root/tmp/recv"
	moat_io checkpoint --image-path "$T/refused" "$ID" && fail "checkpoint of an established connection without --tcp-established"
	assert_contains "$(cat "$T/err")" "criu dump failed"
	assert_eq "$(status_of "$ID")" running "status after the refused dump"
	ok_io checkpoint --tcp-established --image-path "$T/img" "$ID"
	at=$(tail -n 1 "/proc/$pid/root/tmp/recv" 2>/dev/null || echo 0)
	ok_io restore -d --tcp-established --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	pid=$(pid_of "$ID")
	sleep 1
	got=$(tail -n 1 "/proc/$pid/root/tmp/recv")
	[ "$got" -gt "$((at + 3))" ] || fail "the server got $got after restore ($at before): the connection did not go on"
	# every number arrived once, in order: the stream is the same one
	awk 'NR != $1 { print "line " NR ": " $1; exit 1 }' "/proc/$pid/root/tmp/recv" ||
		fail "the stream has a gap or a repeat"
}

@test "criu: a network namespace joined by path is left out of the images and given back" {
	unshare --net sleep 1000 &
	local holder=$!
	helper_pid "$holder"
	cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/proc/$holder/ns/net"
	_counter
	start "$ID"
	local at
	at=$(count "$ID")
	ok_io checkpoint --image-path "$T/img" "$ID"
	assert_eq "$(jq .netExternal "$T/img/moat-checkpoint.json")" true "netExternal"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
	assert_eq "$(readlink "/proc/$(pid_of "$ID")/ns/net")" "$(readlink "/proc/$holder/ns/net")" "the restored init's network namespace"
}

# a TCP port on loopback, free now
free_port() {
	local p
	for ((p = 27000 + RANDOM % 1000; ; p++)); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

@test "criu: --page-server sends the memory to a page server; with its pages the images restore" {
	command -v ss >/dev/null || fail "ss is not installed (iproute2)"
	_counter
	start "$ID"
	local at port
	at=$(count "$ID")
	port=$(free_port)
	mkdir -p "$T/remote" "$T/img"
	criu page-server --images-dir "$T/remote" --address 127.0.0.1 --port "$port" -d \
		--pidfile "$T/ps.pid" -o "$T/ps.log" || fail "criu page-server did not start"
	on_teardown "kill \$(cat '$T/ps.pid' 2>/dev/null) 2>/dev/null"
	ok_io checkpoint --page-server "127.0.0.1:$port" --image-path "$T/img" "$ID"
	assert_eq "$(status_of "$ID")" stopped "status after checkpoint"
	# the memory went to the page server, not beside the other images
	compgen -G "$T/remote/pages-*.img" >/dev/null || fail "the page server got no pages: $(ls "$T/remote")"
	! compgen -G "$T/img/pages-*.img" >/dev/null || fail "pages were written locally: $(ls "$T/img")"
	cp -n "$T/remote"/*.img "$T/img/"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
}

@test "criu: --lazy-pages serves the memory from the page server; --status-fd says when; a lazy restore counts on" {
	command -v ss >/dev/null || fail "ss is not installed (iproute2)"
	criu check --feature uffd-noncoop >/dev/null 2>&1 ||
		fail "criu says no userfaultfd here: $(criu check --feature uffd-noncoop 2>&1 | tail -n 1)"
	_counter
	start "$ID"
	local at port cpt lp rc=0 i
	at=$(count "$ID")
	port=$(free_port)
	mkdir -p "$T/img"
	: >"$T/status"
	MOAT_TEST_TAG=$TAG timeout -k 5 300 "$MOAT" --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" \
		--root "$ROOT" checkpoint --lazy-pages --page-server "127.0.0.1:$port" --status-fd 3 \
		--image-path "$T/img" "$ID" 3>"$T/status" </dev/null >/dev/null 2>"$T/cpt.err" &
	cpt=$!
	for ((i = 0; i < 600; i++)); do
		[ -s "$T/status" ] || ! is_alive "$cpt" && break
		sleep 0.1
	done
	[ -s "$T/status" ] || fail "nothing on --status-fd: $(cat "$T/cpt.err")"
	assert_eq "$(od -An -tx1 "$T/status" | tr -d ' ')" 00 "what --status-fd got"
	[ -f "$T/img/inventory.img" ] || fail "no images before the pages are served: $(ls "$T/img")"
	criu lazy-pages --page-server --address 127.0.0.1 --port "$port" -D "$T/img" -o lazy.log &
	lp=$!
	on_teardown "kill $lp $cpt 2>/dev/null"
	ok_io restore -d --lazy-pages --image-path "$T/img" --bundle "$BUNDLE" "$ID-l"
	restored "$ID-l"
	counts_on "$ID-l" "$at"
	wait "$cpt" || rc=$?
	assert_eq "$rc" 0 "the lazy checkpoint's status (stderr: $(cat "$T/cpt.err"))"
	wait "$lp" || fail "criu lazy-pages failed: $(grep Error "$T/img/lazy.log" | head -n 3)"
	assert_eq "$(status_of "$ID")" stopped "status of the checkpointed container"
	counts_on "$ID-l" "$at"
}

@test "criu: --empty-ns network leaves the network namespace out: restored empty, and only with the flag" {
	_counter
	start "$ID"
	local at pid
	pid=$(pid_of "$ID")
	at=$(count "$ID")
	nsenter -t "$pid" -n ip addr add 10.211.0.1/32 dev lo || fail "cannot give the container an address"
	# a plain checkpoint takes the address along: the check below can fail
	ok_io checkpoint --leave-running --image-path "$T/full" "$ID"
	ok_io checkpoint --empty-ns network --image-path "$T/img" "$ID"
	assert_eq "$(jq .netEmpty "$T/img/moat-checkpoint.json")" true "netEmpty"
	ok_io restore -d --image-path "$T/full" --bundle "$BUNDLE" "$ID-f"
	restored "$ID-f"
	assert_contains "$(nsenter -t "$(pid_of "$ID-f")" -n ip -o addr show dev lo)" 10.211.0.1 "the restored network namespace"
	run --separate-stderr moat delete -f "$ID-f"
	assert_status 0
	moat_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID" &&
		fail "restore of an --empty-ns image without the flag succeeded"
	assert_contains "$(cat "$T/err")" "restore it with --empty-ns network"
	ok_io restore -d --empty-ns network --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
	pid=$(pid_of "$ID")
	assert_ne "$(readlink "/proc/$pid/ns/net")" "$(readlink /proc/self/ns/net)" "the restored init's network namespace"
	[[ "$(nsenter -t "$pid" -n ip -o addr)" != *10.211.0.1* ]] ||
		fail "the empty network namespace has the address: $(nsenter -t "$pid" -n ip -o addr)"
}

# load_profile NAME: an AppArmor profile that allows what the counter does
load_profile() {
	printf 'profile %s flags=(attach_disconnected,mediate_deleted) {\n file,\n capability,\n network,\n signal,\n ptrace,\n unix,\n mount,\n umount,\n pivot_root,\n}\n' "$1" >"$T/$1.profile"
	apparmor_parser -r -W "$T/$1.profile" 2>"$T/parser.err" ||
		fail "apparmor_parser cannot load $1: $(cat "$T/parser.err")"
	on_teardown "apparmor_parser -R '$T/$1.profile' 2>/dev/null"
}

@test "criu: the restored processes get the config's AppArmor profile, not the one in the images" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		[ "${MOAT_VM:-}" = 1 ] && fail "AppArmor is not enabled in the VM"
		skip "AppArmor is not enabled on this host (the VM lane has it)"
	fi
	command -v apparmor_parser >/dev/null || fail "apparmor_parser is not installed (the apparmor package)"
	load_profile moat-criu-a
	load_profile moat-criu-b
	cfg '.process.apparmorProfile = "moat-criu-a"'
	_counter
	start "$ID"
	local at
	at=$(count "$ID")
	assert_eq "$(cat "/proc/$(pid_of "$ID")/attr/current")" "moat-criu-a (enforce)" "the profile before"
	ok_io checkpoint --image-path "$T/img" "$ID"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
	assert_eq "$(cat "/proc/$(pid_of "$ID")/attr/current")" "moat-criu-a (enforce)" "the restored init's profile"
	ok_io checkpoint --image-path "$T/img2" "$ID"
	# the same images restored into a bundle that says moat-criu-b: the
	# config's word wins, the flag may only repeat it
	cfg '.process.apparmorProfile = "moat-criu-b"'
	moat_io restore -d --lsm-profile apparmor:moat-criu-a --image-path "$T/img2" --bundle "$BUNDLE" "$ID" &&
		fail "restore took an --lsm-profile that is not the config's"
	assert_contains "$(cat "$T/err")" "is not the label of the config (\`apparmor:moat-criu-b\`)"
	ok_io restore -d --lsm-profile apparmor:moat-criu-b --image-path "$T/img2" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	assert_eq "$(cat "/proc/$(pid_of "$ID")/attr/current")" "moat-criu-b (enforce)" "the restored init's profile"
	counts_on "$ID" "$at"
}

# tamper FILE PYTHON: an image of CRIU's changed through crit, by the
# Python statement PYTHON on its decoding `img` (jq would round its
# 64-bit numbers)
tamper() {
	crit decode -i "$1" -o "$T/tamper.json" || fail "crit cannot decode $1"
	/usr/bin/python3 -c "import json, sys
img = json.load(open(sys.argv[1]))
$2
json.dump(img, open(sys.argv[1], 'w'))" "$T/tamper.json" || fail "cannot change $1"
	crit encode -i "$T/tamper.json" -o "$1" || fail "crit cannot encode $1"
}

@test "criu: images that give the restored processes more than the config does (capabilities, another uid, a writable /proc/sys) are refused before they run" {
	command -v crit >/dev/null || fail "crit is not installed (the criu package)"
	_counter
	start "$ID"
	ok_io checkpoint --image-path "$T/img" "$ID"
	local core
	core=$(ls "$T/img"/core-*.img | head -n 1)
	cp -a "$T/img" "$T/good"
	# every capability in the bounding, permitted and effective sets
	tamper "$core" "c = img['entries'][0]['thread_core']['creds']
for k in ('cap_bnd', 'cap_prm', 'cap_eff'): c[k] = [4294967295, 511]"
	moat_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID" &&
		fail "restore took images with every capability"
	assert_contains "$(cat "$T/err")" "capabilities the config does not give"
	assert_contains "$(cat "$T/err")" "the images are not of this config"
	assert_nothing_left "$ID"
	# another user: the config's could not become it (no_new_privs, no
	# CAP_SETUID)
	cp -a "$T/good" "$T/uid"
	tamper "$(ls "$T/uid"/core-*.img | head -n 1)" "c = img['entries'][0]['thread_core']['creds']
for k in ('uid', 'euid', 'suid', 'fsuid'): c[k] = 1000"
	moat_io restore -d --image-path "$T/uid" --bundle "$BUNDLE" "$ID" &&
		fail "restore took images of another uid"
	assert_contains "$(cat "$T/err")" "has other uid than process.user: the images are not of this config"
	assert_nothing_left "$ID"
	# a read-only path made writable in the mount images
	cp -a "$T/good" "$T/rw"
	tamper "$(ls "$T/rw"/mountpoints-*.img | head -n 1)" "n = 0
for e in img['entries']:
    if e['mountpoint'].lstrip('.') == '/proc/sys':
        f = e['flags']
        e['flags'] = (int(f, 0) if isinstance(f, str) else f) & ~1
        n += 1
assert n, 'no /proc/sys mount in the images'"
	moat_io restore -d --image-path "$T/rw" --bundle "$BUNDLE" "$ID" &&
		fail "restore took images with /proc/sys writable"
	assert_contains "$(cat "$T/err")" "\`/proc/sys\` is not read-only (linux.readonlyPaths): the images are not of this config"
	assert_nothing_left "$ID"
	# the untouched images restore: the check passes what the config gives
	ok_io restore -d --image-path "$T/good" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$pid/status")" \
		"$(jq -r 'if .process.noNewPrivileges then 1 else 0 end' "$BUNDLE/config.json")" "the restored init's no_new_privs"
}

@test "criu: a read-only root comes back read-only" {
	cfg '.root.readonly = true'
	_counter
	start "$ID"
	local at
	at=$(count "$ID")
	ok_io checkpoint --image-path "$T/img" "$ID"
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$at"
	awk '$5 == "/" { o = $6 } END { print o }' "/proc/$(pid_of "$ID")/mountinfo" | grep -Eq '^ro(,|$)' ||
		fail "the restored root: $(awk '$5 == "/"' "/proc/$(pid_of "$ID")/mountinfo")"
	run --separate-stderr moat exec "$ID" touch /x
	assert_status 1
}

# podman, its storage on the VM's tmpfs (overlay cannot be on the VM's
# overlay root)
pm() {
	timeout -k 10 300 podman --root "$T/storage" --runroot "$T/runroot" --storage-driver overlay \
		--runtime "$MOAT" "$@"
}

@test "criu: podman container checkpoint and restore through moat" {
	command -v podman >/dev/null || fail "podman is not installed (contrib/install-deps.sh)"
	[ "${MOAT_VM:-}" = 1 ] || skip "podman's checkpoint runs in the VM lane"
	export CONTAINERS_CONF=$T/containers.conf
	printf '[containers]\npids_limit = 0\ndefault_ulimits = ["nofile=20000:20000"]\n' >"$CONTAINERS_CONF"
	tar -C "$ROOTFS" -c . | pm import -q - localhost/moat-criu:latest >/dev/null ||
		fail "podman import failed"
	on_teardown "podman --root '$T/storage' --runroot '$T/runroot' --runtime '$MOAT' rm -f -a -t 0"
	# the directory of network namespaces podman mounts, when it makes it
	mountpoint -q /run/netns || on_teardown "umount -l /run/netns"
	run pm run -d --name "$ID" localhost/moat-criu:latest sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
	assert_status 0
	local i at
	for ((i = 0; i < 100; i++)); do
		at=$(pm exec "$ID" cat /tmp/count 2>/dev/null) && [ "${at:-0}" -gt 5 ] && break
		sleep 0.2
	done
	run pm container checkpoint "$ID"
	assert_status 0
	assert_contains "$(pm ps -a --format '{{.Names}} {{.Status}}')" "$ID Exited" "podman's status"
	run pm container restore "$ID"
	assert_status 0
	assert_contains "$(pm ps -a --format '{{.Names}} {{.Status}}')" "$ID Up" "podman's status"
	run pm exec "$ID" cat /tmp/count
	assert_status 0
	[ "$output" -ge "$at" ] || fail "podman's restored container counts from $output, was at $at"
	run pm rm -f -t 0 "$ID"
	assert_status 0
}

@test "criu: containerd (ctr) checkpoints a task and restores it live through moat" {
	command -v containerd >/dev/null && command -v ctr >/dev/null || fail "containerd is not installed (contrib/install-deps.sh)"
	[ "${MOAT_VM:-}" = 1 ] || skip "containerd's checkpoint runs in the VM lane"
	local d=$T/ctd i at
	mkdir -p "$d"
	containerd --root "$d/root" --state "$d/state" --address "$d/sock" --log-level warn >"$d/log" 2>&1 &
	# teardown: the task (its cgroup, named after the test's id, is killed
	# before), then containerd and the shim
	on_teardown "ctr -a '$d/sock' -n moat task delete -f $ID-ctr; ctr -a '$d/sock' -n moat containers rm $ID-ctr; kill $!;" \
		"for p in /proc/[0-9]*; do grep -qs '$d/sock' \$p/cmdline && kill -9 \${p#/proc/}; done"
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/sock" ] && break
		sleep 0.1
	done
	[ -S "$d/sock" ] || fail "containerd did not start: $(cat "$d/log")"
	tar -C "$ROOTFS" -c . | pm import -q - localhost/moat-ctd:latest >/dev/null &&
		pm save -q --format oci-archive -o "$T/img.tar" localhost/moat-ctd:latest ||
		fail "the test image could not be made"
	c() { timeout -k 10 120 ctr -a "$d/sock" -n moat "$@"; }
	c images import "$T/img.tar" >/dev/null || fail "ctr images import failed"
	run c run -d --cpu-shares 0 --runc-binary "$MOAT" localhost/moat-ctd:latest "$ID-ctr" \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
	assert_status 0
	for ((i = 0; i < 100; i++)); do
		at=$(c task exec --exec-id "e$i" "$ID-ctr" cat /tmp/count 2>/dev/null) && [ "${at:-0}" -gt 5 ] && break
		sleep 0.2
	done
	run c containers checkpoint --task "$ID-ctr" "ckpt-$ID:1"
	assert_status 0
	c task kill -s SIGKILL "$ID-ctr"
	for ((i = 0; i < 50; i++)); do
		c task delete "$ID-ctr" >/dev/null 2>&1 && break
		sleep 0.1
	done
	c containers rm "$ID-ctr" || fail "ctr containers rm failed"
	# the shim's restore: -no-subreaper with one dash, a root made afresh
	run c containers restore --live "$ID-ctr" "ckpt-$ID:1"
	assert_status 0
	assert_contains "$(c task ls)" "RUNNING"
	run c task exec --exec-id after "$ID-ctr" cat /tmp/count
	assert_status 0
	[ "$output" -ge "$at" ] || fail "containerd's restored task counts from $output, was at $at"
	run c task kill -s SIGKILL "$ID-ctr"
	assert_status 0
	for ((i = 0; i < 50; i++)); do
		c task delete "$ID-ctr" >/dev/null 2>&1 && break
		sleep 0.1
	done
	run c containers rm "$ID-ctr"
	assert_status 0
	[ ! -e "$CGROOT/moat/$ID-ctr" ] || fail "the restored task's cgroup is left"
}

@test "criu: failed restores (another container's image, broken images, no image) leave nothing behind" {
	bind_out /out
	_counter
	start "$ID"
	ok_io checkpoint --leave-running --image-path "$T/img" "$ID"
	# the same rootfs, without the bind mount: another container
	cfg '.mounts |= map(select(.destination != "/out"))'
	moat_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-b" && fail "restore of another container's image"
	assert_contains "$(cat "$T/err")" "has a bind mount at \`/out\` that this bundle's config does not have"
	assert_nothing_left "$ID-b"
	# CRIU fails half-way: the processes it made, the cgroup, the state go
	cfg ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$OUT\", \"options\": [\"rbind\"]}]"
	cp -a "$T/img" "$T/broken"
	rm "$T/broken"/pages-*.img
	moat_io restore -d --pid-file "$T/pid" --image-path "$T/broken" --bundle "$BUNDLE" "$ID-c" && fail "restore of broken images"
	assert_contains "$(cat "$T/err")" "criu restore failed"
	[ ! -e "$T/pid" ] || fail "a failed restore wrote its pid file"
	assert_nothing_left "$ID-c"
	moat_io restore -d --image-path "$T/none" --bundle "$BUNDLE" "$ID-d" && fail "restore without images"
	assert_contains "$(cat "$T/err")" "--image-path: \`$T/none\`: No such file or directory"
	assert_nothing_left "$ID-d"
	# the images were fine: they restore
	ok_io restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-e"
	restored "$ID-e"
	assert_eq "$(status_of "$ID")" running "status of the original"
}
