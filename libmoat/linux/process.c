#include <config.h>
#include "linux.h"
#include "../moat.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>

int
moat_apply_rlimits (const struct moat_spec *s, moat_error **err)
{
  for (size_t i = 0; i < s->n_rlimits; i++)
    {
      const struct moat_rlimit *r = &s->rlimits[i];
      struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (setrlimit (r->resource, &rl) < 0)
        {
          if (errno == EPERM)
            {
              struct rlimit cur;
              getrlimit (r->resource, &cur);
              return moat_error_set (err, 0, "process.rlimits: %s: raising the hard "
                                     "limit from %llu to %llu needs CAP_SYS_RESOURCE, "
                                     "which moat does not have", r->name,
                                     (unsigned long long) cur.rlim_max,
                                     (unsigned long long) r->hard);
            }
          return moat_error_set (err, errno, "process.rlimits: set %s", r->name);
        }
    }
  return 0;
}

int
moat_apply_hostname (const struct moat_spec *s, moat_error **err)
{
  if (s->hostname && s->hostname[0]
      && sethostname (s->hostname, strlen (s->hostname)) < 0)
    return moat_error_set (err, errno, "hostname: set `%s`", s->hostname);
  if (s->domainname && s->domainname[0]
      && setdomainname (s->domainname, strlen (s->domainname)) < 0)
    return moat_error_set (err, errno, "domainname: set `%s`", s->domainname);
  return 0;
}

static bool
is_executable (const char *path, int *err_out)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      *err_out = errno;
      return false;
    }
  if (!S_ISREG (st.st_mode))
    {
      *err_out = S_ISDIR (st.st_mode) ? EISDIR : EACCES;
      return false;
    }
  if ((st.st_mode & 0111) == 0)
    {
      *err_out = EACCES;
      return false;
    }
  return true;
}

/* errno text in the lower case engines match on ("no such file or
   directory", "permission denied").  */
static const char *
lower_strerror (int e, char *buf, size_t size)
{
  snprintf (buf, size, "%s", strerror (e));
  if (buf[0] >= 'A' && buf[0] <= 'Z')
    buf[0] += 'a' - 'A';
  return buf;
}

char *
moat_find_executable (const struct moat_spec *s, moat_error **err)
{
  const char *name = s->args[0];
  char ebuf[128];
  int e = 0;
  if (strchr (name, '/'))
    {
      if (is_executable (name, &e))
        return xstrdup (name);
      moat_error_set (err, 0, "exec \"%s\": %s", name,
                      lower_strerror (e, ebuf, sizeof ebuf));
      return NULL;
    }
  const char *path = NULL;
  for (size_t i = 0; s->env && s->env[i]; i++)
    if (strncmp (s->env[i], "PATH=", 5) == 0)
      path = s->env[i] + 5;
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int first_err = ENOENT;
  autofree char *copy = xstrdup (path);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *cand = xasprintf ("%s/%s", dir[0] ? dir : ".", name);
      if (is_executable (cand, &e))
        return cand;
      if (e != ENOENT && first_err == ENOENT)
        first_err = e;
      free (cand);
    }
  moat_error_set (err, 0, "exec \"%s\": executable file not found in $PATH: %s", name,
                  lower_strerror (first_err, ebuf, sizeof ebuf));
  return NULL;
}

/* ---- scheduling ---- */

struct moat_sched_attr
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

int
moat_apply_scheduling (const struct moat_spec *s, moat_error **err)
{
  if (s->has_scheduler)
    {
      struct moat_sched_attr a = {
        .size = sizeof a, .sched_policy = s->scheduler.policy,
        .sched_flags = s->scheduler.flags, .sched_nice = s->scheduler.nice,
        .sched_priority = s->scheduler.priority, .sched_runtime = s->scheduler.runtime,
        .sched_deadline = s->scheduler.deadline, .sched_period = s->scheduler.period,
      };
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return moat_error_set (err, errno, "process.scheduler: sched_setattr");
    }
  if (s->has_io_priority)
    {
      /* IOPRIO_PRIO_VALUE (class, data), IOPRIO_WHO_PROCESS */
      int value = (s->io_class << 13) | s->io_priority;
      if (syscall (SYS_ioprio_set, 1, 0, value) < 0)
        return moat_error_set (err, errno, "process.ioPriority: ioprio_set");
    }
  return 0;
}

