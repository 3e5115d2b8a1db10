/* SELinux labels: process.selinuxLabel (the context of the container's
   program, and of the keys it creates) and linux.mountLabel (checked
   here, applied by the mount plans as context=).

   libselinux checks a label against the loaded policy before anything is
   set up, so that a typo is an error naming the setting rather than an
   EINVAL from a write deep in the container's start.  It is loaded
   (dlopen) only when a label is asked for: linked, its constructor reads
   /proc/filesystems at every start and its libraries add about 0.2 ms
   and 200 KiB to every command (docs/performance.md).

   The labels themselves are written to the process's attributes
   ("exec": the context of the next execve; "keycreate": the context of
   the keys it creates, the session keyring first) through fds opened
   while /proc still shows the process, as AppArmor's is (lsm.c).  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

bool
moat_selinux_enabled (void)
{
  struct statfs sfs;
  return statfs ("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

#ifdef HAVE_SELINUX
/* the soname of Debian's libselinux1 (and every distribution's since
   2004) */
# define LIBSELINUX "libselinux.so.1"

static int (*check_context) (const char *);

static int
load_libselinux (const char *what, moat_error **err)
{
  if (check_context)
    return 0;
  void *lib = dlopen (LIBSELINUX, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    return moat_error_set (err, 0, "%s: load " LIBSELINUX ": %s", what, dlerror ());
  check_context = (int (*) (const char *)) dlsym (lib, "security_check_context_raw");
  if (check_context == NULL)
    return moat_error_set (err, 0, "%s: " LIBSELINUX " has no "
                           "security_check_context_raw: %s", what, dlerror ());
  return 0;
}

int
moat_selinux_check_context (const char *what, const char *label, moat_error **err)
{
  if (load_libselinux (what, err) < 0)
    return -1;
  if (check_context (label) < 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, errno == EINVAL ? 0 : errno,
                            "%s `%s`: not a context of the loaded SELinux policy", what,
                            label);
  return 0;
}
#else
int
moat_selinux_check_context (const char *what, const char *label, moat_error **err)
{
  return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "%s `%s`: this moat was built "
                          "without SELinux", what, label);
}
#endif

int
moat_selinux_open_attr (const char *attr, const char *what, moat_error **err)
{
  /* of this thread: the attributes are per task */
  autofree char *path = xasprintf ("/proc/thread-self/attr/%s", attr);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    moat_error_set (err, errno, "%s: open `%s`", what, path);
  return fd;
}

int
moat_selinux_write_attr (int fd, const char *attr, const char *label, const char *what,
                         moat_error **err)
{
  ssize_t n = write (fd, label, strlen (label));
  if (n != (ssize_t) strlen (label))
    return moat_error_set (err, n < 0 ? errno : EIO, "%s `%s`: set the %s context", what,
                           label, attr);
  return 0;
}
