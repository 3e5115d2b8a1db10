/* A scratch bundle directory for the targets that build mount plans:
   relative bind sources are looked up (stat only) under it.  Nothing is
   ever written to it after it is made.  */
#ifndef MOAT_FUZZ_BUNDLE_H
#define MOAT_FUZZ_BUNDLE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_bundle[64];

static void
fuzz_bundle_remove (void)
{
  char p[128];
  snprintf (p, sizeof p, "%s/src", fuzz_bundle);
  unlink (p);
  snprintf (p, sizeof p, "%s/rootfs", fuzz_bundle);
  rmdir (p);
  rmdir (fuzz_bundle);
}

static const char *
fuzz_bundle_make (void)
{
  if (fuzz_bundle[0])
    return fuzz_bundle;
  const char *tmp = getenv ("TMPDIR");
  snprintf (fuzz_bundle, sizeof fuzz_bundle, "%s/moat-fuzz.XXXXXX",
            tmp && tmp[0] == '/' && strlen (tmp) < 40 ? tmp : "/tmp");
  if (mkdtemp (fuzz_bundle) == NULL)
    {
      perror ("mkdtemp");
      abort ();
    }
  char p[128];
  snprintf (p, sizeof p, "%s/rootfs", fuzz_bundle);
  mkdir (p, 0700);
  snprintf (p, sizeof p, "%s/src", fuzz_bundle);
  int fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    close (fd);
  atexit (fuzz_bundle_remove);
  return fuzz_bundle;
}

#endif
