/* The config `moat spec` writes.  Kept in one place so the hardened,
   rootless-first baseline can grow here.  Its seccomp profile is
   contrib/seccomp.json, built in.  */
#include <config.h>
#include "spec.h"
#include "../utils.h"
#include <unistd.h>

static const char template_head[] =
  "{\n"
  "  \"ociVersion\": \"" OCI_SPEC_VERSION "\",\n"
  "  \"process\": {\n"
  "    \"terminal\": false,\n"
  "    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
  "    \"args\": [ \"sh\" ],\n"
  "    \"env\": [\n"
  "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
  "      \"TERM=xterm\"\n"
  "    ],\n"
  "    \"cwd\": \"/\",\n"
  "    \"capabilities\": {\n"
  "      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
  "      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
  "      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]\n"
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
  "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"%s ] },\n"
  "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
  "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
  "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
  "    %s,\n"
  "    { \"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
  "      \"options\": [ \"nosuid\", \"nodev\", \"mode=1777\", \"size=65536k\" ] }\n"
  "  ],\n"
  "  \"linux\": {\n"
  "%s"
  "    \"namespaces\": [\n"
  "      { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },\n"
  "      { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" }%s\n"
  "    ],\n"
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
  if (!rootless)
    return xasprintf (template_head, ", \"gid=5\"",
                      "{ \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
                      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }",
                      "", "", moat_default_seccomp_json);
  /* Without privileges: map the caller to root in a user namespace; sysfs
     cannot be mounted there without a network namespace the user owns, so
     bind the host's read-only; devpts cannot take a host gid.  */
  autofree char *maps = xasprintf (
    "    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],\n"
    "    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],\n",
    (unsigned) getuid (), (unsigned) getgid ());
  return xasprintf (template_head, "",
                    "{ \"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\",\n"
                    "      \"options\": [ \"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }",
                    maps, ", { \"type\": \"user\" }", moat_default_seccomp_json);
}
