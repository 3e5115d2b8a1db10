/* linux.resources on cgroup v1 hierarchies (a hybrid host's memory, cpu,
   pids, ... controllers): what to write to which file, named by the
   controller that owns it ("memory.limit_in_bytes" is the memory
   hierarchy's).  The OCI values are v1's own, so nothing is converted;
   what v1 cannot do is refused by name.  Nothing here touches the host:
   v1.c writes the list.  */
#include <config.h>
#include "v1-resources.h"
#include "../log.h"
#include "../utils.h"
#include <inttypes.h>
#include <string.h>

#define add moat_cgroup_writes_add

static char *
num (int64_t v)
{
  return xasprintf ("%" PRId64, v);
}

static int
memory_writes (const struct moat_resources *r, struct moat_cgroup_writes *w,
               moat_error **err)
{
  /* the limit first: memsw may not go below it, and a new cgroup has both
     unlimited */
  if (r->memory.limit.set && r->memory.limit.v != 0)
    add (w, "linux.resources.memory.limit", xstrdup ("memory.limit_in_bytes"),
         num (r->memory.limit.v < 0 ? -1 : r->memory.limit.v));
  if (r->memory.reservation.set && r->memory.reservation.v != 0)
    add (w, "linux.resources.memory.reservation", xstrdup ("memory.soft_limit_in_bytes"),
         num (r->memory.reservation.v < 0 ? -1 : r->memory.reservation.v));
  if (r->memory.swap.set && r->memory.swap.v != 0)
    {
      int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
      if (r->memory.swap.v != -1 && (limit == 0 || limit == -1 || r->memory.swap.v < limit))
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "linux.resources.memory.swap: %" PRId64 " needs a memory "
                                "limit no greater than it (swap is memory plus swap)",
                                r->memory.swap.v);
      add (w, "linux.resources.memory.swap", xstrdup ("memory.memsw.limit_in_bytes"),
           num (r->memory.swap.v));
    }
  if (r->memory.swappiness.set)  /* 0..100, checked by the parser */
    add (w, "linux.resources.memory.swappiness", xstrdup ("memory.swappiness"),
         num (r->memory.swappiness.v));
  if (r->memory.has_disable_oom_killer && r->memory.disable_oom_killer)
    add (w, "linux.resources.memory.disableOOMKiller", xstrdup ("memory.oom_control"),
         xstrdup ("1"));
  if (r->memory.kernel_tcp.set && r->memory.kernel_tcp.v != 0)
    add (w, "linux.resources.memory.kernelTCP", xstrdup ("memory.kmem.tcp.limit_in_bytes"),
         num (r->memory.kernel_tcp.v < 0 ? -1 : r->memory.kernel_tcp.v));
  /* deprecated by the spec, gone from the kernel since 6.1 */
  if (r->memory.kernel.set && r->memory.kernel.v != 0)
    moat_warn ("linux.resources.memory.kernel: the kernel no longer limits kernel memory "
               "apart (it counts in the memory limit): ignored");
  return 0;
}

static int
cpu_writes (const struct moat_resources *r, struct moat_cgroup_writes *w)
{
  if (r->cpu.shares.set && r->cpu.shares.v != 0)
    add (w, "linux.resources.cpu.shares", xstrdup ("cpu.shares"), num (r->cpu.shares.v));
  /* the period first: the kernel checks the quota against it */
  if (r->cpu.period.set && r->cpu.period.v != 0)
    add (w, "linux.resources.cpu.period", xstrdup ("cpu.cfs_period_us"),
         num (r->cpu.period.v));
  if (r->cpu.quota.set && r->cpu.quota.v != 0)
    add (w, "linux.resources.cpu.quota", xstrdup ("cpu.cfs_quota_us"),
         num (r->cpu.quota.v < 0 ? -1 : r->cpu.quota.v));
  if (r->cpu.burst.set)
    add (w, "linux.resources.cpu.burst", xstrdup ("cpu.cfs_burst_us"), num (r->cpu.burst.v));
  if (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0)
    add (w, "linux.resources.cpu.realtimePeriod", xstrdup ("cpu.rt_period_us"),
         num (r->cpu.realtime_period.v));
  if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0)
    add (w, "linux.resources.cpu.realtimeRuntime", xstrdup ("cpu.rt_runtime_us"),
         num (r->cpu.realtime_runtime.v));
  if (r->cpu.idle.set)
    add (w, "linux.resources.cpu.idle", xstrdup ("cpu.idle"), num (r->cpu.idle.v));
  moat_cgroup_cpuset_writes (r, w);
  return 0;
}

