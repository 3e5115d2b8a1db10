#!/bin/bash
# The differential compatibility corpus: the configs real tools write, run
# with runc and with moat, and what the process sees compared.
#
#   tests/compat/run.sh [CASE_REGEX]          (as root)
#
# 1. Configs are generated at test time by the tools installed from
#    Debian: `runc spec` and `crun spec`, with and without --rootless (the
#    rootless ones generated and run as the unprivileged user moatcompat,
#    made by this lane when missing and removed again); Podman (own
#    --root, --runroot and --tmpdir under the work directory, an image
#    imported from the busybox-static rootfs of tests/lib/make-bundle.sh,
#    as tests/integration/podman.bats makes it; for --userns=auto the
#    subordinate ranges of the user `containers` are added to
#    /etc/subuid and /etc/subgid when missing, and put back as they were
#    at the end; --init needs catatonit, which contrib/install-deps.sh
#    installs); containerd (`ctr run`, a
#    private containerd as tests/integration/containerd.bats starts it);
#    buildah (`from` + `run`, and a `bud` with a RUN step).  The engines
#    are given a runtime that copies the bundle's config.json (for
#    containerd: the bundle in its state directory) on create or run, then
#    runs runc: the engine's own flow completes whatever moat does with
#    the config (a pod's infra container must run for its member to be
#    created).  A tool that is not installed skips its cases, saying so.
# 2. Each config is rewritten only where it must be: process.args runs
#    the probe (tests/compat/probe.c, built static), root.path is a fresh
#    copy of the image's root filesystem with the probe in it (chowned to
#    the user namespace's root when the config maps one, as engines do), a
#    bind mount of /.compat receives the report, a cgroupsPath is moved
#    under a cgroup of this run, files an engine bind-mounts from its
#    storage are copies, and a namespace joined by path is a live one of
#    its kind: the pod's infra container (run by the same runtime as the
#    member), else a holder process of this run.
# 3. runc and moat each run the case in their own copy of the bundle, in
#    the same private mount, pid and network namespaces, on the host's own
#    cgroup layout (a hybrid host's v1 hierarchies included: limits go
#    there with both runtimes), detached with stdin /dev/null, stdout a
#    pipe and stderr a file as an engine runs them (in the foreground
#    under script(1) when process.terminal is true).  The probe writes its
#    report and waits; meanwhile this script reads the container's cgroups
#    and their limit files from the host (`hostcg` lines: what was
#    applied, whether or not the runtime mounts the hierarchy inside).
#    The reports are normalised (the bundle's path, the container's id
#    and cgroup, namespace inodes as host / new / joined / infra) and
#    compared as multisets of lines; when one runtime runs the config and
#    the other refuses it, the outcome is the difference.
# 4. Every differing line must match an entry of tests/compat/allowlist.json:
#    the configs it holds for, the runc and/or moat line patterns (with
#    both, a pair of lines about the same thing: mount point, device,
#    variable, ...), the reason, and the docs/compat.md line that
#    documents the difference (its quoted words must still be there, or
#    the lane fails: a difference is allowed only while it is documented).
#    Any other difference fails the case.
# 5. buildah end to end: `buildah run` and a `buildah bud` with RUN steps
#    (one build that succeeds, one whose RUN fails) with --runtime runc
#    and with --runtime moat: exit status and output must be the same.
#
# One TAP line per case (ok / not ok / ok # skip REASON; a skip only for
# a host limitation), the unexpected differences under it, a tally of
# them by field, then "N passed, N failed, N skipped"; the exit status is
# non-zero when a case failed.  About 1.5 minutes on 2 CPUs.
#
# Environment: MOAT (the binary under test, default ./moat of the tree),
# RUNC (default runc), COMPAT_TOOLS (default "spec podman containerd
# buildah": the generators), COMPAT_VERBOSE=1 prints the allowed
# differences too, COMPAT_KEEP=1 keeps the work directory (its path is
# printed; nothing is mounted or running in it any more).
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "compat/run.sh: runs real containers with runc and moat and needs root" >&2
	exit 2
fi

# ---- private mount, pid and network namespaces -------------------------------
# pid 1 of them is this script: when it ends, the kernel kills what is
# left (holders, infra containers, containerd and its shims, conmon); the
# engines' mounts and their network (Podman's bridge, veths, firewall
# rules) go with the namespaces.  The cgroup hierarchies are the host's.
if [ "${COMPAT_INNER:-}" != 1 ]; then
	export COMPAT_INNER=1
	if unshare --mount --propagation private --pid --fork --kill-child --mount-proc --net true 2>/dev/null; then
		# SIGTERM, not SIGKILL, when unshare is stopped: the cleanup runs
		exec unshare --mount --propagation private --pid --fork --kill-child=SIGTERM \
			--mount-proc --net -- /bin/bash "$0" "$@"
	fi
	echo "compat/run.sh: cannot make private mount, pid and network namespaces" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 2
fi
ip link set lo up 2>/dev/null
# a /dev/shm of this run: Podman keeps its locks there (one segment for
# every storage root), and a lock another Podman left held would make
# this run's wait for it
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm 2>/dev/null

