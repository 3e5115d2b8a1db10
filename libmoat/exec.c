/* exec and ps: joining a running container.

   The new process is born by clone3 straight into the container's cgroup
   and (through the parent's pid_for_children) its pid namespace, then
   joins every other namespace of the init in one setns(pidfd) call.  Until
   execve it is the moat binary inside the container, so it is made
   non-dumpable first (CVE-2019-5736 class), and every inherited fd but
   stdio and --preserve-fds is closed before anything is resolved in the
   container (CVE-2024-21626 class).  */
#include <config.h>
#include "moat.h"
#include "internal.h"
#include "log.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
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
#include <sys/wait.h>

enum { EXEC_ERROR = 'E', EXEC_TERMINAL = 'T' };

static const struct { const char *name; int flag; } ns_files[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
  { "net", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

/* The namespaces of pid that differ from ours: those are joined.  */
static int
namespaces_to_join (pid_t pid)
{
  int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE (ns_files); i++)
    {
      char theirs[64], ours[64];
      struct stat a, b;
      snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", pid, ns_files[i].name);
      snprintf (ours, sizeof ours, "/proc/self/ns/%s", ns_files[i].name);
      if (stat (theirs, &a) == 0 && stat (ours, &b) == 0
          && (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
        flags |= ns_files[i].flag;
    }
  return flags;
}

static bool
strv_contains (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* KEY=VALUE replaces an existing KEY, or is added.  */
static char **
env_set (char **env, const char *kv)
{
  size_t klen = strchr (kv, '=') - kv + 1;
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], kv, klen) == 0)
      {
        free (env[i]);
        env[i] = xstrdup (kv);
        return env;
      }
  return moat_strv_append (env, kv);
}

/* The process to run: --process, or the container's own process with the
   command line's command; then the flags on top.  */
static struct moat_spec *
exec_process (const struct moat_exec_options *o, struct moat_spec *container,
              moat_error **err)
{
  struct moat_spec *s = NULL;
  if (o->process_file)
    {
      autofree char *text = NULL;
      if (moat_read_file_at (AT_FDCWD, o->process_file, 16u << 20, &text, NULL, err) < 0)
        goto fail;
      s = moat_spec_parse_process (text, err);
      if (s == NULL)
        {
          moat_error_prefix (err, "--process `%s`", o->process_file);
          goto fail;
        }
      /* the container's seccomp filter applies to every process in it */
      s->has_seccomp = container->has_seccomp;
      s->seccomp = container->seccomp;
      memset (&container->seccomp, 0, sizeof container->seccomp);
      moat_spec_free (container);
    }
  else
    {
      if (o->args == NULL || o->args[0] == NULL)
        {
          moat_error_set (err, 0, "exec: missing command (or --process FILE)");
          goto fail;
        }
      s = container;
    }
  if (o->args && o->args[0])
    {
      moat_strv_free (s->args);
      s->args = NULL;
      for (size_t i = 0; o->args[i]; i++)
        s->args = moat_strv_append (s->args, o->args[i]);
    }
  if (o->tty_set)
    s->terminal = o->tty;
  if (o->cwd)
    {
      free (s->cwd);
      s->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; o->env && o->env[i]; i++)
    s->env = env_set (s->env, o->env[i]);
  if (o->has_user)
    {
      s->uid = o->uid;
      s->gid = o->has_gid ? o->gid : 0;
    }
  if (o->n_additional_gids)
    {
      free (s->additional_gids);
      s->additional_gids = xmalloc0 (o->n_additional_gids * sizeof (uint32_t));
      memcpy (s->additional_gids, o->additional_gids,
              o->n_additional_gids * sizeof (uint32_t));
      s->n_additional_gids = o->n_additional_gids;
    }
  for (size_t i = 0; o->caps && o->caps[i]; i++)
    {
      char ***sets[] = { &s->caps.bounding, &s->caps.effective, &s->caps.permitted };
      for (size_t k = 0; k < ARRAY_SIZE (sets); k++)
        if (!strv_contains (*sets[k], o->caps[i]))
          *sets[k] = moat_strv_append (*sets[k], o->caps[i]);
    }
  if (o->no_new_privs)
    s->no_new_privileges = true;
  if (s->cwd == NULL || s->cwd[0] != '/')
    {
      moat_error_set (err, 0, "exec: the working directory must be an absolute path");
      moat_spec_free (s);
      return NULL;
    }
  return s;
fail:
  moat_spec_free (container);
  return NULL;
}

struct exec_child
{
  const struct moat_spec *s;
  int init_pidfd;
  int join;             /* namespaces still to join (pid was joined by the parent) */
  int sync;
  unsigned preserve_fds;
};

static void __attribute__ ((noreturn))
child_fail (const struct exec_child *c, moat_error *err)
{
  autofree char *msg = xasprintf ("%c%s", EXEC_ERROR, err ? err->msg : "exec failed");
  (void) !send (c->sync, msg, strlen (msg), MSG_NOSIGNAL);
  _exit (127);
}

static void
close_from (unsigned from, int keep)
{
  if (keep >= (int) from)
    {
      if ((unsigned) keep > from)
        sys_close_range (from, keep - 1, 0);
      from = keep + 1;
    }
  sys_close_range (from, ~0U, 0);
}

static void __attribute__ ((noreturn))
exec_child_main (const struct exec_child *c)
{
  const struct moat_spec *s = c->s;
  moat_error *err = NULL;
  moat_log_forward (c->sync);
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0
      || moat_apply_cpu_affinity (s->cpu_affinity_initial,
                                  "process.execCPUAffinity.initial", &err) < 0)
    {
      if (err == NULL)
        moat_error_set (&err, errno, "prctl(PR_SET_DUMPABLE)");
      child_fail (c, err);
    }
  if (c->join && setns (c->init_pidfd, c->join) < 0)
    {
      moat_error_set (&err, errno, "join the container's namespaces");
      child_fail (c, err);
    }
  close (c->init_pidfd);
  if (c->join & CLONE_NEWUSER)
    {
      (void) !setresgid (0, 0, 0);
      (void) !setresuid (0, 0, 0);
    }
  close_from (3 + c->preserve_fds, c->sync);
  if (s->terminal)
    {
      struct moat_terminal t;
      autoclose int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      char msg[40];
      if (moat_terminal_create (root, s, false, &t, &err) < 0)
        child_fail (c, err);
      snprintf (msg, sizeof msg, "%c%s", EXEC_TERMINAL, t.name);
      if (moat_send_fd (c->sync, t.master, msg, &err) < 0
          || moat_terminal_attach (&t, &err) < 0)
        child_fail (c, err);
      close (t.master);
    }
  if (chdir (s->cwd) < 0)
    {
      moat_error_set (&err, errno, "exec: working directory `%s`", s->cwd);
      child_fail (c, err);
    }
  char cwd[4096];
  if (getcwd (cwd, sizeof cwd) == NULL || cwd[0] != '/')
    {
      moat_error_set (&err, 0, "exec: the working directory is outside the container");
      child_fail (c, err);
    }
  if (moat_apply_rlimits (s, &err) < 0 || moat_apply_scheduling (s, &err) < 0
      || moat_apply_cpu_affinity (s->cpu_affinity_final, "process.execCPUAffinity.final",
                                  &err) < 0)
    child_fail (c, err);
  autofree char *exe = moat_find_executable (s, &err);
  if (exe == NULL)
    child_fail (c, err);
  struct moat_seccomp_filter *filter = NULL;
  if (s->has_seccomp)
    {
      filter = moat_seccomp_compile (s, &err);
      if (filter == NULL
          || (!s->no_new_privileges && moat_seccomp_load (filter, &err) < 0))
        child_fail (c, err);
    }
  if (moat_caps_and_user_apply (s, &err) < 0)
    child_fail (c, err);
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0
      || (s->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0))
    {
      moat_error_set (&err, errno, "prctl");
      child_fail (c, err);
    }
  umask (s->umask);
  if (sys_close_range (3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    {
      moat_error_set (&err, errno, "close_range");
      child_fail (c, err);
    }
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  if (filter && s->no_new_privileges && moat_seccomp_load (filter, &err) < 0)
    child_fail (c, err);
  execve (exe, s->args, s->env ? s->env : (char *[]) { NULL });
  moat_error_set (&err, errno, "exec \"%s\"", exe);
  child_fail (c, err);
}

static int
check_options (const struct moat_exec_options *o, const struct moat_spec *s,
               moat_error **err)
{
  if (o->process_label && o->process_label[0])
    return moat_error_set (err, 0, "--process-label: SELinux labels are not supported by "
                           "this version of moat");
  if (o->apparmor && o->apparmor[0])
    return moat_error_set (err, 0, "--apparmor: AppArmor is not supported by this "
                           "version of moat");
  if (s->terminal && o->detach && o->console_socket == NULL)
    return moat_error_set (err, 0, "exec: a detached process with a terminal needs "
                           "--console-socket");
  if (!s->terminal && o->console_socket)
    return moat_error_set (err, 0, "--console-socket: the process has no terminal");
  return moat_caps_validate (s, err);
}

/* Wait for exec: EOF on the close-on-exec socket means it happened.  */
static int
wait_exec (int sock, pid_t pid, int *master, char *name, size_t name_size,
           moat_error **err)
{
  char buf[8192];
  for (;;)
    {
      ssize_t r;
      int fd;
      if (moat_recv_fd (sock, buf, sizeof buf - 1, &r, &fd) < 0)
        return moat_error_set (err, errno, "exec: wait for the process");
      if (r >= 1 && buf[0] == EXEC_TERMINAL && fd >= 0 && *master < 0)
        {
          buf[r] = '\0';
          *master = fd;
          snprintf (name, name_size, "%.40s", buf + 1);
          continue;
        }
      if (fd >= 0)
        close (fd);
      if (r >= 2 && buf[0] == 'W')
        {
          buf[r] = '\0';
          moat_log_forwarded (buf);
          continue;
        }
      if (r == 0)
        return 0;
      buf[r < 0 ? 0 : r] = '\0';
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return moat_error_set (err, 0, "%s", r > 1 ? buf + 1 : "exec failed");
    }
}

int
moat_exec (const struct moat_context *ctx, const struct moat_exec_options *o,
           int *status, moat_error **err)
{
  *status = 0;
  struct moat_container_dir dir = { -1, NULL, NULL };
  struct moat_state st = { 0 };
  struct moat_spec *s = NULL;
  int init_pidfd = -1, cgfd = -1, sock[2] = { -1, -1 }, pidfd = -1, master = -1, r = -1;
  pid_t pid = 0;
  char pty_name[64] = "";

  if (moat_container_dir_open (ctx->state_root, o->id, false, &dir, err) < 0)
    return -1;
  if (moat_state_read (&dir, &st, err) < 0)
    goto out;
  moat_state_refresh (&dir, &st);
  if (st.status == MOAT_STATUS_STOPPED || st.status == MOAT_STATUS_PAUSED)
    {
      moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                       "cannot exec in container \"%s\": it is %s", o->id,
                      moat_status_name (st.status));
      goto out;
    }
  /* the container's config, read once: the process, its seccomp filter,
     and whether its processes may hold CAP_SYS_PTRACE (decided on the
     container's own config, whatever this process asks for) */
  struct moat_spec *container = moat_spec_load (st.bundle, err);
  if (container == NULL)
    goto out;
  bool sealed_needed = moat_spec_needs_sealed_exe (container, o->caps);
  s = exec_process (o, container, err);
  if (s == NULL || check_options (o, s, err) < 0)
    goto out;
  if (sealed_needed && ctx->reexec_sealed && !moat_running_sealed ())
    {
      moat_container_dir_close (&dir);  /* the lock must not be held across */
      if (ctx->reexec_sealed (err) < 0)
        goto out;
    }
  init_pidfd = sys_pidfd_open (st.pid, 0);
  if (init_pidfd < 0 || moat_process_start_time (st.pid, true) != st.start_time)
    {
      moat_error_set (err, 0, "cannot exec in container \"%s\": its init is gone", o->id);
      goto out;
    }
  int join = namespaces_to_join (st.pid);
  /* pid and time namespaces apply to children: join them here, so the
     process is born in them */
  int for_children = join & (CLONE_NEWPID | CLONE_NEWTIME);
  if (for_children && setns (init_pidfd, for_children) < 0)
    {
      if (errno == ESRCH)
        moat_error_set (err, 0, "cannot exec in container \"%s\": it is stopped", o->id);
      else
        moat_error_set (err, errno, "join the container's pid namespace");
      goto out;
    }
  if (st.cgroup_path)
    {
      cgfd = open (st.cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cgfd < 0)
        {
          moat_error_set (err, errno, "open the container's cgroup");
          goto out;
        }
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
    {
      moat_error_set (err, errno, "socketpair");
      goto out;
    }
  struct exec_child c = { s, init_pidfd, join & ~for_children, sock[1], o->preserve_fds };
  struct clone_args ca = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD };
  ca.pidfd = (uintptr_t) &pidfd;
  if (cgfd >= 0)
    {
      ca.flags |= CLONE_INTO_CGROUP;
      ca.cgroup = cgfd;
    }
  /* the state directory's lock must not live on in the process */
  moat_container_dir_close (&dir);
  fflush (NULL);
  pid = sys_clone3 (&ca);
  if (pid < 0)
    {
      moat_error_set (err, errno, "clone3 the exec process");
      goto out;
    }
  if (pid == 0)
    {
      close (sock[0]);
      exec_child_main (&c);
    }
  close (sock[1]);
  sock[1] = -1;
  if (wait_exec (sock[0], pid, &master, pty_name, sizeof pty_name, err) < 0)
    {
      pid = 0;
      goto out;
    }
  if (o->console_socket && moat_send_console (o->console_socket, master, pty_name,
                                              err) < 0)
    {
      sys_pidfd_send_signal (pidfd, SIGKILL);
      goto out;
    }
  if (o->pid_file && moat_write_pid_file (o->pid_file, pid, err) < 0)
    {
      sys_pidfd_send_signal (pidfd, SIGKILL);
      goto out;
    }
  if (o->detach)
    {
      pid = 0;  /* it runs on without us */
      r = 0;
      goto out;
    }
  sigset_t old;
  int sigfd = moat_block_forwarded_signals (&old);
  if (sigfd < 0)
    {
      moat_error_set (err, errno, "signalfd");
      sys_pidfd_send_signal (pidfd, SIGKILL);
      goto out;
    }
  *status = moat_wait_forwarding (pid, pidfd, sigfd, o->console_socket ? -1 : master);
  pid = 0;
  close (sigfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  r = 0;
out:
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  int fds[] = { init_pidfd, cgfd, sock[0], sock[1], pidfd, master };
  for (size_t i = 0; i < ARRAY_SIZE (fds); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  moat_spec_free (s);
  moat_state_clear (&st);
  moat_container_dir_close (&dir);
  return r;
}

int
moat_ps (const struct moat_context *ctx, const char *id, int **pids, size_t *n,
         moat_error **err)
{
  struct moat_state st;
  *pids = NULL;
  *n = 0;
  if (moat_state (ctx, id, &st, err) < 0)
    return -1;
  int r = 0;
  if (st.status != MOAT_STATUS_STOPPED)
    {
      if (st.cgroup_path)
        r = moat_cgroup_pids (st.cgroup_path, pids, n, err);
      else
        {
          *pids = xmalloc0 (sizeof (int));
          (*pids)[0] = st.pid;
          *n = 1;
        }
    }
  moat_state_clear (&st);
  return r;
}
