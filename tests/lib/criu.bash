# Helpers of the CRIU tests (tests/integration/vm-criu.bats,
# vm-criu-runc.bats): a counting container, moat with its stdio off the
# terminal, what a restored container must show.

# criu_setup: the tests' setup: on a host where CRIU cannot run they
# skip, saying why; in the VM they never skip
criu_setup() {
	common_setup
	# on the host, what the host lacks is a skip; in the VM a failure
	if [ "${MOAT_VM:-}" != 1 ]; then
		"$MOAT" --version | grep -q '+CRIU' || skip "this moat was built without libcriu"
		criu check >/dev/null 2>&1 ||
			skip "criu cannot checkpoint on this kernel ($(criu check 2>&1 | grep Error | tail -n 1)): the VM lane runs these tests"
	fi
	command -v criu >/dev/null || fail "criu is not installed (contrib/install-deps.sh)"
	"$MOAT" --version | grep -q '+CRIU' || fail "this moat was built without libcriu"
}

# moat_io ARGS...: moat with stdin and stdout on /dev/null and stderr in
# $T/err (a container's stdio is moat's; CRIU gives it back at restore)
moat_io() {
	: >"$T/err"
	MOAT_TEST_TAG=$TAG timeout -k 5 120 "$MOAT" --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" \
		--root "$ROOT" "$@" </dev/null >/dev/null 2>"$T/err"
}

# ok_io ARGS...: moat_io that must succeed
ok_io() {
	moat_io "$@" || fail "moat $* failed: $(cat "$T/err")"
}

# a process counting in /tmp (a tmpfs) ten times a second
_counter() {
	set_sh 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
}

# count ID: the counter of ID, read from the host
count() {
	cat "/proc/$(pid_of "$1")/root/tmp/count"
}

# start ID [RUN OPTIONS...]: run -d, then wait for the counter past 5
start() {
	local id=$1 i
	shift
	ok_io run -d --bundle "$BUNDLE" "$@" "$id"
	record_pid "$id"
	for ((i = 0; i < 100; i++)); do
		[ "$(count "$id" 2>/dev/null || echo 0)" -gt 5 ] && return 0
		sleep 0.1
	done
	fail "container $id does not count"
}

# counts_on ID FROM: the counter of ID is at least FROM (it went on from
# there, not from 0) and still goes up
counts_on() {
	local id=$1 from=$2 a b
	a=$(count "$id")
	[ "$a" -ge "$from" ] || fail "$id counts from $a, it was at $from before the checkpoint"
	sleep 0.5
	b=$(count "$id")
	[ "$b" -gt "$a" ] || fail "$id does not count on: $a then $b"
}

# restored ID: the restored container runs in its own cgroup
restored() {
	local pid
	pid=$(pid_of "$1")
	record_pid "$1"
	assert_eq "$(status_of "$1")" running "status of $1"
	is_alive "$pid" || fail "the restored init $pid is not alive"
	assert_eq "$(grep '^0::' "/proc/$pid/cgroup")" "0::/moat/$1" "cgroup of the restored init"
}

