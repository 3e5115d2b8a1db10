/* linux.resources: parsed as given, every member known, and converted to
   cgroup v2 writes as runc and crun convert them; what v2 cannot do is
   refused by name.  */
#include <config.h>
#include "tap.h"
#include "libmoat/spec/spec.h"
#include "libmoat/cgroup/v1-resources.h"
#include "libmoat/cgroup/journal.h"
#ifdef HAVE_SYSTEMD
#include "libmoat/cgroup/systemd.h"
#endif
#include "libmoat/utils.h"
#include <stdlib.h>
#include <string.h>

/* The writes of a resources object for cgroup v2 (or v1), as
   "file=value;..." (NULL on error, *msg the error).  */
static char *
writes_for (const char *json, bool v1, bool bfq, char **msg)
{
  struct moat_resources r;
  moat_error *err = NULL;
  struct moat_cgroup_writes w;
  *msg = NULL;
  if (moat_resources_from_json (json, strlen (json), &r, NULL, NULL, &err) < 0
      || (v1 ? moat_v1_resource_writes (&r, bfq, &w, &err)
          : moat_v2_resource_writes (&r, bfq, &w, &err)) < 0)
    {
      *msg = xstrdup (err ? err->msg : "(no message)");
      moat_error_free (&err);
      moat_resources_clear (&r);
      return NULL;
    }
  size_t len = 1;
  for (size_t i = 0; i < w.n; i++)
    len += strlen (w.w[i].file) + strlen (w.w[i].value) + 3;
  char *out = xmalloc0 (len), *p = out;
  for (size_t i = 0; i < w.n; i++)
    p += sprintf (p, "%s%s=%s", i ? ";" : "", w.w[i].file, w.w[i].value);
  moat_cgroup_writes_clear (&w);
  moat_resources_clear (&r);
  return out;
}

static char *
writes_of (const char *json, bool bfq, char **msg)
{
  return writes_for (json, false, bfq, msg);
}

static void
expect_v1 (const char *json, bool bfq, const char *want, const char *what)
{
  char *msg;
  char *got = writes_for (json, true, bfq, &msg);
  ok (got && strcmp (got, want) == 0, "v1 %s: %s (got %s)", what, want, got ? got : msg);
  free (got);
  free (msg);
}

static void
expect_v1_refused (const char *json, const char *fragment, const char *what)
{
  char *msg;
  char *got = writes_for (json, true, false, &msg);
  ok (got == NULL && msg && contains (msg, fragment), "v1 %s: `%s` (got %s)", what, fragment,
      got ? got : msg);
  free (got);
  free (msg);
}

static void
expect_writes (const char *json, bool bfq, const char *want, const char *what)
{
  char *msg;
  char *got = writes_of (json, bfq, &msg);
  ok (got && strcmp (got, want) == 0, "%s: %s (got %s)", what, want, got ? got : msg);
  free (got);
  free (msg);
}

static void
expect_refused (const char *json, const char *fragment, const char *what)
{
  char *msg;
  char *got = writes_of (json, false, &msg);
  ok (got == NULL && msg && contains (msg, fragment), "%s: `%s` (got %s)", what, fragment,
      got ? got : msg);
  free (got);
  free (msg);
}

static void
test_conversions (void)
{
  ok (moat_cpu_shares_to_weight (1024) == 39, "cpu.shares 1024 is cpu.weight 39");
  ok (moat_cpu_shares_to_weight (2) == 1 && moat_cpu_shares_to_weight (262144) == 10000,
      "cpu.shares 2..262144 is cpu.weight 1..10000");
  ok (moat_cpu_shares_to_weight (0) == 1 && moat_cpu_shares_to_weight (1 << 30) == 10000,
      "cpu.shares outside the range is clamped");
  ok (moat_blkio_weight_to_io_weight (10) == 1 && moat_blkio_weight_to_io_weight (1000) == 10000
      && moat_blkio_weight_to_io_weight (500) == 4950,
      "blkio weight 10..1000 is io.weight 1..10000 (500: 4950)");
}

