/* Mounting one mount of the plan on a target that is already resolved
   inside the container's root (an fd): binds through open_tree/move_mount
   with their flags set before anyone can see them, new filesystems
   through mount(2) on the fd, and the idmapped trees the parent prepares.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../cgroup/cgroup.h"
#include "../plan/plan.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif

unsigned long long
moat_mount_attrs_from_flags (unsigned long flags, unsigned long long *clear)
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

int
moat_set_propagation_fd (int fd, unsigned long prop)
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
set_bind_flags (int tree, const struct moat_mount_opts *o, moat_error **err)
{
  unsigned long long atime_clear;
  /* the recursive flags first, on every mount of the tree, then the plain
     ones on its top: "ro,rrw" is a read-only top over writable submounts */
  if (o->rflags || o->rclear)
    {
      struct mount_attr rattr = { 0 };
      rattr.attr_set = moat_mount_attrs_from_flags (o->rflags, &atime_clear);
      rattr.attr_clr = attrs_cleared (o->rclear) | atime_clear;
      if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &rattr) < 0)
        return moat_error_set (err, errno, "set recursive flags");
    }
  struct mount_attr attr = { 0 };
  attr.attr_set = moat_mount_attrs_from_flags (o->flags, &atime_clear);
  attr.attr_clr = attrs_cleared (o->clear) | atime_clear;
  if ((attr.attr_set || attr.attr_clr)
      && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &attr) < 0)
    return moat_error_set (err, errno, "set flags");
  return 0;
}

/* Bind `source` (a host path) onto the fd `target`: open_tree gives a
   detached copy, its flags are set before anyone can see it, and
   move_mount attaches it to exactly the resolved target.  */
int
moat_bind_mount_fd (const char *source, int target, const struct moat_mount_opts *o,
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
  if (o->propagation && moat_set_propagation_fd (tree, o->propagation) < 0)
    return moat_error_set (err, errno, "set propagation on bind of `%s`", source);
  return 0;
}

/* A filesystem mount (proc, sysfs, tmpfs, ...) on the resolved target.
   The target is named through /proc/self/fd so that mount(2) acts on the
   fd's object, not on a path that could be swapped.  */
static bool
has_data_option (const char *data, const char *key)
{
  size_t n = strlen (key);
  for (const char *o = data; o; o = strchr (o, ',') ? strchr (o, ',') + 1 : NULL)
    if (strncmp (o, key, n) == 0)
      return true;
  return false;
}

/* A tmpfs without mode= gets the mode of the directory it covers, as
   runc gives it, not tmpfs's 1777: a /data the image has as 0755 must not
   become writable by every user of the container.  */
static char *
tmpfs_data (const struct moat_mount_plan *p, int target)
{
  struct stat st;
  if (strcmp (p->fstype, "tmpfs") != 0 || (p->o.data && has_data_option (p->o.data, "mode="))
      || fstat (target, &st) < 0)
    return p->o.data ? xstrdup (p->o.data) : NULL;
  return xasprintf ("mode=%o%s%s", (unsigned) (st.st_mode & 07777), p->o.data ? "," : "",
                    p->o.data ? p->o.data : "");
}

static int
fs_mount_fd (int rootfd, const struct moat_mount_plan *p, int target, moat_error **err)
{
  char fdbuf[FD_PATH_MAX];
  const struct moat_mount *m = p->m;
  unsigned long flags = p->o.flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
  autofree char *data = tmpfs_data (p, target);
  if (mount (m->source ? m->source : p->fstype, moat_fd_path (target, fdbuf), p->fstype,
             flags, data) < 0)
    return moat_error_set (err, errno, "mount %s", p->fstype);
  if (p->o.propagation)
    {
      /* the fd names the directory under the new mount; resolving the
         destination again lands on the mount itself */
      autoclose int top = moat_open_in_root (rootfd, m->destination, O_PATH);
      if (top < 0 || moat_set_propagation_fd (top, p->o.propagation) < 0)
        return moat_error_set (err, errno, "set propagation");
    }
  return 0;
}

