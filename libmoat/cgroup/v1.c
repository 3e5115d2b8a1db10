/* cgroup v1 hierarchies, as a hybrid host mounts them beside the unified
   one (/sys/fs/cgroup/memory, /sys/fs/cgroup/cpu, ...): found in
   mountinfo, and the same relative cgroup made, joined, limited and
   removed in each.  The hybrid driver (hybrid.c) uses them for the
   controllers that are not on the unified hierarchy.  */
#include <config.h>
#include "v1.h"
#include "cgroup.h"
#include "v1-resources.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
moat_v1_hierarchies_clear (struct moat_v1_hierarchies *h)
{
  for (size_t i = 0; i < h->n; i++)
    {
      free (h->h[i].mount);
      free (h->h[i].controllers);
    }
  free (h->h);
  memset (h, 0, sizeof *h);
}

/* The controllers among a cgroup mount's super options ("rw,cpu,cpuacct"
   is "cpu,cpuacct"; "rw,name=systemd" is "name=systemd").  */
static char *
controllers_of (const char *super_opts)
{
  static const char *const not_controllers[] = {
    "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods",
  };
  autofree char *copy = xstrdup (super_opts);
  char *out = xmalloc0 (strlen (super_opts) + 1), *save = NULL;
  for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      bool skip = strncmp (o, "release_agent=", 14) == 0;
      for (size_t i = 0; i < ARRAY_SIZE (not_controllers) && !skip; i++)
        skip = strcmp (o, not_controllers[i]) == 0;
      if (skip)
        continue;
      if (out[0])
        strcat (out, ",");
      strcat (out, o);
    }
  return out;
}

bool
moat_v1_has_controller (const struct moat_v1_hierarchy *h, const char *c)
{
  size_t n = strlen (c);
  for (const char *p = h->controllers; (p = strstr (p, c)) != NULL; p += n)
    if ((p == h->controllers || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
      return true;
  return false;
}

/* "/", or "/.." repeated.  */
static bool
hierarchy_root (const char *root)
{
  if (strcmp (root, "/") == 0)
    return true;
  for (; *root; root += 3)
    if (strncmp (root, "/..", 3) != 0)
      return false;
  return true;
}

int
moat_v1_hierarchies_find (struct moat_v1_hierarchies *out, moat_error **err)
{
  memset (out, 0, sizeof *out);
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 4u << 20, &text, NULL, err) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* id parent major:minor root mountpoint opts [tags] - fstype source super */
      char dev[32], root[4096], mount[4096];
      char *dash = strstr (line, " - ");
      if (dash == NULL || strncmp (dash, " - cgroup ", 10) != 0
          || sscanf (line, "%*d %*d %31s %4095s %4095s", dev, root, mount) != 3)
        continue;
      /* the root of its hierarchy only (a bind of a sub-cgroup is not the
         hierarchy; seen from a cgroup namespace below the root, the
         hierarchy's root is "/.." once per level), and not a path with
         mountinfo's \ escapes */
      if (!hierarchy_root (root) || strchr (mount, '\\'))
        continue;
      char *super = strrchr (dash, ' ');
      bool seen = false;
      for (size_t i = 0; i < out->n && !seen; i++)
        seen = strcmp (out->h[i].dev, dev) == 0;
      if (seen)
        continue;
      out->h = xrealloc (out->h, (out->n + 1) * sizeof *out->h);
      struct moat_v1_hierarchy *h = &out->h[out->n++];
      snprintf (h->dev, sizeof h->dev, "%s", dev);
      h->mount = xstrdup (mount);
      h->controllers = controllers_of (super + 1);
    }
  return 0;
}

const struct moat_v1_hierarchy *
moat_v1_hierarchy_of (const struct moat_v1_hierarchies *hs, const char *controller)
{
  for (size_t i = 0; i < hs->n; i++)
    if (moat_v1_has_controller (&hs->h[i], controller))
      return &hs->h[i];
  return NULL;
}

/* A new cpuset cgroup has no cpus and no memory nodes, and takes no
   process until it has: it gets its parent's.  */
static int
inherit_cpuset (const char *dir, moat_error **err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      autofree char *mine = xasprintf ("%s/%s", dir, files[i]);
      autofree char *parents = xasprintf ("%s/../%s", dir, files[i]);
      autofree char *now = NULL, *want = NULL;
      if (moat_read_file_at (AT_FDCWD, mine, 4096, &now, NULL, err) < 0)
        return -1;
      if (now[strspn (now, " \n")] != '\0')
        continue;
      if (moat_read_file_at (AT_FDCWD, parents, 4096, &want, NULL, err) < 0)
        return -1;
      want[strcspn (want, "\n")] = '\0';
      if (moat_write_file (mine, want, err) < 0)
        return -1;
    }
  return 0;
}

