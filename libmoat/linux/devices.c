/* Device nodes in the container: the default ones and linux.devices,
   made with mknod, or in a user namespace (where mknod is not allowed)
   bound from the host.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Bind the host's node `host` on a new empty file dirfd/name: where mknod
   is not allowed (a user namespace) the device is the host's own.  */
static int
bind_host_node (const char *host, int dirfd, const char *name, moat_error **err)
{
  autoclose int f = openat (dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW
                            | O_CLOEXEC, 0600);
  if (f < 0)
    return moat_error_set (err, errno, "create `%s`", name);
  autoclose int tree = sys_open_tree (AT_FDCWD, host,
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return moat_error_set (err, errno, "bind host node `%s`", host);
  if (sys_move_mount (tree, "", f, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "bind host node `%s` into the container", host);
  return 0;
}

static const struct { const char *name; unsigned major, minor; } default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int
make_device (int devfd, const char *name, unsigned major, unsigned minor,
             bool in_userns, moat_error **err)
{
  if (unlinkat (devfd, name, 0) < 0 && errno != ENOENT)
    return moat_error_set (err, errno, "remove /dev/%s", name);
  if (!in_userns)
    {
      if (mknodat (devfd, name, S_IFCHR | 0666, makedev (major, minor)) < 0)
        return moat_error_set (err, errno, "create device /dev/%s", name);
      if (fchmodat (devfd, name, 0666, 0) < 0)
        return moat_error_set (err, errno, "chmod /dev/%s", name);
      return 0;
    }
  /* mknod is not allowed in a user namespace: bind the host's node.  */
  autofree char *host = xasprintf ("/dev/%s", name);
  return bind_host_node (host, devfd, name, err);
}

int
moat_make_default_devices (int rootfd, bool in_userns, moat_error **err)
{
  autoclose int dev = moat_make_in_root (rootfd, "/dev", false, err);
  if (dev < 0)
    return -1;
  /* An O_PATH fd cannot be used for mknodat: reopen as a directory.  */
  autoclose int devfd = moat_open_in_root (rootfd, "/dev", O_RDONLY | O_DIRECTORY);
  if (devfd < 0)
    return moat_error_set (err, errno, "open /dev in the container");
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    if (make_device (devfd, default_devices[i].name, default_devices[i].major,
                     default_devices[i].minor, in_userns, err) < 0)
      return -1;
  static const struct { const char *target, *name; } links[] = {
    { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (links); i++)
    if (symlinkat (links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
      return moat_error_set (err, errno, "create symlink /dev/%s", links[i].name);
  return 0;
}

/* /dev/ptmx is the container's devpts's, after the config's devices: a
   /dev/ptmx node among them (Podman's --privileged lists the host's)
   would open the host's devpts instance, whose terminals are not the
   container's.  */
int
moat_link_ptmx (int rootfd, moat_error **err)
{
  autoclose int devfd = moat_open_in_root (rootfd, "/dev", O_RDONLY | O_DIRECTORY);
  if (devfd < 0)
    return moat_error_set (err, errno, "open /dev in the container");
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return moat_error_set (err, errno, "remove /dev/ptmx");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return moat_error_set (err, errno, "create symlink /dev/ptmx");
  return 0;
}

/* linux.devices: nodes made with mknod, or in a user namespace (where
   mknod is not allowed) the host's node of the same path bound.  */
int
moat_make_config_device (int rootfd, const struct moat_device *d, bool in_userns,
                    moat_error **err)
{
  autofree char *dir = xstrdup (d->path);
  char *slash = strrchr (dir, '/');
  const char *name = slash + 1;
  *slash = '\0';
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return moat_error_set (err, 0, "invalid device path");
  autoclose int dfd = moat_make_in_root (rootfd, dir[0] ? dir : "/", false, err);
  if (dfd < 0)
    return -1;
  autoclose int dirfd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return moat_error_set (err, errno, "open `%s`", dir);
  if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
    return moat_error_set (err, errno, "remove existing `%s`", d->path);
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t perm = d->has_mode ? (d->mode & 07777) : 0666;
  if (in_userns)
    return bind_host_node (d->path, dirfd, name, err);
  if (mknodat (dirfd, name, type | perm, makedev (d->major, d->minor)) < 0)
    return moat_error_set (err, errno, "mknod `%s`", d->path);
  if (fchmodat (dirfd, name, perm, 0) < 0)
    return moat_error_set (err, errno, "chmod `%s`", d->path);
  if ((d->has_uid || d->has_gid)
      && fchownat (dirfd, name, d->has_uid ? d->uid : (uid_t) -1,
                   d->has_gid ? d->gid : (gid_t) -1, AT_SYMLINK_NOFOLLOW) < 0)
    return moat_error_set (err, errno, "chown `%s`", d->path);
  return 0;
}