filter=${1:-}
start=$(date +%s)
MOAT=${MOAT:-$repo/moat}
case $MOAT in /*) ;; *) MOAT=$(pwd)/$MOAT ;; esac
RUNC=${RUNC:-runc}
tools=${COMPAT_TOOLS:-spec podman containerd buildah}
allowlist=$here/allowlist.json
compat_doc=$repo/docs/compat.md

passed=0 failed=0 skipped=0 n=0
tap() { # ok|fail|skip NAME TEXT [DETAIL_FILE]
	n=$((n + 1))
	case $1 in
	ok) passed=$((passed + 1)); echo "ok $n - compat: $2${3:+: $3}" ;;
	fail) failed=$((failed + 1)); echo "not ok $n - compat: $2${3:+: $3}" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n - compat: $2 # skip $3" ;;
	esac
	if [ -n "${4:-}" ] && [ -s "$4" ]; then sed 's/^/#   /' "$4"; fi
}
finish() {
	if [ -s "${work:-/nonexistent}/tally" ]; then
		echo "# unexpected differences by field (cases):"
		sort "$work/tally" | uniq -c | sort -k1,1nr -k2 | awk '{ n = $1; $1 = ""; printf "#   %s (%d)\n", substr($0, 2), n }'
	fi
	echo "# compat: $(($(date +%s) - start)) s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}

work=$(mktemp -d /tmp/moat-compat.XXXXXX) || exit 2
# the rootless cases' user must reach its bundles and the moat binary
chmod 711 "$work"
suffix=${work##*.}
# cgroups of this run: under this parent (the runs', the captures', the
# engines' own) in every hierarchy
cgparent=moat-compat-$suffix
ctd_ns=compat-$suffix
rl_user=moatcompat
rl_made=

# the mount points of the cgroup hierarchies: controller (or name=X, or
# "unified") -> mount point
declare -A cgmnt
while read -r mp fstype super; do
	case $fstype in
	cgroup2) cgmnt[unified]=$mp ;;
	cgroup)
		IFS=, read -ra opts <<<"$super"
		for o in "${opts[@]}"; do
			case $o in rw | ro | xattr | noprefix | clone_children | cpuset_v2_mode | release_agent=* | favordynmods) ;;
			*) cgmnt[$o]=$mp ;;
			esac
		done
		;;
	esac
done < <(awk '{ for (i = 7; $i != "-"; i++) ; print $5, $(i + 1), $(i + 3) }' /proc/self/mountinfo)

cleanup() {
	set +e
	# every process of this pid namespace is this run's: the engines and
	# their monitors, containerd and its shims, holders, containers whose
	# delete failed (kill(-1) from pid 1 reaches them all and nothing else)
	if [ "$$" = 1 ]; then
		kill -KILL -1 2>/dev/null
		wait 2>/dev/null
	fi
	rm -rf "/run/containerd/runc/$ctd_ns" 2>/dev/null
	# what this namespace mounted under $work (overlays, shm, netns)
	awk -v t="$work" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	# this run's cgroups in every hierarchy: under its parent, and the
	# containers' without a cgroupsPath (moat's moat/<id>, runc's
	# <caller's cgroup>/<id>), deepest first
	local mp cg i
	for mp in $(printf '%s\n' "${cgmnt[@]}" | sort -u); do
		find "$mp" -depth -mindepth 1 -type d \( -name "$cgparent" -o -name "*-$suffix-*" -o -path "*/$cgparent/*" \) 2>/dev/null |
			while read -r cg; do
				for i in 1 2 3 4 5 6 7 8 9 10; do
					rmdir "$cg" 2>/dev/null && break
					[ -d "$cg" ] || break
					sleep 0.1
				done
			done
	done
	# the subordinate ranges of `containers` this run added
	if [ -n "${subids_saved:-}" ]; then
		cp "$work/subuid.saved" /etc/subuid
		cp "$work/subgid.saved" /etc/subgid
	fi
	if [ -n "$rl_made" ]; then
		userdel "$rl_user" 2>/dev/null
	fi
	if [ "${COMPAT_KEEP:-}" = 1 ]; then
		echo "# compat: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# a private copy: the binary in the tree may be rebuilt while we run
if [ ! -x "$MOAT" ]; then
	tap fail setup "$MOAT is not executable (run make first)"
	finish
fi
cp "$MOAT" "$work/moat" && chmod 755 "$work/moat" && MOAT=$work/moat
if ! command -v "$RUNC" >/dev/null; then
	tap skip all "runc is not installed: nothing to compare with"
	finish
fi
RUNC=$(command -v "$RUNC")
for t in jq script unshare setpriv; do
	command -v $t >/dev/null || { tap fail setup "$t is not installed"; finish; }
done

# ---- the allowlist: every entry documented in docs/compat.md ---------------------
# an entry names the docs/compat.md line (doc: "docs/compat.md:N") and
# quotes it (quote: words of the paragraph that documents the
# difference, matched across line breaks); a quote that is no longer
# there fails the lane: the allowance lapses with its documentation
check_allowlist() {
	jq -e 'type == "array" and all(.[]; (.id | type == "string") and (.config | type == "string")
		and (.field | type == "string") and (.why | type == "string")
		and (.doc | type == "string" and startswith("docs/compat.md:"))
		and (.quote | type == "string" and length > 10)
		and ((.runc // .moat) | type == "string"))' "$allowlist" >/dev/null 2>"$work/jq.log" || {
		echo "tests/compat/allowlist.json: not an array of {id, config, field, runc and/or moat, why, doc: \"docs/compat.md:N\", quote}" >>"$work/jq.log"
		return 1
	}
	local id line quote found
	while IFS=$'\t' read -r id line quote; do
		# the line the quote starts on: the last of the windows of 12 lines
		# holding it, in the first run of such windows
		found=$(awk -v q="$quote" '
			function win(i,   s, j) {
				s = ""
				for (j = i; j <= NR && j < i + 12; j++) s = s " " t[j]
				gsub(/[ \t]+/, " ", s)
				return index(s, q) > 0
			}
			{ t[NR] = $0 }
			END {
				for (i = 1; i <= NR; i++)
					if (win(i)) { while (i < NR && win(i + 1)) i++; print i; exit }
			}' "$compat_doc")
		if [ -z "$found" ]; then
			echo "allowlist entry $id: docs/compat.md no longer says \"$quote\"" >>"$work/jq.log"
		elif [ "$found" != "$line" ]; then
			echo "# allowlist: $id cites docs/compat.md:$line; the words are now at line $found"
		fi
	done < <(jq -r '.[] | [.id, (.doc | sub("^docs/compat.md:"; "")), .quote] | @tsv' "$allowlist")
	[ ! -s "$work/jq.log" ]
}
: >"$work/jq.log"
if ! check_allowlist; then
	tap fail setup "tests/compat/allowlist.json" "$work/jq.log"
	finish
fi
echo "# compat: $("$RUNC" --version | head -1) against moat $("$MOAT" --version 2>&1 | head -1)"
echo "# compat: cgroup hierarchies: $(for k in "${!cgmnt[@]}"; do echo "$k"; done | sort | tr '\n' ' ')"

# ---- the probe and the image's root filesystem --------------------------------
if ! command -v gcc >/dev/null; then
	tap skip all "gcc is not installed: no probe"
	finish
fi
if ! gcc -static -O2 -Wall -o "$work/probe" "$here/probe.c" >"$work/gcc.log" 2>&1; then
	tap skip all "gcc -static cannot build tests/compat/probe.c (is libc.a installed?)" "$work/gcc.log"
	finish
fi
if ! sh "$repo/tests/lib/make-bundle.sh" "$work/base" "$MOAT" '["true"]' >"$work/base.log" 2>&1; then
	tap fail setup "tests/lib/make-bundle.sh failed" "$work/base.log"
	finish
fi
rootfs=$work/base/rootfs
chmod 755 "$work/base"
cp "$work/probe" "$rootfs/probe"
# a pod's infra container runs /pause: the probe, which then sleeps
ln -s probe "$rootfs/pause"
mkdir -p "$rootfs/.compat"

# ---- the unprivileged user of the rootless cases ---------------------------------
# made when missing (a system account without home or shell) and removed
# at the end by the run that made it; it needs no subordinate ids: the
# rootless specs map one id, its own
rl_err=
if ! id -u "$rl_user" >/dev/null 2>&1; then
	if useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		"$rl_user" >"$work/useradd.log" 2>&1; then
		rl_made=1
	else
		rl_err="cannot make the user $rl_user: $(tail -1 "$work/useradd.log")"
	fi
fi
rl_uid=$(id -u "$rl_user" 2>/dev/null)
rl_gid=$(id -g "$rl_user" 2>/dev/null)
# run as that user, with no supplementary groups and no inherited
# runtime directory (the runtimes get --root)
as_user() {
	setpriv --reuid="$rl_uid" --regid="$rl_gid" --clear-groups \
		env -u XDG_RUNTIME_DIR HOME=/ USER="$rl_user" "$@"
}

configs=$work/configs     # CASE.json; CASE.infra names the infra case of a pod member;
                          # CASE.user marks a case run by the rootless user
mkdir -p "$configs" "$work/capture" "$work/gen-logs" "$work/tmp"
# engines' temporary files
export TMPDIR=$work/tmp
# cases that could not be generated: "CASE|skip|reason" or "CASE|fail|reason"
: >"$work/not-generated"
not_generated() { # CASE skip|fail REASON [LOG]
	echo "$1|$2|$3" >>"$work/not-generated"
	if [ -n "${4:-}" ] && [ -s "$4" ]; then cp "$4" "$work/gen-logs/$1"; fi
}
want() { [ -z "$filter" ] || [[ $1 =~ $filter ]]; }
want_any() { local c; for c; do want "$c" && return 0; done; return 1; }

# The runtime the engines are given: it copies the bundle's config.json to
# $work/capture/<time>-<id>.json on create (or run), then runs runc.  The
# files an engine bind-mounts from its own storage or temporary
# directories (/etc/hosts, resolv.conf, ...; buildah removes its own after
# the run) are copied to $work/files/<time>-<id>/ and the copy of the
# config names them there.  The container the engine then runs gets a
# cgroup of this run.
cat >"$work/capture-runtime" <<EOF
#!/bin/bash
bundle=.
prev=
id=
cmd=
for a in "\$@"; do
	case \$prev in --bundle | -b) bundle=\$a ;; esac
	case \$a in --bundle=*) bundle=\${a#--bundle=} ;; create | run) [ -z "\$cmd" ] && cmd=\$a ;; esac
	prev=\$a
	id=\$a
done
if [ -n "\$cmd" ] && [ -f "\$bundle/config.json" ]; then
	stamp=\$(date +%s%N)-\$id
	cfg=$work/capture/\$stamp.json
	cp "\$bundle/config.json" "\$cfg.tmp"
	n=\$(jq '.mounts // [] | length' "\$cfg.tmp")
	for ((i = 0; i < n; i++)); do
		src=\$(jq -r ".mounts[\$i].source // empty" "\$cfg.tmp")
		case \$src in
		"$work"/* | /var/tmp/* | /tmp/* | /run/containers/* | /run/containerd/* | /run/libpod/*) ;;
		*) [ -f "\$src" ] || continue ;;
		esac
		[ -e "\$src" ] || continue
		mkdir -p "$work/files/\$stamp"
		# -L: a bind mount follows a symbolic link (Podman's
		# /usr/libexec/podman/catatonit is one, relative)
		cp -aL "\$src" "$work/files/\$stamp/\$i-\${src##*/}" || continue
		jq --argjson i "\$i" --arg p "$work/files/\$stamp/\$i-\${src##*/}" '.mounts[\$i].source = \$p' \
			"\$cfg.tmp" >"\$cfg.tmp2" && mv "\$cfg.tmp2" "\$cfg.tmp"
	done
	mv "\$cfg.tmp" "\$cfg"
	jq --arg p "/$cgparent/capture/\$id" '.linux.cgroupsPath = \$p' "\$bundle/config.json" \
		>"\$bundle/config.json.compat" && mv "\$bundle/config.json.compat" "\$bundle/config.json"
