/* A new user namespace's id maps, written from the parent.

   Who may write what is the kernel's rule (user_namespaces(7)): a writer
   holding CAP_SETUID (CAP_SETGID) in moat's own user namespace maps any
   of the ids that namespace has; one without may map only its own id,
   and for gid_map only once setgroups is denied.  Anything else goes
   through the setuid helpers newuidmap and newgidmap, which check the
   caller's subordinate ranges in /etc/subuid and /etc/subgid: that is
   how an unprivileged user gets a container with 65536 ids.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What moat holds now, in its own user namespace.  */
static bool
have_effective_cap (int cap)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  if (syscall (SYS_capget, &h, d) < 0)
    return false;
  return (d[cap / 32].effective & (1U << (cap % 32))) != 0;
}

static bool
maps_only (const struct moat_idmap *m, size_t n, uint32_t id)
{
  return n == 1 && m[0].size == 1 && m[0].host_id == id;
}

static char *
format_map (const struct moat_idmap *m, size_t n)
{
  size_t cap = n * 36 + 1;
  char *buf = xmalloc0 (cap), *p = buf;
  for (size_t i = 0; i < n; i++)
    p += snprintf (p, cap - (p - buf), "%u %u %u\n", m[i].container_id,
                   m[i].host_id, m[i].size);
  return buf;
}

static int
write_proc (pid_t pid, const char *file, const char *data, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  return moat_write_file (path, data, err);
}

int
moat_write_id_map (pid_t pid, const char *file, const struct moat_idmap *m, size_t n,
                   moat_error **err)
{
  autofree char *text = format_map (m, n);
  return write_proc (pid, file, text, err);
}

char *
moat_find_program (const char *name)
{
  const char *path = getenv ("PATH");
  if (path == NULL || path[0] == 0)
    path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  autofree char *copy = xstrdup (path);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      /* only absolute directories: a relative one would depend on the
         current directory, which a bundle path can make anything */
      if (dir[0] != '/')
        continue;
      char *p = xasprintf ("%s/%s", dir, name);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

/* Run HELPER (newuidmap or newgidmap) for pid's map; its own message on
   failure.  */
static int
run_helper (const char *helper, pid_t pid, const struct moat_idmap *m, size_t n,
            moat_error **err)
{
  autofree char *prog = moat_find_program (helper);
  if (prog == NULL)
    return moat_error_set (err, 0, "mapping more than the caller's own id needs %s, "
                           "which is not installed (Debian and Ubuntu: the uidmap "
                           "package)", helper);
  size_t argc = 2 + 3 * n;
  autofree char **argv = xmalloc0 ((argc + 1) * sizeof *argv);
  autofree char *args = xmalloc0 (n * 3 * 12 + 16);
  char *a = args;
  argv[0] = (char *) helper;
  argv[1] = a;
  a += sprintf (a, "%d", pid) + 1;
  for (size_t i = 0; i < n; i++)
    {
      uint32_t v[3] = { m[i].container_id, m[i].host_id, m[i].size };
      for (int k = 0; k < 3; k++)
        {
          argv[2 + 3 * i + k] = a;
          a += sprintf (a, "%u", v[k]) + 1;
        }
    }
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "pipe");
  pid_t child = fork ();
  if (child < 0)
    {
      int e = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return moat_error_set (err, e, "start %s", prog);
    }
  if (child == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (pipefd[1], 1) < 0
          || dup2 (pipefd[1], 2) < 0)
        _exit (127);
      execv (prog, argv);
      _exit (127);
    }
  close (pipefd[1]);
  char msg[512];
  size_t len = 0;
  for (;;)
    {
      ssize_t r = read (pipefd[0], msg + len, sizeof msg - 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += r;
      if (len == sizeof msg - 1)
        {
          /* the rest is drained, not kept */
          char sink[256];
          while (read (pipefd[0], sink, sizeof sink) > 0)
            ;
          break;
        }
    }
  close (pipefd[0]);
  msg[len] = 0;
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    msg[--len] = 0;
  for (char *c = msg; *c; c++)
    if (*c == '\n')
      *c = ' ';
  int status = 0;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  autofree char *shown = moat_printable (msg);
  if (WIFSIGNALED (status))
    return moat_error_set (err, 0, "%s was killed by signal %d", prog, WTERMSIG (status));
  return moat_error_set (err, 0, "%s failed (exit status %d)%s%s", prog,
                         WEXITSTATUS (status), len ? ": " : "", shown);
}

/* Which subordinate-id file to name in an error.  */
static const char *
subid_file (bool gid)
{
  return gid ? "/etc/subgid" : "/etc/subuid";
}

