/* The container's root: mounts, default devices, masked and read-only
   paths, pivot_root.  Runs in the container's new mount namespace.

   Every path inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT)
   against a directory fd of the rootfs and every mount targets the
   resulting fd, so a symlink planted in the image (`/etc -> /`, a mount
   target pointing at a host path) can never redirect a mount or a created
   file to the host.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif

struct mount_opts
{
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long clear;       /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] */
  bool bind, rbind;
  /* recursive variants (rro, rnosuid, ...): MS_* set / cleared on every
     mount of a recursive bind */
  unsigned long rflags, rclear;
  bool idmap;                /* idmap / ridmap */
  const char *contradiction[2];  /* the first pair that cancels out, e.g. ro and rw */
  char *data;                /* comma-separated filesystem options */
  char *unknown;             /* the first option that is neither a flag nor data-like */
};

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

static const struct { const char *name; unsigned long flag; } propagation_opts[] = {
  { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Recursive flags: the same names with an "r" in front (mount_setattr
   with AT_RECURSIVE); "ratime" clears noatime, as "atime" does.  */
static void note_contradiction (char **options, size_t i, unsigned long flag, bool clear,
                                struct mount_opts *o);

static bool
recursive_flag (char **options, size_t i, struct mount_opts *o)
{
  const char *opt = options[i];
  if (opt[0] != 'r' || strcmp (opt, "rw") == 0 || strcmp (opt, "relatime") == 0
      || strcmp (opt, "remount") == 0)
    return false;
  for (size_t k = 0; k < ARRAY_SIZE (flag_opts); k++)
    if (strcmp (opt + 1, flag_opts[k].name) == 0)
      {
        unsigned long f = flag_opts[k].flag;
        if (f & (MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_LAZYTIME
                 | MS_SILENT))
          return false;  /* per-superblock, no recursive form */
        note_contradiction (options, i, f, flag_opts[k].clear, o);
        if (flag_opts[k].clear)
          o->rflags &= ~f, o->rclear |= f;
        else
          o->rflags |= f, o->rclear &= ~f;
        return true;
      }
  return false;
}

static unsigned long
propagation_flag (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (propagation_opts); i++)
    if (strcmp (name, propagation_opts[i].name) == 0)
      return propagation_opts[i].flag;
  return 0;
}

static void
append_data (char **data, const char *opt)
{
  char *n = *data ? xasprintf ("%s,%s", *data, opt) : xstrdup (opt);
  free (*data);
  *data = n;
}

static int
flag_index (const char *opt)
{
  for (size_t k = 0; k < ARRAY_SIZE (flag_opts); k++)
    if (strcmp (opt, flag_opts[k].name) == 0)
      return k;
  return -1;
}

/* ro after rw (nosuid after suid, rro after rrw, ...) in the same list:
   say so instead of silently letting the last one win.  */
static void
note_contradiction (char **options, size_t i, unsigned long flag, bool clear,
                    struct mount_opts *o)
{
  if (o->contradiction[0])
    return;
  bool recursive = options[i][0] == 'r' && flag_index (options[i]) < 0;
  for (size_t j = 0; j < i; j++)
    {
      /* compare like with like: rro with rrw, ro with rw */
      bool rj = options[j][0] == 'r' && flag_index (options[j]) < 0;
      if (rj != recursive)
        continue;
      int k = flag_index (options[j] + (rj ? 1 : 0));
      if (k >= 0 && flag_opts[k].flag == flag && flag_opts[k].clear != clear)
        {
          o->contradiction[0] = options[j];
          o->contradiction[1] = options[i];
          return;
        }
    }
}

static void
parse_mount_options (char **options, struct mount_opts *o)
{
  memset (o, 0, sizeof *o);
  for (size_t i = 0; options && options[i]; i++)
    {
      const char *opt = options[i];
      bool known = false;
      for (size_t k = 0; k < ARRAY_SIZE (flag_opts) && !known; k++)
        if (strcmp (opt, flag_opts[k].name) == 0)
          {
            known = true;
            note_contradiction (options, i, flag_opts[k].flag, flag_opts[k].clear, o);
            if (flag_opts[k].clear)
              o->flags &= ~flag_opts[k].flag, o->clear |= flag_opts[k].flag;
            else
              o->flags |= flag_opts[k].flag, o->clear &= ~flag_opts[k].flag;
          }
      if (known)
        continue;
      unsigned long p = propagation_flag (opt);
      if (p)
        o->propagation = p;
      else if (strcmp (opt, "bind") == 0)
        o->bind = true;
      else if (strcmp (opt, "rbind") == 0)
        o->bind = o->rbind = true;
      else if (strcmp (opt, "idmap") == 0 || strcmp (opt, "ridmap") == 0)
        o->idmap = true;
      else if (strcmp (opt, "defaults") == 0)
        ;
      else if (recursive_flag (options, i, o))
        ;
      else
        {
          append_data (&o->data, opt);
          if (o->unknown == NULL && strchr (opt, '=') == NULL)
            o->unknown = (char *) options[i];
        }
    }
}

/* ---- mounting ---- */

static unsigned long long
attrs_from_flags (unsigned long flags, unsigned long long *clear)
{
  unsigned long long a = 0;
  *clear = 0;
  if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      *clear |= MOUNT_ATTR__ATIME;
      a |= (flags & MS_NOATIME) ? MOUNT_ATTR_NOATIME
        : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
    }
  return a;
}

