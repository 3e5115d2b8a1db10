#include <config.h>
#include "cgroup.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/magic.h>

const char *
moat_cgroup_v2_mount (void)
{
  static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  for (size_t i = 0; i < ARRAY_SIZE (candidates); i++)
    {
      struct statfs sfs;
      if (statfs (candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        return candidates[i];
    }
  return NULL;
}

/* mkdir -p below the mount, remembering the first directory we made.  */
static int
make_cgroup_dirs (const char *mount, const char *rel, char **created_from,
                  moat_error **err)
{
  autofree char *copy = xstrdup (rel);
  autofree char *cur = xstrdup (mount);
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      char *next = xasprintf ("%s/%s", cur, c);
      free (cur);
      cur = next;
      if (mkdir (cur, 0755) == 0)
        {
          if (*created_from == NULL)
            *created_from = xstrdup (cur);
        }
      else if (errno != EEXIST)
        return moat_error_set (err, errno, "create cgroup `%s`", cur);
    }
  return 0;
}

/* mkdir -p, again from the top when a parent another container's delete
   removed meanwhile makes a mkdir fail with ENOENT.  */
static int
make_cgroup_dirs_retrying (const char *mount, const char *rel, char **created_from,
                           moat_error **err)
{
  for (int attempt = 0;; attempt++)
    {
      int r = make_cgroup_dirs (mount, rel, created_from, err);
      if (r == 0 || attempt == 4 || (*err)->errnum != ENOENT)
        return r;
      moat_error_free (err);
    }
}

/* A line of cgroup.events ("populated 1", "frozen 1").  */
bool
moat_cgroup_event (const char *path, const char *line)
{
  autofree char *events = xasprintf ("%s/cgroup.events", path);
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, events, 4096, &text, NULL, NULL) < 0)
    return false;
  return strstr (text, line) != NULL;
}

static bool
cgroup_populated (const char *path)
{
  return moat_cgroup_event (path, "populated 1");
}

int
moat_cgroup_create (const char *cgroups_path, const char *id, struct moat_cgroup *out,
                    moat_error **err)
{
  memset (out, 0, sizeof *out);
  out->dirfd = -1;
  const char *mount = moat_cgroup_v2_mount ();
  if (mount == NULL)
    {
      moat_warn ("no cgroup v2 hierarchy found; the container runs without a cgroup");
      return 0;
    }
  autofree char *rel = cgroups_path ? xstrdup (cgroups_path) : xasprintf ("moat/%s", id);
  if (strchr (rel, ':') && rel[0] != '/')
    return moat_error_set (err, 0, "linux.cgroupsPath: `%s` looks like a systemd "
                           "slice:prefix:name path; use --systemd-cgroup", rel);
  const char *trimmed = rel;
  while (*trimmed == '/')
    trimmed++;
  if (*trimmed == '\0')
    return moat_error_set (err, 0, "linux.cgroupsPath: `%s` names the root cgroup",
                           cgroups_path);
  char *created = NULL;
  if (make_cgroup_dirs_retrying (mount, trimmed, &created, err) < 0)
    {
      if (created)
        {
          moat_error *ignored = NULL;
          moat_cgroup_destroy (created, created, &ignored);
          moat_error_free (&ignored);
        }
      free (created);
      if (geteuid () != 0 && (*err)->errnum == EACCES)
        {
          /* rootless without a delegated cgroup: run without one */
          moat_warn ("%s; the container runs without its own cgroup", (*err)->msg);
          moat_error_free (err);
          return 0;
        }
      return moat_error_prefix (err, "linux.cgroupsPath");
    }
  out->path = xasprintf ("%s/%s", mount, trimmed);
  out->created_from = created;
  if (cgroups_path == NULL && created != NULL)
    {
      /* moat owns its default parent: whichever container is deleted last
         removes it, not only the one that happened to make it */
      free (out->created_from);
      out->created_from = xasprintf ("%s/moat", mount);
    }
  if (created == NULL && cgroup_populated (out->path))
    {
      moat_error_set (err, 0, "linux.cgroupsPath: cgroup `%s` already has processes",
                      out->path);
      moat_cgroup_release (out);
      return -1;
    }
  out->dirfd = open (out->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out->dirfd < 0)
    {
      int e = errno;
      moat_error *ignored = NULL;
      moat_cgroup_destroy (out->path, out->created_from, &ignored);
      moat_error_free (&ignored);
      moat_cgroup_release (out);
      return moat_error_set (err, e, "open cgroup");
    }
  return 0;
}