fi
exec "$RUNC" "\$@"
EOF
chmod 755 "$work/capture-runtime"
# the configs captured since the last call, oldest first, as CASE.json
# (one name per config; with no names they are dropped)
take_captured() { # CASE...
	local f
	for f in $(find "$work/capture" -maxdepth 1 -name '*.json' -printf '%f\n' | sort -n); do
		if [ $# -eq 0 ]; then
			rm -f "$work/capture/$f"
			continue
		fi
		mv "$work/capture/$f" "$configs/$1.json"
		shift
	done
}
captured() { find "$work/capture" -maxdepth 1 -name '*.json' | wc -l; }

# ---- generators ----------------------------------------------------------------

gen_spec() {
	local tool mode name d
	for tool in runc crun; do
		for mode in "" --rootless; do
			name=$tool-spec${mode:+-rootless}
			want "$name" || continue
			if ! command -v $tool >/dev/null; then
				not_generated "$name" skip "$tool is not installed"
				continue
			fi
			d=$work/gen/$name
			mkdir -p "$d"
			if [ -n "$mode" ]; then
				# generated by the user that runs it: the rootless spec maps
				# the caller's own id
				if [ -n "$rl_err" ]; then
					not_generated "$name" skip "$rl_err"
					continue
				fi
				chown "$rl_uid:$rl_gid" "$d"
				if (cd "$d" && as_user $tool spec $mode) >"$d/log" 2>&1; then
					cp "$d/config.json" "$configs/$name.json"
					touch "$configs/$name.user"
				else
					not_generated "$name" fail "$tool spec $mode failed" "$d/log"
				fi
			elif (cd "$d" && $tool spec) >"$d/log" 2>&1; then
				cp "$d/config.json" "$configs/$name.json"
			else
				not_generated "$name" fail "$tool spec failed" "$d/log"
			fi
		done
	done
}

# progress of the generators, a line before each engine command that
# makes a case: when one hangs, the last line printed names it
gen_step() { # WHAT
	echo "# compat:   $1"
}

# Podman, with storage of its own.  A podman command still running after
# its time is stopped, and Podman counts as wedged for the rest of the
# run (a stuck lock makes every later command wait for it: Podman's
# `run --rm` can deadlock with its own cleanup, a known bug of it), so
# the cases left fail at once instead of each waiting its time.
pm() {
	if [ -n "${podman_wedged:-}" ]; then
		echo "podman: not run: an earlier podman command hung ($podman_wedged)" >&2
		return 125
	fi
	local rc=0
	timeout -k 10 120 podman --root "$work/podman/root" --runroot "$work/podman/runroot" \
		--tmpdir "$work/podman/tmp" --events-backend none --cgroup-manager cgroupfs \
		--runtime "$work/capture-runtime" "$@" || rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		podman_wedged="podman $*"
		echo "podman: stopped after 120 s" >&2
	fi
	return "$rc"
}
bh() {
	timeout -k 10 120 buildah --root "$work/podman/root" --runroot "$work/podman/runroot" "$@"
}
image=localhost/moat-compat:latest

# the test image in Podman's storage (for podman, buildah and containerd)
podman_image() {
	[ -n "${podman_ok:-}" ] && return 0
	[ -n "${podman_err:-}" ] && return 1
	if ! command -v podman >/dev/null; then
		podman_err="podman is not installed (it makes the test image)"
		return 1
	fi
	mkdir -p "$work/podman/tmp"
	# podman's default RLIMIT_NOFILE (1048576) needs CAP_SYS_RESOURCE, which
	# some hosts withhold from root (as in tests/integration/podman.bats)
	export CONTAINERS_CONF=$work/podman/containers.conf
	printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' \
		>"$CONTAINERS_CONF"
	gen_step "importing the test image into podman"
	if ! tar -C "$rootfs" -c . | pm import -q - "$image" >"$work/podman/import.log" 2>&1; then
		podman_err="podman import of the test image failed: $(tail -1 "$work/podman/import.log")"
		return 1
	fi
	podman_ok=1
}

# CASE|podman run options (the image and `true` follow)
podman_cases=(
	"podman-run|"
	"podman-read-only|--read-only"
	"podman-tmpfs|--tmpfs /data"
	"podman-privileged|--privileged"
	"podman-device|--device /dev/null:/dev/mynull"
	"podman-cap-net-bind|--cap-drop all --cap-add NET_BIND_SERVICE"
	"podman-user|--user 1000:1000"
	"podman-uidmap|--uidmap 0:100000:65536 --gidmap 0:100000:65536"
	"podman-userns-auto|--userns=auto"
	"podman-no-new-privs|--security-opt no-new-privileges"
	"podman-network-none|--network none"
	"podman-limits|--pids-limit 50 --memory 64m"
	"podman-tty|-t"
	"podman-init|--init"
)

# Podman's --userns=auto takes its ids from the subordinate ranges of the
# user `containers`: made for this run when there are none (and put back
# as they were at the end)
containers_subids() {
	grep -q '^containers:' /etc/subuid 2>/dev/null && grep -q '^containers:' /etc/subgid 2>/dev/null &&
		return 0
	cp /etc/subuid "$work/subuid.saved" 2>/dev/null || : >"$work/subuid.saved"
	cp /etc/subgid "$work/subgid.saved" 2>/dev/null || : >"$work/subgid.saved"
	subids_saved=1
	grep -q '^containers:' /etc/subuid 2>/dev/null || echo "containers:5100000:655360" >>/etc/subuid
	grep -q '^containers:' /etc/subgid 2>/dev/null || echo "containers:5100000:655360" >>/etc/subgid
}

gen_podman() {
	local c name opts log all=()
	for c in "${podman_cases[@]}"; do all+=("${c%%|*}"); done
	all+=(podman-pod-infra podman-pod-member)
	want_any "${all[@]}" || return 0
	if ! podman_image; then
		for c in "${all[@]}"; do
			want "$c" && not_generated "$c" skip "$podman_err"
		done
		return 0
	fi
	for c in "${podman_cases[@]}"; do
		name=${c%%|*} opts=${c#*|}
		want "$name" || continue
		[ "$name" = podman-userns-auto ] && containers_subids
		log=$work/gen-logs/$name.log
		take_captured
		gen_step "making $name"
		# the config is what the runtime's create gets: `podman init`
		# creates and does not start (no terminal needed for -t, and no
		# `run --rm` racing Podman's own cleanup)
		# shellcheck disable=SC2086
		pm create --cgroup-parent "/$cgparent/podman" --name "$name" $opts "$image" true \
			</dev/null >"$log" 2>&1 && pm init "$name" >>"$log" 2>&1
		if [ "$(captured)" -ge 1 ]; then
			take_captured "$name"
		else
			not_generated "$name" fail "podman create $opts + init wrote no bundle" "$log"
		fi
		pm rm -f -t 0 "$name" >>"$log" 2>&1
	done
	if want_any podman-pod-infra podman-pod-member; then
		# the infra container runs the test image's /pause (this host has
		# no catatonit for podman's own pause image)
		log=$work/gen-logs/podman-pod.log
		take_captured
		gen_step "making podman-pod-infra and podman-pod-member"
		if pm pod create --name compat-pod --cgroup-parent "/$cgparent/podman" \
			--infra-image "$image" --infra-command /pause >"$log" 2>&1 &&
			pm create --pod compat-pod --name podman-pod-member "$image" true </dev/null >>"$log" 2>&1 &&
			pm init podman-pod-member >>"$log" 2>&1 && [ "$(captured)" -eq 2 ]; then
			take_captured podman-pod-infra podman-pod-member
			echo podman-pod-infra >"$configs/podman-pod-member.infra"
		else
			for c in podman-pod-infra podman-pod-member; do
				want "$c" && not_generated "$c" fail "podman pod create + create --pod + init did not write both bundles" "$log"
			done
		fi
		pm pod rm -f -t 0 compat-pod >>"$log" 2>&1
	fi
}

gen_buildah() {
	local log=$work/gen-logs/buildah.log c
	want_any buildah-run buildah-bud buildah-run-e2e buildah-bud-e2e buildah-bud-fail-e2e || return 0
	if ! command -v buildah >/dev/null; then
		for c in buildah-run buildah-bud buildah-run-e2e buildah-bud-e2e buildah-bud-fail-e2e; do
			want "$c" && not_generated "$c" skip "buildah is not installed"
		done
		return 0
	fi
	if ! podman_image; then
		for c in buildah-run buildah-bud buildah-run-e2e buildah-bud-e2e buildah-bud-fail-e2e; do
			want "$c" && not_generated "$c" skip "$podman_err"
		done
		return 0
	fi
	if want buildah-run; then
		take_captured
		gen_step "making buildah-run"
		local ctr
		if ctr=$(bh from --pull-never "$image" 2>"$log") &&
			bh run --runtime "$work/capture-runtime" "$ctr" -- true </dev/null >>"$log" 2>&1 &&
			[ "$(captured)" -ge 1 ]; then
			take_captured buildah-run
		else
			not_generated buildah-run fail "buildah from + run wrote no bundle" "$log"
		fi
		[ -n "${ctr:-}" ] && bh rm "$ctr" >/dev/null 2>&1
	fi
	if want buildah-bud; then
		take_captured
		gen_step "making buildah-bud"
		mkdir -p "$work/bud-capture"
		printf 'FROM %s\nRUN true\n' "$image" >"$work/bud-capture/Containerfile"
		if bh bud --pull-never --runtime "$work/capture-runtime" \
			"$work/bud-capture" </dev/null >>"$log" 2>&1 && [ "$(captured)" -ge 1 ]; then
			take_captured buildah-bud
		else
			not_generated buildah-bud fail "buildah bud wrote no bundle for its RUN step" "$log"
		fi
	fi
}

ctd_cases=(
	"ctr-run|"
	"ctr-privileged|--privileged"
	"ctr-tty|--tty"
	"ctr-memory|--memory-limit 67108864"
)

gen_containerd() {
	local c name opts log=$work/gen-logs/containerd.log all=()
	for c in "${ctd_cases[@]}"; do all+=("${c%%|*}"); done
	want_any "${all[@]}" || return 0
	local err=
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
		! command -v containerd-shim-runc-v2 >/dev/null; then
		err="containerd (with ctr and containerd-shim-runc-v2) is not installed"
	elif ! podman_image; then
		err="$podman_err"
	fi
	if [ -n "$err" ]; then
		for c in "${all[@]}"; do want "$c" && not_generated "$c" skip "$err"; done
		return 0
	fi
	local d=$work/ctd
	mkdir -p "$d"
	# a config of its own: the host's may name other directories, and the
	# CRI plugin is not needed
	printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n' \
		"$d" >"$d/config.toml"
	gen_step "starting containerd and importing the test image"
	containerd --config "$d/config.toml" --root "$d/root" --state "$d/state" --address "$d/sock" \
		--log-level warn >"$d/log" 2>&1 &
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/sock" ] && break
		sleep 0.05
	done
	cr() { timeout -k 10 60 ctr -a "$d/sock" -n "$ctd_ns" "$@"; }
	if [ ! -S "$d/sock" ]; then
		err="containerd did not start"
	else
		pm save -q --format oci-archive -o "$d/img.tar" "$image" >"$log" 2>&1
		# the archive names the image (its manifest's ref.name annotation);
		# --index-name would make a second image of the same name whose
		# target, the archive's index, containerd never stores ("content
		# digest ...: not found" when that one is unpacked).  The import
		# unpacks the image: its status says whether it can run.
		err="importing the test image into containerd failed"
		for ((i = 1; i <= 2; i++)); do
			if cr images import "$d/img.tar" >>"$log" 2>&1 &&
				cr images ls -q | grep -qx "$image"; then
				err=
				break
			fi
			echo "# import attempt $i failed" >>"$log"
			cr images rm "$image" >>"$log" 2>&1
			sleep 1
		done
	fi
	if [ -n "$err" ]; then
		cat "$d/log" >>"$log"
		for c in "${all[@]}"; do want "$c" && not_generated "$c" fail "$err" "$log"; done
		return 0
	fi
	for c in "${ctd_cases[@]}"; do
		name=${c%%|*} opts=${c#*|}
		want "$name" || continue
		take_captured
		gen_step "making $name"
		# the wrapper copies config.json from the bundle the shim made in
		# containerd's state directory
		if [ "$name" = ctr-tty ]; then
			script -qec "timeout --foreground -k 10 60 ctr -a '$d/sock' -n '$ctd_ns' run --rm --runc-binary '$work/capture-runtime' $opts $image $name true" /dev/null </dev/null >>"$log" 2>&1
		else
			# shellcheck disable=SC2086
			cr run --rm --runc-binary "$work/capture-runtime" $opts "$image" "$name" true </dev/null >>"$log" 2>&1
		fi
		if [ "$(captured)" -ge 1 ]; then
			take_captured "$name"
		else
			not_generated "$name" fail "ctr run $opts wrote no bundle" "$log"
		fi
	done
}

for t in $tools; do
	t0=$(date +%s)
	"gen_$t"
	echo "# compat: $t configs made in $(($(date +%s) - t0)) s"
done
take_captured

# ---- running one case ----------------------------------------------------------

# inodes of this namespace set: "host" for the runtimes
declare -A host_ns
for f in /proc/self/ns/*; do
	host_ns[${f##*/}]=$(stat -L -c %i "$f")
done
# this script's own cgroups that are not a root: a runtime may put a
# container below them (runc, for a config without cgroupsPath)
own_cgroups=$(awk -F: '$3 != "/" { print $3 }' /proc/self/cgroup | sort -u)

# ns file name of a config namespace type
ns_file() {
	case $1 in network) echo net ;; mount) echo mnt ;; *) echo "$1" ;; esac
}

