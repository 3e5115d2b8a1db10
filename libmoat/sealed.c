/* CVE-2019-5736 class: while moat's init waits for start, and while an
   exec'd process is on its way to execve, a process the container can
   see runs the moat binary.  Non-dumpable, it cannot be reached through
   /proc/<pid>/exe by the container's processes, except by one that holds
   CAP_SYS_PTRACE in the user namespace moat runs in.  Whether any process
   ever will cannot be known in advance: one joining the container's pid
   namespace later (a pod neighbour) is enough.  So create, run and exec
   always re-execute themselves from a sealed memfd copy first: the exe
   link then names that copy, which nothing can write, never the file on
   disk.  It costs about a millisecond per command (docs/performance.md).
   Only what execve reads is copied (the program headers and segments):
   an unstripped binary is mostly symbols and debug information.  */
#include <config.h>
#include "moat.h"
#include "internal.h"
#include "utils.h"
#include <elf.h>
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

/* How many bytes of the 64-bit ELF file fd execve needs: up to the end of
   the program headers and of every segment.  The section headers and what
   only they describe come after them in what linkers write; a file laid
   out otherwise (or not understood) is copied whole (returns size).  */
static off_t
exec_extent (int fd, off_t size, Elf64_Ehdr *eh)
{
  if (pread (fd, eh, sizeof *eh, 0) != (ssize_t) sizeof *eh
      || memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64
      || eh->e_phentsize != sizeof (Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64
      || eh->e_phoff > (Elf64_Off) size)
    return size;
  Elf64_Phdr ph[64];
  size_t len = eh->e_phnum * sizeof *ph;
  if (pread (fd, ph, len, eh->e_phoff) != (ssize_t) len)
    return size;
  Elf64_Off end = eh->e_phoff + len;
  for (size_t i = 0; i < eh->e_phnum; i++)
    {
      if (ph[i].p_offset > (Elf64_Off) size || ph[i].p_filesz > (Elf64_Off) size - ph[i].p_offset)
        return size;
      if (ph[i].p_offset + ph[i].p_filesz > end)
        end = ph[i].p_offset + ph[i].p_filesz;
    }
  /* the section headers must all be past it, or nothing is saved */
  if (eh->e_shoff < end || end >= (Elf64_Off) size)
    return size;
  return end;
}

static int
copy_range (int to, int from, off_t len, moat_error **err)
{
  off_t off = 0;
  while (off < len)
    {
      ssize_t n = sendfile (to, from, &off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return moat_error_set (err, n < 0 ? errno : EIO, "copy the moat binary");
    }
  return 0;
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
  Elf64_Ehdr eh;
  off_t len = exec_extent (exe, st.st_size, &eh);
  if (copy_range (mfd, exe, len, err) < 0)
    return -1;
  if (len < st.st_size)
    {
      /* the copy has no section headers: say so */
      eh.e_shoff = 0;
      eh.e_shnum = 0;
      eh.e_shstrndx = SHN_UNDEF;
      if (pwrite (mfd, &eh, sizeof eh, 0) != (ssize_t) sizeof eh)
        return moat_error_set (err, errno, "copy the moat binary");
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