void
moat_cgroup_release (struct moat_cgroup *cg)
{
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = -1;
  free (cg->path);
  free (cg->created_from);
  cg->path = cg->created_from = NULL;
}

int
moat_cgroup_pids (const char *path, int **pids, size_t *n, moat_error **err)
{
  autofree char *procs = xasprintf ("%s/cgroup.procs", path);
  autofree char *text = NULL;
  *pids = NULL;
  *n = 0;
  if (moat_read_file_at (AT_FDCWD, procs, 16u << 20, &text, NULL, err) < 0)
    return -1;
  size_t cap = 0;
  char *save = NULL;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 16;
          *pids = xrealloc (*pids, cap * sizeof (int));
        }
      (*pids)[(*n)++] = atoi (l);
    }
  return 0;
}


int
moat_cgroup_signal_all (const char *path, int sig, moat_error **err)
{
  if (sig == SIGKILL)
    {
      autofree char *kill_file = xasprintf ("%s/cgroup.kill", path);
      if (access (kill_file, F_OK) == 0)
        return moat_write_file (kill_file, "1", err);
    }
  /* Frozen, the processes can neither exit (freeing their pid for reuse)
     nor fork while the list is read and signalled; a paused container
     stays paused.  */
  bool was_frozen = moat_cgroup_event (path, "frozen 1");
  bool froze = !was_frozen && moat_cgroup_freeze (path, true, NULL) == 0;
  autofree int *pids = NULL;
  size_t n;
  int r = moat_cgroup_pids (path, &pids, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      r = moat_error_set (err, errno, "kill %d", pids[i]);
  if (froze)
    if (moat_cgroup_freeze (path, false, r < 0 ? NULL : err) < 0 && r == 0)
      r = -1;
  return r;
}

/* Wait (bounded) until the cgroup has no process left.  */
static void
wait_empty (const char *path)
{
  for (int i = 0; i < 500 && cgroup_populated (path); i++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

int
moat_cgroup_destroy (const char *path, const char *created_from, moat_error **err)
{
  if (path == NULL)
    return 0;
  if (access (path, F_OK) < 0)
    return 0;
  if (cgroup_populated (path))
    {
      moat_error *ignored = NULL;
      moat_cgroup_signal_all (path, SIGKILL, &ignored);
      moat_error_free (&ignored);
      wait_empty (path);
    }
  if (created_from == NULL)
    return 0;
  /* Remove from the leaf up to the first directory create made; a parent
     shared with another container stays (EBUSY/ENOTEMPTY).  */
  autofree char *cur = xstrdup (path);
  size_t stop = strlen (created_from);
  for (;;)
    {
      if (rmdir (cur) < 0)
        {
          if (errno == ENOENT)
            ;
          else if ((errno == EBUSY || errno == ENOTEMPTY) && strcmp (cur, path) != 0)
            return 0;
          else
            return moat_error_set (err, errno, "remove cgroup `%s`", cur);
        }
      if (strlen (cur) <= stop)
        break;
      char *slash = strrchr (cur, '/');
      if (slash == NULL || slash == cur)
        break;
      *slash = '\0';
      if (strlen (cur) < stop)
        break;
    }
  return 0;
}

/* Freeze or thaw every process of the cgroup, and wait (bounded) until
   the kernel reports it done in cgroup.events.  */
int
moat_cgroup_freeze (const char *path, bool freeze, moat_error **err)
{
  autofree char *file = xasprintf ("%s/cgroup.freeze", path);
  if (moat_write_file (file, freeze ? "1" : "0", err) < 0)
    return -1;
  const char *want = freeze ? "frozen 1" : "frozen 0";
  for (int i = 0; i < 1000; i++)
    {
      if (moat_cgroup_event (path, want))
        return 0;
      struct timespec ts = { 0, 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return moat_error_set (err, 0, "cgroup `%s` did not %s within a second", path,
                         freeze ? "freeze" : "thaw");
}