/* mkdir -p rel below one hierarchy.  */
static int
make_in (const struct moat_v1_hierarchy *h, const char *rel, moat_error **err)
{
  autofree char *copy = xstrdup (rel);
  autofree char *cur = xstrdup (h->mount);
  bool cpuset = moat_v1_has_controller (h, "cpuset");
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      char *next = xasprintf ("%s/%s", cur, c);
      free (cur);
      cur = next;
      if (mkdir (cur, 0755) < 0 && errno != EEXIST)
        return moat_error_set (err, errno, "create cgroup `%s`", cur);
      if (cpuset && inherit_cpuset (cur, err) < 0)
        return moat_error_prefix (err, "cgroup `%s`", cur);
    }
  return 0;
}

int
moat_v1_make (const struct moat_v1_hierarchies *hs, const char *rel, moat_error **err)
{
  for (size_t i = 0; i < hs->n; i++)
    if (make_in (&hs->h[i], rel, err) < 0)
      return -1;
  return 0;
}

int
moat_v1_attach (const struct moat_v1_hierarchies *hs, const char *rel, pid_t pid,
                moat_error **err)
{
  char num[16];
  snprintf (num, sizeof num, "%d", pid);
  for (size_t i = 0; i < hs->n; i++)
    {
      autofree char *procs = xasprintf ("%s/%s/cgroup.procs", hs->h[i].mount, rel);
      if (moat_write_file (procs, num, err) < 0)
        return -1;
    }
  return 0;
}

int
moat_v1_remove (const struct moat_v1_hierarchies *hs, const char *rel, const char *stop_rel,
                moat_error **err)
{
  int r = 0;
  for (size_t i = 0; i < hs->n; i++)
    {
      autofree char *cur = xasprintf ("%s/%s", hs->h[i].mount, rel);
      size_t stop = strlen (hs->h[i].mount) + 1 + strlen (stop_rel);
      moat_cgroup_remove_descendants (cur);
      for (bool leaf = true;; leaf = false)
        {
          if (rmdir (cur) < 0 && errno != ENOENT)
            {
              /* a parent another container still uses stays */
              if (leaf && r == 0)
                r = moat_error_set (err, errno, "remove cgroup `%s`", cur);
              break;
            }
          char *slash = strrchr (cur, '/');
          if (slash == NULL || (size_t) (slash - cur) < stop)
            break;
          *slash = '\0';
        }
    }
  return r;
}

static int
write_one (const struct moat_v1_hierarchies *hs, const char *rel,
           const struct moat_cgroup_write *x, moat_error **err)
{
  autofree char *controller = moat_cgroup_controller_of (x->file);
  const struct moat_v1_hierarchy *h = moat_v1_hierarchy_of (hs, controller);
  if (h == NULL)
    return x->field == NULL ? 0
      : moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                         "%s: the %s controller is neither in this host's cgroup v2 "
                         "hierarchy nor mounted as a v1 hierarchy", x->field, controller);
  autofree char *dir = xasprintf ("%s/%s", h->mount, rel);
  autoclose int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "%s: open cgroup `%s`", x->field ? x->field : x->file,
                           dir);
  return moat_cgroup_write_at (fd, dir, x, err);
}

int
moat_v1_apply (const struct moat_v1_hierarchies *hs, const char *rel,
               const struct moat_resources *r, moat_error **err)
{
  /* BFQ's weight files, where the blkio hierarchy has them */
  const struct moat_v1_hierarchy *blkio = moat_v1_hierarchy_of (hs, "blkio");
  autofree char *bfq_file = blkio ? xasprintf ("%s/%s/blkio.bfq.weight", blkio->mount, rel)
    : NULL;
  bool bfq = bfq_file && access (bfq_file, F_OK) == 0;
  struct moat_cgroup_writes w;
  if (moat_v1_resource_writes (r, bfq, &w, err) < 0)
    return -1;
  int ret = 0;
  bool memsw_done = false;
  for (size_t i = 0; ret == 0 && i < w.n; i++)
    {
      bool memsw = strcmp (w.w[i].file, "memory.memsw.limit_in_bytes") == 0;
      if (memsw && memsw_done)
        continue;
      ret = write_one (hs, rel, &w.w[i], err);
      /* the kernel keeps memory <= memory+swap at every step: raising
         both (an update) takes memsw first */
      if (ret < 0 && (*err)->errnum == EINVAL
          && strcmp (w.w[i].file, "memory.limit_in_bytes") == 0)
        for (size_t j = i + 1; j < w.n; j++)
          if (strcmp (w.w[j].file, "memory.memsw.limit_in_bytes") == 0)
            {
              moat_error_free (err);
              ret = write_one (hs, rel, &w.w[j], err);
              if (ret == 0)
                ret = write_one (hs, rel, &w.w[i], err);
              memsw_done = true;
              break;
            }
    }
  moat_cgroup_writes_clear (&w);
  return ret;
}