static void
test_writes (void)
{
  expect_writes ("{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, "
                 "\"swap\": 134217728}}", false,
                 "memory.max=67108864;memory.low=33554432;memory.swap.max=67108864",
                 "memory: swap is memory plus swap");
  expect_writes ("{\"memory\": {\"limit\": -1, \"swap\": -1}}", false,
                 "memory.max=max;memory.swap.max=max", "memory: -1 is max");
  expect_writes ("{\"memory\": {\"limit\": 0, \"useHierarchy\": true, "
                 "\"disableOOMKiller\": false}}", false, "",
                 "memory: 0 and what v2 always does write nothing");
  expect_writes ("{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, "
                 "\"cpus\": \"0-1\", \"mems\": \"0\"}}", false,
                 "cpu.weight=39;cpu.max=50000 100000;cpuset.cpus=0-1;cpuset.mems=0",
                 "cpu: weight, max, cpuset");
  expect_writes ("{\"cpu\": {\"quota\": 20000}}", false, "cpu.max=20000",
                 "cpu: quota alone keeps the period the cgroup has");
  expect_writes ("{\"cpu\": {\"quota\": -1, \"period\": 50000, \"burst\": 1000, "
                 "\"idle\": 1}}", false, "cpu.max=max 50000;cpu.max.burst=1000;cpu.idle=1",
                 "cpu: unlimited quota, burst, idle");
  expect_writes ("{\"pids\": {\"limit\": 50}}", false, "pids.max=50", "pids");
  expect_writes ("{\"pids\": {\"limit\": -1}}", false, "pids.max=max", "pids: -1 is max");
  expect_writes ("{\"pids\": {\"limit\": 0}}", false, "", "pids: 0 is no limit set");
  expect_writes ("{\"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, "
                 "\"minor\": 0, \"weight\": 100}], \"throttleReadBpsDevice\": [{\"major\": 8, "
                 "\"minor\": 0, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": "
                 "[{\"major\": 8, \"minor\": 16, \"rate\": 0}]}}", false,
                 "io.weight=4950;io.weight=8:0 910;io.max=8:0 rbps=1048576;"
                 "io.max=8:16 wiops=max", "blockIO: converted weights, io.max");
  expect_writes ("{\"blockIO\": {\"weight\": 500}}", true, "io.bfq.weight=500",
                 "blockIO: BFQ takes the weight as it is");
  expect_writes ("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}",
                 false, "hugetlb.2MB.max=4194304;hugetlb.2MB.rsvd.max=4194304",
                 "hugepageLimits, with the reservation limit");
  expect_writes ("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}", false,
                 "rdma.max=mlx5_1 hca_handle=3 hca_object=max", "rdma");
  expect_writes ("{\"unified\": {\"memory.high\": \"max\", \"cgroup.max.depth\": \"3\"}}",
                 false, "memory.high=max;cgroup.max.depth=3", "unified");
  expect_writes ("{\"unified\": {\"hugetlb.2MB.max\": \"2097152\"}}", false,
                 "hugetlb.2MB.max=2097152", "unified with a page size");
}

static void
test_refused (void)
{
  expect_refused ("{\"memory\": {\"swappiness\": 10}}",
                  "memory.swappiness: cgroup v2 has no per-cgroup swappiness", "swappiness");
  expect_refused ("{\"memory\": {\"disableOOMKiller\": true}}",
                  "disableOOMKiller: cgroup v2 cannot turn the OOM killer off",
                  "disableOOMKiller");
  expect_refused ("{\"memory\": {\"swap\": 1000}}", "a swap limit needs a memory limit",
                  "swap without memory");
  expect_refused ("{\"memory\": {\"limit\": 2000, \"swap\": 1000}}",
                  "1000 is below the memory limit 2000", "swap below memory");
  expect_refused ("{\"cpu\": {\"realtimeRuntime\": 950000}}",
                  "cgroup v2 has no real-time scheduling budget", "realtime");
  expect_refused ("{\"blockIO\": {\"leafWeight\": 100}}", "cgroup v2 has no leaf weight",
                  "leafWeight");
  expect_refused ("{\"memory\": {\"limitt\": 1}}",
                  "resources.memory.limitt: unknown member", "a typo in memory");
  expect_refused ("{\"pid\": {\"limit\": 1}}", "resources.pid: unknown member",
                  "a typo of pids");
  expect_refused ("{\"pids\": {}}", "resources.pids.limit: missing", "pids without a limit");
  expect_refused ("{\"unified\": {\"cgroup.procs\": \"1\"}}",
                  "unified.cgroup.procs: not a limit", "unified moving processes");
  expect_refused ("{\"unified\": {\"../memory.max\": \"1\"}}",
                  "is not a cgroup v2 file name", "unified with a path");
  expect_refused ("{\"unified\": {\"memorymax\": \"1\"}}", "is not a cgroup v2 file name",
                  "unified without a controller");
  expect_refused ("{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
                  "`2M` is not a page size", "a page size the kernel does not name so");
  expect_refused ("{\"cpu\": {\"shares\": -5}}", "is out of range", "negative shares");
  expect_refused ("{\"cpu\": {\"cpus\": \"0\\n1\"}}", "is not a list such as 0-3,6",
                  "cpus with a newline");
  expect_refused ("[]", "resources: expected an object", "not an object");
}