int
moat_cpu_list_parse (const char *list, const char *field, cpu_set_t *set, moat_error **err)
{
  CPU_ZERO (set);
  autofree char *copy = xstrdup (list);
  char *save = NULL;
  for (char *r = strtok_r (copy, ",", &save); r; r = strtok_r (NULL, ",", &save))
    {
      /* N or N-M, nothing else: a list the kernel would read otherwise
         ("0-7:2/4") is refused, not taken as something else */
      unsigned long a, b;
      char *end;
      errno = 0;
      a = strtoul (r, &end, 10);
      bool ok = end != r && r[0] >= '0' && r[0] <= '9';
      b = a;
      if (ok && *end == '-')
        {
          char *from = end + 1;
          b = strtoul (from, &end, 10);
          ok = end != from && from[0] >= '0' && from[0] <= '9';
        }
      if (!ok || *end != '\0' || errno || b < a || b >= CPU_SETSIZE)
        return moat_error_set (err, 0, "%s: bad cpu range `%s`", field, r);
      for (unsigned long c = a; c <= b; c++)
        CPU_SET (c, set);
    }
  return 0;
}

int
moat_apply_cpu_affinity (const char *list, const char *field, moat_error **err)
{
  if (list == NULL)
    return 0;
  cpu_set_t set;
  if (moat_cpu_list_parse (list, field, &set, err) < 0)
    return -1;
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return moat_error_set (err, errno, "%s: sched_setaffinity `%s`", field, list);
  return 0;
}

int
moat_apply_personality (const struct moat_spec *s, moat_error **err)
{
  if (s->has_personality && personality (s->personality) < 0)
    return moat_error_set (err, errno, "linux.personality");
  return 0;
}

/* The inode number procfs gives the initial user namespace (fixed since
   namespaces got inodes, Linux 3.8).  */
#define INITIAL_USERNS_INO 0xEFFFFFFDU

bool
moat_in_initial_userns (void)
{
  /* one stat: cheaper than reading uid_map, and not fooled by a user
     namespace that maps every id to itself */
  struct stat st;
  if (stat ("/proc/self/ns/user", &st) < 0)
    return true;
  return st.st_ino == INITIAL_USERNS_INO;
}

static enum moat_rootless_mode rootless_mode = MOAT_ROOTLESS_AUTO;

void
moat_set_rootless_mode (enum moat_rootless_mode mode)
{
  rootless_mode = mode;
}

bool
moat_without_host_root (void)
{
  return geteuid () != 0 || !moat_in_initial_userns ();
}

bool
moat_running_rootless (void)
{
  if (rootless_mode != MOAT_ROOTLESS_AUTO)
    return rootless_mode == MOAT_ROOTLESS_TRUE;
  return geteuid () != 0 || !moat_in_initial_userns ();
}

#ifndef KEYCTL_JOIN_SESSION_KEYRING
# define KEYCTL_JOIN_SESSION_KEYRING 1
#endif
#ifndef KEYCTL_SETPERM
# define KEYCTL_SETPERM 5
#endif
#ifndef KEYCTL_DESCRIBE
# define KEYCTL_DESCRIBE 6
#endif
#define KEY_USR_SEARCH 0x00080000

/* A new session keyring lets only its possessors search it, so a later
   join by name (an exec into the container) would not find it and would
   make a new one: let its owner search it too.  */
static int
let_owner_search (long keyring, moat_error **err)
{
  char desc[512];
  long n = syscall (SYS_keyctl, KEYCTL_DESCRIBE, keyring, desc, sizeof desc - 1, 0);
  if (n < 0)
    return moat_error_set (err, errno, "describe the container's session keyring");
  desc[(size_t) n < sizeof desc - 1 ? (size_t) n : sizeof desc - 1] = 0;
  /* type;uid;gid;perm;description, perm in hex */
  const char *f = desc;
  for (int i = 0; i < 3 && f; i++)
    if ((f = strchr (f, ';')) != NULL)
      f++;
  char *end;
  unsigned long perm = f ? strtoul (f, &end, 16) : 0;
  if (f == NULL || end == f || *end != ';')
    return moat_error_set (err, 0, "describe the container's session keyring: "
                           "unexpected answer");
  if ((perm & KEY_USR_SEARCH) == 0
      && syscall (SYS_keyctl, KEYCTL_SETPERM, keyring, perm | KEY_USR_SEARCH, 0, 0) < 0)
    return moat_error_set (err, errno, "let the container's session keyring be found");
  return 0;
}

int
moat_join_session_keyring (const char *id, moat_error **err)
{
  autofree char *name = xasprintf ("moat-%s", id);
  long k = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (k >= 0)
    return let_owner_search (k, err);
  if (errno == ENOSYS)
    return 0;
  /* a keyring of that name that is not ours to join: a new one, unnamed */
  if (errno == EACCES
      && syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) >= 0)
    return 0;
  return moat_error_set (err, errno, "join a session keyring of the container's own "
                         "(create --no-new-keyring keeps the caller's)");
}
