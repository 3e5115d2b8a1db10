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
  if (n <= 6 || n > 255 || strcmp (slice + n - 6, ".slice") != 0 || !unit_chars (slice)
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
  /* '@' would make a template's instance of it, which a scope cannot be */
  if (name[0] == '\0' || !unit_chars (name) || !unit_chars (prefix) || strchr (name, '@')
      || strchr (prefix, '@'))
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
  /* unit names are the manager's, whatever the slice: a unit of that
     name is someone else's, refused before anything is made */
  bool taken = moat_sd_unit_exists (b, unit);
  autofree char *root = taken ? NULL : moat_sd_manager_cgroup (b, err);
  moat_sd_close (b);
  if (taken)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: systemd already has a unit %s", unit);
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

/* The init's cgroup is the scope's: the path moat computed is where
   systemd put it (the limits go there).  */
static int
check_placed (const struct moat_cgroup *cg, pid_t pid, moat_error **err)
{
  autofree char *file = xasprintf ("/proc/%d/cgroup", pid);
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, file, 1 << 16, &text, NULL, err) < 0)
    return -1;
  const char *rel = cg->path + strlen (moat_cgroup_v2_mount ());
  char *line = strstr (text, "0::");
  if (line && (line == text || line[-1] == '\n'))
    {
      line += 3;
      line[strcspn (line, "\n")] = '\0';
      if (strcmp (line, rel) == 0)
        return 0;
    }
  return moat_error_set (err, 0, "systemd put the init in the cgroup `%s`, not `%s`",
                         line ? line : "?", rel);
}

static int
sd_attach (struct moat_cgroup *cg, pid_t pid, moat_error **err)
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
  /* from now on the unit is the container's: its invocation says so to
     abort and delete */
  if (ret == 0)
    ret = moat_sd_unit_invocation (b, unit, &cg->invocation, err);
  if (ret == 0 && cg->invocation == NULL)
    ret = moat_error_set (err, 0, "the unit %s went as soon as systemd started it", unit);
  if (ret == 0)
    ret = check_placed (cg, pid, err);
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

/* What a value of field (naming the file) is not.  */
static int
unconvertible (const char *field, const char *file, const char *value, moat_error **err)
{
  return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                          "%s: %s `%s` is not a value moat can give systemd as a unit "
                          "property (the systemd cgroup driver)", field, file, value);
}

/* "QUOTA [PERIOD]" of cpu.max as CPUQuotaPerSecUSec (and
   CPUQuotaPeriodUSec); without a period, the cgroup's (100000 when
   new).  */
static int
add_cpu_max (struct moat_sd_properties *p, const char *value, const char *path,
             const char *field, moat_error **err)
{
  autofree char *copy = xstrdup (value);
  char *save = NULL;
  const char *quota = strtok_r (copy, " ", &save);
  const char *period_text = strtok_r (NULL, " ", &save);
  unsigned long long period = 0;
  uint64_t q;
  if (quota == NULL || strtok_r (NULL, " ", &save) || !sd_number (quota, &q)
      || (period_text && (!moat_parse_uint (period_text, UINT32_MAX, &period) || period == 0)))
    return unconvertible (field, "cpu.max", value, err);
  bool own_period = period_text != NULL;
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
  if (q != UINT64_MAX)
    {
      /* per second; the kernel's quotas are far below an overflow, but a
         product that would wrap is refused rather than cut */
      unsigned __int128 per_sec = (unsigned __int128) q * 1000000 / period;
      if (per_sec >= UINT64_MAX)
        return unconvertible (field, "cpu.max", value, err);
      q = (uint64_t) per_sec;
    }
  moat_sd_properties_add (p, (struct moat_sd_property) { .name = "CPUQuotaPerSecUSec",
                            .type = 't', .t = q });
  if (own_period)
    moat_sd_properties_add (p, (struct moat_sd_property) { .name = "CPUQuotaPeriodUSec",
                              .type = 't', .t = period });
  return 0;
}

/* io.weight: the default weight ("N", or the kernel's "default N" line
   among the devices' lines); NULL when there is none.  */