# a process holding a new namespace of TYPE (config name), its pid on stdout
holder() {
	local flag f
	f=$(ns_file "$1")
	case $1 in
	network) flag=--net ;; ipc) flag=--ipc ;; uts) flag=--uts ;; mount) flag=--mount ;;
	cgroup) flag=--cgroup ;;
	*) return 1 ;;
	esac
	unshare $flag sleep 600 </dev/null >/dev/null 2>&1 &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[ "$(stat -L -c %i "/proc/$pid/ns/$f" 2>/dev/null)" != "${host_ns[$f]}" ] && break
		sleep 0.02
	done
	echo $pid
}

rt_bin() { case $1 in runc) echo "$RUNC" ;; moat) echo "$MOAT" ;; esac; }
# RUNTIME: the runtime's command line in RT (as the case's user, with its
# state root); rt RUNTIME ARGS... runs it
rt_cmd() {
	if [ -n "$as_rl" ]; then
		RT=(setpriv --reuid="$rl_uid" --regid="$rl_gid" --clear-groups env -u XDG_RUNTIME_DIR
			HOME=/ USER="$rl_user" "$(rt_bin "$1")" --root "$work/state-$1-rootless")
	else
		RT=("$(rt_bin "$1")" --root "$work/state-$1")
	fi
}
rt() {
	rt_cmd "$1"
	shift
	"${RT[@]}" "$@"
}

