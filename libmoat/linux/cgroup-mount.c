/* A `cgroup` mount of the config, in the init before pivot_root.

   With a cgroup namespace of its own (new or joined), the container gets
   new mounts of the hierarchies, whose root is that namespace's: its own
   cgroup and those below.  Without one, a new mount would show every
   cgroup of the host, other containers' included (and a user namespace
   may not make one): the container's own cgroup is bound instead.

   On a hybrid host the mount is what /sys/fs/cgroup is there: a tmpfs
   with a directory per v1 hierarchy (memory, pids, ...; a symlink per
   controller of a hierarchy that has several) and the unified hierarchy
   at unified/, so that a program reading its memory limit in
   memory/memory.limit_in_bytes finds it, as under runc.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../cgroup/cgroup.h"
#include "../cgroup/v1.h"
#include "../plan/plan.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int
bind_own (const char *mount, const char *controllers, int target,
          const struct moat_mount_plan *p, moat_error **err)
{
  autofree char *self = moat_cgroup_self (controllers, err);
  if (self == NULL)
    return moat_error_prefix (err, "the container's cgroup");
  autofree char *source = xasprintf ("%s%s", mount, strcmp (self, "/") == 0 ? "" : self);
  struct moat_mount_opts o = p->o;
  o.bind = true;
  o.rbind = false;
  o.data = NULL;
  return moat_bind_mount_fd (source, target, &o, err);
}

/* A new mount of a hierarchy (fstype "cgroup2", or "cgroup" with the v1
   hierarchy's controllers) on target, as this cgroup namespace shows it.  */
static int
mount_new (const char *fstype, const char *controllers, int target,
           const struct moat_mount_plan *p, moat_error **err)
{
  autoclose int fs = sys_fsopen (fstype, FSOPEN_CLOEXEC);
  if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_STRING, "source", "cgroup", 0) < 0)
    return moat_error_set (err, errno, "mount %s", fstype);
  autofree char *list = xstrdup (controllers);
  char *save = NULL;
  for (char *c = strtok_r (list, ",", &save); c; c = strtok_r (NULL, ",", &save))
    if ((strncmp (c, "name=", 5) == 0
         ? sys_fsconfig (fs, FSCONFIG_SET_STRING, "name", c + 5, 0)
         : sys_fsconfig (fs, FSCONFIG_SET_FLAG, c, NULL, 0)) < 0)
      return moat_error_set (err, errno, "mount %s: option `%s`", fstype, c);
  if (sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return moat_error_set (err, errno, "mount %s %s", fstype, controllers);
  unsigned long long clear;
  autoclose int tree = sys_fsmount (fs, FSMOUNT_CLOEXEC,
                                    moat_mount_attrs_from_flags (p->o.flags, &clear));
  if (tree < 0 || sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                                  | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "mount %s %s", fstype, controllers);
  return 0;
}

static int
mount_hierarchy (const char *fstype, const char *mount, const char *controllers, int target,
                 bool own_cgroupns, const struct moat_mount_plan *p, moat_error **err)
{
  return own_cgroupns ? mount_new (fstype, controllers, target, p, err)
    : bind_own (mount, controllers, target, p, err);
}

/* A directory of the tmpfs tree for one hierarchy, opened to mount on.  */
static int
make_dir (int tree, const char *name, moat_error **err)
{
  if (mkdirat (tree, name, 0755) < 0 && errno != EEXIST)
    return moat_error_set (err, errno, "cgroup tmpfs: mkdir `%s`", name);
  int fd = openat (tree, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "cgroup tmpfs: open `%s`", name);
  return fd;
}

/* cpu and cpuacct as links to cpu,cpuacct, as on the host.  */
static void
link_controllers (int tree, const char *name, const char *controllers)
{
  if (strcmp (name, controllers) != 0 || strchr (controllers, ',') == NULL)
    return;
  autofree char *list = xstrdup (controllers);
  char *save = NULL;
  for (char *c = strtok_r (list, ",", &save); c; c = strtok_r (NULL, ",", &save))
    if (strncmp (c, "name=", 5) != 0)
      symlinkat (name, tree, c);
}

static int
mount_hybrid_layout (int rootfd, const struct moat_mount_plan *p, bool own_cgroupns,
                     moat_error **err)
{
  struct moat_v1_hierarchies hs;
  if (moat_v1_hierarchies_find (&hs, err) < 0)
    return -1;
  int r = -1;
  autoclose int target = moat_make_in_root (rootfd, p->m->destination, false, err);
  autoclose int fs = target < 0 ? -1 : sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
  autoclose int tree = -1;
  if (target < 0)
    goto out;
  unsigned long long clear;
  if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0
      || sys_fsconfig (fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0
      || sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0
      || (tree = sys_fsmount (fs, FSMOUNT_CLOEXEC,
                              moat_mount_attrs_from_flags (p->o.flags & ~MS_RDONLY,
                                                           &clear))) < 0
      || sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                         | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      moat_error_set (err, errno, "cgroup tmpfs");
      goto out;
    }
  for (size_t i = 0; i < hs.n; i++)
    {
      const char *name = strrchr (hs.h[i].mount, '/') + 1;
      autoclose int dir = make_dir (tree, name, err);
      if (dir < 0 || mount_hierarchy ("cgroup", hs.h[i].mount, hs.h[i].controllers, dir,
                                      own_cgroupns, p, err) < 0)
        {
          moat_error_prefix (err, "cgroup v1 hierarchy `%s`", name);
          goto out;
        }
      link_controllers (tree, name, hs.h[i].controllers);
    }
  const char *unified = moat_cgroup_v2_mount ();
  if (unified)
    {
      autoclose int dir = make_dir (tree, "unified", err);
      if (dir < 0 || mount_hierarchy ("cgroup2", unified, "", dir, own_cgroupns, p, err) < 0)
        goto out;
    }
  struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
  if ((p->o.flags & MS_RDONLY) && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &ro) < 0)
    {
      moat_error_set (err, errno, "cgroup tmpfs: make it read-only");
      goto out;
    }
  r = 0;
out:
  moat_v1_hierarchies_clear (&hs);
  return r;
}

int
moat_mount_cgroup (int rootfd, const struct moat_mount_plan *p, bool own_cgroupns,
                   moat_error **err)
{
  if (moat_cgroup_host_is_hybrid ())
    return mount_hybrid_layout (rootfd, p, own_cgroupns, err);
  if (own_cgroupns)
    return moat_mount_one (rootfd, p, -1, err);
  const char *unified = moat_cgroup_v2_mount ();
  if (unified == NULL)
    return moat_error_set (err, 0, "no cgroup v2 hierarchy to bind");
  autoclose int target = moat_make_in_root (rootfd, p->m->destination, false, err);
  if (target < 0)
    return -1;
  return bind_own (unified, "", target, p, err);
}
