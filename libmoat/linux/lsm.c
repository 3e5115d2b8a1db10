/* Linux security module labels of the process: AppArmor's exec profile.

   process.apparmorProfile is the profile the container's program runs
   under: written as "exec PROFILE" to the process's AppArmor exec
   attribute, which the kernel applies at the next execve (and which a
   child made before that inherits).  The attribute is opened while the
   process still sees itself in the /proc it has (the host's: an exec'd
   process, or an init entering a pid namespace joined by path, is not in
   the pid namespace of the container's /proc), and written in the finish
   sequence's first step, after the createContainer hooks and before any
   seccomp filter (write is a call a profile may forbid).  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool
moat_apparmor_enabled (void)
{
  char c = 0;
  autoclose int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, &c, 1) != 1 || c != 'Y')
    return false;
  return access ("/sys/kernel/security/apparmor", F_OK) == 0;
}

int
moat_apparmor_open_exec_attr (const char *profile, moat_error **err)
{
  if (profile == NULL || profile[0] == 0)
    return -1;
  /* the attribute of AppArmor itself (Linux 5.8), or the shared one
     older kernels have; of this thread */
  const char *path = "/proc/thread-self/attr/apparmor/exec";
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      path = "/proc/thread-self/attr/exec";
      fd = open (path, O_WRONLY | O_CLOEXEC);
    }
  if (fd < 0)
    moat_error_set (err, errno, "process.apparmorProfile `%s`: open `%s`", profile, path);
  return fd;
}

int
moat_apparmor_exec_profile (int attr_fd, const char *profile, moat_error **err)
{
  if (profile == NULL || profile[0] == 0)
    return 0;
  autofree char *cmd = xasprintf ("exec %s", profile);
  ssize_t n = write (attr_fd, cmd, strlen (cmd));
  if (n < 0 && errno == ENOENT)
    return moat_error_set (err, 0, "process.apparmorProfile `%s`: no such profile is "
                           "loaded (apparmor_parser loads it)", profile);
  if (n != (ssize_t) strlen (cmd))
    return moat_error_set (err, n < 0 ? errno : EIO, "process.apparmorProfile `%s`: "
                           "set it for execve", profile);
  return 0;
}
