/* The config `moat spec` writes: the hardened baseline, one config that
   runs unchanged as root and as a user without privileges.

   - a user namespace without mappings: moat maps it at create, from the
     subordinate ranges of the user `containers` when run by root (a
     range of 65536 ids of the container's own), else the caller's id as
     root plus the caller's subordinate range;
   - the process runs as uid and gid 1000, not as the container's root;
   - capabilities: only a short bounding set, none effective or
     permitted (a process that is not root needs none);
   - no_new_privs, a read-only root, the default seccomp profile
     (contrib/seccomp.json, built in), masked and read-only paths;
   - /tmp, /dev/shm and /dev/mqueue nosuid, nodev, noexec;
   - a pids limit and a memory limit, when the config is for root and
     this host's cgroups have the controller (a rootless container has a
     cgroup only where the user gives it a delegated one: it would refuse
     the limit).  1 GiB suits no program in particular: it is there to be
     changed, so that a container never runs without one.
   sysfs is mounted read-only: the container's network namespace is its
   user namespace's, which may mount it; devpts takes no gid= (group 5
   may not be mapped).  */
#include <config.h>
#include "spec.h"
#include "../cgroup/cgroup.h"
#include "../utils.h"

/* Podman's default pids limit; 1 GiB of memory */
#define SPEC_PIDS_LIMIT "2048"
#define SPEC_MEMORY_LIMIT "1073741824"

static const char template[] =
  "{\n"
  "  \"ociVersion\": \"" OCI_SPEC_VERSION "\",\n"
  "  \"process\": {\n"
  "    \"terminal\": false,\n"
  "    \"user\": { \"uid\": 1000, \"gid\": 1000 },\n"
  "    \"args\": [ \"sh\" ],\n"
  "    \"env\": [\n"
  "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
  "      \"TERM=xterm\"\n"
  "    ],\n"
  "    \"cwd\": \"/\",\n"
  "    \"capabilities\": {\n"
  "      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
  "      \"effective\": [],\n"
  "      \"permitted\": []\n"
  "    },\n"
  "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
  "    \"noNewPrivileges\": true\n"
  "  },\n"
  "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
  "  \"hostname\": \"moat\",\n"
  "  \"mounts\": [\n"
  "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
  "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
  "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
  "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\" ] },\n"
  "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
  "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
  "    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },\n"
  "    { \"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
  "      \"options\": [ \"nosuid\", \"nodev\", \"noexec\", \"mode=1777\", \"size=65536k\" ] }\n"
  "  ],\n"
  "  \"linux\": {\n"
  "    \"namespaces\": [\n"
  "      { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },\n"
  "      { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" },\n"
  "      { \"type\": \"user\" }\n"
  "    ],\n"
  "%s"
  "    \"maskedPaths\": [\n"
  "      \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
  "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
  "      \"/proc/sched_debug\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\",\n"
  "      \"/proc/scsi\"\n"
  "    ],\n"
  "    \"readonlyPaths\": [\n"
  "      \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"\n"
  "    ],\n"
  "    \"seccomp\": %s"
  "  }\n"
  "}\n";

/* contrib/seccomp.json, as the build made it a string (seccomp-profile.c) */
extern const char moat_default_seccomp_json[];

char *
moat_spec_default_json (bool rootless)
{
  bool pids = !rootless && moat_cgroup_has_controller ("pids");
  bool memory = !rootless && moat_cgroup_has_controller ("memory");
  autofree char *resources = pids || memory
    ? xasprintf ("    \"resources\": { %s%s%s },\n",
                 pids ? "\"pids\": { \"limit\": " SPEC_PIDS_LIMIT " }" : "",
                 pids && memory ? ", " : "",
                 memory ? "\"memory\": { \"limit\": " SPEC_MEMORY_LIMIT " }" : "")
    : xstrdup ("");
  return xasprintf (template, resources, moat_default_seccomp_json);
}
