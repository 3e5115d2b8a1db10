/* Thin wrappers for the kernel interfaces glibc 2.36 does not wrap (or
   wraps in headers that clash with <linux/mount.h>).  */
#ifndef MOAT_SYSCALLS_H
#define MOAT_SYSCALLS_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/sched.h>
#include <linux/mount.h>
#include <linux/openat2.h>

#ifndef CLONE_INTO_CGROUP
# define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
# define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
# define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static inline pid_t
sys_clone3 (struct clone_args *args)
{
  return syscall (SYS_clone3, args, sizeof *args);
}

static inline int
sys_pidfd_open (pid_t pid, unsigned flags)
{
  return syscall (SYS_pidfd_open, pid, flags);
}

static inline int
sys_pidfd_send_signal (int pidfd, int sig)
{
  return syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int
sys_open_tree (int dirfd, const char *path, unsigned flags)
{
  return syscall (SYS_open_tree, dirfd, path, flags);
}

static inline int
sys_move_mount (int from_dirfd, const char *from_path, int to_dirfd,
                const char *to_path, unsigned flags)
{
  return syscall (SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int
sys_mount_setattr (int dirfd, const char *path, unsigned flags,
                   struct mount_attr *attr)
{
  return syscall (SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}

static inline int
sys_fsopen (const char *fsname, unsigned flags)
{
  return syscall (SYS_fsopen, fsname, flags);
}

static inline int
sys_fsconfig (int fd, unsigned cmd, const char *key, const void *value, int aux)
{
  return syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int
sys_fsmount (int fd, unsigned flags, unsigned attr_flags)
{
  return syscall (SYS_fsmount, fd, flags, attr_flags);
}

static inline int
sys_openat2 (int dirfd, const char *path, struct open_how *how)
{
  return syscall (SYS_openat2, dirfd, path, how, sizeof *how);
}

static inline int
sys_pivot_root (const char *new_root, const char *put_old)
{
  return syscall (SYS_pivot_root, new_root, put_old);
}

static inline int
sys_close_range (unsigned first, unsigned last, unsigned flags)
{
  return syscall (SYS_close_range, first, last, flags);
}

#endif
