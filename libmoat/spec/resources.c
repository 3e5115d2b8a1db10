/* linux.resources (config-linux.md), devices aside (linux.c): parsed as
   given, every member known, every number range-checked.  What a member
   means on a host (files, units, conversions) is the cgroup driver's. */
#include <config.h>
#include "parse.h"
#include "jsontree.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Members of obj not in known[] are an error: a limit moat does not know
   would be accepted and never applied.  */
static int
only_known (yajl_val obj, const char *field, const char *const *known, moat_error **err)
{
  for (size_t i = 0; i < obj->u.object.len; i++)
    {
      const char *k = obj->u.object.keys[i];
      size_t j = 0;
      while (known[j] && strcmp (known[j], k) != 0)
        j++;
      if (known[j] == NULL)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "%s.%s: unknown member (a limit moat does not know would "
                                "not be applied)", field, k);
    }
  return 0;
}

static int
opt_int (yajl_val obj, const char *key, const char *field, long long min, long long max,
         struct moat_opt_i64 *out, moat_error **err)
{
  autofree char *f = xasprintf ("%s.%s", field, key);
  long long v;
  bool present;
  if (moat_json_get_int (obj, key, f, min, max, &v, &present, err) < 0)
    return -1;
  out->set = present;
  out->v = present ? v : 0;
  return 0;
}

static int
opt_bool (yajl_val obj, const char *key, const char *field, bool *has, bool *out,
          moat_error **err)
{
  autofree char *f = xasprintf ("%s.%s", field, key);
  *has = moat_json_member (obj, key) != NULL;
  return *has ? moat_json_get_bool (obj, key, f, out, err) : 0;
}

