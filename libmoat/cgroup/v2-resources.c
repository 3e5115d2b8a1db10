/* linux.resources on the unified hierarchy: what to write to which file
   of the container's cgroup, converted as runc and crun convert it, and
   what cgroup v2 cannot do refused by name.  Nothing here touches the
   host: v2.c writes the list.  */
#include <config.h>
#include "v2-resources.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* short names for what every conversion does */
#define add moat_cgroup_writes_add
#define num_or_max moat_cgroup_num_or_max

void
moat_cgroup_writes_add (struct moat_cgroup_writes *w, const char *field, char *file,
                        char *value)
{
  if (w->n == w->cap)
    {
      w->cap = w->cap ? 2 * w->cap : 16;
      w->w = xrealloc (w->w, w->cap * sizeof *w->w);
    }
  w->w[w->n++] = (struct moat_cgroup_write) { field, file, value };
}

char *
moat_cgroup_num_or_max (int64_t v)
{
  return v < 0 ? xstrdup ("max") : xasprintf ("%" PRId64, v);
}

void
moat_cgroup_writes_clear (struct moat_cgroup_writes *w)
{
  for (size_t i = 0; i < w->n; i++)
    {
      free (w->w[i].file);
      free (w->w[i].value);
    }
  free (w->w);
  memset (w, 0, sizeof *w);
}

/* OCI swap is memory plus swap; v2's memory.swap.max is swap alone.  */
static int
swap_max (const struct moat_resources *r, int64_t *out, moat_error **err)
{
  int64_t swap = r->memory.swap.v, limit = r->memory.limit.set ? r->memory.limit.v : 0;
  if (swap == -1)
    {
      *out = -1;
      return 0;
    }
  if (limit == 0 || limit == -1)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.resources.memory.swap: a swap limit needs a memory "
                            "limit (swap is memory plus swap)");
  if (swap < limit)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.resources.memory.swap: %" PRId64 " is below the memory "
                            "limit %" PRId64 " (swap is memory plus swap)", swap, limit);
  *out = swap - limit;
  return 0;
}

static int
memory_writes (const struct moat_resources *r, struct moat_cgroup_writes *w,
               moat_error **err)
{
  if (r->memory.limit.set && r->memory.limit.v != 0)
    add (w, "linux.resources.memory.limit", xstrdup ("memory.max"),
         num_or_max (r->memory.limit.v));
  if (r->memory.reservation.set && r->memory.reservation.v != 0)
    add (w, "linux.resources.memory.reservation", xstrdup ("memory.low"),
         num_or_max (r->memory.reservation.v));
  if (r->memory.swap.set && r->memory.swap.v != 0)
    {
      int64_t v;
      if (swap_max (r, &v, err) < 0)
        return -1;
      add (w, "linux.resources.memory.swap", xstrdup ("memory.swap.max"), num_or_max (v));
    }
  if (r->memory.swappiness.set)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources.memory.swappiness: cgroup v2 has no "
                            "per-cgroup swappiness");
  if (r->memory.has_disable_oom_killer && r->memory.disable_oom_killer)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources.memory.disableOOMKiller: cgroup v2 cannot "
                            "turn the OOM killer off");
  /* deprecated by the kernel and the spec; nothing on v2 enforces them */
  if ((r->memory.kernel.set && r->memory.kernel.v != 0)
      || (r->memory.kernel_tcp.set && r->memory.kernel_tcp.v != 0))
    moat_warn ("linux.resources.memory.kernel and kernelTCP: cgroup v2 has no separate "
               "kernel memory limit (kernel memory counts in memory.max): ignored");
  return 0;
}

/* cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun 1.8 do.  */
uint64_t
moat_cpu_shares_to_weight (uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio weight (10..1000) to io.weight (1..10000), as runc does.  */
uint64_t
moat_blkio_weight_to_io_weight (uint64_t weight)
{
  return 1 + ((weight - 10) * 9999) / 990;
}

static int
cpu_writes (const struct moat_resources *r, struct moat_cgroup_writes *w, moat_error **err)
{
  if (r->cpu.shares.set && r->cpu.shares.v != 0)
    add (w, "linux.resources.cpu.shares", xstrdup ("cpu.weight"),
         xasprintf ("%" PRIu64, moat_cpu_shares_to_weight (r->cpu.shares.v)));
  if ((r->cpu.quota.set && r->cpu.quota.v != 0) || (r->cpu.period.set && r->cpu.period.v != 0))
    {
      int64_t quota = r->cpu.quota.set && r->cpu.quota.v > 0 ? r->cpu.quota.v : -1;
      bool period = r->cpu.period.set && r->cpu.period.v > 0;
      /* without a period the kernel keeps the cgroup's (100000 when new;
         an update of the quota alone keeps the one set before) */
      char *q = num_or_max (quota);
      if (period)
        {
          char *with_period = xasprintf ("%s %" PRId64, q, r->cpu.period.v);
          free (q);
          q = with_period;
        }
      add (w, r->cpu.quota.set ? "linux.resources.cpu.quota" : "linux.resources.cpu.period",
           xstrdup ("cpu.max"), q);
    }
  if (r->cpu.burst.set)
    add (w, "linux.resources.cpu.burst", xstrdup ("cpu.max.burst"),
         xasprintf ("%" PRId64, r->cpu.burst.v));
  if (r->cpu.idle.set)
    add (w, "linux.resources.cpu.idle", xstrdup ("cpu.idle"),
         xasprintf ("%" PRId64, r->cpu.idle.v));
  if ((r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0)
      || (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0))
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources.cpu.realtimeRuntime and realtimePeriod: cgroup "
                            "v2 has no real-time scheduling budget");
  moat_cgroup_cpuset_writes (r, w);
  return 0;
}