/* cgroup v1 (a hybrid host's controllers): the OCI values as they are */
static void
test_v1 (void)
{
  expect_v1 ("{\"memory\": {\"limit\": 67108864, \"reservation\": 1048576, \"swap\": "
             "134217728, \"swappiness\": 0, \"disableOOMKiller\": true}}", false,
             "memory.limit_in_bytes=67108864;memory.soft_limit_in_bytes=1048576;"
             "memory.memsw.limit_in_bytes=134217728;memory.swappiness=0;memory.oom_control=1",
             "memory: swap is memory plus swap, as v1 has it");
  expect_v1 ("{\"memory\": {\"limit\": -1, \"swap\": -1}}", false,
             "memory.limit_in_bytes=-1;memory.memsw.limit_in_bytes=-1", "memory: unlimited");
  expect_v1 ("{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, "
             "\"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"0\"}}",
             false, "cpu.shares=512;cpu.cfs_period_us=100000;cpu.cfs_quota_us=50000;"
             "cpu.rt_period_us=1000000;cpu.rt_runtime_us=950000;cpuset.cpus=0",
             "cpu: shares unconverted, the period before the quota, real-time budgets");
  expect_v1 ("{\"pids\": {\"limit\": -1}}", false, "pids.max=max", "pids: unlimited");
  expect_v1 ("{\"blockIO\": {\"weight\": 500, \"throttleReadBpsDevice\": [{\"major\": 8, "
             "\"minor\": 0, \"rate\": 1048576}]}}", true,
             "blkio.bfq.weight=500;blkio.throttle.read_bps_device=8:0 1048576",
             "blkio with BFQ");
  expect_v1 ("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", false,
             "hugetlb.2MB.limit_in_bytes=4194304;hugetlb.2MB.rsvd.limit_in_bytes=4194304",
             "hugepageLimits");
  expect_v1 ("{\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", "
             "\"priority\": 5}]}}", false,
             "net_cls.classid=1048577;net_prio.ifpriomap=eth0 5", "network");
  expect_v1_refused ("{\"unified\": {\"memory.high\": \"1\"}}",
                     "unified keys are cgroup v2 files", "unified");
  expect_v1_refused ("{\"memory\": {\"limit\": 2000, \"swap\": 1000}}",
                     "needs a memory limit no greater than it", "swap below memory");
  expect_v1_refused ("{\"memory\": {\"swappiness\": 101}}", "101 is out of range [0, 100]",
                     "swappiness");
  expect_v1_refused ("{\"network\": {\"priorities\": [{\"name\": \"eth0 7\\nlo\", "
                     "\"priority\": 5}]}}", "is not an interface name",
                     "an interface name that writes another line");
}

