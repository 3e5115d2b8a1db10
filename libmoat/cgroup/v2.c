/* The cgroupfs driver on the unified (v2) hierarchy: directories under
   the cgroup2 mount, the init placed by CLONE_INTO_CGROUP, cgroup.freeze,
   cgroup.kill and cgroup.events.  */
#include <config.h>
#include "cgroup.h"
#include "stats.h"
#include "v2-resources.h"
#include "../fault.h"
#include "../linux/linux.h"
#include "../log.h"
#include "../utils.h"
#include <dirent.h>
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
static bool
cgroup_event (const char *path, const char *line)
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
  return cgroup_event (path, "populated 1");
}

/* Where the cgroup goes: under the mount, linux.cgroupsPath or
   moat/<id>.  created_from is the first directory that does not exist yet
   (for the default path, moat's own parent, which whichever container is
   deleted last removes).  */
static int
v2_locate (const char *cgroups_path, const char *id, struct moat_cgroup *cg,
           moat_error **err)
{
  const char *mount = moat_cgroup_v2_mount ();
  if (mount == NULL)
    {
      moat_warn ("no cgroup v2 hierarchy found; the container runs without a cgroup");
      return 0;
    }
  if (cgroups_path && strchr (cgroups_path, ':') && cgroups_path[0] != '/')
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s` looks like a systemd "
                            "slice:prefix:name path; use --systemd-cgroup", cgroups_path);
  /* absolute: below the hierarchy's root; relative: below moat's own
     cgroup (runc's rule); none: moat/<id> below the root */
  autofree char *self = NULL;
  if (cgroups_path && cgroups_path[0] != '/' && (self = moat_cgroup_self ("", err)) == NULL)
    return moat_error_prefix (err, "linux.cgroupsPath `%s` is relative to moat's cgroup",
                              cgroups_path);
  autofree char *rel = cgroups_path == NULL ? xasprintf ("moat/%s", id)
    : self ? xasprintf ("%s/%s", self, cgroups_path) : xstrdup (cgroups_path);
  /* "/a//b/" is a/b */
  autofree char *clean = xmalloc0 (strlen (rel) + 1);
  char *save = NULL;
  for (char *c = strtok_r (rel, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (clean[0])
        strcat (clean, "/");
      strcat (clean, c);
    }
  if (clean[0] == '\0')
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.cgroupsPath: `%s` names the root cgroup", cgroups_path);
  cg->path = xasprintf ("%s/%s", mount, clean);
  if (cgroups_path == NULL)
    {
      cg->created_from = xasprintf ("%s/moat", mount);
      return 0;
    }
  cg->created_from = moat_cgroup_first_missing (mount, clean);
  return 0;
}

char *
moat_cgroup_first_missing (const char *mount, const char *rel)
{
  char *cur = xasprintf ("%s/%s", mount, rel);
  for (char *p = cur + strlen (mount) + 1;; p++)
    if (*p == '/' || *p == '\0')
      {
        char c = *p;
        *p = '\0';
        if (access (cur, F_OK) < 0)
          return cur;
        if (c == '\0')
          break;
        *p = c;
      }
  free (cur);
  return NULL;
}

static int v2_destroy (struct moat_cgroup *cg, moat_error **err);

/* The test suite plays a driver that cannot use CLONE_INTO_CGROUP (as a
   cgroup v1 one) with MOAT_FAULT=attach-cgroup.  */
static bool
plays_attach (void)
{
  return moat_fault ("attach-cgroup", NULL) < 0;
}

static bool
v2_in_use (const struct moat_cgroup *cg)
{
  return cgroup_populated (cg->path);
}

static int
v2_create (struct moat_cgroup *cg, moat_error **err)
{
  const char *mount = moat_cgroup_v2_mount ();
  const char *rel = cg->path + strlen (mount) + 1;
  char *made = NULL;
  if (moat_fault ("cgroup-mkdir", err) < 0
      || make_cgroup_dirs_retrying (mount, rel, &made, err) < 0)
    {
      if (made)
        {
          /* what this call made, and nothing above it */
          struct moat_cgroup partial = { .path = cg->path, .created_from = made };
          moat_error *ignored = NULL;
          v2_destroy (&partial, &ignored);
          moat_error_free (&ignored);
        }
      free (made);
      int e = (*err)->errnum;
      /* really without privileges: --rootless true as the host's root
         never turns a cgroup it cannot make into a warning */
      if (moat_without_host_root () && (e == EACCES || e == EPERM || e == EROFS))
        {
          /* rootless without a delegated cgroup: run without one */
          moat_warn ("%s; the container runs without its own cgroup", (*err)->msg);
          moat_error_free (err);
          free (cg->path);
          free (cg->created_from);
          cg->path = cg->created_from = NULL;
          return 0;
        }
      return -1;
    }
  bool existed = made == NULL;
  free (made);
  if (existed && cgroup_populated (cg->path))
    {
      /* someone else's: never remove it */
      free (cg->created_from);
      cg->created_from = NULL;
      return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                              "cgroup `%s` already has processes", cg->path);
    }
  if (plays_attach ())
    return 0;
  cg->dirfd = open (cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg->dirfd < 0)
    return moat_error_set (err, errno, "open cgroup `%s`", cg->path);
  return 0;
}

/* Before the init is born in the cgroup, so it never runs unfiltered.  */
static int
v2_apply (struct moat_cgroup *cg, const struct moat_spec *s, moat_error **err)
{
  if (moat_fault ("cgroup-apply", err) < 0)
    return -1;
  autoclose int own = -1;
  int fd = cg->dirfd;
  if (fd < 0 && (fd = own = open (cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return moat_error_set (err, errno, "open cgroup `%s`", cg->path);
  if (moat_v2_apply_resources (moat_cgroup_v2_mount (), cg->path, fd, &s->resources, err) < 0)
    return -1;
  if (moat_cgroup_devices_attach (fd, s->device_rules, s->n_device_rules, err) == 0)
    return 0;
  if (moat_without_host_root () && (*err)->errnum == EPERM)
    {
      /* without privileges there is no mknod either */
      moat_debug ("%s; continuing without a device filter", (*err)->msg);
      moat_error_free (err);
      return 0;
    }
  return -1;
}

static int
v2_stats (const struct moat_cgroup *cg, struct moat_cgroup_stats *s, moat_error **err)
{
  if (access (cg->path, F_OK) < 0)
    return moat_error_set (err, errno, "cgroup `%s`", cg->path);
  moat_v2_read_stats (cg->path, s);
  return 0;
}

static int
v2_update (struct moat_cgroup *cg, const struct moat_resources *r, moat_error **err)
{
  autofree char *usage = xasprintf ("%s/memory.current", cg->path);
  autoclose int fd = open (cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "open cgroup `%s`", cg->path);
  if (moat_cgroup_check_memory_usage (usage, r, err) < 0)
    return -1;
  return moat_v2_apply_resources (moat_cgroup_v2_mount (), cg->path, fd, r, err);
}

/* "." and "..": every other name, dots first included, is a cgroup the
   container may have made.  */
static bool
is_dot_entry (const char *n)
{
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

/* A container that can write its cgroup mount can make cgroups below its
   own and move processes there: what acts on the container's processes
   acts on the whole subtree.  Walked through directory fds (no path
   grows with the depth), an fd per level, bounded; no symlinks (cgroupfs
   has none).  */
#define MAX_DEPTH 512

static int
collect_pids (int dirfd, int depth, int **pids, size_t *n, size_t *cap, moat_error **err)
{
  autofree char *text = NULL;
  if (moat_read_file_at (dirfd, "cgroup.procs", 16u << 20, &text, NULL, err) < 0)
    return -1;
  char *save = NULL;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (*n == *cap)
        {
          *cap = *cap ? *cap * 2 : 16;
          *pids = xrealloc (*pids, *cap * sizeof (int));
        }
      (*pids)[(*n)++] = atoi (l);
    }
  int fd = depth < MAX_DEPTH ? openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return 0;
    }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && !is_dot_entry (de->d_name))
      {
        moat_error *gone = NULL;
        autoclose int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                    | O_CLOEXEC);
        /* a child cgroup removed meanwhile is no error */
        if (sub < 0)
          {
            if (errno != ENOENT)
              r = moat_error_set (err, errno, "open cgroup `%s`", de->d_name);
            continue;
          }
        if (collect_pids (sub, depth + 1, pids, n, cap, &gone) < 0
            && gone->errnum != ENOENT && gone->errnum != ENODEV)
          {
            r = -1;
            if (err && *err == NULL)
              *err = steal_pointer (&gone);
          }
        moat_error_free (&gone);
      }
  closedir (d);
  return r;
}

static int
pids_of (const char *path, int **pids, size_t *n, moat_error **err)
{
  size_t cap = 0;
  *pids = NULL;
  *n = 0;
  autoclose int top = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return moat_error_set (err, errno, "open cgroup `%s`", path);
  return collect_pids (top, 0, pids, n, &cap, err);
}

/* The name of a subdirectory of dirfd into name, or false.  */
static bool
first_subdir (int dirfd, char name[static 256])
{
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return false;
    }
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && !is_dot_entry (de->d_name) && strlen (de->d_name) < 256)
      {
        strcpy (name, de->d_name);
        found = true;
      }
  closedir (d);
  return found;
}

/* rmdir every cgroup below path, deepest first: one leaf at a time, found
   by descending through directory fds, so that neither depth nor the
   length of the names (a container can nest deeper than PATH_MAX) keeps
   one from going.  Stops at the first that will not go (a process in it).  */
void
moat_cgroup_remove_descendants (const char *path)
{
  autoclose int top = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (top >= 0)
    {
      int cur = openat (top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), parent = -1;
      char name[256], leaf[256] = "";
      while (cur >= 0 && first_subdir (cur, name))
        {
          int next = openat (cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (next < 0)
            break;
          if (parent >= 0)
            close (parent);
          parent = cur;
          cur = next;
          strcpy (leaf, name);
        }
      if (cur >= 0)
        close (cur);
      if (parent < 0)
        return;  /* nothing below path any more */
      int r = unlinkat (parent, leaf, AT_REMOVEDIR);
      close (parent);
      if (r < 0)
        return;
    }
}

static int
v2_clone_fd (const struct moat_cgroup *cg, moat_error **err)
{
  if (plays_attach ())
    return -1;
  int fd = open (cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "open the container's cgroup `%s`", cg->path);
  return fd;
}

static int
v2_attach (struct moat_cgroup *cg, pid_t pid, moat_error **err)
{
  autofree char *procs = xasprintf ("%s/cgroup.procs", cg->path);
  char num[16];
  snprintf (num, sizeof num, "%d", pid);
  return moat_write_file (procs, num, err);
}

static int
v2_pids (const struct moat_cgroup *cg, int **pids, size_t *n, moat_error **err)
{
  return pids_of (cg->path, pids, n, err);
}

/* Wait (bounded: a second) until cgroup.events says frozen or thawed.  */
static bool
wait_frozen (const char *path, bool freeze)
{
  const char *want = freeze ? "frozen 1" : "frozen 0";
  for (int i = 0; i < 1000; i++)
    {
      if (cgroup_event (path, want))
        return true;
      struct timespec ts = { 0, 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return false;
}

/* Freeze or thaw every process of the cgroup, and wait (bounded) until
   the kernel reports it done in cgroup.events.  */
static int
freeze_path (const char *path, bool freeze, moat_error **err)
{
  autofree char *file = xasprintf ("%s/cgroup.freeze", path);
  if (moat_write_file (file, freeze ? "1" : "0", err) < 0)
    return -1;
  if (wait_frozen (path, freeze))
    return 0;
  return moat_error_set (err, 0, "cgroup `%s` did not %s within a second", path,
                         freeze ? "freeze" : "thaw");
}

static int
v2_freeze (const struct moat_cgroup *cg, bool freeze, moat_error **err)
{
  return freeze_path (cg->path, freeze, err);
}

static bool
v2_frozen (const struct moat_cgroup *cg)
{
  return cgroup_event (cg->path, "frozen 1");
}

static int
kill_path (const char *path, int sig, moat_error **err)
{
  if (sig == 0)
    return 0;  /* nothing to send: the caller checked the init is alive */
  if (sig == SIGKILL)
    {
      autofree char *kill_file = xasprintf ("%s/cgroup.kill", path);
      if (access (kill_file, F_OK) == 0)
        return moat_write_file (kill_file, "1", err);
    }
  /* Frozen, the processes can neither exit (freeing their pid for reuse)
     nor fork while the list is read and signalled; a paused container
     stays paused.  */
  bool was_frozen = cgroup_event (path, "frozen 1");
  autofree char *freeze_file = xasprintf ("%s/cgroup.freeze", path);
  /* thawed again below whenever this call asked for the freeze, even if
     the kernel did not report it done in time */
  bool froze = !was_frozen && moat_write_file (freeze_file, "1", NULL) == 0;
  if (froze)
    wait_frozen (path, true);
  autofree int *pids = NULL;
  size_t n;
  int r = pids_of (path, &pids, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      r = moat_error_set (err, errno, "kill %d", pids[i]);
  if (froze)
    if (freeze_path (path, false, r < 0 ? NULL : err) < 0 && r == 0)
      r = -1;
  return r;
}

static int
v2_kill (const struct moat_cgroup *cg, int sig, moat_error **err)
{
  return kill_path (cg->path, sig, err);
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

static int
v2_destroy (struct moat_cgroup *cg, moat_error **err)
{
  const char *path = cg->path;
  if (path == NULL)
    return 0;
  if (cgroup_populated (path))
    {
      moat_error *ignored = NULL;
      kill_path (path, SIGKILL, &ignored);
      moat_error_free (&ignored);
      wait_empty (path);
    }
  if (cg->created_from == NULL)
    return 0;
  moat_cgroup_remove_descendants (path);
  /* Remove from the leaf up to the first directory create made; a parent
     shared with another container stays (EBUSY/ENOTEMPTY).  */
  autofree char *cur = xstrdup (path);
  size_t stop = strlen (cg->created_from);
  for (;;)
    {
      if (rmdir (cur) < 0)
        {
          /* gone, or never made: a create that failed on a name too long
             for a path made the components above it */
          if (errno == ENOENT || errno == ENAMETOOLONG)
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

const struct moat_cgroup_driver moat_cgroup_v2_driver = {
  .name = "cgroupfs-v2",
  .locate = v2_locate,
  .in_use = v2_in_use,
  .create = v2_create,
  .clone_fd = v2_clone_fd,
  .attach = v2_attach,
  .apply = v2_apply,
  .update = v2_update,
  .stats = v2_stats,
  .freeze = v2_freeze,
  .frozen = v2_frozen,
  .kill = v2_kill,
  .pids = v2_pids,
  .destroy = v2_destroy,
};
