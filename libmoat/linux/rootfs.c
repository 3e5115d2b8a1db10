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
#include "../plan/plan.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

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
      /* an empty tmpfs, read-only in its superblock and its mount (as
         runc makes it): nothing can ever be put there */
      autoclose int fs = sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
      if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0
          || sys_fsconfig (fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0
          || sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return moat_error_set (err, errno, "linux.maskedPaths: tmpfs for `%s`", path);
      tree = sys_fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
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
   before /proc/sys is made read-only.  The keys were checked by the plan.  */
static int
apply_sysctl (int rootfd, const struct moat_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  for (size_t i = 0; i < s->n_sysctl; i++)
    {
      const char *key = s->sysctl[i].key, *path = p->sysctl_paths[i];
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

/* The root, as a mount of its own in the container's mount namespace,
   private; its fd.  The tree the runtime prepared (an automatic id range:
   idmapped where it could be) is attached on top of this namespace's
   "/", never looked up by path: the container's root (a host id of its
   range) may not be allowed to walk the host's path to the rootfs.
   pivot_root then makes it the root.  */
static int
attach_root (const struct moat_plan *p, moat_error **err)
{
  if (p->rootfs_tree_fd >= 0)
    {
      if (sys_move_mount (p->rootfs_tree_fd, "", AT_FDCWD, "/",
                          MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return moat_error_set (err, errno, "attach the rootfs `%s`", p->rootfs);
      struct mount_attr attr = { .propagation = MS_PRIVATE };
      if (sys_mount_setattr (p->rootfs_tree_fd, "", AT_EMPTY_PATH, &attr) < 0)
        return moat_error_set (err, errno, "make rootfs private");
      int fd = openat (p->rootfs_tree_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return moat_error_set (err, errno, "open rootfs `%s`", p->rootfs);
      return fd;
    }
  if (mount (p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return moat_error_set (err, errno, "bind rootfs `%s`", p->rootfs);
  if (mount (NULL, p->rootfs, NULL, MS_PRIVATE, NULL) < 0)
    return moat_error_set (err, errno, "make rootfs private");
  int fd = open (p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "open rootfs `%s`", p->rootfs);
  return fd;
}

/* on_slash: the root is attached on top of "/" already (attach_root) */
static int
enter_root (int rootfd, const char *rootfs, bool no_pivot, bool on_slash, moat_error **err)
{
  if (fchdir (rootfd) < 0)
    return moat_error_set (err, errno, "chdir to rootfs `%s`", rootfs);
  if (no_pivot)
    {
      if (!on_slash && mount (".", "/", NULL, MS_MOVE, NULL) < 0)
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
moat_rootfs_setup (const struct moat_plan *p, const struct moat_rootfs_opts *o,
                   moat_error **err)
{
  const struct moat_spec *s = p->spec;
  /* Nothing done in here may propagate back to the host.  */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return moat_error_set (err, errno, "make mounts slave of the host");
  autoclose int rootfd = attach_root (p, err);
  if (rootfd < 0)
    return -1;

  bool own_cgroupns = s->ns[MOAT_NS_CGROUP].present;
  for (size_t i = 0; i < s->n_mounts; i++)
    if (moat_fault ("mount", err) < 0
        || (p->mounts[i].fstype && strcmp (p->mounts[i].fstype, "cgroup2") == 0
            ? moat_mount_cgroup (rootfd, &p->mounts[i], own_cgroupns, err)
            : moat_mount_one (rootfd, &p->mounts[i], p->pid_joined
                              ? p->ns_fds[MOAT_NS_PID] : -1, err)) < 0)
      return moat_error_prefix (err, "mounts[%zu] (%s on `%s`)", i,
                                s->mounts[i].type ? s->mounts[i].type : "no type",
                                s->mounts[i].destination);
  /* no mknod in any user namespace but the host's: the container's own,
     or the one moat runs in (under rootless Podman) */
  bool no_mknod = p->in_userns || !p->host.initial_userns;
  if (moat_make_default_devices (rootfd, no_mknod, err) < 0)
    return moat_error_prefix (err, "default devices");
  for (size_t i = 0; i < s->n_devices; i++)
    if (moat_make_config_device (rootfd, &s->devices[i], no_mknod, err) < 0)
      return moat_error_prefix (err, "linux.devices[%zu] (`%s`)", i, s->devices[i].path);
  if (moat_link_ptmx (rootfd, err) < 0)
    return -1;
  if (o->terminal && moat_terminal_create (rootfd, s, true, o->terminal, err) < 0)
    return -1;
  if (apply_sysctl (rootfd, p, err) < 0)
    return -1;
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
    if (mask_path (rootfd, s->masked_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
    if (readonly_path (rootfd, s->readonly_paths[i], err) < 0)
      return -1;
  /* the working directory may not exist yet: make it now, while the root
     can still be written (it becomes read-only below); without a process
     the init waits at the root */
  autoclose int cwd = moat_make_in_root (rootfd, s->cwd ? s->cwd : "/", false, err);
  if (cwd < 0)
    return moat_error_prefix (err, "process.cwd");
  if (o->before_pivot && o->before_pivot (o->data, err) < 0)
    return -1;
  if (moat_fault ("pivot", err) < 0 || enter_root (rootfd, p->rootfs, p->no_pivot, p->rootfs_tree_fd >= 0, err) < 0)
    return -1;
  if (s->root_readonly && make_root_readonly (err) < 0)
    return -1;
  if (s->rootfs_propagation)
    {
      unsigned long prop = moat_propagation_flag (s->rootfs_propagation);
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return moat_error_set (err, errno, "linux.rootfsPropagation: set `%s`",
                               s->rootfs_propagation);
    }
  return 0;
}
