/* Applying linux.resources to a cgroup v2 directory: the controllers the
   limits need are enabled down the path from the hierarchy's root, then
   every file is written.  A limit that cannot be applied fails with the
   member, the file and the kernel's reason: never a warning.  */
#include <config.h>
#include "cgroup.h"
#include "v2-resources.h"
#include "journal.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
moat_cgroup_controller_of (const char *file)
{
  return xasprintf ("%.*s", (int) strcspn (file, "."), file);
}

bool
moat_cgroup_list_has (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
      return true;
  return false;
}

static bool
has_processes (const char *dir)
{
  autofree char *procs = xasprintf ("%s/cgroup.procs", dir);
  autoclose int fd = open (procs, O_RDONLY | O_CLOEXEC);
  char c;
  return fd >= 0 && read (fd, &c, 1) == 1;
}

/* Enable controller c in cgroup.subtree_control of every directory from
   the mount down to the container's parent.  */
static int
enable_controller (const char *mount, const char *path, const char *c, const char *field,
                   moat_error **err)
{
  autofree char *available = NULL;
  autofree char *root_ctl = xasprintf ("%s/cgroup.controllers", mount);
  if (moat_read_file_at (AT_FDCWD, root_ctl, 4096, &available, NULL, err) < 0)
    return -1;
  if (!moat_cgroup_list_has (available, c))
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "%s: the %s controller is not in this host's cgroup v2 "
                            "hierarchy (%s lists `%.*s`; on a hybrid host it may be bound "
                            "to a v1 hierarchy)", field, c, root_ctl,
                            (int) strcspn (available, "\n"), available);
  autofree char *dir = xstrdup (mount);
  autofree char *plus = xasprintf ("+%s", c);
  const char *rest = path + strlen (mount);
  for (;;)
    {
      autofree char *ctl = xasprintf ("%s/cgroup.subtree_control", dir);
      autofree char *now = NULL;
      if (moat_read_file_at (AT_FDCWD, ctl, 4096, &now, NULL, NULL) < 0
          || !moat_cgroup_list_has (now, c))
        {
          /* below the root, a cgroup with processes of its own cannot
             pass a controller down: the kernel refuses a domain one, and
             a threaded one (pids, cpu) would make the cgroup threaded, so
             that no container could live below it any more */
          if (strcmp (dir, mount) != 0 && has_processes (dir))
            return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                                    "%s: cgroup `%s` has processes of its own, so cgroup v2 "
                                    "cannot enable the %s controller for the cgroups below "
                                    "it (give a cgroupsPath elsewhere)", field, dir, c);
          if (moat_write_file (ctl, plus, err) < 0)
            return moat_error_prefix (err, "%s: enable the %s controller in `%s`", field, c,
                                      ctl);
        }
      /* the next component, unless it is the container's cgroup itself */
      const char *next = strchr (rest + 1, '/');
      if (next == NULL)
        return 0;
      char *grown = xasprintf ("%s%.*s", dir, (int) (next - rest), rest);
      free (dir);
      dir = grown;
      rest = next;
    }
}

static int
enable_controllers (const char *mount, const char *path, const struct moat_cgroup_writes *w,
                    moat_error **err)
{
  for (size_t i = 0; i < w->n; i++)
    {
      autofree char *c = moat_cgroup_controller_of (w->w[i].file);
      bool seen = false;
      for (size_t j = 0; j < i && !seen; j++)
        {
          autofree char *d = moat_cgroup_controller_of (w->w[j].file);
          seen = strcmp (c, d) == 0;
        }
      /* cgroup.* files need no controller; optional files none enabled */
      if (seen || strcmp (c, "cgroup") == 0 || w->w[i].field == NULL)
        continue;
      if (enable_controller (mount, path, c, w->w[i].field, err) < 0)
        return -1;
    }
  return 0;
}

int
moat_cgroup_write_at (int dirfd, const char *path, const struct moat_cgroup_write *x,
                      moat_error **err)
{
  autoclose int fd = openat (dirfd, x->file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && x->field == NULL)
    return 0;
  if (fd < 0)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_NOT_SUPPORTED : MOAT_ERR_FAILED,
                            errno, "%s: `%s/%s`", x->field, path, x->file);
  moat_cgroup_journal_record (dirfd, path, x->file, x->value);
  ssize_t n = write (fd, x->value, strlen (x->value));
  if (n < 0 || (size_t) n != strlen (x->value))
    return moat_error_setk (err, errno == EINVAL || errno == ERANGE
                            ? MOAT_ERR_INVALID_CONFIG : MOAT_ERR_FAILED, n < 0 ? errno : EIO,
                            "%s: write `%s` to `%s/%s`", x->field ? x->field : x->file,
                            x->value, path, x->file);
  return 0;
}

int
moat_cgroup_check_memory_usage (const char *usage_file, const struct moat_resources *r,
                                moat_error **err)
{
  if (!r->memory.check_before_update || !r->memory.limit.set || r->memory.limit.v <= 0)
    return 0;
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, usage_file, 64, &text, NULL, err) < 0)
    return moat_error_prefix (err, "linux.resources.memory.checkBeforeUpdate");
  long long usage = strtoll (text, NULL, 10);
  if (usage > r->memory.limit.v)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.resources.memory.limit: %lld is below the %lld bytes in "
                            "use (`%s`; checkBeforeUpdate)", (long long) r->memory.limit.v,
                            usage, usage_file);
  return 0;
}

int
moat_v2_apply_resources (const char *mount, const char *path, int dirfd,
                         const struct moat_resources *r, moat_error **err)
{
  struct moat_cgroup_writes w;
  if (moat_v2_resource_writes (r, false, &w, err) < 0)
    return -1;
  int ret = enable_controllers (mount, path, &w, err);
  /* BFQ takes blkio weights as they are: where its file is (once the io
     controller is enabled), it is used */
  if (ret == 0 && faccessat (dirfd, "io.bfq.weight", F_OK, 0) == 0)
    {
      moat_cgroup_writes_clear (&w);
      if (moat_v2_resource_writes (r, true, &w, err) < 0)
        return -1;
    }
  for (size_t i = 0; ret == 0 && i < w.n; i++)
    ret = moat_cgroup_write_at (dirfd, path, &w.w[i], err);
  moat_cgroup_writes_clear (&w);
  return ret;
}
