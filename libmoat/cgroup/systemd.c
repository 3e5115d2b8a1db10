/* The systemd cgroup driver (--systemd-cgroup, --cgroup-manager systemd):
   the container's cgroup is a transient scope unit that systemd makes
   for it, named by a cgroupsPath "slice:prefix:name" as runc names it
   ("system.slice:docker:abc" is docker-abc.scope in system.slice).

   systemd makes a scope with its first process: the init is born in
   moat's cgroup, waits, and is moved in by StartTransientUnit (attach);
   the limits go on after that and before it is let go.  Each limit
   systemd knows is set as a unit property too, so that systemd keeps it
   (a daemon-reload re-applies a unit's properties over its cgroup
   files); the others (hugetlb, rdma, io.max, unified keys) are written
   to the scope's files, as the cgroupfs driver writes them.  The scope
   is delegated (Delegate=yes): the container may make cgroups below it.
   Everything else (stats, freeze, kill, processes) is the cgroupfs v2
   driver's work on the scope's directory.

   A rootless moat talks to the user's systemd instance (which asks the
   system's, over the D-Bus system bus, to move the init into its
   delegated cgroup).  This driver needs the unified hierarchy: on a
   hybrid host it refuses.  */
#include <config.h>
#include "cgroup.h"
#include "systemd.h"
#include "systemd-bus.h"
#include "v2-resources.h"
#include "../linux/linux.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct moat_cgroup_driver moat_cgroup_v2_driver;
#define V2 moat_cgroup_v2_driver

bool
moat_cgroup_systemd_usable (void)
{
  return moat_cgroup_v2_mount () != NULL && !moat_cgroup_host_is_hybrid ()
    && moat_sd_available ();
}

static bool
as_user (void)
{
  return moat_without_host_root ();
}

/* ---- names ---- */

/* A unit name's characters (systemd's set, less the escape '\').  */
static bool
unit_chars (const char *s)
{
  return strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@")
    == strlen (s);
}

char *
moat_systemd_expand_slice (const char *slice)
{
  size_t n = strlen (slice);
  if (n <= 6 || strcmp (slice + n - 6, ".slice") != 0 || !unit_chars (slice)
      || strchr (slice, '@'))
    return NULL;
  if (strcmp (slice, "-.slice") == 0)
    return xstrdup ("");
  autofree char *base = xasprintf ("%.*s", (int) (n - 6), slice);
  if (base[0] == '-' || base[strlen (base) - 1] == '-' || strstr (base, "--"))
    return NULL;
  char *out = xstrdup ("");
  for (char *dash = base;; dash++)
    {
      dash = strchr (dash, '-');
      if (dash)
        *dash = '\0';
      char *more = xasprintf ("%s%s%s.slice", out, out[0] ? "/" : "", base);
      free (out);
      out = more;
      if (dash == NULL)
        break;
      *dash = '-';
    }
  return out;
}

