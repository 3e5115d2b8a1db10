#!/usr/bin/env bats
# Checkpoint and restore compared with runc's on one bundle, in the VM
# lane with vm-criu.bats (CRIU needs a kernel it knows): what the kernel
# shows of each restored init, and the errors.

load helpers
load ../lib/criu

setup() {
	criu_setup
}

# ---- moat and runc on one bundle ----------------------------------------------------
# runc (Debian's 1.1.5, through CRIU's RPC) checkpoints and restores the
# same bundle; what the kernel shows of each restored init is compared
# from outside, and so are the errors.  Every difference is listed in the
# test with its reason (docs/compat.md); any other fails it.

# _runc ARGS...: runc with a state root of this test's and CRIU by its
# path (runc looks for `criu` in its PATH otherwise)
_runc() {
	timeout -k 5 120 "$RUNC" --root "$T/runc" --criu "$(command -v criu)" "$@"
}

# _runc_pid ID: the pid in runc's state of ID
_runc_pid() {
	_runc state "$1" | jq -r .pid
}

# _runc_io ARGS...: _runc with stdin and stdout on /dev/null and stderr on
# the pipe $RUNC_ERR_W of this shell's, what runc wrote there then in
# $T/rerr.  A container started or restored keeps that stderr, and runc's
# dump fails on a regular file of the host's there (the file bats gives
# a test's output: CRIU finds no mount of the container's for it, "Can't
# lookup mount", and runc says "criu failed: type NOTIFY errno 0"); a
# pipe it gives back at restore.
_runc_io() {
	local rc=0
	_runc "$@" </dev/null >/dev/null 2>&"$RUNC_ERR_W" || rc=$?
	# what is in the pipe now, without waiting for its end
	dd iflag=nonblock status=none <&"$RUNC_ERR_R" >"$T/rerr" 2>/dev/null || true
	return $rc
}

# _runc_ok ARGS...: _runc_io that must succeed
_runc_ok() {
	_runc_io "$@" || fail "runc $* failed: $(cat "$T/rerr")"
}

# _count_of PID: the counter of the init PID, read from the host
_count_of() {
	cat "/proc/$1/root/tmp/count"
}

# _facts PID: what the kernel shows of the init PID from outside, a fact
# a line: its mounts, sorted (mount point, mount options, propagation
# without peer ids, filesystem type, the filesystem's options, the root
# of a bind; no ids, no sources), the mode of /scratch, its credentials,
# capabilities, no_new_privs and seccomp mode, its pid in its own pid
# namespace, whether each namespace is its own or the caller's, and its
# cgroup's controllers and the limits the config sets
_facts() {
	local pid=$1 ns cg f
	awk '{
		for (i = 7; $i != "-"; i++) ;
		prop = ""
		for (j = 7; j < i; j++) { o = $j; sub(/:[0-9]+$/, "", o); prop = prop " " o }
		print "mount " $5 " " $6 prop " " $(i + 1) " " $(i + 3) ($4 == "/" ? "" : " root=" $4)
	}' "/proc/$pid/mountinfo" | sort
	echo "mode of /scratch $(stat -c %a "/proc/$pid/root/scratch")"
	grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$pid/status" |
		tr -s ' \t' ' ' | sed 's/ $//'
	echo "pid in its namespace $(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status")"
	for ns in cgroup ipc mnt net pid pid_for_children time time_for_children user uts; do
		if [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$$/ns/$ns")" ]; then
			echo "namespace $ns: the caller's"
		else
			echo "namespace $ns: its own"
		fi
	done
	cg=$CGROOT$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	echo "cgroup.controllers $(cat "$cg/cgroup.controllers")"
	for f in memory.max memory.swap.max memory.high memory.low pids.max; do
		echo "cgroup $f $(cat "$cg/$f")"
	done
}

