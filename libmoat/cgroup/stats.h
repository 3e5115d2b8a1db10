/* Usage figures of a container's cgroups, read by the driver (v2 files,
   or v1 ones on a hybrid host) and printed as runc prints them in
   `events` (stats.c).  */
#ifndef MOAT_CGROUP_STATS_H
#define MOAT_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../error.h"

struct moat_memory_entry
{
  uint64_t usage, max, limit, failcnt;
};

struct moat_blkio_entry
{
  uint64_t major, minor;
  const char *op;      /* "Read", "Write", ... (static) */
  uint64_t value;
};

struct moat_hugetlb_entry
{
  char *page_size;     /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct moat_cgroup_stats
{
  struct
  {
    bool set;
    uint64_t total, kernel, user;            /* nanoseconds */
    uint64_t *percpu;
    size_t n_percpu;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    bool set, has_swap;
    struct moat_memory_entry usage, swap;
    char **raw_keys;                         /* memory.stat */
    uint64_t *raw_values;
    size_t n_raw;
  } memory;
  struct
  {
    bool set;
    uint64_t current, limit;                 /* limit 0: none */
  } pids;
  struct moat_blkio_entry *io_bytes, *io_ops;
  size_t n_io_bytes, n_io_ops;
  struct moat_hugetlb_entry *hugetlb;
  size_t n_hugetlb;
  bool has_oom_kills;
  uint64_t oom_kills;                        /* processes the OOM killer took */
};

struct moat_v1_hierarchies;
/* The readers: a v2 directory; rel in each v1 hierarchy (over what the
   unified hierarchy said).  */
void moat_v2_read_stats (const char *path, struct moat_cgroup_stats *s);
void moat_v1_read_stats (const struct moat_v1_hierarchies *hs, const char *rel,
                         struct moat_cgroup_stats *s);

void moat_cgroup_stats_clear (struct moat_cgroup_stats *s);
/* s as runc's `events` data object.  */
char *moat_cgroup_stats_json (const struct moat_cgroup_stats *s);

/* Helpers for the readers.  */
/* The number in dir/file ("max" is UINT64_MAX); false when unreadable.  */
bool moat_stats_u64 (const char *dir, const char *file, uint64_t *out);
/* The value of key in a "key value" file (cpu.stat, memory.stat,
   memory.events); false when absent.  */
bool moat_stats_key (const char *dir, const char *file, const char *key, uint64_t *out);
/* Every "key value" line of dir/file into the memory.stat raw map.  */
void moat_stats_raw_memory (const char *dir, const char *file, struct moat_cgroup_stats *s);
void moat_stats_add_io (struct moat_blkio_entry **list, size_t *n, uint64_t major,
                        uint64_t minor, const char *op, uint64_t value);
/* hugetlb.<size>.* of dir for every size the kernel has, with file names
   made by fmt ("%s.current" style: usage, max, failcnt) per version.  */
void moat_stats_hugetlb (const char *dir, bool v2, struct moat_cgroup_stats *s);

#endif