int
moat_systemd_parse_path (const char *cgroups_path, const char *id, bool user, char **unit,
                         char **slice, moat_error **err)
{
  autofree char *own = cgroups_path ? NULL : xasprintf (":moat:%s", id);
  const char *path = cgroups_path ? cgroups_path : own;
  const char *c1 = strchr (path, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':') || path[0] == '/')
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s`: the systemd cgroup driver takes "
                            "\"slice:prefix:name\"", path);
  autofree char *s = xasprintf ("%.*s", (int) (c1 - path), path);
  autofree char *prefix = xasprintf ("%.*s", (int) (c2 - c1 - 1), c1 + 1);
  const char *name = c2 + 1;
  if (name[0] == '\0' || !unit_chars (name) || !unit_chars (prefix))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s`: the prefix and name must be a unit "
                            "name's characters, the name not empty", path);
  size_t nl = strlen (name);
  if (nl > 6 && strcmp (name + nl - 6, ".slice") == 0)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.cgroupsPath: `%s`: a slice as the container's own unit "
                            "is not supported (the container's unit is a scope)", path);
  *slice = xstrdup (s[0] ? s : user ? "user.slice" : "system.slice");
  *unit = prefix[0] ? xasprintf ("%s-%s.scope", prefix, name) : xasprintf ("%s.scope", name);
  if (strlen (*unit) > 255)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s`: the unit name is longer than systemd "
                            "takes (255)", path);
  return 0;
}

static const char *
unit_of (const struct moat_cgroup *cg)
{
  return strrchr (cg->path, '/') + 1;
}

/* The scope's slice: the directory above it, or the root slice.  */
static char *
slice_of (const struct moat_cgroup *cg)
{
  const char *unit = unit_of (cg);
  autofree char *parent = xasprintf ("%.*s", (int) (unit - cg->path - 1), cg->path);
  const char *name = strrchr (parent, '/') + 1;
  size_t n = strlen (name);
  return xstrdup (n > 6 && strcmp (name + n - 6, ".slice") == 0 ? name : "-.slice");
}

/* ---- the driver ---- */

static int
sd_locate (const char *cgroups_path, const char *id, struct moat_cgroup *cg,
           moat_error **err)
{
  const char *mount = moat_cgroup_v2_mount ();
  if (mount == NULL || moat_cgroup_host_is_hybrid ())
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "the systemd cgroup driver needs the unified cgroup "
                            "hierarchy (cgroup v2) with the controllers on it; this host "
                            "%s (use --cgroup-manager cgroupfs)",
                            mount ? "keeps them on cgroup v1 (hybrid)" : "has no cgroup v2");
  autofree char *unit = NULL, *slice = NULL;
  if (moat_systemd_parse_path (cgroups_path, id, as_user (), &unit, &slice, err) < 0)
    return -1;
  autofree char *slice_path = moat_systemd_expand_slice (slice);
  if (slice_path == NULL)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s` is not a slice name (\"a-b.slice\")",
                            slice);
  struct moat_sd_bus *b = NULL;
  if (moat_sd_connect (as_user (), &b, err) < 0)
    return -1;
  autofree char *root = moat_sd_manager_cgroup (b, err);
  moat_sd_close (b);
  if (root == NULL)
    return -1;
  /* "/" for the host's manager: no double slash */
  const char *r = strcmp (root, "/") == 0 ? "" : root;
  cg->path = xasprintf ("%s%s%s%s/%s", mount, r, slice_path[0] ? "/" : "", slice_path, unit);
  /* nothing for delete to rmdir: systemd removes the scope */
  cg->created_from = NULL;
  return 0;
}

/* systemd makes the cgroup with the init in it (attach): nothing yet.  */
static int
sd_create (struct moat_cgroup *cg, moat_error **err)
{
  (void) err;
  cg->dirfd = -1;
  return 0;
}

static int
sd_attach (const struct moat_cgroup *cg, pid_t pid, moat_error **err)
{
  const char *unit = unit_of (cg);
  autofree char *slice = slice_of (cg);
  uint32_t pids[1] = { (uint32_t) pid };
  autofree char *description = xasprintf ("moat container %s", unit);
  struct moat_sd_properties p = { 0 };
  struct moat_sd_property props[] = {
    { .name = "Description", .type = 's', .s = description },
    { .name = "Slice", .type = 's', .s = slice },
    { .name = "PIDs", .type = 'u', .pids = pids, .n_pids = 1 },
    /* the container makes its own cgroups below it */
    { .name = "Delegate", .type = 'b', .b = true },
    /* no ordering against shutdown: the engine stops its containers */
    { .name = "DefaultDependencies", .type = 'b', .b = false },
    /* a scope that failed (its processes were killed) is not kept */
    { .name = "CollectMode", .type = 's', .s = "inactive-or-failed" },
    { .name = "MemoryAccounting", .type = 'b', .b = true },
    { .name = "CPUAccounting", .type = 'b', .b = true },
    { .name = "TasksAccounting", .type = 'b', .b = true },
    { .name = "IOAccounting", .type = 'b', .b = true },
  };
  for (size_t i = 0; i < ARRAY_SIZE (props); i++)
    moat_sd_properties_add (&p, props[i]);
  struct moat_sd_bus *b = NULL;
  int ret = moat_sd_connect (as_user (), &b, err);
  if (ret == 0)
    ret = moat_sd_start_transient (b, unit, &p, err);
  moat_sd_close (b);
  moat_sd_properties_clear (&p);
  return ret;
}

/* ---- limits as unit properties ---- */