@test "criu: moat and runc on one bundle: the restored inits the same from outside, the same errors" {
	RUNC=$(command -v runc || command -v /usr/sbin/runc || true)
	[ -n "$RUNC" ] || fail "runc is not installed (contrib/install-deps.sh)"
	# a bind mount, a tmpfs, the default masked and read-only paths, limits
	bind_out /out
	mkdir -p "$ROOTFS/scratch"
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	cfg '.linux.resources = {"memory": {"limit": 134217728}, "pids": {"limit": 100}}'
	_counter
	# runc's stderr: a pipe held by this shell (opened through /proc: no
	# process behind it)
	local p
	exec {p}<> <(:)
	exec {RUNC_ERR_R}</proc/self/fd/$p {RUNC_ERR_W}>/proc/self/fd/$p {p}>&-
	on_teardown "'$RUNC' --root '$T/runc' delete -f '$ID'; '$RUNC' --root '$T/runc' delete -f '$ID-x'"
	# one id for both: the state roots and cgroups are apart
	start "$ID"
	_runc_ok run -d --bundle "$BUNDLE" "$ID"
	local m_at r_at rpid i a b
	for ((i = 0; i < 100; i++)); do
		[ "$(_count_of "$(_runc_pid "$ID")" 2>/dev/null || echo 0)" -gt 5 ] && break
		sleep 0.1
	done
	rpid=$(_runc_pid "$ID")
	r_at=$(_count_of "$rpid")
	[ "$r_at" -gt 5 ] || fail "runc's container does not count"
	m_at=$(count "$ID")

	ok_io checkpoint --image-path "$T/m-img" "$ID"
	_runc_ok checkpoint --image-path "$T/r-img" "$ID"
	wait_gone "$rpid" "runc's checkpointed init"
	ok_io restore -d --image-path "$T/m-img" --bundle "$BUNDLE" "$ID"
	_runc_ok restore -d --image-path "$T/r-img" --bundle "$BUNDLE" "$ID"
	restored "$ID"
	counts_on "$ID" "$m_at"
	rpid=$(_runc_pid "$ID")
	assert_eq "$(_runc state "$ID" | jq -r .status)" running "status of runc's restored container"
	a=$(_count_of "$rpid")
	[ "$a" -ge "$r_at" ] || fail "runc's restored container counts from $a, it was at $r_at"
	sleep 0.5
	b=$(_count_of "$rpid")
	[ "$b" -gt "$a" ] || fail "runc's restored container does not count on: $a then $b"

	_facts "$(pid_of "$ID")" >"$T/facts.moat"
	_facts "$rpid" >"$T/facts.runc"
	echo "# the restored inits, from outside (- runc, + moat):"
	diff -u "$T/facts.runc" "$T/facts.moat" || true
	# the controllers: moat enables those the limits need, runc every one
	# its parent has (docs/compat.md)
	local c
	for c in memory pids; do
		grep -qw "$c" <(grep '^cgroup.controllers' "$T/facts.moat") || fail "moat's cgroup has no $c controller"
	done
	for c in $(sed -n 's/^cgroup.controllers //p' "$T/facts.moat"); do
		grep -qw "$c" <(grep '^cgroup.controllers' "$T/facts.runc") || fail "moat's cgroup has $c, runc's does not"
	done
	# what CRIU 3.17 loses and runc lets go, moat keeps (docs/compat.md):
	# no_new_privs (inherited from moat's restore helper) and the
	# read-only root (made so again before the processes run)
	assert_eq "$(grep '^NoNewPrivs' "$T/facts.moat")" "NoNewPrivs: 1" "moat's restored no_new_privs"
	grep -q '^mount / ro[, ]' "$T/facts.moat" || fail "moat's restored root is not read-only: $(grep '^mount / ' "$T/facts.moat")"
	# the differences with a reason, each made the same on both sides
	# (sed -E):
	local -a same=(
		# no_new_privs and the read-only root (above)
		-e '/^NoNewPrivs:/d'
		-e 's#^mount / r[ow],#mount / RO_OR_RW,#'
		# the controllers (above)
		-e '/^cgroup\.controllers /d'
		# readonlyPaths are also nosuid, nodev and noexec under moat
		-e 's#^(mount /proc/(bus|fs|irq|sys|sysrq-trigger) ro),nosuid,nodev,noexec,#\1,#'
		# a masked file is a bind of the host's /dev/null under both once
		# restored (runc's, of its own /dev's at create, come back as the
		# host's); the bind's flags: moat's are rw,relatime before and
		# after, runc's first one keeps its /dev's (nosuid, strictatime)
		-e 's#^(mount /proc/(kcore|keys|timer_list|latency_stats|timer_stats|sched_debug)) [^ ]* #\1 FLAGS #'
		# a tmpfs without mode= has the mode of the directory it covers
		# under both (the mode line): moat gives it as mode=, runc chmods
		# the tmpfs's root once mounted
		-e 's#^(mount /scratch .* tmpfs [^ ]*),mode=755#\1#'
	)
	diff -u <(sed -E "${same[@]}" "$T/facts.runc") <(sed -E "${same[@]}" "$T/facts.moat") ||
		fail "moat's restored init differs from runc's (above: - runc, + moat) beyond the differences listed"

	# errors: the exit status; what each says, in its own words
	_both() {
		local what=$1 rc
		shift
		rc=0
		moat_io "$@" || rc=$?
		M_RC=$rc M_ERR=$(cat "$T/err")
		rc=0
		_runc_io "$@" || rc=$?
		R_RC=$rc R_ERR=$(cat "$T/rerr")
		printf '# %s\n#   moat: status %s: %s\n#   runc: status %s: %s\n' "$what" "$M_RC" "$M_ERR" "$R_RC" "$R_ERR"
		assert_eq "$M_RC" 1 "$what: moat's status"
		assert_eq "$R_RC" 1 "$what: runc's status"
	}
	_both "restore of an id that exists" restore -d --image-path "$T/m-img" --bundle "$BUNDLE" "$ID"
	assert_contains "$M_ERR" "exists"
	assert_contains "$R_ERR" "exists"
	# both left running and counting
	assert_eq "$(status_of "$ID")" running "status of moat's container"
	assert_eq "$(_runc state "$ID" | jq -r .status)" running "status of runc's container"
	counts_on "$ID" "$m_at"
	mkdir "$T/empty"
	_both "restore from an empty --image-path" restore -d --image-path "$T/empty" --bundle "$BUNDLE" "$ID-x"
	assert_contains "$M_ERR" "$T/empty"
	assert_contains "$R_ERR" "$T/empty"
	assert_contains "${M_ERR,,}" "no such file or directory"
	assert_contains "${R_ERR,,}" "no such file or directory"
	assert_nothing_left "$ID-x"
	[ ! -e "$T/runc/$ID-x" ] || fail "runc left its state of $ID-x"
	[ -z "$(find "$CGROOT" -type d -name "$ID-x")" ] || fail "a cgroup of $ID-x is left: $(find "$CGROOT" -type d -name "$ID-x")"
	ok_io kill "$ID" KILL
	_runc_ok kill "$ID" KILL
	wait_status "$ID" stopped
	for ((i = 0; i < 50; i++)); do
		[ "$(_runc state "$ID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	assert_eq "$(_runc state "$ID" | jq -r .status)" stopped "status of runc's killed container"
	_both "checkpoint of a stopped container" checkpoint --image-path "$T/stopped" "$ID"
	assert_contains "$M_ERR" "stopped"
	assert_contains "$R_ERR" "stopped"

	ok_io delete "$ID"
	_runc_ok delete "$ID"
	assert_nothing_left "$ID"
	[ -z "$(find "$CGROOT" -type d -name "$ID")" ] || fail "runc left its cgroup: $(find "$CGROOT" -type d -name "$ID")"
}