# a bundle in DIR from CONFIG: ARGS, a copy of the rootfs, the report's
# bind mount; then prepare_paths
make_bundle() { # CONFIG DIR ARGS_JSON CGROUP_NAME
	local cfg=$1 dir=$2 args=$3
	mkdir -p "$dir/out"
	chmod 755 "$dir"
	chmod 1777 "$dir/out"
	cp -a "$rootfs" "$dir/rootfs"
	# the user namespace's root owns the root filesystem, as an engine
	# chowns (or idmaps) the image for it
	local uid gid
	uid=$(jq -r '[.linux.uidMappings // [] | .[] | select(.containerID == 0) | .hostID][0] // 0' "$cfg")
	gid=$(jq -r '[.linux.gidMappings // [] | .[] | select(.containerID == 0) | .hostID][0] // 0' "$cfg")
	if [ "$uid" != 0 ] || [ "$gid" != 0 ]; then
		chown -R -h "$uid:$gid" "$dir/rootfs"
	fi
	jq --arg out "$dir/out" --argjson args "$args" '
		.process.args = $args
		| .root.path = "rootfs"
		| .mounts = ((.mounts // []) + [{destination: "/.compat", type: "bind",
			source: $out, options: ["rbind", "rw"]}])' "$cfg" >"$dir/config.json"
	prepare_paths "$dir/config.json" "$dir" "$4"
}

# namespaces joined by a path that is not a live /proc/PID/ns/ (an
# engine's /run/netns/...): a holder each; a cgroupsPath: under this run's
prepare_paths() { # CONFIG DIR CGROUP_NAME
	local cfg=$1 dir=$2 cgname=$3 tmp=$2/config.tmp i type path pid f count
	count=$(jq '.linux.namespaces // [] | length' "$cfg")
	for ((i = 0; i < count; i++)); do
		type=$(jq -r ".linux.namespaces[$i].type" "$cfg")
		path=$(jq -r ".linux.namespaces[$i].path // empty" "$cfg")
		[ -n "$path" ] || continue
		case $path in /proc/[0-9]*/ns/*) [ -e "$path" ] && continue ;; esac
		f=$(ns_file "$type")
		pid=$(holder "$type") || {
			echo "the harness has no holder for a $type namespace joined by path" >>"$dir/harness-errors"
			continue
		}
		echo "$pid" >>"$dir/holders"
		echo "$f $(stat -L -c %i "/proc/$pid/ns/$f")" >>"$dir/joined-ns"
		jq --argjson i "$i" --arg p "/proc/$pid/ns/$f" '.linux.namespaces[$i].path = $p' \
			"$cfg" >"$tmp" && mv "$tmp" "$cfg"
	done
	if [ -n "$(jq -r '.linux.cgroupsPath // empty' "$cfg")" ]; then
		jq --arg p "/$cgparent/$cgname" '.linux.cgroupsPath = $p' "$cfg" >"$tmp" && mv "$tmp" "$cfg"
	fi
}

# the cgroups of PID and what is applied in them, read on the host:
# "hostcg HIERARCHY path PATH" and "hostcg HIERARCHY FILE VALUE" for the
# limit files each controller has.  Not read: devices.list (a v1 devices
# cgroup is one way to hold the device rules, an eBPF program on the
# unified one another; the probe's devaccess lines say what holds)
hostcg() { # PID
	local n ctrls path mp name f v c
	while IFS=: read -r n ctrls path; do
		c=${ctrls%%,*}
		c=${c:-unified}
		mp=${cgmnt[$c]:-}
		name=${ctrls:-unified}
		echo "hostcg $name path $path"
		[ -n "$mp" ] && [ -d "$mp$path" ] || continue
		for f in "$mp$path"/{memory.limit_in_bytes,memory.soft_limit_in_bytes,memory.memsw.limit_in_bytes,memory.swappiness,memory.kmem.tcp.limit_in_bytes,memory.oom_control} \
			"$mp$path"/{cpu.shares,cpu.cfs_period_us,cpu.cfs_quota_us,cpu.cfs_burst_us,cpu.rt_period_us,cpu.rt_runtime_us,cpu.idle} \
			"$mp$path"/{cpuset.cpus,cpuset.mems,pids.max} \
			"$mp$path"/{blkio.weight,blkio.bfq.weight,blkio.weight_device,blkio.throttle.read_bps_device,blkio.throttle.write_bps_device,blkio.throttle.read_iops_device,blkio.throttle.write_iops_device} \
			"$mp$path"/{net_cls.classid,net_prio.ifpriomap,rdma.max} \
			"$mp$path"/{memory.max,memory.low,memory.high,memory.swap.max,cpu.max,cpu.weight,cpu.max.burst,io.max,io.weight,io.bfq.weight} \
			"$mp$path"/hugetlb.*; do
			case $f in */hugetlb.*.limit_in_bytes | */hugetlb.*.max) ;; */hugetlb.*) continue ;; esac
			[ -f "$f" ] || continue
			v=$(tr '\n\t' '  ' <"$f" 2>/dev/null | sed 's/ *$//')
			echo "hostcg $name ${f##*/} ${v:--}"
		done
	done <"/proc/$1/cgroup"
}

