/* Usage figures of the v1 hierarchies of a hybrid host (stats.h):
   cpuacct, cpu, memory (with memsw), pids, blkio, hugetlb, each where
   its hierarchy is mounted; they replace what the unified hierarchy
   said.  */
#include <config.h>
#include "stats.h"
#include "v1.h"
#include "../utils.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir of rel in the hierarchy of controller, or NULL */
static char *
dir_of (const struct moat_v1_hierarchies *hs, const char *rel, const char *controller)
{
  const struct moat_v1_hierarchy *h = moat_v1_hierarchy_of (hs, controller);
  return h ? xasprintf ("%s/%s", h->mount, rel) : NULL;
}

static void
cpu_stats (const char *acct, const char *cpu, struct moat_cgroup_stats *s)
{
  if (acct && moat_stats_u64 (acct, "cpuacct.usage", &s->cpu.total))
    {
      s->cpu.set = true;
      /* cpuacct.stat counts clock ticks */
      uint64_t ticks, ns_per_tick = 1000000000ull / (uint64_t) sysconf (_SC_CLK_TCK);
      if (moat_stats_key (acct, "cpuacct.stat", "user", &ticks))
        s->cpu.user = ticks * ns_per_tick;
      if (moat_stats_key (acct, "cpuacct.stat", "system", &ticks))
        s->cpu.kernel = ticks * ns_per_tick;
      autofree char *file = xasprintf ("%s/cpuacct.usage_percpu", acct);
      autofree char *text = NULL;
      if (moat_read_file_at (AT_FDCWD, file, 1 << 16, &text, NULL, NULL) == 0)
        for (char *p = text, *end; *p && *p != '\n'; p = end)
          {
            uint64_t v = strtoull (p, &end, 10);
            if (end == p)
              break;
            s->cpu.percpu = xrealloc (s->cpu.percpu, (s->cpu.n_percpu + 1) * sizeof (uint64_t));
            s->cpu.percpu[s->cpu.n_percpu++] = v;
          }
    }
  if (cpu)
    {
      moat_stats_key (cpu, "cpu.stat", "nr_periods", &s->cpu.periods);
      moat_stats_key (cpu, "cpu.stat", "nr_throttled", &s->cpu.throttled_periods);
      moat_stats_key (cpu, "cpu.stat", "throttled_time", &s->cpu.throttled_time);
    }
}

static void
memory_stats (const char *dir, struct moat_cgroup_stats *s)
{
  struct moat_memory_entry *u = &s->memory.usage;
  if (dir == NULL || !moat_stats_u64 (dir, "memory.usage_in_bytes", &u->usage))
    return;
  s->memory.set = true;
  moat_stats_u64 (dir, "memory.limit_in_bytes", &u->limit);
  moat_stats_u64 (dir, "memory.max_usage_in_bytes", &u->max);
  moat_stats_u64 (dir, "memory.failcnt", &u->failcnt);
  struct moat_memory_entry *w = &s->memory.swap;
  if (moat_stats_u64 (dir, "memory.memsw.usage_in_bytes", &w->usage))
    {
      s->memory.has_swap = true;
      moat_stats_u64 (dir, "memory.memsw.limit_in_bytes", &w->limit);
      moat_stats_u64 (dir, "memory.memsw.max_usage_in_bytes", &w->max);
      moat_stats_u64 (dir, "memory.memsw.failcnt", &w->failcnt);
    }
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free (s->memory.raw_keys[i]);
  s->memory.n_raw = 0;
  moat_stats_raw_memory (dir, "memory.stat", s);
  s->has_oom_kills = moat_stats_key (dir, "memory.oom_control", "oom_kill", &s->oom_kills);
}

/* blkio.throttle.io_service_bytes: "8:0 Read 4096" lines, then "Total" */
static void
blkio_list (const char *dir, const char *file, struct moat_blkio_entry **list, size_t *n)
{
  autofree char *path = xasprintf ("%s/%s", dir, file);
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 20, &text, NULL, NULL) < 0)
    return;
  static const char *const ops[] = { "Read", "Write", "Sync", "Async", "Discard", "Total" };
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      uint64_t major, minor, v;
      char op[16];
      if (sscanf (line, "%" SCNu64 ":%" SCNu64 " %15s %" SCNu64, &major, &minor, op, &v) != 4)
        continue;
      for (size_t i = 0; i < ARRAY_SIZE (ops); i++)
        if (strcmp (op, ops[i]) == 0)
          moat_stats_add_io (list, n, major, minor, ops[i], v);
    }
}

void
moat_v1_read_stats (const struct moat_v1_hierarchies *hs, const char *rel,
                    struct moat_cgroup_stats *s)
{
  autofree char *acct = dir_of (hs, rel, "cpuacct");
  autofree char *cpu = dir_of (hs, rel, "cpu");
  autofree char *memory = dir_of (hs, rel, "memory");
  autofree char *pids = dir_of (hs, rel, "pids");
  autofree char *blkio = dir_of (hs, rel, "blkio");
  autofree char *hugetlb = dir_of (hs, rel, "hugetlb");
  cpu_stats (acct, cpu, s);
  memory_stats (memory, s);
  if (pids && moat_stats_u64 (pids, "pids.current", &s->pids.current))
    {
      s->pids.set = true;
      moat_stats_u64 (pids, "pids.max", &s->pids.limit);
      if (s->pids.limit == UINT64_MAX)
        s->pids.limit = 0;
    }
  if (blkio)
    {
      s->n_io_bytes = s->n_io_ops = 0;
      blkio_list (blkio, "blkio.throttle.io_service_bytes", &s->io_bytes, &s->n_io_bytes);
      blkio_list (blkio, "blkio.throttle.io_serviced", &s->io_ops, &s->n_io_ops);
    }
  if (hugetlb)
    {
      for (size_t i = 0; i < s->n_hugetlb; i++)
        free (s->hugetlb[i].page_size);
      s->n_hugetlb = 0;
      moat_stats_hugetlb (hugetlb, false, s);
    }
}