static int
parse_memory (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.memory", field);
  yajl_val m;
  if (moat_json_get_object (res, "memory", f, &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  static const char *const known[] = { "limit", "reservation", "swap", "kernel", "kernelTCP",
    "swappiness", "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL };
  if (only_known (m, f, known, err) < 0)
    return -1;
  bool has_check;
  /* -1 means unlimited; other negative values mean nothing */
  return (opt_int (m, "limit", f, -1, INT64_MAX, &r->memory.limit, err) < 0
          || opt_int (m, "reservation", f, -1, INT64_MAX, &r->memory.reservation, err) < 0
          || opt_int (m, "swap", f, -1, INT64_MAX, &r->memory.swap, err) < 0
          || opt_int (m, "kernel", f, -1, INT64_MAX, &r->memory.kernel, err) < 0
          || opt_int (m, "kernelTCP", f, -1, INT64_MAX, &r->memory.kernel_tcp, err) < 0
          || opt_int (m, "swappiness", f, 0, 100, &r->memory.swappiness, err) < 0
          || opt_bool (m, "disableOOMKiller", f, &r->memory.has_disable_oom_killer,
                       &r->memory.disable_oom_killer, err) < 0
          || opt_bool (m, "useHierarchy", f, &r->memory.has_use_hierarchy,
                       &r->memory.use_hierarchy, err) < 0
          || opt_bool (m, "checkBeforeUpdate", f, &has_check, &r->memory.check_before_update,
                       err) < 0) ? -1 : 0;
}

/* A cpu or memory node list as cpuset takes it ("0-3,6"); absent is
   fine.  */
static bool
cpu_list (const char *s)
{
  return s == NULL || strspn (s, "0123456789,-") == strlen (s);
}

static int
parse_cpu (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.cpu", field);
  yajl_val c;
  if (moat_json_get_object (res, "cpu", f, &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  static const char *const known[] = { "shares", "quota", "burst", "period",
    "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle", NULL };
  if (only_known (c, f, known, err) < 0)
    return -1;
  autofree char *fc = xasprintf ("%s.cpus", f);
  autofree char *fm = xasprintf ("%s.mems", f);
  if (opt_int (c, "shares", f, 0, UINT32_MAX, &r->cpu.shares, err) < 0
          || opt_int (c, "quota", f, -1, INT64_MAX, &r->cpu.quota, err) < 0
          || opt_int (c, "burst", f, 0, INT64_MAX, &r->cpu.burst, err) < 0
          || opt_int (c, "period", f, 0, INT64_MAX, &r->cpu.period, err) < 0
          || opt_int (c, "realtimeRuntime", f, -1, INT64_MAX, &r->cpu.realtime_runtime,
                      err) < 0
          || opt_int (c, "realtimePeriod", f, 0, INT64_MAX, &r->cpu.realtime_period, err) < 0
          || opt_int (c, "idle", f, 0, 1, &r->cpu.idle, err) < 0
          || moat_json_get_string (c, "cpus", fc, &r->cpu.cpus, err) < 0
          || moat_json_get_string (c, "mems", fm, &r->cpu.mems, err) < 0)
    return -1;
  if (!cpu_list (r->cpu.cpus))
    return moat_error_set (err, 0, "%s: `%s` is not a list such as 0-3,6", fc, r->cpu.cpus);
  if (!cpu_list (r->cpu.mems))
    return moat_error_set (err, 0, "%s: `%s` is not a list such as 0-1", fm, r->cpu.mems);
  return 0;
}

static int
parse_pids (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.pids", field);
  yajl_val p;
  if (moat_json_get_object (res, "pids", f, &p, err) < 0)
    return -1;
  if (p == NULL)
    return 0;
  static const char *const known[] = { "limit", NULL };
  if (only_known (p, f, known, err) < 0
      || opt_int (p, "limit", f, INT64_MIN, INT64_MAX, &r->pids_limit, err) < 0)
    return -1;
  if (!r->pids_limit.set)
    return moat_error_set (err, 0, "%s.limit: missing", f);
  return 0;
}

/* A list of {major, minor, ...} of blockIO.  */
static int
parse_blkio_devices (yajl_val blk, const char *key, const char *field, bool weights,
                     struct moat_blkio_device **out, size_t *n, moat_error **err)
{
  autofree char *f = xasprintf ("%s.%s", field, key);
  yajl_val arr;
  if (moat_json_get_array (blk, key, f, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  *n = arr->u.array.len;
  *out = xmalloc0 ((*n + 1) * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val d = arr->u.array.values[i];
      struct moat_blkio_device *dev = &(*out)[i];
      autofree char *fi = xasprintf ("%s[%zu]", f, i);
      if (!YAJL_IS_OBJECT (d))
        return moat_json_type_error (err, fi, "an object", d);
      static const char *const wknown[] = { "major", "minor", "weight", "leafWeight", NULL };
      static const char *const rknown[] = { "major", "minor", "rate", NULL };
      struct moat_opt_i64 major, minor, rate;
      if (only_known (d, fi, weights ? wknown : rknown, err) < 0
          || opt_int (d, "major", fi, 0, UINT32_MAX, &major, err) < 0
          || opt_int (d, "minor", fi, 0, UINT32_MAX, &minor, err) < 0)
        return -1;
      if (!major.set || !minor.set)
        return moat_error_set (err, 0, "%s: major and minor are required", fi);
      dev->major = major.v;
      dev->minor = minor.v;
      if (weights)
        {
          if (opt_int (d, "weight", fi, 10, 1000, &dev->weight, err) < 0
              || opt_int (d, "leafWeight", fi, 10, 1000, &dev->leaf_weight, err) < 0)
            return -1;
          continue;
        }
      if (opt_int (d, "rate", fi, 0, INT64_MAX, &rate, err) < 0)
        return -1;
      if (!rate.set)
        return moat_error_set (err, 0, "%s.rate: missing", fi);
      dev->rate = rate.v;
    }
  return 0;
}

static int
parse_blkio (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.blockIO", field);
  yajl_val b;
  if (moat_json_get_object (res, "blockIO", f, &b, err) < 0)
    return -1;
  if (b == NULL)
    return 0;
  static const char *const known[] = { "weight", "leafWeight", "weightDevice",
    "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
    "throttleWriteIOPSDevice", NULL };
  typeof (r->blkio) *k = &r->blkio;
  return (only_known (b, f, known, err) < 0
          || opt_int (b, "weight", f, 10, 1000, &k->weight, err) < 0
          || opt_int (b, "leafWeight", f, 10, 1000, &k->leaf_weight, err) < 0
          || parse_blkio_devices (b, "weightDevice", f, true, &k->weight_device,
                                  &k->n_weight_device, err) < 0
          || parse_blkio_devices (b, "throttleReadBpsDevice", f, false, &k->read_bps,
                                  &k->n_read_bps, err) < 0
          || parse_blkio_devices (b, "throttleWriteBpsDevice", f, false, &k->write_bps,
                                  &k->n_write_bps, err) < 0
          || parse_blkio_devices (b, "throttleReadIOPSDevice", f, false, &k->read_iops,
                                  &k->n_read_iops, err) < 0
          || parse_blkio_devices (b, "throttleWriteIOPSDevice", f, false, &k->write_iops,
                                  &k->n_write_iops, err) < 0) ? -1 : 0;
}

/* "2MB", "1GB", "64KB": the names the kernel gives hugetlb files.  */
static bool
valid_page_size (const char *s)
{
  size_t n = strspn (s, "0123456789");
  return n > 0 && n < 8 && (strcmp (s + n, "KB") == 0 || strcmp (s + n, "MB") == 0
                            || strcmp (s + n, "GB") == 0);
}

static int
parse_hugepages (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.hugepageLimits", field);
  yajl_val arr;
  if (moat_json_get_array (res, "hugepageLimits", f, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  r->n_hugepages = arr->u.array.len;
  r->hugepages = xmalloc0 ((r->n_hugepages + 1) * sizeof *r->hugepages);
  for (size_t i = 0; i < r->n_hugepages; i++)
    {
      yajl_val h = arr->u.array.values[i];
      autofree char *fi = xasprintf ("%s[%zu]", f, i);
      autofree char *fp = xasprintf ("%s.pageSize", fi);
      autofree char *fl = xasprintf ("%s.limit", fi);
      if (!YAJL_IS_OBJECT (h))
        return moat_json_type_error (err, fi, "an object", h);
      static const char *const known[] = { "pageSize", "limit", NULL };
      if (only_known (h, fi, known, err) < 0
          || moat_json_get_string (h, "pageSize", fp, &r->hugepages[i].page_size, err) < 0
          || moat_json_get_u64 (h, "limit", fl, &r->hugepages[i].limit, err) < 0)
        return -1;
      if (r->hugepages[i].page_size == NULL || !valid_page_size (r->hugepages[i].page_size))
        return moat_error_set (err, 0, "%s: `%s` is not a page size such as 2MB", fp,
                               r->hugepages[i].page_size ? r->hugepages[i].page_size : "");
    }
  return 0;
}

static int
parse_network (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.network", field);
  yajl_val n;
  if (moat_json_get_object (res, "network", f, &n, err) < 0)
    return -1;
  if (n == NULL)
    return 0;
  static const char *const known[] = { "classID", "priorities", NULL };
  if (only_known (n, f, known, err) < 0
      || opt_int (n, "classID", f, 0, UINT32_MAX, &r->network.class_id, err) < 0)
    return -1;
  autofree char *fp = xasprintf ("%s.priorities", f);
  yajl_val arr;
  if (moat_json_get_array (n, "priorities", fp, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  r->network.n_priorities = arr->u.array.len;
  r->network.priorities = xmalloc0 ((arr->u.array.len + 1) * sizeof *r->network.priorities);
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      yajl_val p = arr->u.array.values[i];
      autofree char *fi = xasprintf ("%s[%zu]", fp, i);
      autofree char *fname = xasprintf ("%s.name", fi);
      struct moat_opt_i64 prio;
      static const char *const pknown[] = { "name", "priority", NULL };
      if (!YAJL_IS_OBJECT (p))
        return moat_json_type_error (err, fi, "an object", p);
      if (only_known (p, fi, pknown, err) < 0
          || moat_json_get_string (p, "name", fname, &r->network.priorities[i].key, err) < 0
          || opt_int (p, "priority", fi, 0, UINT32_MAX, &prio, err) < 0)
        return -1;
      if (r->network.priorities[i].key == NULL || !prio.set)
        return moat_error_set (err, 0, "%s: name and priority are required", fi);
      /* one "name priority" line per write: a space or newline in the name
         would write another interface's */
      const char *name = r->network.priorities[i].key;
      if (name[0] == '\0' || strlen (name) >= 16 || strpbrk (name, " \t\n/") != NULL)
        return moat_error_set (err, 0, "%s: `%s` is not an interface name", fname, name);
      r->network.priorities[i].value = xasprintf ("%lld", (long long) prio.v);
    }
  return 0;
}

static int
parse_rdma (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.rdma", field);
  yajl_val obj;
  if (moat_json_get_object (res, "rdma", f, &obj, err) < 0)
    return -1;
  if (obj == NULL)
    return 0;
  r->n_rdma = obj->u.object.len;
  r->rdma = xmalloc0 ((r->n_rdma + 1) * sizeof *r->rdma);
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const char *dev = obj->u.object.keys[i];
      yajl_val d = obj->u.object.values[i];
      autofree char *fi = xasprintf ("%s.%s", f, dev);
      if (!YAJL_IS_OBJECT (d))
        return moat_json_type_error (err, fi, "an object", d);
      if (dev[0] == '\0' || strpbrk (dev, " \t\n=/") != NULL)
        return moat_error_set (err, 0, "%s: not a device name", fi);
      static const char *const known[] = { "hcaHandles", "hcaObjects", NULL };
      r->rdma[i].device = xstrdup (dev);
      if (only_known (d, fi, known, err) < 0
          || opt_int (d, "hcaHandles", fi, 0, UINT32_MAX, &r->rdma[i].hca_handles, err) < 0
          || opt_int (d, "hcaObjects", fi, 0, UINT32_MAX, &r->rdma[i].hca_objects, err) < 0)
        return -1;
    }
  return 0;
}

/* linux.resources.unified: cgroup v2 file names, checked here for their
   shape (no path, a controller prefix); the driver checks they exist.  */
static int
parse_unified (yajl_val res, const char *field, struct moat_resources *r, moat_error **err)
{
  autofree char *f = xasprintf ("%s.unified", field);
  if (moat_json_get_string_map (res, "unified", f, &r->unified, &r->n_unified, err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;
      const char *dot = strchr (k, '.');
      if (dot == NULL || dot == k || dot[1] == '\0' || strchr (k, '/') || strstr (k, "..")
          || strspn (k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen (k))
        return moat_error_set (err, 0, "%s: `%s` is not a cgroup v2 file name "
                               "(controller.key)", f, k);
      if (strchr (r->unified[i].value, '\n') && strchr (r->unified[i].value, '\n')[1])
        return moat_error_set (err, 0, "%s.%s: one line only", f, k);
    }
  return 0;
}

int
moat_resources_parse (yajl_val res, const char *field, struct moat_resources *r,
                      moat_error **err)
{
  static const char *const known[] = { "devices", "memory", "cpu", "pids", "blockIO",
    "hugepageLimits", "network", "rdma", "unified", NULL };
  if (only_known (res, field, known, err) < 0 || parse_memory (res, field, r, err) < 0
      || parse_cpu (res, field, r, err) < 0 || parse_pids (res, field, r, err) < 0
      || parse_blkio (res, field, r, err) < 0 || parse_hugepages (res, field, r, err) < 0
      || parse_network (res, field, r, err) < 0 || parse_rdma (res, field, r, err) < 0
      || parse_unified (res, field, r, err) < 0)
    return -1;
  return 0;
}

int
moat_resources_from_json (const char *text, size_t len, struct moat_resources *r,
                          struct moat_device_rule **rules, size_t *n_rules, moat_error **err)
{
  memset (r, 0, sizeof *r);
  if (rules)
    {
      *rules = NULL;
      *n_rules = 0;
    }
  yajl_val top = moat_json_parse (text, len, err);
  if (top == NULL)
    return moat_error_prefix (err, "resources");
  int ret = YAJL_IS_OBJECT (top)
    ? moat_resources_parse (top, "resources", r, err)
    : moat_json_type_error (err, "resources", "an object", top);
  if (ret == 0 && rules)
    ret = moat_device_rules_parse (top, "resources", rules, n_rules, err);
  yajl_tree_free (top);
  if (ret < 0)
    {
      moat_resources_clear (r);
      if (rules)
        {
          free (*rules);
          *rules = NULL;
          *n_rules = 0;
        }
    }
  return ret;
}

static void
free_annotations (struct moat_annotation *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (a[i].key);
      free (a[i].value);
    }
  free (a);
}

void
moat_resources_clear (struct moat_resources *r)
{
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->blkio.weight_device);
  free (r->blkio.read_bps);
  free (r->blkio.write_bps);
  free (r->blkio.read_iops);
  free (r->blkio.write_iops);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free (r->hugepages[i].page_size);
  free (r->hugepages);
  free_annotations (r->network.priorities, r->network.n_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  free_annotations (r->unified, r->n_unified);
  memset (r, 0, sizeof *r);
}

bool
moat_resources_empty (const struct moat_resources *r)
{
  static const struct moat_resources none;
  return memcmp (r, &none, sizeof none) == 0;
}
