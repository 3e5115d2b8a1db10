/* CVE-2019-5736 class: while moat's init waits for start, and while an
   exec'd process is on its way to execve, a process the container can
   see runs the moat binary.  Non-dumpable, it cannot be reached through
   /proc/<pid>/exe by the container's processes, except by one that holds
   CAP_SYS_PTRACE in the user namespace moat runs in.  Whether any process
   ever will cannot be known in advance: one joining the container's pid
   namespace later (a pod neighbour) is enough.  So create, run and exec
   always re-execute themselves from a sealed memfd copy first: the exe
   link then names that copy, which nothing can write, never the file on
   disk.  It costs about a millisecond per command (docs/performance.md).  */
#include <config.h>
#include "moat.h"
#include "internal.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEALED_ENV "_MOAT_SEALED_EXE"

extern char **environ;

int
moat_ensure_sealed (const struct moat_context *ctx, moat_error **err)
{
  if (ctx->no_sealed_copy || moat_running_sealed ())
    return 0;
  if (ctx->reexec_sealed == NULL)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "a process of the container could reach this program's "
                            "binary through /proc/<pid>/exe before its execve, and the "
                            "program gave libmoat no way to run from a sealed copy "
                            "(moat_context.reexec_sealed) nor said it needs none "
                            "(moat_context.no_sealed_copy)");
  return ctx->reexec_sealed (err);
}

bool
moat_running_sealed (void)
{
  /* the variable only says where to look: an inherited one must not turn
     the protection off, so the binary itself is checked */
  const char *v = getenv (SEALED_ENV);
  if (v == NULL || strcmp (v, "1") != 0)
    return false;
  autoclose int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int seals = exe >= 0 ? fcntl (exe, F_GET_SEALS) : -1;
  int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  return seals >= 0 && (seals & want) == want;
}

int
moat_reexec_from_sealed_copy (char **argv, moat_error **err)
{
  autoclose int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return moat_error_set (err, errno, "open /proc/self/exe");
  struct stat st;
  if (fstat (exe, &st) < 0)
    return moat_error_set (err, errno, "stat /proc/self/exe");
  autoclose int mfd = memfd_create ("moat", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return moat_error_set (err, errno, "memfd_create");
  off_t left = st.st_size;
  while (left > 0)
    {
      ssize_t n = sendfile (mfd, exe, NULL, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return moat_error_set (err, n < 0 ? errno : EIO, "copy the moat binary");
      left -= n;
    }
  if (fcntl (mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return moat_error_set (err, errno, "seal the copy of the moat binary");
  if (setenv (SEALED_ENV, "1", 1) < 0)
    return moat_error_set (err, errno, "setenv");
  fexecve (mfd, argv, environ);
  int e = errno;
  unsetenv (SEALED_ENV);
  return moat_error_set (err, e, "execute the sealed copy of the moat binary");
}
