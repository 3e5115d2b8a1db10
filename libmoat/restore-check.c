/* The restored processes held against the config before they run
   (CRIU's pre-resume notification; restore-check.h).  CRIU restores what
   the images hold: credentials, capabilities, seccomp, the LSM label,
   the namespaces.  Images may come from anywhere (an import, a shared
   directory), so none of that is taken on their word: a process that
   has more than the config gives fails the restore, and the tree is
   stopped for good before any of it runs, then killed.  */
#include <config.h>
#ifdef HAVE_CRIU
#include "restore-check.h"
#include "criu.h"
#include "linux/syscalls.h"
#include "utils.h"
#include <dirent.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The most processes a restored tree is walked for.  */
#define MAX_TASKS 65536

struct thread_status
{
  uint64_t inh, prm, eff, bnd, amb;
  int no_new_privs, seccomp;
  unsigned long uid[4], gid[4];  /* real, effective, saved, filesystem */
  char *groups;                  /* the Groups: line's list */
};

static int
read_thread_status (pid_t pid, pid_t tid, struct thread_status *t, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 16, &text, &len, err) < 0)
    return moat_error_prefix (err, "restore: the restored process %d", tid);
  struct { const char *key; uint64_t *v; } caps[] = {
    { "CapInh:", &t->inh }, { "CapPrm:", &t->prm }, { "CapEff:", &t->eff },
    { "CapBnd:", &t->bnd }, { "CapAmb:", &t->amb },
  };
  int found = 0;
  t->no_new_privs = t->seccomp = -1;
  for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      for (size_t i = 0; i < ARRAY_SIZE (caps); i++)
        if (strncmp (line, caps[i].key, strlen (caps[i].key)) == 0)
          {
            *caps[i].v = strtoull (line + strlen (caps[i].key), NULL, 16);
            found++;
          }
      if (strncmp (line, "Uid:", 4) == 0)
        found += sscanf (line + 4, "%lu %lu %lu %lu", &t->uid[0], &t->uid[1], &t->uid[2],
                         &t->uid[3]) == 4;
      else if (strncmp (line, "Gid:", 4) == 0)
        found += sscanf (line + 4, "%lu %lu %lu %lu", &t->gid[0], &t->gid[1], &t->gid[2],
                         &t->gid[3]) == 4;
      else if (strncmp (line, "Groups:", 7) == 0)
        {
          size_t n = strcspn (line + 7, "\n");
          t->groups = xasprintf ("%.*s", (int) n, line + 7);
        }
      else if (strncmp (line, "NoNewPrivs:", 11) == 0)
        t->no_new_privs = atoi (line + 11);
      else if (strncmp (line, "Seccomp:", 8) == 0)
        t->seccomp = atoi (line + 8);
    }
  if (found != (int) ARRAY_SIZE (caps) + 2 || t->no_new_privs < 0 || t->seccomp < 0
      || t->groups == NULL)
    return moat_error_set (err, EPROTO, "restore: %s: not the status moat reads", path);
  return 0;
}

static bool
gid_given (const struct moat_spec *s, unsigned long g)
{
  for (size_t i = 0; i < s->n_additional_gids; i++)
    if (s->additional_gids[i] == g)
      return true;
  return g == s->gid;
}

/* Its uids and gids are the config's, where no process of the config
   could change them: no_new_privs (no set-id program) and neither
   CAP_SETUID nor CAP_SETGID.  */
static const char *
ids_differ (const struct moat_plan *p, const struct thread_status *t)
{
  const struct moat_spec *s = p->spec;
  uint64_t given = p->process.caps.permitted | p->process.caps.bounding;
  if (!s->no_new_privileges)
    return NULL;
  if (!(given & (1ULL << CAP_SETUID)))
    for (int i = 0; i < 4; i++)
      if (t->uid[i] != s->uid)
        return "uid";
  if (!(given & (1ULL << CAP_SETGID)))
    {
      for (int i = 0; i < 4; i++)
        if (t->gid[i] != s->gid)
          return "gid";
      char *end;
      for (const char *g = t->groups; *g; g = end)
        {
          unsigned long v = strtoul (g, &end, 10);
          if (end == g)
            break;
          if (!gid_given (s, v))
            return "supplementary groups";
        }
    }
  return NULL;
}