/* A cgroup file's value as systemd's number: "max" is infinity.  */
static bool
sd_number (const char *v, uint64_t *out)
{
  if (strcmp (v, "max") == 0)
    {
      *out = UINT64_MAX;
      return true;
    }
  unsigned long long n;
  if (!moat_parse_uint (v, UINT64_MAX - 1, &n))
    return false;
  *out = n;
  return true;
}

/* A cpuset list as systemd's bitmask (byte i/8, bit i%8).  */
static int
add_cpu_mask (struct moat_sd_properties *p, const char *name, const char *list,
              const char *field, moat_error **err)
{
  cpu_set_t set;
  if (moat_cpu_list_parse (list, field, &set, err) < 0)
    return -1;
  size_t n = 0;
  for (size_t c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET (c, &set))
      n = c / 8 + 1;
  uint8_t *bytes = moat_sd_properties_own (p, xmalloc0 (n ? n : 1));
  for (size_t c = 0; c < n * 8; c++)
    if (CPU_ISSET (c, &set))
      bytes[c / 8] |= (uint8_t) (1u << (c % 8));
  moat_sd_properties_add (p, (struct moat_sd_property) { .name = name, .type = 'y',
                            .bytes = bytes, .n_bytes = n });
  return 0;
}

/* "QUOTA [PERIOD]" of cpu.max as CPUQuotaPerSecUSec (and
   CPUQuotaPeriodUSec); without a period, the cgroup's (100000 when
   new).  */
static void
add_cpu_max (struct moat_sd_properties *p, const char *value, const char *path)
{
  char quota[32] = "";
  unsigned long long period = 0;
  if (sscanf (value, "%31s %llu", quota, &period) < 1)
    return;
  bool own_period = period > 0;
  if (!own_period)
    {
      autofree char *file = xasprintf ("%s/cpu.max", path);
      autofree char *now = NULL;
      moat_error *ignored = NULL;
      if (moat_read_file_at (AT_FDCWD, file, 64, &now, NULL, &ignored) < 0
          || sscanf (now, "%*s %llu", &period) != 1 || period == 0)
        period = 100000;
      moat_error_free (&ignored);
    }
  uint64_t q;
  if (!sd_number (quota, &q))
    return;
  if (q != UINT64_MAX)
    q = q * 1000000 / period;
  moat_sd_properties_add (p, (struct moat_sd_property) { .name = "CPUQuotaPerSecUSec",
                            .type = 't', .t = q });
  if (own_period)
    moat_sd_properties_add (p, (struct moat_sd_property) { .name = "CPUQuotaPeriodUSec",
                              .type = 't', .t = period });
}

int
moat_systemd_properties (const struct moat_cgroup_writes *w, const char *path,
                         struct moat_sd_properties *p, moat_error **err)
{
  static const struct
  {
    const char *file, *property;
  } numbers[] = {
    { "memory.max", "MemoryMax" }, { "memory.high", "MemoryHigh" },
    { "memory.low", "MemoryLow" }, { "memory.min", "MemoryMin" },
    { "memory.swap.max", "MemorySwapMax" }, { "pids.max", "TasksMax" },
    { "cpu.weight", "CPUWeight" },
    /* the default weight; a device's line has no number alone */
    { "io.weight", "IOWeight" },
  };
  for (size_t i = 0; i < w->n; i++)
    {
      const char *file = w->w[i].file, *value = w->w[i].value;
      uint64_t v;
      for (size_t k = 0; k < ARRAY_SIZE (numbers); k++)
        if (strcmp (file, numbers[k].file) == 0 && sd_number (value, &v))
          moat_sd_properties_add (p, (struct moat_sd_property) {
                                    .name = numbers[k].property, .type = 't', .t = v });
      const char *field = w->w[i].field ? w->w[i].field : file;
      if (strcmp (file, "cpu.max") == 0)
        add_cpu_max (p, value, path);
      else if (strcmp (file, "cpuset.cpus") == 0
               && add_cpu_mask (p, "AllowedCPUs", value, field, err) < 0)
        return -1;
      else if (strcmp (file, "cpuset.mems") == 0
               && add_cpu_mask (p, "AllowedMemoryNodes", value, field, err) < 0)
        return -1;
    }
  return 0;
}

