/* The mounts of the plan: each mount's options parsed once into flags,
   recursive flags, propagation and filesystem data, and every mount
   checked before anything is mounted.  */
#include <config.h>
#include "plan.h"
#include "../linux/linux.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif

static const struct { const char *name; bool clear; unsigned long flag; } flag_opts[] = {
  { "ro", false, MS_RDONLY }, { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID }, { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV }, { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC }, { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC }, { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK }, { "nomand", true, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME }, { "atime", true, MS_NOATIME },
  { "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
  { "lazytime", false, MS_LAZYTIME }, { "nolazytime", true, MS_LAZYTIME },
  { "silent", false, MS_SILENT }, { "loud", true, MS_SILENT },
  { "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
};

/* Flags that belong to a superblock: no recursive form.  */
#define SUPERBLOCK_FLAGS (MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK \
                          | MS_LAZYTIME | MS_SILENT)

static const struct { const char *name; unsigned long flag; } propagation_opts[] = {
  { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

unsigned long
moat_propagation_flag (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (propagation_opts); i++)
    if (strcmp (name, propagation_opts[i].name) == 0)
      return propagation_opts[i].flag;
  return 0;
}

static int
flag_index (const char *opt)
{
  for (size_t k = 0; k < ARRAY_SIZE (flag_opts); k++)
    if (strcmp (opt, flag_opts[k].name) == 0)
      return k;
  return -1;
}

/* A recognised flag option: plain (index into flag_opts) or recursive
   ("rro": the same with an r in front).  */
struct flag_opt
{
  int index;
  bool recursive;
};

static bool
lookup_flag (const char *opt, struct flag_opt *f)
{
  f->index = flag_index (opt);
  f->recursive = false;
  if (f->index >= 0)
    return true;
  if (opt[0] != 'r')
    return false;
  f->index = flag_index (opt + 1);
  if (f->index < 0 || (flag_opts[f->index].flag & SUPERBLOCK_FLAGS))
    return false;
  f->recursive = true;
  return true;
}

/* The name of the lowest flag of bits set in `flags` (the set form).  */
static const char *
flag_name (unsigned long flags)
{
  for (size_t k = 0; k < ARRAY_SIZE (flag_opts); k++)
    if ((flags & flag_opts[k].flag) && !flag_opts[k].clear)
      return flag_opts[k].name;
  return "?";
}

static const char *
superblock_flag_name (unsigned long flags)
{
  return flag_name (flags & SUPERBLOCK_FLAGS);
}

static void
append_data (char **data, const char *opt)
{
  char *n = *data ? xasprintf ("%s,%s", *data, opt) : xstrdup (opt);
  free (*data);
  *data = n;
}

/* ro after rw (nosuid after suid, rro after rrw, ...) in the same list:
   refused instead of silently letting the last one win.  In one pass:
   for each flag, plain and recursive, the first option that set it and
   the first that cleared it (1 + its index; 0: none yet).  A list of any
   length (config.json may hold millions) costs linear time.  */
struct seen_flags
{
  size_t first[2][64][2];  /* [recursive][bit of the MS_* flag][clear] */
};

static int
check_contradiction (char *const *options, size_t i, const struct flag_opt *f,
                     struct seen_flags *seen, moat_error **err)
{
  int bit = __builtin_ctzl (flag_opts[f->index].flag);
  bool clear = flag_opts[f->index].clear;
  size_t other = seen->first[f->recursive][bit][!clear];
  if (other)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "contradictory options `%s` and `%s`", options[other - 1],
                            options[i]);
  if (!seen->first[f->recursive][bit][clear])
    seen->first[f->recursive][bit][clear] = i + 1;
  return 0;
}

/* Append opt to the comma-separated *data of *len bytes in *cap bytes of
   room, growing it geometrically (linear time for the whole list).  */
static void
append_data_fast (char **data, size_t *len, size_t *cap, const char *opt)
{
  size_t n = strlen (opt), need = *len + (*len ? 1 : 0) + n + 1;
  if (need > *cap)
    {
      *cap = need > 2 * *cap ? need : 2 * *cap;
      *data = xrealloc (*data, *cap);
    }
  if (*len)
    (*data)[(*len)++] = ',';
  memcpy (*data + *len, opt, n + 1);
  *len += n;
}

int
moat_mount_opts_parse (char *const *options, struct moat_mount_opts *o, moat_error **err)
{
  memset (o, 0, sizeof *o);
  struct seen_flags seen;
  memset (&seen, 0, sizeof seen);
  size_t data_len = 0, data_cap = 0;
  for (size_t i = 0; options && options[i]; i++)
    {
      const char *opt = options[i];
      struct flag_opt f;
      if (lookup_flag (opt, &f))
        {
          if (check_contradiction (options, i, &f, &seen, err) < 0)
            {
              moat_mount_opts_clear (o);
              return -1;
            }
          unsigned long flag = flag_opts[f.index].flag;
          unsigned long *set = f.recursive ? &o->rflags : &o->flags;
          unsigned long *clr = f.recursive ? &o->rclear : &o->clear;
          if (flag_opts[f.index].clear)
            *set &= ~flag, *clr |= flag;
          else
            *set |= flag, *clr &= ~flag;
          continue;
        }
      unsigned long p = moat_propagation_flag (opt);
      if (p)
        o->propagation = p;
      else if (strcmp (opt, "bind") == 0)
        o->bind = true;
      else if (strcmp (opt, "rbind") == 0)
        o->bind = o->rbind = true;
      else if (strcmp (opt, "idmap") == 0)
        o->idmap = true;
      else if (strcmp (opt, "ridmap") == 0)
        o->idmap = o->ridmap = true;
      else if (strcmp (opt, "tmpcopyup") == 0)
        o->tmpcopyup = true;
      else if (strcmp (opt, "defaults") == 0)
        ;
      else
        {
          append_data_fast (&o->data, &data_len, &data_cap, opt);
          if (o->unknown == NULL && strchr (opt, '=') == NULL)
            o->unknown = opt;
        }
    }
  return 0;
}

void
moat_mount_opts_clear (struct moat_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

static bool
is_bind (const struct moat_mount *m, const struct moat_mount_opts *o)
{
  return o->bind || (m->type && strcmp (m->type, "bind") == 0);
}

/* The filesystem a mount creates.  A cgroup mount shows the unified (v2)
   hierarchy: moat manages cgroups through it.  */
static const char *
filesystem_type (const struct moat_mount *m)
{
  if (m->type == NULL || strcmp (m->type, "none") == 0)
    return NULL;
  if (strcmp (m->type, "cgroup") == 0)
    return "cgroup2";
  return m->type;
}

/* linux.mountLabel: the SELinux context of new filesystems that take one
   (not proc, sysfs, cgroup, nor mqueue, which the kernel refuses it
   for: the policy labels those), only when SELinux is enabled.  */
static void
add_mount_label (const char *label, struct moat_mount_plan *p)
{
  const char *type = p->fstype;
  if (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0
      || strcmp (type, "mqueue") == 0 || strncmp (type, "cgroup", 6) == 0)
    return;
  autofree char *opt = xasprintf ("context=\"%s\"", label);
  append_data (&p->o.data, opt);
}

static int
plan_one (const struct moat_spec *s, const struct moat_mount *m, const char *bundle,
          bool label, struct moat_mount_plan *p, moat_error **err)
{
  if (moat_mount_opts_parse (m->options, &p->o, err) < 0)
    return -1;
  p->bind = is_bind (m, &p->o);
  if (p->bind)
    {
      /* a bind mount takes no filesystem data: a word that is no option
         is a typo (of a flag that may matter); key=value data, which
         some tools add to binds, has no effect (a warning, as runc) */
      if (p->o.unknown)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "unknown option `%s` for a bind mount", p->o.unknown);
      if (p->o.data)
        {
          moat_warn ("mount on `%s`: filesystem options `%s` have no effect on a bind "
                     "mount: ignored", m->destination, p->o.data);
          FREE_AND_NULL (p->o.data);
        }
      if (p->o.tmpcopyup)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "tmpcopyup is for a tmpfs, not a bind mount");
      if (m->source == NULL || m->source[0] == '\0')
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "a bind mount needs a source");
      p->source = m->source[0] == '/' ? xstrdup (m->source)
        : xasprintf ("%s/%s", bundle, m->source);
      struct stat st;
      if (stat (p->source, &st) < 0)
        return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_INVALID_CONFIG
                                : MOAT_ERR_FAILED, errno, "source `%s`", p->source);
      /* a bind shares the filesystem: these belong to it and would be
         accepted and never applied */
      unsigned long sb = (p->o.flags | p->o.clear) & SUPERBLOCK_FLAGS;
      if (sb)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "option `%s` belongs to the filesystem and has no effect "
                                "on a bind mount", superblock_flag_name (sb));
      p->o.bind = true;
    }
  else
    {
      p->fstype = filesystem_type (m);
      if (p->fstype == NULL)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "no type given and not a bind mount");
      /* a new filesystem is a single mount: a recursive flag is the flag,
         and one that says the opposite of a plain one is a contradiction */
      unsigned long clash = (p->o.flags & p->o.rclear) | (p->o.clear & p->o.rflags);
      if (clash)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "contradictory options: `%s` and its recursive opposite on "
                                "a new filesystem, which has a single mount",
                                flag_name (clash));
      if (p->o.tmpcopyup && strcmp (p->fstype, "tmpfs") != 0)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "tmpcopyup is for a tmpfs, not %s", p->fstype);
      p->o.flags = (p->o.flags | p->o.rflags) & ~p->o.rclear;
      p->o.clear |= p->o.rclear;
      p->o.rflags = p->o.rclear = 0;
      if (label)
        add_mount_label (s->mount_label, p);
    }
  if (p->o.idmap || m->n_uid_mappings)
    {
      if (!p->bind)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "idmap is only supported on bind mounts");
      if (m->n_uid_mappings == 0 && (s->n_uid_mappings == 0 || s->n_gid_mappings == 0))
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "idmap needs uidMappings and gidMappings (on the mount "
                                "or on the container)");
      p->o.idmap = true;
    }
  return 0;
}

int
moat_mount_plans_build (const struct moat_spec *s, const char *bundle,
                        struct moat_mount_plan **out, moat_error **err)
{
  struct moat_mount_plan *p = xmalloc0 ((s->n_mounts + 1) * sizeof *p);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      p[i].m = &s->mounts[i];
      p[i].idmap_fd = -1;
    }
  bool label = s->mount_label && s->mount_label[0] && s->n_mounts && moat_selinux_enabled ();
  for (size_t i = 0; i < s->n_mounts; i++)
    if (plan_one (s, &s->mounts[i], bundle, label, &p[i], err) < 0)
      {
        moat_error_prefix (err, "mounts[%zu] (%s on `%s`)", i,
                           s->mounts[i].type ? s->mounts[i].type : "no type",
                           s->mounts[i].destination);
        moat_mount_plans_free (p, s->n_mounts);
        return -1;
      }
  *out = p;
  return 0;
}

void
moat_mount_plans_free (struct moat_mount_plan *p, size_t n)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      moat_mount_opts_clear (&p[i].o);
      free (p[i].source);
      if (p[i].idmap_fd >= 0)
        close (p[i].idmap_fd);
    }
  free (p);
}