static int
check_thread (const struct moat_plan *p, pid_t pid, pid_t tid, moat_error **err)
{
  struct thread_status t;
  memset (&t, 0, sizeof t);
  int r = read_thread_status (pid, tid, &t, err);
  const char *ids = r < 0 ? NULL : ids_differ (p, &t);
  free (t.groups);
  if (r < 0)
    return -1;
  if (ids)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process %d "
                            "has other %s than process.user: the images are not of this "
                            "config", tid, ids);
  const struct moat_capsets *c = &p->process.caps;
  struct { const char *name; uint64_t have, given; } sets[] = {
    { "bounding", t.bnd, c->bounding }, { "effective", t.eff, c->effective },
    { "permitted", t.prm, c->permitted }, { "inheritable", t.inh, c->inheritable },
    { "ambient", t.amb, c->ambient },
  };
  for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
    if (sets[i].have & ~sets[i].given)
      return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process "
                              "%d has %s capabilities the config does not give (%#" PRIx64
                              "): the images are not of this config", tid, sets[i].name,
                              sets[i].have & ~sets[i].given);
  if (p->spec->no_new_privileges && t.no_new_privs != 1)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process %d "
                            "lacks process.noNewPrivileges", tid);
  if (p->process.seccomp && t.seccomp != 2)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process %d "
                            "has no seccomp filter, and the config has linux.seccomp", tid);
  return 0;
}

static int
ns_inode (const char *path, ino_t *ino, dev_t *dev)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -1;
  *ino = st.st_ino;
  *dev = st.st_dev;
  return 0;
}

/* Each namespace the config asks for: a new one, not the runtime's nor
   the helper's (but for the cgroup namespace, which the helper makes for
   the tree); one joined by path: the plan's.  */
static int
check_namespaces (const struct moat_plan *p, pid_t pid, moat_error **err)
{
  for (int type = 0; type < MOAT_NS_COUNT; type++)
    {
      const char *name = moat_ns_proc_name (type);
      if (!p->spec->ns[type].present || name == NULL)
        continue;
      char path[64];
      ino_t ino, own_ino, parent_ino;
      dev_t dev, own_dev, parent_dev;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", pid, name);
      if (ns_inode (path, &ino, &dev) < 0)
        return moat_error_set (err, errno, "restore: `%s`", path);
      bool ok;
      if (p->ns_fds[type] >= 0)
        {
          struct stat st;
          ok = fstat (p->ns_fds[type], &st) == 0 && st.st_ino == ino && st.st_dev == dev;
        }
      else
        {
          snprintf (path, sizeof path, "/proc/self/ns/%s", name);
          int a = ns_inode (path, &own_ino, &own_dev);
          snprintf (path, sizeof path, "/proc/%d/ns/%s", getppid (), name);
          int b = ns_inode (path, &parent_ino, &parent_dev);
          /* the helper makes the cgroup namespace the tree is born in */
          bool own_too = type != MOAT_NS_CGROUP;
          ok = a == 0 && b == 0 && !(own_too && own_ino == ino && own_dev == dev)
               && !(parent_ino == ino && parent_dev == dev);
        }
      if (!ok)
        return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process "
                                "%d is not in the %s namespace the config asks for", pid,
                                name);
    }
  return 0;
}

/* It is in the cgroups the helper entered: the container's.  */
static int
check_cgroup (pid_t pid, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/cgroup", pid);
  autofree char *theirs = NULL, *ours = NULL;
  size_t a, b;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 16, &theirs, &a, err) < 0
      || moat_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, &ours, &b, err) < 0)
    return moat_error_prefix (err, "restore: the cgroup of the restored process %d", pid);
  if (a != b || memcmp (theirs, ours, a) != 0)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process "
                            "%d is not in the container's cgroup", pid);
  return 0;
}

/* Its root is the container's root filesystem.  */
static int
check_root (const struct moat_plan *p, pid_t pid, moat_error **err)
{
  char path[64];
  struct stat theirs, ours;
  snprintf (path, sizeof path, "/proc/%d/root/", pid);
  if (stat (path, &theirs) < 0 || stat (p->rootfs, &ours) < 0)
    return moat_error_set (err, errno, "restore: the root of the restored process %d", pid);
  if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process %d "
                            "is not in the container's root filesystem", pid);
  return 0;
}

/* Its LSM label is label ("apparmor:NAME", "selinux:CONTEXT"), when
   moat gave CRIU one.  */