static const char *
default_io_weight (const char *value, char buf[static 32])
{
  const char *line = value;
  while (line && *line)
    {
      size_t n = strcspn (line, "\n");
      if (strncmp (line, "default ", 8) == 0 && n - 8 < 32)
        {
          snprintf (buf, 32, "%.*s", (int) (n - 8), line + 8);
          return buf;
        }
      if (memchr (line, ':', n) == NULL && n < 32)
        {
          snprintf (buf, 32, "%.*s", (int) n, line);
          return buf;
        }
      line = line[n] ? line + n + 1 : NULL;
    }
  return NULL;
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
    { "cpu.weight", "CPUWeight" }, { "io.weight", "IOWeight" },
  };
  for (size_t i = 0; i < w->n; i++)
    {
      const char *file = w->w[i].file, *value = w->w[i].value;
      const char *field = w->w[i].field ? w->w[i].field : file;
      char buf[32];
      uint64_t v;
      for (size_t k = 0; k < ARRAY_SIZE (numbers); k++)
        {
          if (strcmp (file, numbers[k].file) != 0)
            continue;
          const char *number = value;
          /* a device's weight alone: systemd keeps the lines it has none of */
          if (strcmp (file, "io.weight") == 0
              && (number = default_io_weight (value, buf)) == NULL)
            break;
          if (!sd_number (number, &v))
            return unconvertible (field, file, value, err);
          moat_sd_properties_add (p, (struct moat_sd_property) {
                                    .name = numbers[k].property, .type = 't', .t = v });
        }
      if (strcmp (file, "cpu.max") == 0 && add_cpu_max (p, value, path, field, err) < 0)
        return -1;
      else if (strcmp (file, "cpuset.cpus") == 0
               && add_cpu_mask (p, "AllowedCPUs", value, field, err) < 0)
        return -1;
      else if (strcmp (file, "cpuset.mems") == 0
               && add_cpu_mask (p, "AllowedMemoryNodes", value, field, err) < 0)
        return -1;
    }
  return 0;
}

/* Files systemd writes over from a unit's own settings with no property
   moat gives it: a value other than the kernel's default would be lost
   at systemd's next pass, so it is refused.  */
static const struct
{
  const char *file, *default_value;
} rewritten_by_systemd[] = {
  { "memory.oom.group", "0" }, { "memory.zswap.max", "max" },
  { "memory.zswap.writeback", "1" }, { "cpu.idle", "0" },
};

static int
refuse_rewritten (const struct moat_cgroup *cg, const struct moat_cgroup_writes *w,
                  const struct moat_resources *r, moat_error **err)
{
  for (size_t i = 0; i < w->n; i++)
    for (size_t k = 0; k < ARRAY_SIZE (rewritten_by_systemd); k++)
      if (strcmp (w->w[i].file, rewritten_by_systemd[k].file) == 0
          && strcmp (w->w[i].value, rewritten_by_systemd[k].default_value) != 0)
        return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                                "%s: %s is written over by systemd from the unit's "
                                "own settings; not supported with the systemd cgroup "
                                "driver", w->w[i].field ? w->w[i].field : "unified",
                                w->w[i].file);
  /* under BFQ the weights are io.bfq.weight's, which systemd writes from
     IOWeight in its own conversion */
  bool weights = r->blkio.weight.set || r->blkio.n_weight_device;
  autofree char *bfq = xasprintf ("%s/io.bfq.weight", cg->path);
  if (weights && access (bfq, F_OK) == 0)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources.blockIO: the weights of the BFQ scheduler "
                            "(io.bfq.weight) are not supported with the systemd cgroup "
                            "driver (systemd writes them from its own IOWeight)");
  return 0;
}

/* The files systemd has a property for, as the kernel reads them back
   after moat wrote them (its own reading of the value: "1G" is
   1073741824, " 20" is 20), in place of the values of w.  */
static int
read_back (const struct moat_cgroup *cg, const struct moat_cgroup_writes *w,
           struct moat_cgroup_writes *out, moat_error **err)
{
  static const char *const files[] = {
    "memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max",
    "pids.max", "cpu.weight", "cpu.max", "io.weight", "cpuset.cpus", "cpuset.mems",
  };
  memset (out, 0, sizeof *out);
  for (size_t k = 0; k < ARRAY_SIZE (files); k++)
    {
      const struct moat_cgroup_write *x = NULL;
      for (size_t i = 0; i < w->n && x == NULL; i++)
        if (strcmp (w->w[i].file, files[k]) == 0)
          x = &w->w[i];
      if (x == NULL)
        continue;
      autofree char *file = xasprintf ("%s/%s", cg->path, files[k]);
      char *now = NULL;
      if (moat_read_file_at (AT_FDCWD, file, 1 << 16, &now, NULL, err) < 0)
        {
          moat_cgroup_writes_clear (out);
          return -1;
        }
      /* one line but io.weight's device lines */
      size_t n = strlen (now);
      while (n && now[n - 1] == '\n')
        now[--n] = '\0';
      if (strcmp (files[k], "io.weight") != 0)
        now[strcspn (now, "\n")] = '\0';
      moat_cgroup_writes_add (out, x->field, xstrdup (files[k]), now);
    }
  return 0;
}

