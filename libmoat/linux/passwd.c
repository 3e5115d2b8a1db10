/* The container's /etc/passwd, read from inside its root.  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define PASSWD_MAX (1 << 20)

/* The image may hold anything at /etc/passwd: a fifo (open would block),
   a device, a symlink into /proc or /sys (moat's own environment, read
   with privileges).  Only a regular file of an ordinary file system, of a
   sane size, is read.  */
static char *
read_passwd (void)
{
  autoclose int fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  struct statfs sfs;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size <= 0
      || st.st_size > PASSWD_MAX || fstatfs (fd, &sfs) < 0
      || sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)
    return NULL;
  char *text = xmalloc0 (st.st_size + 1);
  size_t got = 0;
  while (got < (size_t) st.st_size)
    {
      ssize_t n = read (fd, text + got, st.st_size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
  text[got] = '\0';
  return text;
}

char *
moat_passwd_home (uid_t uid)
{
  autofree char *text = read_passwd ();
  char *save = NULL;
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      /* name:password:uid:gid:gecos:home:shell */
      char *f[7] = { line };
      int n = 1;
      for (char *c = line; *c && n < 7; c++)
        if (*c == ':')
          {
            *c = '\0';
            f[n++] = c + 1;
          }
      unsigned long long u;
      if (n >= 6 && moat_parse_uint (f[2], UINT32_MAX, &u) && u == uid && f[5][0] == '/')
        return xstrdup (f[5]);
    }
  return NULL;
}