static void
io_device_writes (const struct moat_blkio_device *d, size_t n, const char *key,
                  const char *field, struct moat_cgroup_writes *w)
{
  for (size_t i = 0; i < n; i++)
    {
      autofree char *v = d[i].rate ? xasprintf ("%" PRIu64, d[i].rate) : xstrdup ("max");
      add (w, field, xstrdup ("io.max"),
           xasprintf ("%" PRId64 ":%" PRId64 " %s=%s", d[i].major, d[i].minor, key, v));
    }
}

static int
io_writes (const struct moat_resources *r, bool bfq, struct moat_cgroup_writes *w,
           moat_error **err)
{
  const char *weight_file = bfq ? "io.bfq.weight" : "io.weight";
  if (r->blkio.weight.set)
    add (w, "linux.resources.blockIO.weight", xstrdup (weight_file),
         xasprintf ("%" PRIu64, bfq ? (uint64_t) r->blkio.weight.v
                    : moat_blkio_weight_to_io_weight (r->blkio.weight.v)));
  if (r->blkio.leaf_weight.set)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf "
                            "weight");
  for (size_t i = 0; i < r->blkio.n_weight_device; i++)
    {
      const struct moat_blkio_device *d = &r->blkio.weight_device[i];
      if (d->leaf_weight.set)
        return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                                "linux.resources.blockIO.weightDevice[%zu].leafWeight: cgroup "
                                "v2 has no leaf weight", i);
      if (d->weight.set)
        add (w, "linux.resources.blockIO.weightDevice", xstrdup (weight_file),
             xasprintf ("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                        bfq ? (uint64_t) d->weight.v
                        : moat_blkio_weight_to_io_weight (d->weight.v)));
    }
  io_device_writes (r->blkio.read_bps, r->blkio.n_read_bps, "rbps",
                    "linux.resources.blockIO.throttleReadBpsDevice", w);
  io_device_writes (r->blkio.write_bps, r->blkio.n_write_bps, "wbps",
                    "linux.resources.blockIO.throttleWriteBpsDevice", w);
  io_device_writes (r->blkio.read_iops, r->blkio.n_read_iops, "riops",
                    "linux.resources.blockIO.throttleReadIOPSDevice", w);
  io_device_writes (r->blkio.write_iops, r->blkio.n_write_iops, "wiops",
                    "linux.resources.blockIO.throttleWriteIOPSDevice", w);
  return 0;
}

void
moat_cgroup_cpuset_writes (const struct moat_resources *r, struct moat_cgroup_writes *w)
{
  if (r->cpu.cpus && r->cpu.cpus[0])
    add (w, "linux.resources.cpu.cpus", xstrdup ("cpuset.cpus"), xstrdup (r->cpu.cpus));
  if (r->cpu.mems && r->cpu.mems[0])
    add (w, "linux.resources.cpu.mems", xstrdup ("cpuset.mems"), xstrdup (r->cpu.mems));
}

void
moat_cgroup_rdma_writes (const struct moat_resources *r, struct moat_cgroup_writes *w)
{
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const struct moat_rdma_limit *l = &r->rdma[i];
      autofree char *h = l->hca_handles.set ? xasprintf ("%" PRId64, l->hca_handles.v)
        : xstrdup ("max");
      autofree char *o = l->hca_objects.set ? xasprintf ("%" PRId64, l->hca_objects.v)
        : xstrdup ("max");
      add (w, "linux.resources.rdma", xstrdup ("rdma.max"),
           xasprintf ("%s hca_handle=%s hca_object=%s", l->device, h, o));
    }
}

/* unified: any controller file, but not the files that move, kill or
   freeze processes or shape the tree (those are moat's to manage).  */
static int
unified_writes (const struct moat_resources *r, struct moat_cgroup_writes *w,
                moat_error **err)
{
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;
      if (strncmp (k, "cgroup.", 7) == 0 && strcmp (k, "cgroup.max.depth") != 0
          && strcmp (k, "cgroup.max.descendants") != 0)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "linux.resources.unified.%s: not a limit (moat manages the "
                                "cgroup's processes and tree)", k);
      add (w, "linux.resources.unified", xstrdup (k), xstrdup (r->unified[i].value));
    }
  return 0;
}

int
moat_v2_resource_writes (const struct moat_resources *r, bool bfq,
                         struct moat_cgroup_writes *w, moat_error **err)
{
  memset (w, 0, sizeof *w);
  if (memory_writes (r, w, err) < 0 || cpu_writes (r, w, err) < 0)
    goto fail;
  if (r->pids_limit.set && r->pids_limit.v != 0)
    add (w, "linux.resources.pids.limit", xstrdup ("pids.max"),
         num_or_max (r->pids_limit.v));
  if (io_writes (r, bfq, w, err) < 0)
    goto fail;
  for (size_t i = 0; i < r->n_hugepages; i++)
    {
      add (w, "linux.resources.hugepageLimits",
           xasprintf ("hugetlb.%s.max", r->hugepages[i].page_size),
           xasprintf ("%" PRIu64, r->hugepages[i].limit));
      /* the reservation limit too, where the kernel has it (5.7) */
      add (w, NULL, xasprintf ("hugetlb.%s.rsvd.max", r->hugepages[i].page_size),
           xasprintf ("%" PRIu64, r->hugepages[i].limit));
    }
  moat_cgroup_rdma_writes (r, w);
  if (r->network.class_id.set || r->network.n_priorities)
    moat_warn ("linux.resources.network: classID and priorities are cgroup v1 (net_cls, "
               "net_prio); cgroup v2 has no such files: ignored");
  if (unified_writes (r, w, err) < 0)
    goto fail;
  return 0;
fail:
  moat_cgroup_writes_clear (w);
  return -1;
}
