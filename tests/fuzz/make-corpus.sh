#!/bin/bash
# Regenerate the committed seed corpus, tests/fuzz/corpus/<target>/.
# Not run by CI (run.sh replays what is committed); run it by hand when
# the config format grows, then review and commit the result.
#
#   tests/fuzz/make-corpus.sh [MOAT]      (default ./moat)
#
# Needs jq, and for the real configs runc and crun (the configs of a
# missing one are left out, with a warning).  Files are named for what
# they hold.  Not touched here: fuzzed-<sha1>, inputs fuzzing found that
# reach code the seeds do not (picked from a `-merge=1` of a long run,
# at most 40 of at most 800 bytes per target), and regress-*, inputs of
# findings that became unit tests.
set -eu
cd "$(dirname "$0")/../.."
moat=${1:-./moat}
c=tests/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in config state process seccomp mountopts json resources policy; do
	mkdir -p "$c/$t"
	find "$c/$t" -type f ! -name 'regress-*' ! -name 'fuzzed-*' -delete
done

# ---- config.json: what the runtimes write ---------------------------------
spec() { # NAME CMD...: the config.json CMD writes in an empty directory
	local name=$1
	shift
	rm -rf "$work/b" && mkdir "$work/b"
	if (cd "$work/b" && "$@") >/dev/null 2>&1 && [ -f "$work/b/config.json" ]; then
		cp "$work/b/config.json" "$c/config/$name.json"
	else
		echo "make-corpus.sh: warning: \`$*\` wrote no config.json; $name left out" >&2
	fi
}
moat_abs=$(cd "$(dirname "$moat")" && pwd)/$(basename "$moat")
spec moat-spec "$moat_abs" spec
spec moat-spec-rootless "$moat_abs" spec --rootless
spec runc-spec runc spec
spec runc-spec-rootless runc spec --rootless
spec crun-spec crun spec
spec crun-spec-rootless crun spec --rootless