/* The procfs mount tree is for the pid namespace pidns_fd: its pid 1 is
   that namespace's.  The context may come from a process of that
   namespace (procfs.c), which someone there could have swapped.  */
static int
check_proc_for (int tree, int pidns_fd, moat_error **err)
{
  struct statfs sfs;
  struct stat want, got;
  if (fstatfs (tree, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return moat_error_set (err, EPROTO, "procfs for the container's pid namespace: "
                           "the context is not a procfs");
  if (fstat (pidns_fd, &want) < 0 || fstatat (tree, "1/ns/pid", &got, 0) < 0
      || got.st_ino != want.st_ino || got.st_dev != want.st_dev)
    return moat_error_set (err, EPROTO, "procfs for the container's pid namespace: "
                           "it shows another pid namespace");
  return 0;
}

/* The next option of a mount's data, cut in place at the first comma
   outside double quotes, the quotes removed: an SELinux context such as
   context="system_u:object_r:t:s0:c1,c2" is one option, and fsconfig(2)
   takes the value without the quotes that mount(2)'s string needs.  */
static char *
next_data_option (char **cursor)
{
  char *start = *cursor;
  if (start == NULL)
    return NULL;
  char *out = start;
  bool quoted = false;
  char *p = start;
  for (; *p != '\0' && (quoted || *p != ','); p++)
    if (*p == '"')
      quoted = !quoted;
    else
      *out++ = *p;
  *cursor = *p == ',' ? p + 1 : NULL;
  *out = '\0';
  return start;
}

/* A detached mount of the filesystem context fs, with p's options one by
   one; writable whatever p says when writable_first (the caller fills it
   and makes it read-only).  */
static int
detached_tree (int fs, const struct moat_mount_plan *p, bool writable_first,
               moat_error **err)
{
  const char *source = p->m->source && p->m->source[0] ? p->m->source : p->fstype;
  if (sys_fsconfig (fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return moat_error_set (err, errno, "mount %s: source `%s`", p->fstype, source);
  autofree char *data = p->o.data ? xstrdup (p->o.data) : NULL;
  char *cursor = data;
  for (char *o; (o = next_data_option (&cursor)) != NULL;)
    {
      if (*o == '\0')
        continue;
      char *eq = strchr (o, '=');
      if (eq)
        *eq = '\0';
      if ((eq ? sys_fsconfig (fs, FSCONFIG_SET_STRING, o, eq + 1, 0)
           : sys_fsconfig (fs, FSCONFIG_SET_FLAG, o, NULL, 0)) < 0)
        return moat_error_set (err, errno, "mount %s: option `%s`", p->fstype, o);
    }
  static const struct { unsigned long flag; const char *name; } sb[] = {
    { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" },
    { MS_MANDLOCK, "mand" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (sb); i++)
    if ((p->o.flags & sb[i].flag) && sys_fsconfig (fs, FSCONFIG_SET_FLAG, sb[i].name, NULL, 0) < 0)
      return moat_error_set (err, errno, "mount %s: option `%s`", p->fstype, sb[i].name);
  if (sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return moat_error_set (err, errno, "mount %s", p->fstype);
  unsigned long long clear;
  unsigned long flags = writable_first ? p->o.flags & ~MS_RDONLY : p->o.flags;
  int tree = sys_fsmount (fs, FSMOUNT_CLOEXEC, moat_mount_attrs_from_flags (flags, &clear));
  if (tree < 0)
    return moat_error_set (err, errno, "mount %s", p->fstype);
  return tree;
}

static int
attach_tree (int tree, const struct moat_mount_plan *p, int target, moat_error **err)
{
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "attach %s", p->fstype);
  if (p->o.propagation && moat_set_propagation_fd (tree, p->o.propagation) < 0)
    return moat_error_set (err, errno, "set propagation");
  return 0;
}

/* A procfs for a pid namespace this process is not in (a shared pod pid
   namespace, entered only once the root is the container's).  */
static int
proc_mount_for (const struct moat_mount_plan *p, int target, int pidns_fd,
                moat_error **err)
{
  autoclose int fs = moat_procfs_context (pidns_fd, err);
  if (fs < 0)
    return -1;
  autoclose int tree = detached_tree (fs, p, false, err);
  if (tree < 0 || check_proc_for (tree, pidns_fd, err) < 0)
    return -1;
  return attach_tree (tree, p, target, err);
}

/* tmpcopyup: the new tmpfs, still detached, gets a copy of what the
   image has at target (copyup.c), then covers it.  */
static int
tmpfs_copyup (const struct moat_mount_plan *p, int target, moat_error **err)
{
  autoclose int under = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (under < 0)
    return moat_error_set (err, errno, "tmpcopyup: open what the image has there");
  autoclose int fs = sys_fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return moat_error_set (err, errno, "mount tmpfs");
  autoclose int tree = detached_tree (fs, p, true, err);
  if (tree < 0)
    return -1;
  autoclose int top = openat (tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return moat_error_set (err, errno, "tmpcopyup: open the tmpfs");
  if (moat_copy_tree (under, top, err) < 0)
    return moat_error_prefix (err, "tmpcopyup");
  struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
  if ((p->o.flags & MS_RDONLY)
      && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &ro) < 0)
    return moat_error_set (err, errno, "tmpcopyup: make the tmpfs read-only");
  return attach_tree (tree, p, target, err);
}

/* An idmapped mount the parent prepared: set the flags, attach it.  */
static int
attach_prepared (int rootfd, const struct moat_mount_plan *p, moat_error **err)
{
  struct stat st;
  if (fstat (p->idmap_fd, &st) < 0)
    return moat_error_set (err, errno, "stat prepared mount");
  autoclose int target = moat_make_in_root (rootfd, p->m->destination,
                                            !S_ISDIR (st.st_mode), err);
  if (target < 0)
    return -1;
  if (set_bind_flags (p->idmap_fd, &p->o, err) < 0)
    return -1;
  if (sys_move_mount (p->idmap_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                      | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "attach idmapped mount");
  if (p->o.propagation && moat_set_propagation_fd (p->idmap_fd, p->o.propagation) < 0)
    return moat_error_set (err, errno, "set propagation");
  return 0;
}

int
moat_mount_one (int rootfd, const struct moat_mount_plan *p, int pidns_fd,
                moat_error **err)
{
  if (p->idmap_fd >= 0)
    return attach_prepared (rootfd, p, err);
  if (p->o.idmap)
    return moat_error_set (err, 0, "idmapped mount was not prepared");
  if (p->bind)
    {
      struct stat st;
      if (stat (p->source, &st) < 0)
        return moat_error_set (err, errno, "source `%s`", p->source);
      autoclose int target = moat_make_in_root (rootfd, p->m->destination,
                                                !S_ISDIR (st.st_mode), err);
      if (target < 0)
        return -1;
      return moat_bind_mount_fd (p->source, target, &p->o, err);
    }
  autoclose int target = moat_make_in_root (rootfd, p->m->destination, false, err);
  if (target < 0)
    return -1;
  if (pidns_fd >= 0 && strcmp (p->fstype, "proc") == 0)
    return proc_mount_for (p, target, pidns_fd, err);
  if (p->o.tmpcopyup)
    return tmpfs_copyup (p, target, err);
  int r = fs_mount_fd (rootfd, p, target, err);
  if (r < 0 && (*err)->errnum == EPERM
      && (strcmp (p->fstype, "sysfs") == 0 || strcmp (p->fstype, "mqueue") == 0))
    {
      /* In a user namespace that does not own the network (sysfs) or ipc
         (mqueue) namespace the kernel refuses a new instance: bind the
         host's instead, read-only as asked.  */
      moat_error_free (err);
      struct moat_mount_opts o = p->o;
      o.rbind = true;
      return moat_bind_mount_fd (strcmp (p->fstype, "sysfs") == 0 ? "/sys" : "/dev/mqueue",
                                 target, &o, err);
    }
  return r;
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

/* A tree cloned in the runtime's mount namespace is in the propagation
   groups of the mounts it copies: made a slave of them, recursively,
   before the container gets it, so that nothing mounted inside it ever
   shows on the host (what the host mounts there still shows inside, as
   for the rest of the container's mounts).  */
static int
cut_propagation (int tree, moat_error **err)
{
  struct mount_attr attr = { .propagation = MS_SLAVE };
  if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
    return moat_error_set (err, errno, "make the detached tree a slave of the host's mounts");
  return 0;
}

int
moat_bind_tree_prepare (int dirfd, const char *path, moat_error **err)
{
  int tree = sys_open_tree (dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return moat_error_set (err, errno, "bind `%s`", path);
  if (cut_propagation (tree, err) < 0)
    {
      close (tree);
      return -1;
    }
  return tree;
}

static int
prepare_idmapped (const struct moat_spec *s, const struct moat_mount_plan *p,
                  moat_error **err)
{
  const struct moat_mount *m = p->m;
  const struct moat_idmap *u = m->uid_mappings, *g = m->gid_mappings;
  size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
  if (nu == 0)
    {
      /* without mappings of its own the mount takes the container's */
      u = s->uid_mappings, nu = s->n_uid_mappings;
      g = s->gid_mappings, ng = s->n_gid_mappings;
    }
  autoclose int userns = userns_with_maps (u, nu, g, ng, err);
  if (userns < 0)
    return -1;
  int tree = sys_open_tree (AT_FDCWD, p->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                            | (p->o.rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return moat_error_set (err, errno, "bind `%s`", p->source);
  if (cut_propagation (tree, err) < 0)
    {
      close (tree);
      return moat_error_prefix (err, "bind `%s`", p->source);
    }
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
  if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | (p->o.ridmap ? AT_RECURSIVE : 0),
                         &attr) < 0)
    {
      int e = errno;
      close (tree);
      return moat_error_set (err, e, "idmap `%s` (does its filesystem support idmapped "
                             "mounts?)", p->source);
    }
  return tree;
}

int
moat_rootfs_tree_prepare (const struct moat_spec *s, const char *rootfs,
                          moat_error **not_idmapped, moat_error **err)
{
  /* the mounts below the root keep their own ids (an idmapped mount
     cannot be idmapped again) */
  int tree = sys_open_tree (AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                            | AT_RECURSIVE);
  if (tree < 0)
    return moat_error_set (err, errno, "bind rootfs `%s`", rootfs);
  if (cut_propagation (tree, err) < 0)
    {
      close (tree);
      return moat_error_prefix (err, "rootfs `%s`", rootfs);
    }
  autoclose int userns = userns_with_maps (s->uid_mappings, s->n_uid_mappings,
                                           s->gid_mappings, s->n_gid_mappings,
                                           not_idmapped);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
  if (userns >= 0 && sys_mount_setattr (tree, "", AT_EMPTY_PATH, &attr) < 0)
    moat_error_set (not_idmapped, errno, "idmap rootfs `%s`", rootfs);
  return tree;
}

int
moat_idmapped_mounts_prepare (const struct moat_spec *s, struct moat_mount_plan *mounts,
                              moat_error **err)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      if (!mounts[i].o.idmap)
        continue;
      mounts[i].idmap_fd = prepare_idmapped (s, &mounts[i], err);
      if (mounts[i].idmap_fd < 0)
        return moat_error_prefix (err, "mounts[%zu] (on `%s`)", i, s->mounts[i].destination);
    }
  return 0;
}
