#include <config.h>
#include "init.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "hooks.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#ifndef KEYCTL_JOIN_SESSION_KEYRING
# define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

extern char **environ;

static void __attribute__ ((noreturn))
fail (const struct moat_init_args *a, moat_error *err)
{
  const char *msg = err && err->msg ? err->msg : "container setup failed";
  size_t len = strlen (msg);
  char *buf = malloc (len + 1);
  if (buf)
    {
      buf[0] = SYNC_ERROR;
      memcpy (buf + 1, msg, len);
      (void) !send (a->sync_fd, buf, len + 1, MSG_NOSIGNAL);
    }
  _exit (1);
}

static int
recv_kind (int fd)
{
  char c;
  ssize_t r;
  do
    r = recv (fd, &c, 1, 0);
  while (r < 0 && errno == EINTR);
  return r == 1 ? c : -1;
}

/* A session keyring of the container's own, so it cannot read the
   host's keys (the kernel keyring is not namespaced).  */
static void
join_session_keyring (const char *id)
{
  autofree char *name = xasprintf ("moat-%s", id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0
      && errno != ENOSYS && errno != EACCES && errno != EPERM)
    moat_warn ("cannot join a new session keyring: %s", strerror (errno));
}

static int
enter_cwd (const char *cwd, moat_error **err)
{
  if (chdir (cwd) == 0)
    return 0;
  if (errno == ENOENT && moat_mkdir_p (cwd, 0755, NULL) == 0 && chdir (cwd) == 0)
    return 0;
  return moat_error_set (err, errno, "process.cwd: `%s`", cwd);
}

/* Wait for `start`: a byte in the exec fifo (create) or SYNC_START (run).  */
static int
wait_for_start (const struct moat_init_args *a, moat_error **err)
{
  if (a->fifo_fd >= 0)
    {
      char c;
      ssize_t r;
      do
        r = read (a->fifo_fd, &c, 1);
      while (r < 0 && errno == EINTR);
      if (r != 1)
        return moat_error_set (err, r < 0 ? errno : 0, "wait for start");
      return 0;
    }
  if (recv_kind (a->sync_fd) != SYNC_START)
    return moat_error_set (err, 0, "the runtime went away before start");
  return 0;
}

/* Only stdio and the preserved fds may reach the container's process
   (CVE-2024-21626 class): everything else becomes close-on-exec.  */