/* Tell systemd the limits of r it knows, for as long as the unit runs,
   in the kernel's reading of what moat wrote.  */
static int
set_unit_limits (const struct moat_cgroup *cg, const struct moat_resources *r,
                 moat_error **err)
{
  struct moat_cgroup_writes w, now;
  if (moat_v2_resource_writes (r, false, &w, err) < 0)
    return -1;
  int ret = read_back (cg, &w, &now, err);
  moat_cgroup_writes_clear (&w);
  if (ret < 0)
    return -1;
  struct moat_sd_properties p = { 0 };
  ret = moat_systemd_properties (&now, cg->path, &p, err);
  moat_cgroup_writes_clear (&now);
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

/* What systemd would write over is refused before any file is.  */
static int
check_resources (const struct moat_cgroup *cg, const struct moat_resources *r,
                 moat_error **err)
{
  struct moat_cgroup_writes w;
  if (moat_v2_resource_writes (r, false, &w, err) < 0)
    return -1;
  int ret = refuse_rewritten (cg, &w, r, err);
  moat_cgroup_writes_clear (&w);
  return ret;
}

/* After attach: the files first (they say which limit the kernel
   refuses, and why), then the unit's properties.  */
static int
sd_apply (struct moat_cgroup *cg, const struct moat_spec *s, moat_error **err)
{
  if (check_resources (cg, &s->resources, err) < 0 || V2.apply (cg, s, err) < 0)
    return -1;
  return set_unit_limits (cg, &s->resources, err);
}

/* A refused property fails the update, whose journal puts the files
   back.  */
static int
sd_update (struct moat_cgroup *cg, const struct moat_resources *r, moat_error **err)
{
  if (check_resources (cg, r, err) < 0 || V2.update (cg, r, err) < 0)
    return -1;
  return set_unit_limits (cg, r, err);
}

/* Whether the unit of that name is still the one this container's
   create started (its InvocationID): 1 yes, 0 no (another, or none), -1
   no manager to ask.  */
static int
unit_is_ours (struct moat_sd_bus *b, const struct moat_cgroup *cg)
{
  autofree char *now = NULL;
  moat_error *ignored = NULL;
  int r = moat_sd_unit_invocation (b, unit_of (cg), &now, &ignored);
  moat_error_free (&ignored);
  if (r < 0)
    return -1;
  return now && strcmp (now, cg->invocation) == 0;
}

/* Kill what is left, remove the cgroups the container made below its
   scope, then have systemd stop the scope (it removes the directory).
   Only the unit this container's create started: a create that never
   started one (it failed, or was killed, before) has nothing to undo (a
   scope whose init died goes by itself), and a unit of the same name
   started since is someone else's.  Without a manager to ask (systemd
   gone), what the scope's directory holds is removed here, so that
   nothing stays.  */
static int
sd_destroy (struct moat_cgroup *cg, moat_error **err)
{
  if (cg->path == NULL || cg->invocation == NULL)
    return 0;
  struct moat_sd_bus *b = NULL;
  moat_error *no_bus = NULL;
  int ours = -1;
  if (moat_sd_connect (as_user (), &b, &no_bus) == 0)
    ours = unit_is_ours (b, cg);
  if (ours == 0)
    {
      moat_debug ("%s is no longer the unit this container's create started: left alone",
                  unit_of (cg));
      moat_sd_close (b);
      return 0;
    }
  if (ours < 0)
    moat_debug ("%s; removing %s without systemd",
                no_bus ? no_bus->msg : "systemd does not answer", cg->path);
  moat_error_free (&no_bus);
  int ret = 0;
  if (access (cg->path, F_OK) == 0)
    {
      /* with no created_from, the cgroupfs driver kills and waits only */
      ret = V2.destroy (cg, err);
      moat_cgroup_remove_descendants (cg->path);
    }
  if (ret == 0 && ours > 0)
    ret = moat_sd_stop_unit (b, unit_of (cg), err);
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