static int
check_label (const char *label, pid_t pid, moat_error **err)
{
  if (label == NULL)
    return 0;
  const char *want = strchr (label, ':') + 1;
  bool apparmor = strncmp (label, "apparmor:", 9) == 0;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/attr/current", pid);
  autofree char *have = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 4096, &have, &len, err) < 0)
    return moat_error_prefix (err, "restore: the label of the restored process %d", pid);
  while (len > 0 && (have[len - 1] == '\n' || have[len - 1] == '\0'))
    have[--len] = '\0';
  /* AppArmor adds the mode: "NAME (enforce)" */
  size_t n = strlen (want);
  bool ok = strncmp (have, want, n) == 0
            && (have[n] == '\0' || (apparmor && strncmp (have + n, " (", 2) == 0));
  if (!ok)
    {
      autofree char *shown = moat_printable (have);
      return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: the restored process "
                              "%d runs as `%s`, not `%s`", pid, shown, want);
    }
  return 0;
}

/* f on every thread of pid; stops at the first failure.  */
static int
for_each_thread (pid_t pid, int (*f) (void *data, pid_t pid, pid_t tid, moat_error **err),
                 void *data, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir (path);
  if (d == NULL)
    return moat_error_set (err, errno, "restore: the restored process %d", pid);
  int r = 0;
  for (struct dirent *e; r == 0 && (e = readdir (d));)
    if (e->d_name[0] != '.')
      r = f (data, pid, atoi (e->d_name), err);
  closedir (d);
  return r;
}

static int
thread_ok (void *data, pid_t pid, pid_t tid, moat_error **err)
{
  return check_thread (data, pid, tid, err);
}

/* A mount point of the task's and whether it is read-only (the last
   mount on a point is the one seen).  */
struct mount_point
{
  char *path;
  bool ro;
};

struct mount_table
{
  struct mount_point *m;
  size_t n;
  char *text;
};

static int
read_mount_table (pid_t pid, struct mount_table *t, moat_error **err)
{
  char path[64];
  size_t len;
  snprintf (path, sizeof path, "/proc/%d/mountinfo", pid);
  memset (t, 0, sizeof *t);
  if (moat_read_file_at (AT_FDCWD, path, 16 << 20, &t->text, &len, err) < 0)
    return moat_error_prefix (err, "restore: the mounts of the restored process %d", pid);
  char *save = NULL;
  for (char *line = strtok_r (t->text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... */
      char *f[6];
      char *fsave = NULL;
      int k = 0;
      for (char *w = strtok_r (line, " ", &fsave); w && k < 6; w = strtok_r (NULL, " ", &fsave))
        f[k++] = w;
      if (k < 6)
        continue;
      moat_criu_unescape (f[4]);
      t->m = xrealloc (t->m, (t->n + 1) * sizeof *t->m);
      t->m[t->n].path = f[4];
      t->m[t->n].ro = strncmp (f[5], "ro", 2) == 0 && (f[5][2] == ',' || f[5][2] == '\0');
      t->n++;
    }
  return 0;
}

static const struct mount_point *
mount_at (const struct mount_table *t, const char *path)
{
  for (size_t i = t->n; i-- > 0;)
    if (moat_criu_same_path (path, t->m[i].path))
      return &t->m[i];
  return NULL;
}

/* path is in the task's root (resolved in it, without magic links).  */
static bool
exists_in_root (int rootfd, const char *path)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = sys_openat2 (rootfd, path, &how);
  if (fd >= 0)
    close (fd);
  return fd >= 0 || errno != ENOENT;
}

/* The mounts the config protects, as create makes them: the root
   read-only with root.readonly, each masked path covered, each read-only
   path and each `ro` mount read-only; a path without a mount of its own
   must not exist (as at create).  */
static int
check_mounts (const struct moat_plan *p, pid_t pid, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  struct mount_table t;
  if (read_mount_table (pid, &t, err) < 0)
    return -1;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/root", pid);
  int rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  const char *why = NULL, *what = NULL;
  const struct mount_point *root = mount_at (&t, "/");
  if (rootfd < 0)
    why = "its root cannot be opened", what = "/";
  else if (s->root_readonly && (root == NULL || !root->ro))
    why = "is writable (root.readonly)", what = "/";
  for (size_t i = 0; !why && s->masked_paths && s->masked_paths[i]; i++)
    if (!mount_at (&t, s->masked_paths[i]) && exists_in_root (rootfd, s->masked_paths[i]))
      why = "is not masked (linux.maskedPaths)", what = s->masked_paths[i];
  for (size_t i = 0; !why && s->readonly_paths && s->readonly_paths[i]; i++)
    {
      const struct mount_point *m = mount_at (&t, s->readonly_paths[i]);
      if (m ? !m->ro : exists_in_root (rootfd, s->readonly_paths[i]))
        why = "is not read-only (linux.readonlyPaths)", what = s->readonly_paths[i];
    }
  for (size_t i = 0; !why && i < s->n_mounts; i++)
    for (size_t k = 0; !why && s->mounts[i].options && s->mounts[i].options[k]; k++)
      if (strcmp (s->mounts[i].options[k], "ro") == 0)
        {
          const struct mount_point *m = mount_at (&t, s->mounts[i].destination);
          if (m == NULL || !m->ro)
            why = "is not read-only (its mount's ro)", what = s->mounts[i].destination;
        }
  if (rootfd >= 0)
    close (rootfd);
  free (t.m);
  free (t.text);
  if (why)
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "restore: in the restored process "
                            "%d's mounts, `%s` %s: the images are not of this config", pid,
                            what, why);
  return 0;
}