static int
seal_fds (const struct moat_init_args *a, unsigned preserve, moat_error **err)
{
  if (sys_close_range (3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return moat_error_set (err, errno, "mark inherited fds close-on-exec");
  for (unsigned fd = 3; fd < 3 + preserve; fd++)
    {
      /* a preserved number the caller left unused may hold one of ours */
      bool ours = (int) fd == a->sync_fd || (int) fd == a->fifo_fd
        || (int) fd == moat_log_fd () || (int) fd == a->userns_fd;
      for (size_t i = 0; a->idmap_fds && i < a->spec->n_mounts; i++)
        ours |= (int) fd == a->idmap_fds[i];
      if (ours)
        continue;
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0)
        fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
  return 0;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Close every inherited fd at or above 3+preserve except moat's own, before
   anything is resolved inside the container: a leaked host directory fd
   must not be reachable as /proc/self/fd/N, e.g. through process.cwd
   (CVE-2024-21626).  */
static void
close_inherited_fds (const struct moat_init_args *a)
{
  size_t nmounts = a->idmap_fds ? a->spec->n_mounts : 0;
  autofree int *keep = xmalloc0 ((4 + nmounts) * sizeof (int));
  size_t nkeep = 0;
  keep[nkeep++] = a->sync_fd;
  keep[nkeep++] = a->fifo_fd;
  keep[nkeep++] = a->userns_fd;
  keep[nkeep++] = moat_log_fd ();
  for (size_t i = 0; i < nmounts; i++)
    keep[nkeep++] = a->idmap_fds[i];
  qsort (keep, nkeep, sizeof (int), cmp_int);
  unsigned from = 3 + a->preserve_fds;
  for (size_t i = 0; i < nkeep; i++)
    {
      if (keep[i] < 0 || (unsigned) keep[i] < from)
        continue;
      if ((unsigned) keep[i] > from)
        sys_close_range (from, keep[i] - 1, 0);
      from = keep[i] + 1;
    }
  sys_close_range (from, ~0U, 0);
}

/* The working directory must be inside the container's root: getcwd()
   reports a directory outside it as "(unreachable)...".  */
static int
check_cwd_inside (moat_error **err)
{
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return moat_error_set (err, 0, "process.cwd: resolves outside the container's root");
  return 0;
}

static void
reset_signals (void)
{
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
}

static bool
has_hooks_before_start (const struct moat_spec *s)
{
  const struct moat_hooks *h = &s->hooks;
  return h->n_prestart || h->n_create_runtime || h->n_create_container
    || h->n_start_container;
}

struct hook_point
{
  const struct moat_init_args *a;
  char *state_json;   /* from the parent: "creating" state for createContainer */
  char *created_json; /* and the "created" state for startContainer */
};

/* Mounts are ready: the parent runs prestart and createRuntime hooks, then
   createContainer hooks run here, in the container's namespaces (paths
   still resolve against the host's root: pivot_root has not happened).  */
static int
before_pivot (void *data, moat_error **err)
{
  struct hook_point *hp = data;
  const struct moat_init_args *a = hp->a;
  char ask = SYNC_HOOKS;
  if (send (a->sync_fd, &ask, 1, MSG_NOSIGNAL) != 1)
    return moat_error_set (err, errno, "ask for hooks");
  size_t cap = 1 << 20;
  char *buf = xmalloc0 (cap);
  ssize_t r;
  do
    r = recv (a->sync_fd, buf, cap - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 1 || buf[0] != SYNC_HOOKS_DONE)
    {
      free (buf);
      _exit (1);  /* the parent failed and reports why */
    }
  buf[r] = '\0';
  hp->state_json = buf;
  size_t n1 = strlen (buf + 1);
  hp->created_json = (size_t) r > n1 + 2 ? buf + n1 + 2 : buf + 1;
  const struct moat_hooks *h = &a->spec->hooks;
  return moat_hooks_run ("createContainer", h->create_container, h->n_create_container,
                         hp->state_json + 1, err);
}

/* New pid and time namespaces only take children: the init is made now,
   as a sibling (CLONE_PARENT: moat stays its parent, so run can wait for
   it and engines reap it), and this process reports it and ends.  */
static void
become_first_in_new_namespaces (const struct moat_init_args *a)
{
  struct clone_args ca = { .flags = CLONE_PARENT };
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0)
    {
      moat_error *err = NULL;
      moat_error_set (&err, errno, "start the init in its new pid namespace");
      fail (a, err);
    }
  if (pid == 0)
    return;
  char msg[32];
  snprintf (msg, sizeof msg, "%c%d", SYNC_PID, pid);
  (void) !send (a->sync_fd, msg, strlen (msg), MSG_NOSIGNAL);
  _exit (0);
}

void
moat_init_main (const struct moat_init_args *a)
{
  const struct moat_spec *s = a->spec;
  moat_error *err = NULL;
  close (a->parent_sync_fd);
  /* The state directory's fd carries its lock: holding it would block
     every later command on this container.  */
  for (size_t i = 0; i < ARRAY_SIZE (a->close_fds); i++)
    if (a->close_fds[i] >= 0)
      close (a->close_fds[i]);

  if (recv_kind (a->sync_fd) != SYNC_GO)
    _exit (1);
  /* warnings go to the parent, which logs them with the rest */
  moat_log_forward (a->sync_fd);
  /* Until execve replaces it, this process is the moat binary: other
     processes (a joined pid namespace) must not reach it through
     /proc/<pid>/exe or ptrace.  execve makes the user's process dumpable
     again.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      moat_error_set (&err, errno, "prctl(PR_SET_DUMPABLE)");
      fail (a, err);
    }
  if (a->userns_fd >= 0)
    {
      /* Namespaces created now belong to the joined user namespace, as
         they must for the container's root to administer them.  */
      if (moat_ns_join (a->userns_fd, MOAT_NS_USER, "user", &err) < 0)
        fail (a, err);
      if (a->unshare_flags && unshare ((int) a->unshare_flags) < 0)
        {
          moat_error_set (&err, errno, "create namespaces in the joined user namespace");
          fail (a, err);
        }
      if (a->unshare_flags & (CLONE_NEWPID | CLONE_NEWTIME))
        become_first_in_new_namespaces (a);
    }
  if (a->in_userns)
    {
      /* become root of the user namespace, when root is mapped */
      (void) !setresgid (0, 0, 0);
      (void) !setresuid (0, 0, 0);
    }
  close_inherited_fds (a);
  umask (0);
  if (moat_apply_cpu_affinity (s->cpu_affinity_initial, "process.execCPUAffinity.initial",
                               &err) < 0)
    fail (a, err);

  struct moat_terminal term = { -1, -1, "" };
  struct moat_rootfs_opts ro = {
    .rootfs = a->rootfs, .bundle = a->bundle, .no_pivot = a->no_pivot,
    .in_userns = a->in_userns, .terminal = s->terminal ? &term : NULL,
    .idmap_fds = a->idmap_fds, .mount_label = s->mount_label,
  };
  struct hook_point hp = { a, NULL, NULL };
  if (has_hooks_before_start (s))
    {
      ro.before_pivot = before_pivot;
      ro.data = &hp;
    }
  if (moat_rootfs_setup (s, &ro, &err) < 0
      || moat_apply_hostname (s, &err) < 0
      || moat_apply_rlimits (s, &err) < 0
      || moat_apply_scheduling (s, &err) < 0
      || moat_apply_personality (s, &err) < 0)
    fail (a, err);
  if (s->terminal)
    {
      /* the parent hands the master to the console socket or proxies it */
      char msg[40];
      snprintf (msg, sizeof msg, "%c%s", SYNC_TERMINAL, term.name);
      if (moat_send_fd (a->sync_fd, term.master, msg, &err) < 0
          || moat_terminal_attach (&term, &err) < 0)
        fail (a, err);
      close (term.master);
    }
  if (!a->no_new_keyring)
    join_session_keyring (a->id);
  if (enter_cwd (s->cwd, &err) < 0 || check_cwd_inside (&err) < 0)
    fail (a, err);
  autofree char *exe = moat_find_executable (s, &err);
  if (exe == NULL)
    fail (a, err);
  struct moat_seccomp_filter *filter = NULL;
  if (s->has_seccomp)
    {
      filter = moat_seccomp_compile (s, &err);
      if (filter == NULL)
        fail (a, err);
      /* without no_new_privs, loading needs CAP_SYS_ADMIN: now, before
         the capabilities go */
      if (!s->no_new_privileges && moat_seccomp_load (filter, &err) < 0)
        fail (a, err);
    }
  if (moat_caps_and_user_apply (s, &err) < 0)
    fail (a, err);
  /* a credential change can make the process dumpable again */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      moat_error_set (&err, errno, "prctl(PR_SET_DUMPABLE)");
      fail (a, err);
    }
  if (s->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      moat_error_set (&err, errno, "process.noNewPrivileges: prctl");
      fail (a, err);
    }
  umask (s->umask);
  if (moat_apply_cpu_affinity (s->cpu_affinity_final, "process.execCPUAffinity.final",
                               &err) < 0)
    fail (a, err);

  char ready = SYNC_READY;
  if (send (a->sync_fd, &ready, 1, MSG_NOSIGNAL) != 1)
    _exit (1);
  if (wait_for_start (a, &err) < 0)
    _exit (1);
  if (s->hooks.n_start_container
      && moat_hooks_run ("startContainer", s->hooks.start_container,
                         s->hooks.n_start_container, hp.created_json, &err) < 0)
    {
      /* start has returned already: stderr is all that is left */
      fprintf (stderr, "moat: %s\n", err->msg);
      _exit (1);
    }
  if (seal_fds (a, a->preserve_fds, &err) < 0)
    {
      fprintf (stderr, "moat: %s\n", err->msg);
      _exit (127);
    }
  reset_signals ();
  /* last: nothing of the runtime's own runs under the filter */
  if (filter && s->no_new_privileges && moat_seccomp_load (filter, &err) < 0)
    {
      fprintf (stderr, "moat: %s\n", err->msg);
      _exit (127);
    }
  char **env = s->env ? s->env : (char *[]) { NULL };
  execve (exe, s->args, env);
  /* Only reachable if the program changed between create and start.  */
  fprintf (stderr, "moat: exec \"%s\": %s\n", exe, strerror (errno));
  _exit (127);
}
