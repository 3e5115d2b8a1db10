#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned long long clone_flags[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = CLONE_NEWPID, [MOAT_NS_NET] = CLONE_NEWNET,
  [MOAT_NS_MNT] = CLONE_NEWNS, [MOAT_NS_IPC] = CLONE_NEWIPC,
  [MOAT_NS_UTS] = CLONE_NEWUTS, [MOAT_NS_USER] = CLONE_NEWUSER,
  [MOAT_NS_CGROUP] = CLONE_NEWCGROUP, [MOAT_NS_TIME] = CLONE_NEWTIME,
};

unsigned long long
moat_ns_clone_flag (enum moat_ns_type t)
{
  return clone_flags[t];
}

/* A sysctl's value as a number; -1 if it cannot be read.  */
static long
read_sysctl (const char *path)
{
  char buf[32];
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  return strtol (buf, NULL, 10);
}

const char *
moat_ns_clone_hint (int errnum, unsigned long long flags, bool rootless)
{
  bool userns = (flags & CLONE_NEWUSER) != 0;
  if (errnum == ENOSPC)
    return "a namespace limit is reached (see /proc/sys/user/max_*_namespaces)";
  if (errnum != EPERM && errnum != EACCES)
    return NULL;
  if (userns && read_sysctl ("/proc/sys/user/max_user_namespaces") == 0)
    return "user namespaces are disabled (sysctl user.max_user_namespaces is 0)";
  if (userns && rootless
      && read_sysctl ("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    return "unprivileged user namespaces are disabled (sysctl "
           "kernel.unprivileged_userns_clone=1 allows them)";
  if (userns && rootless
      && read_sysctl ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    return "AppArmor restricts unprivileged user namespaces (sysctl "
           "kernel.apparmor_restrict_unprivileged_userns)";
  if (!userns && rootless && flags)
    return "without the host's root, new namespaces need a user namespace of the "
           "container's own (add {\"type\": \"user\"} to linux.namespaces)";
  if (userns)
    return "the kernel refused a new user namespace (in a chroot, or limited by "
           "seccomp or an LSM?)";
  return NULL;
}

int
moat_ns_join (int fd, enum moat_ns_type t, const char *path, moat_error **err)
{
  if (setns (fd, (int) clone_flags[t]) < 0)
    {
      if (errno == EINVAL)
        return moat_error_set (err, 0, "join %s namespace `%s`: not a %s namespace "
                               "(or not allowed here)", moat_ns_name (t), path,
                               moat_ns_name (t));
      return moat_error_set (err, errno, "join %s namespace `%s`", moat_ns_name (t),
                             path);
    }
  return 0;
}

/* Called after unshare(CLONE_NEWTIME): set the offsets of the new time
   namespace, before any process enters it.  */
int
moat_ns_write_time_offsets (const struct moat_spec *s, moat_error **err)
{
  char buf[128];
  snprintf (buf, sizeof buf, "monotonic %lld %lld\nboottime %lld %lld\n",
            (long long) s->time_offsets[0][0], (long long) s->time_offsets[0][1],
            (long long) s->time_offsets[1][0], (long long) s->time_offsets[1][1]);
  if (moat_write_file ("/proc/self/timens_offsets", buf, err) < 0)
    return moat_error_prefix (err, "linux.timeOffsets");
  return 0;
}