base=$c/config/moat-spec.json
# every section moat parses, in one config
jq '.process.user.additionalGids = [5, 10]
  | .process.user.umask = 18
  | .process.consoleSize = {"height": 24, "width": 80}
  | .process.oomScoreAdj = -500
  | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}
  | .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 4}
  | .process.execCPUAffinity = {"initial": "0", "final": "0-1"}
  | .process.capabilities.inheritable = ["CAP_KILL"]
  | .process.capabilities.ambient = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
  | .process.rlimits += [{"type": "RLIMIT_CORE", "soft": 0, "hard": "U64_MAX"}]
  | .domainname = "example.org"
  | .annotations = {"org.example": "1", "": "empty key"}
  | .hooks = {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=1"], "timeout": 5}],
              "createRuntime": [{"path": "/bin/true"}], "createContainer": [{"path": "/bin/true"}],
              "startContainer": [{"path": "/bin/true"}], "poststart": [{"path": "/bin/true"}],
              "poststop": [{"path": "/bin/true", "timeout": 1}]}
  | .mounts += [{"destination": "/data", "type": "bind", "source": "src",
                 "options": ["rbind", "rro", "nosuid", "rprivate", "idmap"],
                 "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                 "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]},
                {"destination": "/cg", "type": "cgroup", "source": "cgroup", "options": ["ro"]}]
  | .linux.namespaces += [{"type": "time"}]
  | .linux.timeOffsets = {"monotonic": {"secs": 100, "nanosecs": 5}, "boottime": {"secs": -3}}
  | .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536", "fs.mqueue.msg_max": "10", "kernel.hostname": "x"}
  | .linux.cgroupsPath = "/moat/fuzz"
  | .linux.rootfsPropagation = "rslave"
  | .linux.mountLabel = "system_u:object_r:container_file_t:s0"
  | .linux.personality = {"domain": "LINUX32"}
  | .linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
                      {"path": "/dev/fifo", "type": "p"}]
  | .linux.resources = {"devices": [{"allow": false, "access": "rwm"},
                                    {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
                        "memory": {"limit": 536870912}, "pids": {"limit": 100}}
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                      "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                                    "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_NE"}]}]}' \
	"$base" | sed 's/"U64_MAX"/18446744073709551615/' >"$c/config/moat-everything.json"
# a user namespace with mappings, sysctls of every namespace kind
jq '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}, {"containerID": 1, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]
  | .process.user = {"uid": 1, "gid": 0, "additionalGids": [0]}
  | .linux.namespaces |= map(if .type == "network" then .path = "/proc/1/ns/net" else . end)' \
	"$base" >"$c/config/userns-joined-net.json"
# small hostile configs
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}]}}' >"$c/config/minimal.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["sh\u0000-c"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}]}}' >"$c/config/nul-in-args.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"root":{"path":"/"},"linux":{"namespaces":[{"type":"mount"}]}}' >"$c/config/duplicate-root.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"},{"type":"mount"}]}}' >"$c/config/duplicate-namespace.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["x"],"cwd":"/","user":{"uid":4294967295,"gid":1e3,"additionalGids":[-1]},"rlimits":[{"type":"RLIMIT_NOFILE","soft":18446744073709551616,"hard":1}]},"linux":{"namespaces":[{"type":"mount"}]}}' >"$c/config/huge-numbers.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}],"sysctl":{"kernel.../x":"1","net..":"1","/net/x":"1","kernel.core_pattern":"|/bin/sh"}}}' >"$c/config/bad-sysctls.json"
printf '%s' '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"mounts":[{"destination":"/a","type":"tmpfs","options":["ro","rw"]},{"destination":"/b","options":["bind"]},{"destination":"relative","type":"proc"}],"linux":{"namespaces":[{"type":"mount"}]}}' >"$c/config/bad-mounts.json"
{
	printf '{"ociVersion":"1.0.0","root":{"path":"rootfs"},"annotations":'
	for _ in $(seq 300); do printf '['; done
	for _ in $(seq 300); do printf ']'; done
	printf '}'
} >"$c/config/deep-nesting.json"
printf '\357\273\277{"ociVersion":"1.0.0"} // trailing comment\n' >"$c/config/bom-and-comment.json"

# ---- the process object ----------------------------------------------------
for f in moat-spec runc-spec crun-spec moat-everything; do
	[ -f "$c/config/$f.json" ] && jq '.process' "$c/config/$f.json" >"$c/process/$f.json"
done
printf '%s' '{"args":["sh"],"cwd":"/"}' >"$c/process/minimal.json"
printf '%s' '{"args":["sh"],"cwd":"/","env":["A=1","NOEQUALS"],"user":{"uid":1,"gid":2}}' >"$c/process/env-without-equals.json"
printf '%s' '{"args":["sh"],"cwd":"/","capabilities":{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN","CAP_KILL"],"permitted":["cap_sys_admin"],"inheritable":["CAP_CHOWN"],"ambient":["CAP_NOPE"]}}' >"$c/process/bad-capabilities.json"
printf '%s' '{"args":["sh"],"cwd":"/","rlimits":[{"type":"RLIMIT_NOFILE","soft":10,"hard":1},{"type":"RLIMIT_NOFILE","soft":1,"hard":1}],"scheduler":{"policy":"SCHED_DEADLINE","runtime":1e3,"deadline":-1,"flags":["NOPE"]}}' >"$c/process/bad-limits.json"
printf '%s' '{"args":[""],"cwd":"relative","terminal":"yes","consoleSize":{"height":70000}}' >"$c/process/bad-types.json"
printf '%s' '"just a string"' >"$c/process/not-an-object.json"

# ---- seccomp profiles ------------------------------------------------------
unistd=$(echo '#include <asm/unistd_64.h>' | cpp -dM 2>/dev/null | sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort)
deny='mount umount2 pivot_root kexec_load kexec_file_load init_module finit_module delete_module
  ptrace bpf perf_event_open open_by_handle_at swapon swapoff reboot acct settimeofday clock_settime
  keyctl add_key request_key unshare setns userfaultfd'