# run the case's config.json (and infra.json) with RUNTIME in $cdir/RUNTIME:
# out/out (the report), hostcg, stdout, stderr, rc
run_case() { # RUNTIME
	local r=$1 dir=$cdir/$1 id=$cid infra_id=
	rm -rf "$dir" "$dir-infra"
	mkdir -p "$dir"
	if [ -f "$cdir/infra.json" ]; then
		# the pod's infra container, run by the same runtime
		infra_id=$id-infra
		make_bundle "$cdir/infra.json" "$dir-infra" '["/probe", "sleep"]' "$c-infra"
		jq '.process.terminal = false' "$dir-infra/config.json" >"$dir-infra/c" &&
			mv "$dir-infra/c" "$dir-infra/config.json"
		rt_cmd "$r"
		if ! timeout -k 10 60 "${RT[@]}" run -d --bundle "$dir-infra" "$infra_id" \
			</dev/null >"$dir-infra/stdout" 2>"$dir-infra/stderr"; then
			echo "the pod's infra container did not start: $(cat "$dir-infra/stderr")" >"$dir/stderr"
			echo 125 >"$dir/rc"
			rt "$r" delete --force "$infra_id" >/dev/null 2>&1
			return 0
		fi
		local ipid f
		ipid=$(rt "$r" state "$infra_id" | jq -r .pid)
		for f in /proc/$ipid/ns/*; do
			echo "${f##*/} $(stat -L -c %i "$f")" >>"$dir/infra-ns"
		done
		# the member joins the infra container's namespaces: those the
		# engine named by the infra's pid, and those it named by the same
		# path as in the infra's config (a pod's network namespace)
		jq --arg pid "$ipid" --slurpfile infra "$cdir/infra.json" '
			def nsfile: if . == "network" then "net" elif . == "mount" then "mnt" else . end;
			($infra[0].linux.namespaces // [] | map(select(.path != null) | {(.type): .path}) | add // {}) as $ipaths
			| .linux.namespaces |= map(
				if (.path // "" | test("^/proc/[0-9]+/ns/"))
				then .path = ("/proc/" + $pid + "/ns/" + (.path | sub("^/proc/[0-9]+/ns/"; "")))
				elif .path != null and $ipaths[.type] == .path
				then .path = ("/proc/" + $pid + "/ns/" + (.type | nsfile))
				else . end)' \
			"$cdir/config.json" >"$dir/member.json"
		make_bundle "$dir/member.json" "$dir" '["/probe", "/.compat/out", "hold"]' "$c"
	else
		make_bundle "$cdir/config.json" "$dir" '["/probe", "/.compat/out", "hold"]' "$c"
	fi
	local job i
	rt_cmd "$r"
	if [ "$(jq -r '.process.terminal // false' "$dir/config.json")" = true ]; then
		# in the foreground under script(1): the container's terminal output
		# comes on its stdout
		{ timeout -k 10 90 script -qec "$(printf '%q ' "${RT[@]}" run --bundle "$dir" "$id")" /dev/null \
			</dev/null >"$dir/stdout" 2>"$dir/stderr"
		  echo $? >"$dir/rc"; } &
		job=$!
	else
		# as an engine runs it: detached, the runtime's stdio handed to the
		# process (stdin /dev/null, stdout a pipe, stderr a file); the
		# pipe ends when the process does
		{ { timeout -k 10 60 "${RT[@]}" run -d --bundle "$dir" "$id" </dev/null 2>"$dir/stderr"
		    echo $? >"$dir/rc-run"; } | timeout -k 10 90 cat >"$dir/stdout"; } &
		job=$!
	fi
	# the probe has written its report and waits: read its cgroups
	for ((i = 0; i < 1500; i++)); do
		[ -e "$dir/out/out.done" ] && break
		kill -0 "$job" 2>/dev/null || break
		sleep 0.02
	done
	if [ -e "$dir/out/out.done" ]; then
		local pid
		pid=$(rt "$r" state "$id" 2>/dev/null | jq -r '.pid // empty')
		[ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ] && hostcg "$pid" >"$dir/hostcg"
		touch "$dir/out/out.go"
	fi
	# a probe that never reported: stop it
	if kill -0 "$job" 2>/dev/null && [ ! -e "$dir/out/out.done" ]; then
		rt "$r" kill "$id" KILL >/dev/null 2>&1
	fi
	wait "$job"
	if [ -f "$dir/rc-run" ]; then
		mv "$dir/rc-run" "$dir/rc"
	fi
	[ -f "$dir/rc" ] || echo 255 >"$dir/rc"
	tr -d '\r\0' <"$dir/stdout" >"$dir/stdout.txt"
	rt "$r" delete --force "$id" >/dev/null 2>&1
	if [ -n "$infra_id" ]; then
		rt "$r" kill "$infra_id" KILL >/dev/null 2>&1
		rt "$r" delete --force "$infra_id" >/dev/null 2>&1
	fi
	local h
	for h in $(cat "$dir/holders" "$dir-infra/holders" 2>/dev/null); do kill "$h" 2>/dev/null; done
	return 0
}

# the work directory's path in the filesystem that holds it, as a mount's
# root shows it (the same as $work but where /tmp, say, is a mount)
work_mount=$(stat -c %m "$work")
work_in_mount=$work
[ "$work_mount" != / ] && work_in_mount=${work#"$work_mount"}

# the report of RUNTIME, normalised, on stdout: "outcome ok" and the
# report, or "outcome failed"
normalise() { # RUNTIME
	local r=$1 dir=$cdir/$1 k
	{
		for k in "${!host_ns[@]}"; do echo "host ${host_ns[$k]}"; done
		# the first name of an inode wins: a pod member's namespace that is
		# its infra container's is "infra", whichever holder that joined
		[ -f "$dir/infra-ns" ] && sed 's/^[^ ]* /infra /' "$dir/infra-ns"
		[ -f "$dir/joined-ns" ] && sed 's/^[^ ]* /joined /' "$dir/joined-ns"
		[ -f "$dir-infra/joined-ns" ] && sed 's/^[^ ]* /joined /' "$dir-infra/joined-ns"
		echo "--"
		if [ "$(cat "$dir/rc")" = 0 ] && grep -qx 'probe end' "$dir/out/out" 2>/dev/null; then
			echo "outcome ok"
			cat "$dir/out/out"
			cat "$dir/hostcg" 2>/dev/null
		else
			echo "outcome failed"
		fi
	} | awk -v bundle="$dir" -v id="$cid" -v cg="/$cgparent/$c" -v work="$work" -v workrel="$work_in_mount" \
		-v own="$own_cgroups" '
		function subst(s, from, to,   i, out) {
			out = ""
			while ((i = index(s, from)) > 0) { out = out substr(s, 1, i - 1) to; s = substr(s, i + length(from)) }
			return out s
		}
		BEGIN { n_own = split(own, owns, "\n") }
		!sep && $0 == "--" { sep = 1; next }
		!sep { if (!($2 in what)) what[$2] = $1; next }
		$1 ~ /^ns\./ { $2 = ($2 in what) ? what[$2] : ($2 ~ /^[0-9]+$/ ? "new" : $2); print; next }
		{ s = $0
		  # a mount root under the work directory, where that is on a
		  # filesystem of its own (a tmpfs /tmp): its path from the host
		  if (workrel != work) s = subst(s, "root=" workrel "/", "root=" work "/")
		  s = subst(s, bundle "-infra", "@BUNDLE-infra"); s = subst(s, bundle, "@BUNDLE")
		  s = subst(s, cg, "@CGROUP"); s = subst(s, id, "@ID"); s = subst(s, work, "@WORK")
		  for (i = 1; i <= n_own; i++) if (owns[i] != "") s = subst(s, owns[i], "@OWN")
		  print s }'
}

failed_outcome() { [ "$(head -1 "$cdir/$1.norm")" = "outcome failed" ]; }

# differences of runc.sorted and moat.sorted, each allowed (by an entry of
# the allowlist, printed as "allowed ID SIDE| LINE") or not ("unexpected
# SIDE| LINE").  The key of a line says what it is about, for pairs.
classify() {
	{
		comm -23 "$cdir/runc.sorted" "$cdir/moat.sorted" | sed 's/^/runc /'
		comm -13 "$cdir/runc.sorted" "$cdir/moat.sorted" | sed 's/^/moat /'
	} >"$cdir/diff"
	# a harness error must not pass for "no difference"
	jq -rn --arg c "$c" --slurpfile A "$allowlist" --rawfile d "$cdir/diff" '
		def key: if test("^devaccess ") then (split(" ")[0:3] | join(" "))
			elif test("^(mount|dev|net\\.if|stdio\\.[0-9]+) ") then (split(" ")[0:2] | join(" "))
			elif test("^env ") then sub("=.*"; "")
			elif test("^hostcg ") then (split(" ")[0:3] | join(" "))
			elif test("^cgroup [0-9]+:") then sub(":[^:]*$"; "")
			else split(" ")[0] end;
		($d | split("\n") | map(select(length > 0) | {side: split(" ")[0], line: sub("^[a-z]+ "; "")})) as $diffs
		| [$A[0][] | select(. as $e | $c | test($e.config))] as $E
		| $diffs[] as $x
		| (if $x.side == "runc" then "moat" else "runc" end) as $other
		| ([$E[] | . as $e | select($e[$x.side] != null and ($x.line | test($e[$x.side])))
			| select(.[$other] == null or (. as $e | any($diffs[];
				.side == $other and (.line | key) == ($x.line | key) and (.line | test($e[$other])))))
			| .id][0]) as $id
		| if $id == null then "unexpected \($x.side)| \($x.line)" else "allowed \($id) \($x.side)| \($x.line)" end' 2>"$cdir/classify.err" ||
		echo "unexpected harness| the allowlist could not be applied: $(head -c 300 "$cdir/classify.err")"
}

# the field a difference is about, for the tally
field_of() {
	sed -E 's/^(runc|moat)\| //; s/^(mount|dev) ([^ ]*).*/\1 \2/; s/^(devaccess [cb] [0-9:]+).*/\1/;
		s/^(hostcg [^ ]+ [^ ]+).*/\1/; s/^(cgroup [0-9]+:[^:]*):.*/\1/; s/^(env [^=]*)=.*/\1/;
		s/^(stdio\.[0-9]+|outcome|sysctl\.[^ ]*|status\.[^ ]*|syscall\.[^ ]*|cap\.[a-z]+|cgroupfs\.[^ ]*|userns\.[^ ]*|ns\.[^ ]*|rlimit\.[^ ]*|net\.if [^ ]*) .*/\1/'
}

# ---- the cases ------------------------------------------------------------------

while IFS='|' read -r c how why; do
	[ -n "$c" ] || continue
	if [ "$how" = skip ]; then
		tap skip "$c" "$why"
	else
		tap fail "$c" "$why" "$work/gen-logs/$c"
	fi
done <"$work/not-generated"

: >"$work/tally"
: >"$work/shown"
for cfg in "$configs"/*.json; do
	[ -f "$cfg" ] || continue
	c=$(basename "$cfg" .json)
	want "$c" || continue
	cdir=$work/cases/$c
	cid=compat-$suffix-$c
	as_rl=
	[ -f "$configs/$c.user" ] && as_rl=1
	mkdir -p "$cdir"
	chmod 755 "$work/cases" "$cdir"
	cp "$cfg" "$cdir/config.json"
	[ -f "$configs/$c.infra" ] && cp "$configs/$(cat "$configs/$c.infra").json" "$cdir/infra.json"
	if [ -n "$as_rl" ]; then
		for r in runc moat; do
			[ -d "$work/state-$r-rootless" ] || mkdir -m 700 "$work/state-$r-rootless"
			chown "$rl_uid:$rl_gid" "$work/state-$r-rootless"
		done
	fi
	run_case runc
	run_case moat
	normalise runc >"$cdir/runc.norm"
	normalise moat >"$cdir/moat.norm"
	sort "$cdir/runc.norm" >"$cdir/runc.sorted"
	sort "$cdir/moat.norm" >"$cdir/moat.sorted"
	# one runs it, the other refuses it: the outcome is the difference
	if [ "$(head -1 "$cdir/runc.norm")" != "$(head -1 "$cdir/moat.norm")" ]; then
		head -1 "$cdir/runc.norm" >"$cdir/runc.sorted"
		head -1 "$cdir/moat.norm" >"$cdir/moat.sorted"
	fi
	classify >"$cdir/classified"
	grep '^unexpected ' "$cdir/classified" | sed 's/^unexpected //' >"$cdir/unexpected"
	field_of <"$cdir/unexpected" | sort -u >>"$work/tally"
	# a difference already printed for an earlier case is counted, not
	# printed again
	grep -vxF -f "$work/shown" "$cdir/unexpected" >"$cdir/unexpected.new"
	seen=$(($(wc -l <"$cdir/unexpected") - $(wc -l <"$cdir/unexpected.new")))
	cat "$cdir/unexpected.new" >>"$work/shown"
	{
		cat "$cdir/unexpected.new"
		[ "$seen" -gt 0 ] && echo "... and $seen difference(s) shown above for an earlier case"
		if [ -s "$cdir/unexpected" ] || failed_outcome runc || failed_outcome moat; then
			for r in runc moat; do
				failed_outcome $r && echo "$r failed (exit $(cat "$cdir/$r/rc")): $(cat "$cdir/$r/stderr" "$cdir/$r/stdout.txt" 2>/dev/null | grep -v '^moat: warning' | sed 's/\x1b\[[0-9;]*m//g' | tail -2 | tr '\n' ' ')"
			done
		fi
		[ -s "$cdir/moat/harness-errors" ] && sed 's/^/harness: /' "$cdir/moat/harness-errors"
		[ "${COMPAT_VERBOSE:-}" = 1 ] && grep '^allowed ' "$cdir/classified" | sed 's/^allowed //'
	} >"$cdir/detail"
	allowed=$(grep '^allowed ' "$cdir/classified" | awk '{ print $2 }' | sort | uniq -c |
		awk '{ printf "%s%s (%d)", (NR > 1 ? ", " : ""), $2, $1 }')
	who=${as_rl:+ (as $rl_user)}
	if [ -s "$cdir/unexpected" ]; then
		tap fail "$c" "$(wc -l <"$cdir/unexpected") unexpected difference(s) from runc$who${allowed:+ (allowed: $allowed)}" "$cdir/detail"
	elif failed_outcome runc && failed_outcome moat; then
		tap ok "$c" "both refuse it$who" "$cdir/detail"
	else
		tap ok "$c" "as runc$who${allowed:+ but for allowed differences: $allowed}" "$cdir/detail"
	fi
done

# ---- buildah end to end: the same build and run with either runtime -------------

# OUTPUT without what differs from one run to the next: image and layer
# ids, the runtime's path, the work directory
bh_normalise() {
	sed -E -e "s|$MOAT|@RUNTIME|g; s|$RUNC|@RUNTIME|g; s|$work|@WORK|g" \
		-e '/^(COMMIT|Getting image source signatures|Copying (blob|config)|Writing manifest|Storing signatures)/d' \
		-e '/^--> [0-9a-f]+$/d; /^[0-9a-f]{64}$/d; s/\b[0-9a-f]{64}\b/@HASH/g; s/\b[0-9a-f]{12}\b/@HASH/g'
}

# NAME: compare $work/e2e/NAME.{runc,moat}.{rc,out,err} as the probe's
# reports are compared ("exit N", "out LINE" and "err LINE" lines, the
# allowlist applies); stdout and stderr apart: the engine relays each
# from its own pipe, and their interleaving varies from run to run
e2e_compare() {
	local name=$1
	c=$name
	cdir=$work/e2e/$name
	mkdir -p "$cdir"
	for r in runc moat; do
		{
			echo "exit $(cat "$work/e2e/$name.$r.rc")"
			bh_normalise <"$work/e2e/$name.$r.out" | sed 's/^/out /'
			bh_normalise <"$work/e2e/$name.$r.err" | sed 's/^/err /'
		} >"$cdir/$r.norm"
		sort "$cdir/$r.norm" >"$cdir/$r.sorted"
	done
	classify >"$cdir/classified"
	grep '^unexpected ' "$cdir/classified" | sed 's/^unexpected //' >"$cdir/unexpected"
	sed -E 's/^(runc|moat)\| (exit|out|err) .*/'"$name"' \2/' "$cdir/unexpected" | sort -u >>"$work/tally"
	{
		cat "$cdir/unexpected"
		[ "${COMPAT_VERBOSE:-}" = 1 ] && grep '^allowed ' "$cdir/classified" | sed 's/^allowed //'
	} >"$cdir/detail"
	allowed=$(grep '^allowed ' "$cdir/classified" | awk '{ print $2 }' | sort | uniq -c |
		awk '{ printf "%s%s (%d)", (NR > 1 ? ", " : ""), $2, $1 }')
	if [ -s "$cdir/unexpected" ]; then
		tap fail "$name" "$(wc -l <"$cdir/unexpected") line(s) of exit status or output differ from runc's${allowed:+ (allowed: $allowed)}" "$cdir/detail"
	else
		tap ok "$name" "exit status $(cat "$work/e2e/$name.moat.rc") and output as with runc${allowed:+ but for allowed differences: $allowed}" "$cdir/detail"
	fi
}

if [[ " $tools " == *" buildah "* ]] && command -v buildah >/dev/null && [ -n "${podman_ok:-}" ]; then
	mkdir -p "$work/e2e"
	if want buildah-run-e2e; then
		for r in runc moat; do
			ctr=$(bh from --pull-never "$image" 2>>"$work/e2e/log")
			bh run --runtime "$(rt_bin $r)" "$ctr" -- sh -c \
				'echo out; id; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; ls /dev | tr "\n" " "; echo; echo err >&2; exit 3' \
				</dev/null >"$work/e2e/buildah-run-e2e.$r.out" 2>"$work/e2e/buildah-run-e2e.$r.err"
			echo $? >"$work/e2e/buildah-run-e2e.$r.rc"
			bh rm "$ctr" >/dev/null 2>&1
		done
		e2e_compare buildah-run-e2e
	fi
	if want_any buildah-bud-e2e buildah-bud-fail-e2e; then
		mkdir -p "$work/e2e/ok" "$work/e2e/bad"
		printf '%s\n' "FROM $image" \
			'RUN echo step1 >/s1 && cat /s1' \
			'RUN id && grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status' \
			'RUN ls /dev | tr "\n" " " && echo && cat /etc/hostname | wc -c && grep -c . /etc/hosts' \
			'RUN test -f /s1 && echo persisted && echo err >&2' >"$work/e2e/ok/Containerfile"
		printf '%s\n' "FROM $image" 'RUN echo before' 'RUN echo failing; exit 7' 'RUN echo never' \
			>"$work/e2e/bad/Containerfile"
		for r in runc moat; do
			bh bud --pull-never --runtime "$(rt_bin $r)" "$work/e2e/ok" </dev/null \
				>"$work/e2e/buildah-bud-e2e.$r.out" 2>"$work/e2e/buildah-bud-e2e.$r.err"
			echo $? >"$work/e2e/buildah-bud-e2e.$r.rc"
			bh bud --pull-never --runtime "$(rt_bin $r)" "$work/e2e/bad" </dev/null \
				>"$work/e2e/buildah-bud-fail-e2e.$r.out" 2>"$work/e2e/buildah-bud-fail-e2e.$r.err"
			echo $? >"$work/e2e/buildah-bud-fail-e2e.$r.rc"
		done
		e2e_compare buildah-bud-e2e
		e2e_compare buildah-bud-fail-e2e
	fi
fi

finish