/* A task: every thread's credentials; its namespaces, root and label.  */
static int
check_task (const struct moat_plan *p, const char *label, pid_t pid, moat_error **err)
{
  if (for_each_thread (pid, thread_ok, (void *) p, err) < 0
      || check_namespaces (p, pid, err) < 0 || check_cgroup (pid, err) < 0
      || check_root (p, pid, err) < 0
      || check_mounts (p, pid, err) < 0
      || check_label (label, pid, err) < 0)
    return -1;
  return 0;
}

static int
stop_thread (void *data, pid_t pid, pid_t tid, moat_error **err)
{
  (void) data;
  (void) err;
  syscall (SYS_tgkill, pid, tid, SIGSTOP);
  return 0;
}

struct children
{
  pid_t *list;
  size_t n;
};

/* The children of a thread, appended to the list.  */
static int
add_thread_children (void *data, pid_t pid, pid_t tid, moat_error **err)
{
  struct children *c = data;
  char path[96];
  snprintf (path, sizeof path, "/proc/%d/task/%d/children", pid, tid);
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 20, &text, &len, err) < 0)
    return moat_error_prefix (err, "restore: the processes restored");
  for (char *s = text, *end; *s; s = end)
    {
      long child = strtol (s, &end, 10);
      if (end == s)
        break;
      if (c->n >= MAX_TASKS)
        return moat_error_set (err, E2BIG, "restore: more than %d processes restored",
                               MAX_TASKS);
      c->list = xrealloc (c->list, (c->n + 1) * sizeof *c->list);
      c->list[c->n++] = (pid_t) child;
    }
  return 0;
}

/* root.readonly (CRIU brings the root back writable): the root mount
   of the tree made read-only, from its mount namespace.  */
static int
root_readonly (pid_t pid, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", pid);
  autoclose int ns = open (path, O_RDONLY | O_CLOEXEC);
  snprintf (path, sizeof path, "/proc/%d/root", pid);
  autoclose int root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ns < 0 || root < 0)
    return moat_error_set (err, errno, "restore: the root of the restored process %d", pid);
  /* a child of the helper's enters their mount namespace, for a moment */
  pid_t child = fork ();
  if (child == 0)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (setns (ns, CLONE_NEWNS) < 0 || sys_mount_setattr (root, "", AT_EMPTY_PATH, &attr) < 0)
        _exit (errno > 0 && errno < 256 ? errno : EIO);
      _exit (0);
    }
  if (child < 0)
    return moat_error_set (err, errno, "restore: fork");
  int status = 0;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return moat_error_set (err, WIFEXITED (status) ? WEXITSTATUS (status) : EIO,
                           "root.readonly: remount the restored root read-only");
  return 0;
}

int
moat_restore_check (const struct moat_plan *p, const char *label, pid_t root,
                    moat_error **err)
{
  struct children c = { xmalloc0 (sizeof (pid_t)), 1 };
  c.list[0] = root;
  int r = 0;
  for (size_t i = 0; r == 0 && i < c.n; i++)
    r = for_each_thread (c.list[i], add_thread_children, &c, err);
  if (r == 0 && p->spec->root_readonly)
    r = root_readonly (root, err);
  for (size_t i = 0; r == 0 && i < c.n; i++)
    r = check_task (p, label, c.list[i], err);
  if (r < 0)
    /* CRIU resumes the tree whatever its notification is told (and a
       tree killed under it leaves CRIU waiting for ever): each thread is
       given a SIGSTOP, which stops it as it leaves CRIU's hands, before
       any of its own code runs; the failed restore then kills the
       cgroup */
    for (size_t i = 0; i < c.n; i++)
      {
        moat_error *ignored = NULL;
        if (for_each_thread (c.list[i], stop_thread, NULL, &ignored) < 0)
          kill (c.list[i], SIGSTOP);
        moat_error_free (&ignored);
      }
  free (c.list);
  return r;
}

#endif /* HAVE_CRIU */