/* What an update that fails half-way writes back to each file.  */
static void
test_restore_values (void)
{
  static const struct
  {
    const char *file, *written, *before, *want, *what;
  } cases[] = {
    { "memory.max", "104857600", "209715200\n", "209715200", "a plain value" },
    { "memory.max", "104857600", "max\n", "max", "no limit" },
    { "cpu.max", "50000 100000", "max 100000\n", "max 100000", "cpu.max" },
    { "cpuset.cpus", "0", "\n", "", "an empty cpuset (the parent's)" },
    { "io.max", "8:0 rbps=1048576", "8:0 rbps=2097152 wbps=max riops=max wiops=max\n",
      "8:0 rbps=2097152 wbps=max riops=max wiops=max", "io.max: the device's line" },
    { "io.max", "8:16 rbps=1048576", "8:0 rbps=2097152 wbps=max riops=max wiops=max\n",
      "8:16 rbps=max wbps=max riops=max wiops=max", "io.max: a device it had no line for" },
    { "io.weight", "8:0 200", "default 100\n", "8:0 default", "io.weight: back to the default" },
    { "blkio.throttle.read_bps_device", "8:0 1024", "", "8:0 0",
      "a v1 throttle it had not" },
    { "blkio.throttle.read_bps_device", "8:0 1024", "8:0 4096\n8:16 10\n", "8:0 4096",
      "a v1 throttle it had" },
    { "memory.oom_control", "1", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", "0",
      "memory.oom_control: its switch" },
    { "net_prio.ifpriomap", "eth0 5", "lo 0\neth0 2\n", "eth0 2", "an interface's line" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *v = moat_cgroup_journal_restore_value (cases[i].file, cases[i].written,
                                                   cases[i].before);
      ok (strcmp (v, cases[i].want) == 0, "put back, %s: `%s` (want `%s`)", cases[i].what, v,
          cases[i].want);
      free (v);
    }
}

#ifdef HAVE_SYSTEMD
/* The systemd driver: slice:prefix:name as a unit and a slice's path,
   and the limits as unit properties.  */
static void
test_systemd_names (void)
{
  static const struct
  {
    const char *slice, *want;
  } slices[] = {
    { "system.slice", "system.slice" },
    { "a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice" },
    { "-.slice", "" },
    { "system", NULL }, { "a--b.slice", NULL }, { "-a.slice", NULL }, { "a-.slice", NULL },
    { "a/b.slice", NULL }, { ".slice", NULL }, { "a@b.slice", NULL },
  };
  for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++)
    {
      char *got = moat_systemd_expand_slice (slices[i].slice);
      ok (slices[i].want ? got && strcmp (got, slices[i].want) == 0 : got == NULL,
          "slice `%s` is `%s`", slices[i].slice, got ? got : "(refused)");
      free (got);
    }
  static const struct
  {
    const char *path;
    bool user;
    const char *unit, *slice;  /* NULL unit: refused */
  } paths[] = {
    { "system.slice:docker:abc", false, "docker-abc.scope", "system.slice" },
    { ":crio:abc", false, "crio-abc.scope", "system.slice" },
    { ":crio:abc", true, "crio-abc.scope", "user.slice" },
    { "machine.slice::abc", false, "abc.scope", "machine.slice" },
    { NULL, false, "moat-id1.scope", "system.slice" },
    { "/abs/path", false, NULL, NULL }, { "a:b", false, NULL, NULL },
    { "a:b:c:d", false, NULL, NULL }, { "s.slice:p:", false, NULL, NULL },
    { "s.slice:p:x/y", false, NULL, NULL }, { "s.slice:p:x.slice", false, NULL, NULL },
    { "s.slice:p:x@y", false, NULL, NULL }, { "s.slice:p@q:x", false, NULL, NULL },
  };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    {
      char *unit = NULL, *slice = NULL;
      moat_error *err = NULL;
      int r = moat_systemd_parse_path (paths[i].path, "id1", paths[i].user, &unit, &slice,
                                       &err);
      if (paths[i].unit)
        ok (r == 0 && strcmp (unit, paths[i].unit) == 0 && strcmp (slice, paths[i].slice) == 0,
            "cgroupsPath `%s` is %s in %s", paths[i].path ? paths[i].path : "(none)",
            unit ? unit : "?", slice ? slice : "?");
      else
        ok (r < 0 && err && contains (err->msg, "linux.cgroupsPath"),
            "cgroupsPath `%s` refused: %s", paths[i].path, err ? err->msg : "(accepted)");
      moat_error_free (&err);
      free (unit);
      free (slice);
    }
}

/* The properties of a resources object, as "Name=value;..." (bytes in
   hex).  */