static int
write_one (pid_t pid, bool gid, const struct moat_idmap *m, size_t n, moat_error **err)
{
  const char *file = gid ? "gid_map" : "uid_map";
  uint32_t own = gid ? getegid () : geteuid ();
  if (have_effective_cap (gid ? CAP_SETGID : CAP_SETUID))
    return moat_write_id_map (pid, file, m, n, err);
  if (maps_only (m, n, own))
    {
      /* the kernel lets an unprivileged writer map its own gid only with
         setgroups denied: the container cannot drop groups it has */
      if (gid && write_proc (pid, "setgroups", "deny", err) < 0)
        return -1;
      return moat_write_id_map (pid, file, m, n, err);
    }
  if (run_helper (gid ? "newgidmap" : "newuidmap", pid, m, n, err) < 0)
    {
      struct passwd *pw = getpwuid (geteuid ());
      return moat_error_prefix (err, "without privileges, ids other than the caller's "
                                "own (%u) are mapped from its subordinate ranges "
                                "(%s for `%s`)", own, subid_file (gid),
                                pw ? pw->pw_name : "?");
    }
  return 0;
}

int
moat_write_id_maps (pid_t pid, const struct moat_spec *s, moat_error **err)
{
  if (write_one (pid, false, s->uid_mappings, s->n_uid_mappings, err) < 0)
    return moat_error_prefix (err, "linux.uidMappings");
  if (write_one (pid, true, s->gid_mappings, s->n_gid_mappings, err) < 0)
    return moat_error_prefix (err, "linux.gidMappings");
  return 0;
}

/* One of pid's maps ("uid_map", "gid_map"), as the kernel shows it.  */
static int
read_map (pid_t pid, const char *file, struct moat_idmap **out, size_t *n,
          moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return moat_error_set (err, errno, "open `%s`", path);
  *out = NULL;
  *n = 0;
  unsigned a, b, c;
  while (fscanf (f, "%u %u %u", &a, &b, &c) == 3)
    {
      *out = xrealloc (*out, (*n + 1) * sizeof **out);
      (*out)[(*n)++] = (struct moat_idmap) { a, b, c };
    }
  fclose (f);
  return 0;
}

int
moat_read_id_maps (pid_t pid, struct moat_spec *s, moat_error **err)
{
  free (s->uid_mappings);
  free (s->gid_mappings);
  s->uid_mappings = s->gid_mappings = NULL;
  s->n_uid_mappings = s->n_gid_mappings = 0;
  if (read_map (pid, "uid_map", &s->uid_mappings, &s->n_uid_mappings, err) < 0
      || read_map (pid, "gid_map", &s->gid_mappings, &s->n_gid_mappings, err) < 0)
    return -1;
  return 0;
}

int
moat_subid_each (const char *file,
                 bool (*fn) (const char *who, uint32_t start, uint32_t count, void *data),
                 void *data)
{
  FILE *f = fopen (file, "re");
  if (f == NULL)
    return -1;
  autofree char *line = NULL;
  size_t cap = 0;
  bool more = true;
  while (more && getline (&line, &cap, f) > 0)
    {
      line[strcspn (line, "\r\n")] = 0;
      char *who = line, *s1 = strchr (line, ':');
      if (s1 == NULL)
        continue;
      *s1 = 0;
      char *s2 = strchr (s1 + 1, ':');
      if (s2 == NULL)
        continue;
      *s2 = 0;
      char *end1, *end2;
      errno = 0;
      unsigned long long st = strtoull (s1 + 1, &end1, 10);
      unsigned long long n = strtoull (s2 + 1, &end2, 10);
      if (errno || end1 == s1 + 1 || *end1 || end2 == s2 + 1 || *end2 || n == 0
          || st > UINT32_MAX || n > UINT32_MAX || st + n > (unsigned long long) UINT32_MAX + 1)
        continue;
      more = fn (who, (uint32_t) st, (uint32_t) n, data);
    }
  fclose (f);
  return 0;
}

struct wanted
{
  char idstr[16];
  const char *name;
  uint32_t start, count;
  bool found;
};

static bool
take_first (const char *who, uint32_t start, uint32_t count, void *data)
{
  struct wanted *w = data;
  if (strcmp (who, w->idstr) != 0 && (w->name == NULL || strcmp (who, w->name) != 0))
    return true;
  w->start = start;
  w->count = count;
  w->found = true;
  return false;
}

int
moat_subid_range (const char *file, uid_t id, const char *name, uint32_t *start,
                  uint32_t *count)
{
  struct wanted w = { .name = name };
  snprintf (w.idstr, sizeof w.idstr, "%u", (unsigned) id);
  if (moat_subid_each (file, take_first, &w) < 0 || !w.found)
    return -1;
  *start = w.start;
  *count = w.count;
  return 0;
}
