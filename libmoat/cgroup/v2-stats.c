/* Usage figures of a cgroup v2 directory (stats.h): cpu.stat,
   memory.current and friends, pids.current, io.stat, hugetlb.  What the
   directory has no file for stays unset.  */
#include <config.h>
#include "cgroup.h"
#include "stats.h"
#include "../utils.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
cpu_stats (const char *path, struct moat_cgroup_stats *s)
{
  uint64_t v;
  if (!moat_stats_key (path, "cpu.stat", "usage_usec", &v))
    return;
  s->cpu.set = true;
  s->cpu.total = v * 1000;
  if (moat_stats_key (path, "cpu.stat", "user_usec", &v))
    s->cpu.user = v * 1000;
  if (moat_stats_key (path, "cpu.stat", "system_usec", &v))
    s->cpu.kernel = v * 1000;
  moat_stats_key (path, "cpu.stat", "nr_periods", &s->cpu.periods);
  moat_stats_key (path, "cpu.stat", "nr_throttled", &s->cpu.throttled_periods);
  if (moat_stats_key (path, "cpu.stat", "throttled_usec", &v))
    s->cpu.throttled_time = v * 1000;
}

static void
memory_stats (const char *path, struct moat_cgroup_stats *s)
{
  struct moat_memory_entry *u = &s->memory.usage;
  if (!moat_stats_u64 (path, "memory.current", &u->usage))
    return;
  s->memory.set = true;
  moat_stats_u64 (path, "memory.max", &u->limit);
  moat_stats_u64 (path, "memory.peak", &u->max);
  moat_stats_key (path, "memory.events", "max", &u->failcnt);
  /* as runc: swap figures are memory plus swap */
  uint64_t swap;
  if (moat_stats_u64 (path, "memory.swap.current", &swap))
    {
      s->memory.has_swap = true;
      s->memory.swap.usage = u->usage + swap;
      uint64_t limit;
      if (moat_stats_u64 (path, "memory.swap.max", &limit))
        s->memory.swap.limit = limit == UINT64_MAX || u->limit == UINT64_MAX ? UINT64_MAX
          : limit + u->limit;
    }
  moat_stats_raw_memory (path, "memory.stat", s);
  s->has_oom_kills = moat_stats_key (path, "memory.events", "oom_kill", &s->oom_kills);
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
static void
io_stats (const char *path, struct moat_cgroup_stats *s)
{
  autofree char *file = xasprintf ("%s/io.stat", path);
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, file, 1 << 20, &text, NULL, NULL) < 0)
    return;
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      uint64_t major, minor;
      if (sscanf (line, "%" SCNu64 ":%" SCNu64, &major, &minor) != 2)
        continue;
      static const struct { const char *key, *op; bool bytes; } fields[] = {
        { "rbytes=", "Read", true }, { "wbytes=", "Write", true },
        { "rios=", "Read", false }, { "wios=", "Write", false },
      };
      for (size_t i = 0; i < ARRAY_SIZE (fields); i++)
        {
          const char *at = strstr (line, fields[i].key);
          if (at == NULL)
            continue;
          uint64_t v = strtoull (at + strlen (fields[i].key), NULL, 10);
          if (fields[i].bytes)
            moat_stats_add_io (&s->io_bytes, &s->n_io_bytes, major, minor, fields[i].op, v);
          else
            moat_stats_add_io (&s->io_ops, &s->n_io_ops, major, minor, fields[i].op, v);
        }
    }
}

void
moat_v2_read_stats (const char *path, struct moat_cgroup_stats *s)
{
  cpu_stats (path, s);
  memory_stats (path, s);
  if (moat_stats_u64 (path, "pids.current", &s->pids.current))
    {
      s->pids.set = true;
      moat_stats_u64 (path, "pids.max", &s->pids.limit);
      if (s->pids.limit == UINT64_MAX)
        s->pids.limit = 0;
    }
  io_stats (path, s);
  moat_stats_hugetlb (path, true, s);
}