static char *
properties_for (const char *json)
{
  struct moat_resources r;
  struct moat_cgroup_writes w;
  struct moat_sd_properties p = { 0 };
  moat_error *err = NULL;
  char *out = xmalloc0 (4096), *o = out;
  memset (&w, 0, sizeof w);
  memset (&r, 0, sizeof r);
  if (moat_resources_from_json (json, strlen (json), &r, NULL, NULL, &err) < 0
      || moat_v2_resource_writes (&r, false, &w, &err) < 0
      || moat_systemd_properties (&w, "/nonexistent", &p, &err) < 0)
    {
      snprintf (out, 4096, "error: %s", err ? err->msg : "?");
      moat_error_free (&err);
      moat_sd_properties_clear (&p);
      moat_cgroup_writes_clear (&w);
      moat_resources_clear (&r);
      return out;
    }
  for (size_t i = 0; i < p.n; i++)
    {
      o += sprintf (o, "%s%s=", i ? ";" : "", p.v[i].name);
      if (p.v[i].type == 't')
        o += sprintf (o, "%llu", (unsigned long long) p.v[i].t);
      for (size_t k = 0; p.v[i].type == 'y' && k < p.v[i].n_bytes; k++)
        o += sprintf (o, "%02x", p.v[i].bytes[k]);
    }
  moat_sd_properties_clear (&p);
  moat_cgroup_writes_clear (&w);
  moat_resources_clear (&r);
  return out;
}

static void
test_systemd_properties (void)
{
  static const struct
  {
    const char *json, *want, *what;
  } cases[] = {
    { "{\"memory\": {\"limit\": 67108864, \"reservation\": 1048576, \"swap\": 134217728}}",
      "MemoryMax=67108864;MemoryLow=1048576;MemorySwapMax=67108864", "memory" },
    { "{\"memory\": {\"limit\": -1}}", "MemoryMax=18446744073709551615", "no memory limit" },
    { "{\"pids\": {\"limit\": 20}}", "TasksMax=20", "pids" },
    { "{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000}}",
      "CPUWeight=39;CPUQuotaPerSecUSec=500000;CPUQuotaPeriodUSec=100000", "cpu" },
    { "{\"cpu\": {\"quota\": 25000}}", "CPUQuotaPerSecUSec=250000",
      "a quota alone: the period of a new cgroup" },
    { "{\"cpu\": {\"quota\": -1, \"period\": 50000}}",
      "CPUQuotaPerSecUSec=18446744073709551615;CPUQuotaPeriodUSec=50000", "no quota" },
    { "{\"cpu\": {\"cpus\": \"0-2,9\", \"mems\": \"0\"}}",
      "AllowedCPUs=0702;AllowedMemoryNodes=01", "cpuset as bitmasks" },
    { "{\"blockIO\": {\"weight\": 500}}", "IOWeight=4950", "the default io weight" },
    { "{\"unified\": {\"memory.high\": \"max\", \"memory.min\": \"4096\", "
      "\"cpu.idle\": \"1\"}}", "MemoryHigh=18446744073709551615;MemoryMin=4096",
      "unified keys systemd knows (and one it does not)" },
    { "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", "",
      "huge pages: files only" },
    /* what moat cannot read exactly as the kernel does is refused, never
       dropped (the driver gives the kernel's own reading back) */
    { "{\"unified\": {\"memory.max\": \"1G\"}}",
      "error: linux.resources.unified: memory.max `1G` is not a value moat can give systemd",
      "a value with a suffix" },
    { "{\"unified\": {\"cpu.max\": \"50000abc\"}}",
      "error: linux.resources.unified: cpu.max `50000abc` is not a value", "a bad quota" },
    { "{\"unified\": {\"cpu.max\": \"50000 100000 7\"}}",
      "error: linux.resources.unified: cpu.max `50000 100000 7` is not a value",
      "a quota with more than a period" },
    { "{\"unified\": {\"cpuset.cpus\": \"0-7:2/4\"}}",
      "error: linux.resources.unified: bad cpu range `0-7:2/4`", "a cpu list with a stride" },
    { "{\"unified\": {\"io.weight\": \"default 300\"}}", "IOWeight=300",
      "io.weight's default line" },
    { "{\"unified\": {\"io.weight\": \"8:0 50\"}}", "", "a device's io weight alone" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *got = properties_for (cases[i].json);
      bool match = strncmp (cases[i].want, "error:", 6) == 0
        ? strncmp (got, cases[i].want, strlen (cases[i].want)) == 0
        : strcmp (got, cases[i].want) == 0;
      ok (match, "systemd properties, %s: `%s` (want `%s`)", cases[i].what, got, cases[i].want);
      free (got);
    }
}
#endif

int
main (void)
{
#ifdef HAVE_SYSTEMD
  test_systemd_names ();
  test_systemd_properties ();
#endif
  test_restore_values ();
  test_conversions ();
  test_writes ();
  test_refused ();
  test_v1 ();
  return tap_done ();
}