static unsigned long long
attrs_cleared (unsigned long clear)
{
  unsigned long long a = 0;
  if (clear & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (clear & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (clear & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (clear & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (clear & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (clear & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  return a;
}

static int
set_propagation_fd (int fd, unsigned long prop)
{
  if (prop == 0)
    return 0;
  struct mount_attr attr = { .propagation = prop & ~MS_REC };
  return sys_mount_setattr (fd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0),
                            &attr);
}

/* The flags of a detached bind (tree): the plain ones on its top mount,
   the recursive ones (rro, ...) on every mount in it.  */
static int
set_bind_flags (int tree, const struct mount_opts *o, moat_error **err)
{
  unsigned long long atime_clear;
  struct mount_attr attr = { 0 };
  attr.attr_set = attrs_from_flags (o->flags, &atime_clear);
  attr.attr_clr = attrs_cleared (o->clear) | atime_clear;
  if ((attr.attr_set || attr.attr_clr)
      && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &attr) < 0)
    return moat_error_set (err, errno, "set flags");
  if (o->rflags || o->rclear)
    {
      struct mount_attr rattr = { 0 };
      rattr.attr_set = attrs_from_flags (o->rflags, &atime_clear);
      rattr.attr_clr = attrs_cleared (o->rclear) | atime_clear;
      if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &rattr) < 0)
        return moat_error_set (err, errno, "set recursive flags");
    }
  return 0;
}

/* Bind `source` (a host path) onto the fd `target`: open_tree gives a
   detached copy, its flags are set before anyone can see it, and
   move_mount attaches it to exactly the resolved target.  */
static int
bind_mount_fd (const char *source, int target, const struct mount_opts *o,
               moat_error **err)
{
  autoclose int tree = sys_open_tree (AT_FDCWD, source,
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                      | (o->rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return moat_error_set (err, errno, "bind `%s`", source);
  if (set_bind_flags (tree, o, err) < 0)
    return moat_error_prefix (err, "bind of `%s`", source);
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "attach bind of `%s`", source);
  if (o->propagation && set_propagation_fd (tree, o->propagation) < 0)
    return moat_error_set (err, errno, "set propagation on bind of `%s`", source);
  return 0;
}

static bool
is_bind (const struct moat_mount *m, const struct mount_opts *o)
{
  return o->bind || (m->type && strcmp (m->type, "bind") == 0);
}

static char *
resolve_source (const char *source, const char *bundle)
{
  if (source[0] == '/')
    return xstrdup (source);
  return xasprintf ("%s/%s", bundle, source);
}

/* A filesystem mount (proc, sysfs, tmpfs, ...) on the resolved target.
   The target is named through /proc/self/fd so that mount(2) acts on the
   fd's object, not on a path that could be swapped.  */
static int
fs_mount_fd (int rootfd, const struct moat_mount *m, const char *type, int target,
             const struct mount_opts *o, moat_error **err)
{
  char fdbuf[FD_PATH_MAX];
  unsigned long flags = o->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (mount (m->source ? m->source : type, moat_fd_path (target, fdbuf), type, flags,
             o->data) < 0)
    return moat_error_set (err, errno, "mount %s", type);
  if (o->propagation)
    {
      /* the fd names the directory under the new mount; resolving the
         destination again lands on the mount itself */
      autoclose int top = moat_open_in_root (rootfd, m->destination, O_PATH);
      if (top < 0 || set_propagation_fd (top, o->propagation) < 0)
        return moat_error_set (err, errno, "set propagation");
    }
  return 0;
}

/* linux.mountLabel: the SELinux context of new filesystems that take one
   (not proc, sysfs or cgroup), only when SELinux is enabled.  */
static void
add_mount_label (const char *label, const char *type, struct mount_opts *o)
{
  if (label == NULL || label[0] == '\0' || strcmp (type, "proc") == 0
      || strcmp (type, "sysfs") == 0 || strncmp (type, "cgroup", 6) == 0)
    return;
  /* SELinux is enabled when selinuxfs is mounted: checked here rather
     than through libselinux, whose initialisation costs every start */
  struct statfs sfs;
  if (statfs ("/sys/fs/selinux", &sfs) < 0 || sfs.f_type != SELINUX_MAGIC)
    return;
  autofree char *opt = xasprintf ("context=\"%s\"", label);
  append_data (&o->data, opt);
}

static const char *
effective_type (const struct moat_mount *m)
{
  if (m->type == NULL || strcmp (m->type, "none") == 0)
    return NULL;
  /* A cgroup mount shows the unified (v2) hierarchy: moat manages
     cgroups through it.  */
  if (strcmp (m->type, "cgroup") == 0)
    return "cgroup2";
  return m->type;
}

/* An idmapped mount the parent prepared: set the flags, attach it.  */
static int
attach_prepared (int rootfd, int tree, const struct moat_mount *m,
                 const struct mount_opts *o, moat_error **err)
{
  struct stat st;
  if (fstat (tree, &st) < 0)
    return moat_error_set (err, errno, "stat prepared mount");
  autoclose int target = moat_make_in_root (rootfd, m->destination, !S_ISDIR (st.st_mode),
                                            err);
  if (target < 0)
    return -1;
  if (set_bind_flags (tree, o, err) < 0)
    return -1;
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "attach idmapped mount");
  if (o->propagation && set_propagation_fd (tree, o->propagation) < 0)
    return moat_error_set (err, errno, "set propagation");
  return 0;
}

static int
do_mount (int rootfd, const struct moat_mount *m, const struct moat_rootfs_opts *ro,
          int prepared, moat_error **err)
{
  struct mount_opts o;
  parse_mount_options (m->options, &o);
  autofree char *data = o.data;
  int r;
  if (o.contradiction[0])
    return moat_error_set (err, 0, "contradictory options `%s` and `%s`",
                           o.contradiction[0], o.contradiction[1]);
  if (prepared >= 0)
    return attach_prepared (rootfd, prepared, m, &o, err);
  if (o.idmap)
    return moat_error_set (err, 0, "idmapped mount was not prepared");
  if (is_bind (m, &o))
    {
      /* a bind mount takes no filesystem data: anything else is a typo */
      if (o.data)
        return moat_error_set (err, 0, "unknown option `%s` for a bind mount",
                               o.unknown ? o.unknown : o.data);
      if (m->source == NULL)
        return moat_error_set (err, 0, "bind mount needs a source");
      autofree char *src = resolve_source (m->source, ro->bundle);
      struct stat st;
      if (stat (src, &st) < 0)
        return moat_error_set (err, errno, "source `%s`", src);
      autoclose int target = moat_make_in_root (rootfd, m->destination,
                                                !S_ISDIR (st.st_mode),
                                           err);
      if (target < 0)
        return -1;
      o.bind = true;
      return bind_mount_fd (src, target, &o, err);
    }
  const char *type = effective_type (m);
  if (type == NULL)
    return moat_error_set (err, 0, "no type given and not a bind mount");
  autoclose int target = moat_make_in_root (rootfd, m->destination, false, err);
  if (target < 0)
    return -1;
  /* a new filesystem has no submounts: a recursive flag is the flag */
  o.flags = (o.flags | o.rflags) & ~o.rclear;
  add_mount_label (ro->mount_label, type, &o);
  data = o.data;
  r = fs_mount_fd (rootfd, m, type, target, &o, err);
  if (r < 0 && (*err)->errnum == EPERM
      && (strcmp (type, "sysfs") == 0 || strcmp (type, "mqueue") == 0))
    {
      /* In a user namespace that does not own the network (sysfs) or ipc
         (mqueue) namespace the kernel refuses a new instance: bind the
         host's instead, read-only as asked.  */
      moat_error_free (err);
      o.rbind = true;
      return bind_mount_fd (strcmp (type, "sysfs") == 0 ? "/sys" : "/dev/mqueue",
                            target, &o, err);
    }
  return r;
}

/* ---- masked and read-only paths ---- */

static int
mask_path (int rootfd, const char *path, moat_error **err)
{
  autoclose int target = moat_open_in_root (rootfd, path, O_PATH);
  if (target < 0)
    {
      if (errno == ENOENT)
        return 0;
      return moat_error_set (err, errno, "linux.maskedPaths: open `%s`", path);
    }
  struct stat st;
  if (fstat (target, &st) < 0)
    return moat_error_set (err, errno, "linux.maskedPaths: stat `%s`", path);
  autoclose int tree = -1;
  if (S_ISDIR (st.st_mode))
    {
      /* an empty read-only tmpfs */
      autoclose int fs = sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
      if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0
          || sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return moat_error_set (err, errno, "linux.maskedPaths: tmpfs for `%s`", path);
      tree = sys_fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                          | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    }
  else
    tree = sys_open_tree (AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return moat_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, moat_error **err)
{
  autoclose int target = moat_open_in_root (rootfd, path, O_PATH);
  if (target < 0)
    {
      if (errno == ENOENT)
        return 0;
      return moat_error_set (err, errno, "linux.readonlyPaths: open `%s`", path);
    }
  autoclose int tree = sys_open_tree (target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                      | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0)
    return moat_error_set (err, errno, "linux.readonlyPaths: bind `%s`", path);
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
  };
  if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
    return moat_error_set (err, errno, "linux.readonlyPaths: make `%s` read-only", path);
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "linux.readonlyPaths: attach `%s`", path);
  return 0;
}

/* ---- sysctl ---- */

/* Written through the container's own /proc (resolved inside the root),
   before /proc/sys is made read-only.  */
static int
apply_sysctl (int rootfd, const struct moat_spec *s, moat_error **err)
{
  for (size_t i = 0; i < s->n_sysctl; i++)
    {
      const char *key = s->sysctl[i].key;
      if (key[0] == '\0' || key[0] == '.' || key[0] == '/' || strstr (key, "..")
          || strstr (key, "/."))
        return moat_error_set (err, 0, "linux.sysctl: invalid key `%s`", key);
      autofree char *path = xasprintf ("/proc/sys/%s", key);
      for (char *p = path + 10; *p; p++)
        if (*p == '.')
          *p = '/';
      autoclose int fd = moat_open_in_root (rootfd, path, O_WRONLY);
      if (fd < 0)
        return moat_error_set (err, errno, "linux.sysctl: %s: open `%s` in the container",
                               key, path);
      const char *v = s->sysctl[i].value;
      if (moat_write_all (fd, v, strlen (v)) < 0)
        return moat_error_set (err, errno, "linux.sysctl: %s: write `%s`", key, v);
    }
  return 0;
}

/* ---- root ---- */

static int
enter_root (const char *rootfs, bool no_pivot, moat_error **err)
{
  if (chdir (rootfs) < 0)
    return moat_error_set (err, errno, "chdir to rootfs `%s`", rootfs);
  if (no_pivot)
    {
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return moat_error_set (err, errno, "move rootfs to /");
      if (chroot (".") < 0)
        return moat_error_set (err, errno, "chroot into rootfs");
    }
  else
    {
      /* pivot_root(".", ".") stacks the old root on top of the new one;
         detaching it leaves only the container's root.  */
      if (sys_pivot_root (".", ".") < 0)
        return moat_error_set (err, errno, "pivot_root into `%s`", rootfs);
      if (umount2 (".", MNT_DETACH) < 0)
        return moat_error_set (err, errno, "detach the old root");
    }
  if (chdir ("/") < 0)
    return moat_error_set (err, errno, "chdir to /");
  return 0;
}

static int
make_root_readonly (moat_error **err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  if (sys_mount_setattr (AT_FDCWD, "/", 0, &attr) < 0)
    return moat_error_set (err, errno, "root.readonly: remount / read-only");
  return 0;
}

int
moat_rootfs_setup (const struct moat_spec *s, const struct moat_rootfs_opts *o,
                   moat_error **err)
{
  /* Nothing done in here may propagate back to the host.  */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return moat_error_set (err, errno, "make mounts slave of the host");
  if (mount (o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return moat_error_set (err, errno, "bind rootfs `%s`", o->rootfs);
  if (mount (NULL, o->rootfs, NULL, MS_PRIVATE, NULL) < 0)
    return moat_error_set (err, errno, "make rootfs private");
  autoclose int rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return moat_error_set (err, errno, "open rootfs `%s`", o->rootfs);

  for (size_t i = 0; i < s->n_mounts; i++)
    if (do_mount (rootfd, &s->mounts[i], o, o->idmap_fds ? o->idmap_fds[i] : -1, err) < 0)
      return moat_error_prefix (err, "mounts[%zu] (%s on `%s`)", i,
                                s->mounts[i].type ? s->mounts[i].type : "bind",
                                s->mounts[i].destination);
  if (moat_make_default_devices (rootfd, o->in_userns, err) < 0)
    return moat_error_prefix (err, "default devices");
  for (size_t i = 0; i < s->n_devices; i++)
    if (moat_make_config_device (rootfd, &s->devices[i], o->in_userns, err) < 0)
      return moat_error_prefix (err, "linux.devices[%zu] (`%s`)", i, s->devices[i].path);
  if (o->terminal && moat_terminal_create (rootfd, s, true, o->terminal, err) < 0)
    return -1;
  if (apply_sysctl (rootfd, s, err) < 0)
    return -1;
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
    if (mask_path (rootfd, s->masked_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
    if (readonly_path (rootfd, s->readonly_paths[i], err) < 0)
      return -1;
  /* the working directory may not exist yet: make it now, while the root
     can still be written (it becomes read-only below) */
  if (s->cwd)
    {
      autoclose int cwd = moat_make_in_root (rootfd, s->cwd, false, err);
      if (cwd < 0)
        return moat_error_prefix (err, "process.cwd");
    }
  if (o->before_pivot && o->before_pivot (o->data, err) < 0)
    return -1;
  if (enter_root (o->rootfs, o->no_pivot, err) < 0)
    return -1;
  if (s->root_readonly && make_root_readonly (err) < 0)
    return -1;
  if (s->rootfs_propagation)
    {
      unsigned long p = propagation_flag (s->rootfs_propagation);
      if (mount (NULL, "/", NULL, p, NULL) < 0)
        return moat_error_set (err, errno, "linux.rootfsPropagation: set `%s`",
                               s->rootfs_propagation);
    }
  return 0;
}

/* ---- idmapped mounts (prepared by the parent) ---- */

/* A user namespace that holds the given mappings, as an fd: a helper is
   born in it, the maps are written, the fd is opened, the helper ends.  */
static int
userns_with_maps (const struct moat_idmap *u, size_t nu, const struct moat_idmap *g,
                  size_t ng, moat_error **err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "pipe");
  struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0)
    {
      int e = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return moat_error_set (err, e, "create a user namespace for the mapping");
    }
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      (void) !read (pipefd[0], &c, 1);  /* until the parent is done */
      _exit (0);
    }
  close (pipefd[0]);
  int fd = -1;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/user", pid);
  if (moat_write_id_map (pid, "uid_map", u, nu, err) == 0
      && moat_write_id_map (pid, "gid_map", g, ng, err) == 0)
    {
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        moat_error_set (err, errno, "open `%s`", path);
    }
  close (pipefd[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

static int
prepare_idmapped (const struct moat_spec *s, const struct moat_mount *m,
                  const char *bundle, moat_error **err)
{
  struct mount_opts o;
  parse_mount_options (m->options, &o);
  free (o.data);
  bool recursive_map = false;
  for (size_t i = 0; m->options && m->options[i]; i++)
    recursive_map |= strcmp (m->options[i], "ridmap") == 0;
  if (!is_bind (m, &o))
    return moat_error_set (err, 0, "idmap is only supported on bind mounts");
  const struct moat_idmap *u = m->uid_mappings, *g = m->gid_mappings;
  size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
  if (nu == 0)
    {
      /* without mappings of its own the mount takes the container's */
      u = s->uid_mappings, nu = s->n_uid_mappings;
      g = s->gid_mappings, ng = s->n_gid_mappings;
    }
  if (nu == 0 || ng == 0)
    return moat_error_set (err, 0,
                           "idmap needs uidMappings and gidMappings (on the mount "
                           "or on the container)");
  autofree char *src = resolve_source (m->source ? m->source : "", bundle);
  autoclose int userns = userns_with_maps (u, nu, g, ng, err);
  if (userns < 0)
    return -1;
  int tree = sys_open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                            | (o.rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return moat_error_set (err, errno, "bind `%s`", src);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
  if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | (recursive_map ? AT_RECURSIVE : 0),
                         &attr) < 0)
    {
      int e = errno;
      close (tree);
      return moat_error_set (err, e, "idmap `%s` (does its filesystem support idmapped "
                             "mounts?)", src);
    }
  return tree;
}

int
moat_idmapped_mounts_prepare (const struct moat_spec *s, const char *bundle, int **fds,
                              moat_error **err)
{
  *fds = NULL;
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      struct mount_opts o;
      parse_mount_options (s->mounts[i].options, &o);
      free (o.data);
      if (!o.idmap && s->mounts[i].n_uid_mappings == 0)
        continue;
      if (*fds == NULL)
        {
          *fds = xmalloc0 (s->n_mounts * sizeof (int));
          for (size_t k = 0; k < s->n_mounts; k++)
            (*fds)[k] = -1;
        }
      (*fds)[i] = prepare_idmapped (s, &s->mounts[i], bundle, err);
      if ((*fds)[i] < 0)
        {
          moat_error_prefix (err, "mounts[%zu] (on `%s`)", i, s->mounts[i].destination);
          for (size_t k = 0; k < i; k++)
            if ((*fds)[k] >= 0)
              close ((*fds)[k]);
          free (*fds);
          *fds = NULL;
          return -1;
        }
    }
  return 0;
}