/* Tell systemd the limits of r it knows, for as long as the unit runs.  */
static int
set_unit_limits (const struct moat_cgroup *cg, const struct moat_resources *r,
                 moat_error **err)
{
  struct moat_cgroup_writes w;
  if (moat_v2_resource_writes (r, false, &w, err) < 0)
    return -1;
  struct moat_sd_properties p = { 0 };
  int ret = moat_systemd_properties (&w, cg->path, &p, err);
  moat_cgroup_writes_clear (&w);
  if (ret == 0 && p.n)
    {
      struct moat_sd_bus *b = NULL;
      ret = moat_sd_connect (as_user (), &b, err);
      if (ret == 0)
        ret = moat_sd_set_properties (b, unit_of (cg), &p, err);
      moat_sd_close (b);
    }
  moat_sd_properties_clear (&p);
  return ret;
}

/* After attach: the files first (they say which limit the kernel
   refuses, and why), then the unit's properties.  */
static int
sd_apply (struct moat_cgroup *cg, const struct moat_spec *s, moat_error **err)
{
  if (V2.apply (cg, s, err) < 0)
    return -1;
  return set_unit_limits (cg, &s->resources, err);
}

/* A refused property fails the update, whose journal puts the files
   back.  */
static int
sd_update (struct moat_cgroup *cg, const struct moat_resources *r, moat_error **err)
{
  if (V2.update (cg, r, err) < 0)
    return -1;
  return set_unit_limits (cg, r, err);
}

/* Kill what is left, remove the cgroups the container made below its
   scope, then have systemd stop the scope (it removes the directory).
   Without a manager to ask (systemd gone), the directory is removed
   here, so that nothing stays.  */
static int
sd_destroy (struct moat_cgroup *cg, moat_error **err)
{
  if (cg->path == NULL)
    return 0;
  if (access (cg->path, F_OK) == 0)
    {
      /* with no created_from, the cgroupfs driver kills and waits only */
      if (V2.destroy (cg, err) < 0)
        return -1;
      moat_cgroup_remove_descendants (cg->path);
    }
  struct moat_sd_bus *b = NULL;
  moat_error *no_bus = NULL;
  int ret = 0;
  if (moat_sd_connect (as_user (), &b, &no_bus) == 0)
    ret = moat_sd_stop_unit (b, unit_of (cg), err);
  else
    moat_debug ("%s; removing %s without it", no_bus->msg, cg->path);
  moat_error_free (&no_bus);
  moat_sd_close (b);
  if (ret == 0 && rmdir (cg->path) < 0 && errno != ENOENT)
    ret = moat_error_set (err, errno, "remove cgroup `%s`", cg->path);
  return ret;
}

static bool
sd_in_use (const struct moat_cgroup *cg)
{
  return V2.in_use (cg);
}

static int
sd_clone_fd (const struct moat_cgroup *cg, moat_error **err)
{
  return V2.clone_fd (cg, err);
}

static int
sd_stats (const struct moat_cgroup *cg, struct moat_cgroup_stats *s, moat_error **err)
{
  return V2.stats (cg, s, err);
}

static int
sd_freeze (const struct moat_cgroup *cg, bool freeze, moat_error **err)
{
  return V2.freeze (cg, freeze, err);
}

static bool
sd_frozen (const struct moat_cgroup *cg)
{
  return V2.frozen (cg);
}

static int
sd_kill (const struct moat_cgroup *cg, int sig, moat_error **err)
{
  return V2.kill (cg, sig, err);
}

static int
sd_pids (const struct moat_cgroup *cg, int **pids, size_t *n, moat_error **err)
{
  return V2.pids (cg, pids, n, err);
}

const struct moat_cgroup_driver moat_cgroup_systemd_driver = {
  .name = "systemd",
  .made_by_attach = true,
  .locate = sd_locate,
  .in_use = sd_in_use,
  .create = sd_create,
  .clone_fd = sd_clone_fd,
  .attach = sd_attach,
  .apply = sd_apply,
  .update = sd_update,
  .stats = sd_stats,
  .freeze = sd_freeze,
  .frozen = sd_frozen,
  .kill = sd_kill,
  .pids = sd_pids,
  .destroy = sd_destroy,
};