allow_json=$(printf '%s\n' $unistd | grep -vxF -f <(printf '%s\n' $deny) | jq -R . | jq -s -c .)
deny_json=$(printf '%s\n' $deny | jq -R . | jq -s -c .)
# default errno, an allowlist of everything but the dangerous calls (the
# shape of Docker's profile)
jq -n --argjson a "$allow_json" '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [{"names": $a, "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}' >"$c/seccomp/default-errno-allowlist.json"
# default allow, a denylist
jq -n --argjson d "$deny_json" '{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": $d, "action": "SCMP_ACT_ERRNO"},
    {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
    {"names": ["getpid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
    {"names": ["getppid"], "action": "SCMP_ACT_LOG"},
    {"names": ["sync"], "action": "SCMP_ACT_TRAP"},
    {"names": ["no_such_syscall"], "action": "SCMP_ACT_KILL"}]}' >"$c/seccomp/default-allow-denylist.json"
printf '%s' '{"defaultAction":"SCMP_ACT_KILL_PROCESS","flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],"syscalls":[{"names":["write","exit_group"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_LE"},{"index":1,"value":0,"op":"SCMP_CMP_GT"},{"index":2,"value":4096,"op":"SCMP_CMP_LT"},{"index":3,"value":0,"op":"SCMP_CMP_GE"},{"index":4,"value":0,"op":"SCMP_CMP_NE"},{"index":5,"value":0,"op":"SCMP_CMP_EQ"}]}]}' >"$c/seccomp/six-args.json"
printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}' >"$c/seccomp/rule-repeats-default.json"
printf '%s' '{"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/run/agent.sock"}' >"$c/seccomp/notify.json"
printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX","x86_64"]}' >"$c/seccomp/bad-arch.json"
printf '%s' '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4096,"syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":-1,"op":"SCMP_CMP_XX"}]}]}' >"$c/seccomp/bad-values.json"
printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}' >"$c/seccomp/same-arg-twice.json"