static void
blkio_device_writes (const struct moat_blkio_device *d, size_t n, const char *file,
                     const char *field, struct moat_cgroup_writes *w)
{
  for (size_t i = 0; i < n; i++)
    add (w, field, xstrdup (file),
         xasprintf ("%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor, d[i].rate));
}

/* The weights go to blkio.bfq.* where BFQ is the scheduler (the files CFQ
   had are gone since 5.0).  */
static void
blkio_writes (const struct moat_resources *r, bool bfq, struct moat_cgroup_writes *w)
{
  const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_device = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  if (r->blkio.weight.set)
    add (w, "linux.resources.blockIO.weight", xstrdup (weight), num (r->blkio.weight.v));
  if (r->blkio.leaf_weight.set)
    add (w, "linux.resources.blockIO.leafWeight", xstrdup ("blkio.leaf_weight"),
         num (r->blkio.leaf_weight.v));
  for (size_t i = 0; i < r->blkio.n_weight_device; i++)
    {
      const struct moat_blkio_device *d = &r->blkio.weight_device[i];
      if (d->weight.set)
        add (w, "linux.resources.blockIO.weightDevice", xstrdup (weight_device),
             xasprintf ("%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor, d->weight.v));
      if (d->leaf_weight.set)
        add (w, "linux.resources.blockIO.weightDevice", xstrdup ("blkio.leaf_weight_device"),
             xasprintf ("%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor,
                        d->leaf_weight.v));
    }
  blkio_device_writes (r->blkio.read_bps, r->blkio.n_read_bps,
                       "blkio.throttle.read_bps_device",
                       "linux.resources.blockIO.throttleReadBpsDevice", w);
  blkio_device_writes (r->blkio.write_bps, r->blkio.n_write_bps,
                       "blkio.throttle.write_bps_device",
                       "linux.resources.blockIO.throttleWriteBpsDevice", w);
  blkio_device_writes (r->blkio.read_iops, r->blkio.n_read_iops,
                       "blkio.throttle.read_iops_device",
                       "linux.resources.blockIO.throttleReadIOPSDevice", w);
  blkio_device_writes (r->blkio.write_iops, r->blkio.n_write_iops,
                       "blkio.throttle.write_iops_device",
                       "linux.resources.blockIO.throttleWriteIOPSDevice", w);
}

static void
network_writes (const struct moat_resources *r, struct moat_cgroup_writes *w)
{
  if (r->network.class_id.set)
    add (w, "linux.resources.network.classID", xstrdup ("net_cls.classid"),
         num (r->network.class_id.v));
  for (size_t i = 0; i < r->network.n_priorities; i++)
    add (w, "linux.resources.network.priorities", xstrdup ("net_prio.ifpriomap"),
         xasprintf ("%s %s", r->network.priorities[i].key, r->network.priorities[i].value));
}

int
moat_v1_resource_writes (const struct moat_resources *r, bool bfq,
                         struct moat_cgroup_writes *w, moat_error **err)
{
  memset (w, 0, sizeof *w);
  if (r->n_unified)
    {
      moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                       "linux.resources.unified.%s: its controller is on a cgroup v1 "
                       "hierarchy here; unified keys are cgroup v2 files",
                       r->unified[0].key);
      return -1;
    }
  if (memory_writes (r, w, err) < 0)
    {
      moat_cgroup_writes_clear (w);
      return -1;
    }
  cpu_writes (r, w);
  if (r->pids_limit.set && r->pids_limit.v != 0)
    add (w, "linux.resources.pids.limit", xstrdup ("pids.max"),
         moat_cgroup_num_or_max (r->pids_limit.v));
  blkio_writes (r, bfq, w);
  for (size_t i = 0; i < r->n_hugepages; i++)
    {
      add (w, "linux.resources.hugepageLimits",
           xasprintf ("hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size),
           xasprintf ("%" PRIu64, r->hugepages[i].limit));
      add (w, NULL, xasprintf ("hugetlb.%s.rsvd.limit_in_bytes", r->hugepages[i].page_size),
           xasprintf ("%" PRIu64, r->hugepages[i].limit));
    }
  network_writes (r, w);
  moat_cgroup_rdma_writes (r, w);
  return 0;
}
