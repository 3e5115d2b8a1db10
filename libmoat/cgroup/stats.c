/* Usage figures: helpers that read cgroup files for the drivers, and the
   JSON that `events` prints (runc's field names and units: nanoseconds,
   bytes).  */
#include <config.h>
#include "stats.h"
#include "../spec/jsontree.h"
#include "../utils.h"
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

void
moat_cgroup_stats_clear (struct moat_cgroup_stats *s)
{
  free (s->cpu.percpu);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free (s->memory.raw_keys[i]);
  free (s->memory.raw_keys);
  free (s->memory.raw_values);
  free (s->io_bytes);
  free (s->io_ops);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    free (s->hugetlb[i].page_size);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}

static char *
read_small (const char *dir, const char *file)
{
  autofree char *path = xasprintf ("%s/%s", dir, file);
  char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 20, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

bool
moat_stats_u64 (const char *dir, const char *file, uint64_t *out)
{
  autofree char *text = read_small (dir, file);
  if (text == NULL)
    return false;
  *out = strncmp (text, "max", 3) == 0 ? UINT64_MAX : strtoull (text, NULL, 10);
  return true;
}

bool
moat_stats_key (const char *dir, const char *file, const char *key, uint64_t *out)
{
  autofree char *text = read_small (dir, file);
  size_t n = strlen (key);
  for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1
         : NULL)
    if (strncmp (line, key, n) == 0 && line[n] == ' ')
      {
        *out = strtoull (line + n + 1, NULL, 10);
        return true;
      }
  return false;
}

void
moat_stats_raw_memory (const char *dir, const char *file, struct moat_cgroup_stats *s)
{
  autofree char *text = read_small (dir, file);
  char *save = NULL;
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      size_t i = s->memory.n_raw++;
      s->memory.raw_keys = xrealloc (s->memory.raw_keys, (i + 1) * sizeof (char *));
      s->memory.raw_values = xrealloc (s->memory.raw_values, (i + 1) * sizeof (uint64_t));
      s->memory.raw_keys[i] = xstrdup (line);
      s->memory.raw_values[i] = strtoull (sp + 1, NULL, 10);
    }
}

void
moat_stats_add_io (struct moat_blkio_entry **list, size_t *n, uint64_t major, uint64_t minor,
                   const char *op, uint64_t value)
{
  *list = xrealloc (*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = (struct moat_blkio_entry) { major, minor, op, value };
}

void
moat_stats_hugetlb (const char *dir, bool v2, struct moat_cgroup_stats *s)
{
  DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      unsigned long kb;
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      autofree char *size = kb >= 1024 * 1024 ? xasprintf ("%luGB", kb / 1024 / 1024)
        : kb >= 1024 ? xasprintf ("%luMB", kb / 1024) : xasprintf ("%luKB", kb);
      autofree char *usage = xasprintf (v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes",
                                        size);
      autofree char *max = xasprintf (v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes",
                                      size);
      autofree char *fail = xasprintf (v2 ? "hugetlb.%s.events" : "hugetlb.%s.failcnt", size);
      struct moat_hugetlb_entry e = { 0 };
      if (!moat_stats_u64 (dir, usage, &e.usage))
        continue;
      moat_stats_u64 (dir, max, &e.max);
      if (v2)
        moat_stats_key (dir, fail, "max", &e.failcnt);
      else
        moat_stats_u64 (dir, fail, &e.failcnt);
      e.page_size = steal_pointer (&size);
      s->hugetlb = xrealloc (s->hugetlb, (s->n_hugetlb + 1) * sizeof *s->hugetlb);
      s->hugetlb[s->n_hugetlb++] = e;
    }
  if (d)
    closedir (d);
}

/* ---- JSON ---- */

static void
gen_u64 (yajl_gen g, const char *k, uint64_t v)
{
  char num[24];
  GS (g, k);
  int n = snprintf (num, sizeof num, "%" PRIu64, v);
  yajl_gen_number (g, num, n);
}

static void
gen_memory_entry (yajl_gen g, const char *k, const struct moat_memory_entry *e)
{
  GS (g, k);
  yajl_gen_map_open (g);
  gen_u64 (g, "limit", e->limit);
  gen_u64 (g, "usage", e->usage);
  gen_u64 (g, "max", e->max);
  gen_u64 (g, "failcnt", e->failcnt);
  yajl_gen_map_close (g);
}

static void
gen_cpu (yajl_gen g, const struct moat_cgroup_stats *s)
{
  GS (g, "cpu");
  yajl_gen_map_open (g);
  GS (g, "usage");
  yajl_gen_map_open (g);
  if (s->cpu.n_percpu)
    {
      GS (g, "percpu");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < s->cpu.n_percpu; i++)
        {
          char num[24];
          yajl_gen_number (g, num, snprintf (num, sizeof num, "%" PRIu64, s->cpu.percpu[i]));
        }
      yajl_gen_array_close (g);
    }
  gen_u64 (g, "total", s->cpu.total);
  gen_u64 (g, "kernel", s->cpu.kernel);
  gen_u64 (g, "user", s->cpu.user);
  yajl_gen_map_close (g);
  GS (g, "throttling");
  yajl_gen_map_open (g);
  gen_u64 (g, "periods", s->cpu.periods);
  gen_u64 (g, "throttled_periods", s->cpu.throttled_periods);
  gen_u64 (g, "throttled_time", s->cpu.throttled_time);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_memory (yajl_gen g, const struct moat_cgroup_stats *s)
{
  GS (g, "memory");
  yajl_gen_map_open (g);
  if (s->memory.set)
    {
      gen_memory_entry (g, "usage", &s->memory.usage);
      if (s->memory.has_swap)
        gen_memory_entry (g, "swap", &s->memory.swap);
      if (s->memory.n_raw)
        {
          GS (g, "raw");
          yajl_gen_map_open (g);
          for (size_t i = 0; i < s->memory.n_raw; i++)
            gen_u64 (g, s->memory.raw_keys[i], s->memory.raw_values[i]);
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_map_close (g);
}

static void
gen_io (yajl_gen g, const char *k, const struct moat_blkio_entry *e, size_t n)
{
  if (n == 0)
    return;
  GS (g, k);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      gen_u64 (g, "major", e[i].major);
      gen_u64 (g, "minor", e[i].minor);
      GS (g, "op");
      GS (g, e[i].op);
      gen_u64 (g, "value", e[i].value);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

char *
moat_cgroup_stats_json (const struct moat_cgroup_stats *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  gen_cpu (g, s);
  gen_memory (g, s);
  GS (g, "pids");
  yajl_gen_map_open (g);
  if (s->pids.set)
    {
      gen_u64 (g, "current", s->pids.current);
      gen_u64 (g, "limit", s->pids.limit);
    }
  yajl_gen_map_close (g);
  GS (g, "blkio");
  yajl_gen_map_open (g);
  gen_io (g, "ioServiceBytesRecursive", s->io_bytes, s->n_io_bytes);
  gen_io (g, "ioServicedRecursive", s->io_ops, s->n_io_ops);
  yajl_gen_map_close (g);
  GS (g, "hugetlb");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    {
      GS (g, s->hugetlb[i].page_size);
      yajl_gen_map_open (g);
      gen_u64 (g, "usage", s->hugetlb[i].usage);
      gen_u64 (g, "max", s->hugetlb[i].max);
      gen_u64 (g, "failcnt", s->hugetlb[i].failcnt);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  char *out = xasprintf ("%.*s", (int) len, buf);
  yajl_gen_free (g);
  return out;
}