# ---- mount options (NUL-separated) -----------------------------------------
opts() { # NAME OPTION...
	local name=$1
	shift
	printf '%s\0' "$@" >"$c/mountopts/$name"
}
jq -r '.mounts[] | select(.options) | .destination + "\t" + (.options | join("\u0001"))' "$base" |
	while IFS=$'\t' read -r dest o; do
		printf '%s' "$o" | tr '\001' '\000' >"$c/mountopts/moat-spec-$(echo "${dest#/}" | tr / -)"
	done
opts runc-sys-rootless rbind nosuid noexec nodev ro
opts contradictory ro rw
opts recursive-contradictory rro rrw
opts recursive-all rro rnosuid rnodev rnoexec rnoatime rnodiratime rrelatime rstrictatime rnosymfollow
opts superblock-recursive rsync rremount rmand rlazytime rsilent rdirsync
opts propagation-last shared rprivate slave rslave unbindable runbindable private
opts binds-idmaps bind rbind idmap ridmap defaults
opts data-and-unknown mode=0755 size=1m uid=0 gid=5 nr_inodes=10 weird 'context="a,b"' ''
opts every-flag ro nosuid nodev noexec sync dirsync remount mand noatime nodiratime relatime strictatime lazytime silent nosymfollow
opts every-clear rw suid dev exec async nomand atime diratime norelatime nostrictatime nolazytime loud symfollow
printf '' >"$c/mountopts/empty"

# ---- state.json: what moat writes (moat_state_to_json) ---------------------
s=$c/state
printf '%s' '{"ociVersion":"1.3.0","id":"fuzzseed1","pid":9315,"status":"created","bundle":"/tmp/corpus-work/bundle","rootfs":"/tmp/corpus-work/bundle/rootfs","created":"2026-11-29T03:52:19.534169844Z","owner":"root","annotations":{"org.example.key":"value","io.kubernetes.cri.container-type":"container"},"moat":{"startTime":245522,"cgroupDriver":"cgroupfs-v2","cgroupPath":"/sys/fs/cgroup/unified/moat/fuzzseed1","cgroupCreatedFrom":"/sys/fs/cgroup/unified/moat"}}' >"$s/moat-created.json"
# an older moat's key, ignored now
jq -c '.status = "running" | .moat.ptraceReachable = true | del(.annotations)' "$s/moat-created.json" >"$s/moat-running-ptrace.json"
jq -c '.status = "running" | .moat.noNewKeyring = true | .moat.noLateHooks = true' "$s/moat-created.json" >"$s/moat-running-flags.json"
jq -c '.status = "creating" | .pid = 0 | del(.moat.cgroupDriver, .moat.cgroupPath, .moat.cgroupCreatedFrom)' "$s/moat-created.json" >"$s/moat-creating.json"
jq -c 'del(.moat)' "$s/moat-created.json" >"$s/public-form.json"
printf '%s' '{"ociVersion":"1.3.0","id":"x","pid":2147483648,"status":"paused","moat":{"startTime":18446744073709551615}}' >"$s/big-numbers.json"
printf '%s' '{"ociVersion":"1.3.0","id":"x","pid":-5,"status":"bogus","moat":{"startTime":1e3,"ptraceReachable":"yes"}}' >"$s/bad-values.json"
printf '%s' '{"ociVersion":"1.3.0","pid":1,"status":"running"}' >"$s/no-id.json"
printf '%s' '{"id":"a\"b\\c\u0001\u007f\u00e9","annotations":{"k":1,"\u0002":"v","z":null}}' >"$s/escapes.json"
printf '%s' '{"id":"x","id":"y"}' >"$s/duplicate-id.json"
printf '%s' '["id"]' >"$s/not-an-object.json"

# ---- linux.resources -------------------------------------------------------
r=$c/resources
# the devices list Docker and containerd write
printf '%s' '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":5,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":9,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":8,"access":"rwm"},{"allow":true,"type":"c","major":5,"minor":0,"access":"rwm"},{"allow":true,"type":"c","major":5,"minor":1,"access":"rwm"},{"allow":false,"type":"c","major":10,"minor":229,"access":"rwm"},{"allow":true,"type":"c","major":136,"access":"rwm"}]}' >"$r/docker-devices.json"
printf '%s' '{"devices":[{"allow":true,"access":"rwm"},{"allow":false,"type":"b","major":8,"access":"w"},{"allow":false,"type":"c","minor":1,"access":"m"}]}' >"$r/allow-all-then-deny.json"
printf '%s' '{"devices":[{"allow":true,"type":"a","major":-1,"minor":-1,"access":"rwm"},{"allow":false,"type":"c","major":4294967295,"minor":4294967295,"access":"r"}]}' >"$r/extremes.json"
printf '%s' '{"devices":[{"allow":"yes"},{"type":"x","allow":true},{"allow":true,"access":"rwx"},{"allow":true,"major":-2}]}' >"$r/bad-devices.json"
printf '%s' '{"memory":{"limit":536870912,"reservation":-1,"swap":1073741824,"swappiness":0,"disableOOMKiller":true},"cpu":{"shares":1024,"quota":100000,"period":100000,"cpus":"0-1","mems":"0"},"pids":{"limit":100},"blockIO":{"weight":500,"weightDevice":[{"major":8,"minor":0,"weight":600}]},"hugepageLimits":[{"pageSize":"2MB","limit":1}],"network":{"classID":1},"rdma":{"mlx5_0":{"hcaHandles":3}},"unified":{"memory.high":"max"}}' >"$r/every-controller.json"
printf '%s' '{"memory":null,"devices":null,"cpu":{}}' >"$r/nulls.json"
printf '%s' '{}' >"$r/empty.json"

# ---- the strict JSON tree builder ------------------------------------------
j=$c/json
cp "$base" "$j/moat-spec.json"
printf '%s' '{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-0.5e-3}' >"$j/every-type.json"
printf '%s' '{"a":1,"a":2}' >"$j/duplicate-key.json"
{
	printf '{'
	for i in $(seq 20); do printf '"k%d":%d,' "$i" "$i"; done
	printf '"k7":0}'
} >"$j/duplicate-key-large-object.json"
printf '%s' '{"a\u0000b":1}' >"$j/nul-in-key.json"
printf '%s' '["a\u0000"]' >"$j/nul-in-string.json"
printf '{"a":"b"}\0{"c":1}' >"$j/nul-byte.json"
printf '%s' '[9223372036854775807,9223372036854775808,-9223372036854775808,-9223372036854775809,9223372036854775870,1e400,-1e-400,0.1,-0,18446744073709551615]' >"$j/numbers.json"
printf '%s' '"\ud83d\ude00 \u00e9 \u0080\u009f \u007f \/ \b\f\n\r\t"' >"$j/escapes.json"
printf '%s' '"\ud800"' >"$j/lone-surrogate.json"
printf '"\377\376"' >"$j/invalid-utf8.json"
printf '/* c */ {"a": // line\n 1} /* end */' >"$j/comments.json"
printf '%s' '{"a":1} x' >"$j/trailing-garbage.json"
printf '%s' '42' >"$j/top-level-number.json"
printf '%s' '' >"$j/empty"
printf '%s' '{"\u0001\u001b[31m\u0085key with control characters and a long tail beyond sixty-four bytes of text":{"x":1,"x":2}}' >"$j/control-key-duplicate.json"
for d in 256 257; do
	{
		for _ in $(seq $d); do printf '['; done
		for _ in $(seq $d); do printf ']'; done
	} >"$j/nesting-$d.json"
done
{
	for _ in $(seq 255); do printf '{"k":'; done
	printf '1'
	for _ in $(seq 255); do printf '}'; done
} >"$j/nesting-objects-255.json"

# ---- the policy, alone and followed by NUL + a config ----------------------
pc=$c/policy
for f in contrib/policy/*.json tests/lib/policy-off.json; do
	cp "$f" "$pc/$(basename "$f" .json).json"
done
printf '%s' '{}' >"$pc/empty-object.json"
printf '%s' '{"mode": "harden"}' >"$pc/harden.json"
printf '%s' '{"mode": "enforce", "rules": {"disable": ["no-such-rule"]}}' >"$pc/unknown-rule.json"
printf '%s' '{"mode": "audit", "extra": 1}' >"$pc/unknown-key.json"
printf '%s' '{"mode": "enforce", "exempt": {"ids": ["it*", "[a-"], "annotation": "example.com/x"}, "audit": {"log": "relative"}}' >"$pc/exempt-and-bad-log.json"
with_config() { # NAME POLICY CONFIG
	{
		printf '%s' "$2"
		printf '\0'
		cat "$3"
	} >"$pc/$1"
}
for m in audit harden; do
	for f in moat-spec runc-spec crun-spec-rootless moat-everything userns-joined-net; do
		with_config "$m-$f" "{\"mode\": \"$m\"}" "$c/config/$f.json"
	done
done
jq '.process.capabilities.bounding += ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]
  | .linux.namespaces = [{"type": "pid", "path": "/proc/1/ns/pid"}, {"type": "mount"}]
  | .mounts += [{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind"]},
                {"destination": "/x", "type": "bind", "source": "/tmp/..", "options": ["bind"]}]
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}
  | .linux.devices = [{"path": "/dev/mem", "type": "c", "major": 1, "minor": 1}]
  | .hooks = {"createContainer": [{"path": "/bin/true"}]}
  | .process.user.uid = 0 | .root.readonly = false | del(.linux.maskedPaths)' \
	"$c/config/runc-spec.json" >"$work/bad.json"
with_config harden-privileged '{"mode": "harden", "rules": {"capabilities": ["CAP_KILL"]}}' "$work/bad.json"
with_config enforce-privileged-exempt '{"mode": "enforce", "exempt": {"annotation": "a"}}' "$work/bad.json"

du -sh "$c"
find "$c" -type f | wc -l
