#include <config.h>
#include "journal.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static struct moat_cgroup_journal *open_journal;

void
moat_cgroup_journal_open (struct moat_cgroup_journal *j)
{
  memset (j, 0, sizeof *j);
  open_journal = j;
}

void
moat_cgroup_journal_record (int dirfd, const char *path, const char *file,
                            const char *value)
{
  struct moat_cgroup_journal *j = open_journal;
  if (j == NULL)
    return;
  autofree char *before = NULL;
  size_t len;
  if (moat_read_file_at (dirfd, file, 1 << 16, &before, &len, NULL) < 0)
    return;  /* nothing to put back: a file the write will fail on */
  j->v = xrealloc (j->v, (j->n + 1) * sizeof *j->v);
  j->v[j->n++] = (struct moat_cgroup_journal_entry) {
    fcntl (dirfd, F_DUPFD_CLOEXEC, 3), xstrdup (path), xstrdup (file),
    steal_pointer (&before), xstrdup (value),
  };
}

/* The first word of s ("8:0" of "8:0 rbps=1", "eth0" of "eth0 5"), when a
   value follows it: its length, else 0.  */
static size_t
key_of (const char *s)
{
  size_t k = strcspn (s, " \n");
  return s[k] == ' ' ? k : 0;
}

static bool
is_device (const char *s, size_t k)
{
  size_t n = strspn (s, "0123456789");
  return n > 0 && n < k && s[n] == ':' && strspn (s + n + 1, "0123456789") == k - n - 1;
}

char *
moat_cgroup_journal_restore_value (const char *file, const char *written, const char *before)
{
  /* memory.oom_control reads as lines; it takes only the switch */
  const char *oom = strstr (before, "oom_kill_disable ");
  if (strcmp (file, "memory.oom_control") == 0 && oom)
    return xasprintf ("%.*s", (int) strcspn (oom + 17, "\n"), oom + 17);
  size_t k = key_of (written);
  if (k == 0)
    return xasprintf ("%.*s", (int) strcspn (before, "\n"), before);
  /* a keyed file (a device, an interface): the line it had for that key */
  for (const char *l = before; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, written, k) == 0 && l[k] == ' ')
      return xasprintf ("%.*s", (int) strcspn (l, "\n"), l);
  /* none: the kernel's "no rule" for that key */
  if (strcmp (file, "io.max") == 0)
    return xasprintf ("%.*s rbps=max wbps=max riops=max wiops=max", (int) k, written);
  if (strcmp (file, "io.weight") == 0 || strcmp (file, "io.bfq.weight") == 0)
    return xasprintf ("%.*s default", (int) k, written);
  /* blkio throttles and per-device weights: 0 removes the device's rule */
  if (is_device (written, k))
    return xasprintf ("%.*s 0", (int) k, written);
  return xasprintf ("%.*s", (int) strcspn (before, "\n"), before);
}

static int
put_back (const struct moat_cgroup_journal_entry *e)
{
  autofree char *value = moat_cgroup_journal_restore_value (e->file, e->written, e->before);
  autoclose int fd = openat (e->dirfd, e->file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  size_t n = strlen (value);
  /* an empty file (cpuset.cpus: the parent's) is written as a newline */
  ssize_t w = write (fd, n ? value : "\n", n ? n : 1);
  return w < 0 ? -1 : 0;
}

void
moat_cgroup_journal_close (struct moat_cgroup_journal *j, bool rollback)
{
  open_journal = NULL;
  for (size_t i = j->n; i-- > 0;)
    {
      struct moat_cgroup_journal_entry *e = &j->v[i];
      if (rollback && put_back (e) < 0)
        moat_warn ("update: could not put back `%s/%s`: %s", e->path, e->file,
                   strerror (errno));
      close (e->dirfd);
      free (e->path);
      free (e->file);
      free (e->before);
      free (e->written);
    }
  free (j->v);
  memset (j, 0, sizeof *j);
}
