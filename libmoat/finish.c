/* The finish sequence, shared by the container's init and by exec.  The
   order, and why:

   1. prepare, while every privilege is still held and the process is in
      the container's root: rlimits (raising a hard limit needs
      CAP_SYS_RESOURCE), scheduling and I/O priority, the working
      directory (it must resolve inside the root), the program (looked up
      now, so that a missing one fails create with the words engines map
      to 127 and 126), the final CPU affinity and the umask, and the
      AppArmor profile or SELinux context of the next execve (written
      through the attribute moat_finish_open_labels opened while /proc
      still showed this process; after the createContainer hooks, whose
      programs it would confine otherwise).
   2. every inherited fd above the preserved range is marked close-on-exec
      and the preserved ones are cleared of it (CVE-2024-21626 class); the
      signal mask and handlers are reset.  Both before any filter:
      close_range and rt_sigaction are calls a profile may forbid.
   3. without no_new_privs, the seccomp filter now: loading it needs
      CAP_SYS_ADMIN, which goes in step 4 (the spec asks for the filter
      to be loaded before the capabilities drop in that case).
   4. the bounding set, then supplementary groups, gid, uid (keeping
      capabilities across the switch), effective/permitted/inheritable,
      ambient.
   5. non-dumpable again (a credential change resets the flag), then
      no_new_privs.
   The runtime's command line and environment are zeroed with step 2
   (they are readable in /proc without ptrace rights, and reading
   /proc/self/stat for where they are is a call a profile may forbid).
   6. with no_new_privs: the seccomp filter (moat_finish_seccomp), as soon
      as the privileged steps are done and before the process can be
      reached by the container: before the init reports ready (an exec'd
      process holding CAP_SYS_PTRACE could otherwise drive the waiting
      init outside the profile), before exec makes the process the
      container sees.  What runs under the user's profile then is only
      what every program needs: read, write and close on the channel and
      the exec fifo, clone (exec, and an init joining a pid namespace),
      the startContainer hooks (programs of the container, run under its
      filter and bounding set by design), and execve.  moat_finish_exec
      loads it there if no one did.
   7. execve.  */
#include <config.h>
#include "finish.h"
#include "channel.h"
#include "hooks.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* ---- 0. the inherited fds ---- */

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

void
moat_finish_close_inherited (unsigned from, int *keep, size_t n)
{
  qsort (keep, n, sizeof (int), cmp_int);
  for (size_t i = 0; i < n; i++)
    {
      if (keep[i] < 0 || (unsigned) keep[i] < from)
        continue;
      if ((unsigned) keep[i] > from)
        sys_close_range (from, keep[i] - 1, 0);
      from = keep[i] + 1;
    }
  sys_close_range (from, ~0U, 0);
}

/* ---- 1. prepare ---- */

/* The label attributes of the next execve (AppArmor's profile,
   SELinux's context), opened early (moat_finish_open_labels) and
   written late (moat_finish_write_labels).  */
static int apparmor_exec_fd = -1;
static int selinux_exec_fd = -1;

static bool
has (const char *label)
{
  return label && label[0];
}

/* SELinux's keycreate context is written at once: the session keyring
   (joined before the finish sequence) is the first key the process may
   create, and execve resets the attribute, so no hook inherits it.  */
static int
set_key_label (const char *label, moat_error **err)
{
  const char *what = "process.selinuxLabel";
  int fd = moat_selinux_open_attr ("keycreate", what, err);
  if (fd < 0)
    return -1;
  int r = moat_selinux_write_attr (fd, "keycreate", label, what, err);
  close (fd);
  return r;
}

int
moat_finish_open_labels (const struct moat_process_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  if (has (s->apparmor_profile)
      && (apparmor_exec_fd = moat_apparmor_open_exec_attr (s->apparmor_profile, err)) < 0)
    return -1;
  if (has (s->selinux_label)
      && ((selinux_exec_fd = moat_selinux_open_attr ("exec", "process.selinuxLabel",
                                                     err)) < 0
          || set_key_label (s->selinux_label, err) < 0))
    return -1;
  return 0;
}

int
moat_finish_write_labels (const struct moat_process_plan *p, moat_error **err)
{
  int r = 0;
  if (apparmor_exec_fd >= 0)
    r = moat_apparmor_exec_profile (apparmor_exec_fd, p->spec->apparmor_profile, err);
  if (r == 0 && selinux_exec_fd >= 0)
    r = moat_selinux_write_attr (selinux_exec_fd, "exec", p->spec->selinux_label,
                                 "process.selinuxLabel", err);
  if (apparmor_exec_fd >= 0)
    close (apparmor_exec_fd);
  if (selinux_exec_fd >= 0)
    close (selinux_exec_fd);
  apparmor_exec_fd = selinux_exec_fd = -1;
  return r;
}

/* The working directory must be inside the container's root: getcwd()
   reports a directory outside it as "(unreachable)...".  */
static int
enter_cwd (const char *cwd, moat_error **err)
{
  if (chdir (cwd) < 0)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_INVALID_CONFIG
                            : MOAT_ERR_FAILED, errno, "process.cwd: working directory "
                            "`%s`", cwd);
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0,
                            "process.cwd: `%s` resolves outside the container's root",
                            cwd);
  return 0;
}

/* The process's stdio, when they are pipes or sockets the caller made
   (an engine's), become the process user's, so that it can reopen
   /dev/stdout and friends (runc does this too).  Regular files, devices
   and terminals the caller passed are left alone: their owner is the
   caller's choice, and a host file or terminal must not become the
   container's.  A failure (an owner not mapped in a user namespace) only
   leaves the stdio as they were.  */
static void
hand_stdio_to_user (const struct moat_spec *s)
{
  if (s->terminal)
    return;
  for (int fd = 0; fd < 3; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0 || !(S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode))
          || st.st_uid == s->uid)
        continue;
      (void) !fchown (fd, s->uid, -1);
    }
}

/* HOME, when process.env has none: the process user's home in the
   container's /etc/passwd, else "/" (what runc and crun do, and what
   programs expect).  Read now, in the container's root.  */
static char **
env_with_home (const struct moat_spec *s)
{
  size_t n = 0;
  for (; s->env && s->env[n]; n++)
    if (strncmp (s->env[n], "HOME=", 5) == 0)
      return s->env;
  autofree char *home = moat_passwd_home (s->uid);
  char **env = xmalloc0 ((n + 2) * sizeof *env);
  if (n)
    memcpy (env, s->env, n * sizeof *env);
  env[n] = xasprintf ("HOME=%s", home ? home : "/");
  return env;
}

int
moat_finish_prepare (const struct moat_process_plan *p, struct moat_program *prog,
                     moat_error **err)
{
  const struct moat_spec *s = p->spec;
  prog->exe = NULL;
  prog->env = NULL;
  if (!s->has_process)
    return enter_cwd ("/", err);  /* nothing to find: start refuses */
  if (moat_apply_rlimits (s, err) < 0 || moat_apply_scheduling (s, err) < 0
      || enter_cwd (s->cwd, err) < 0)
    return -1;
  prog->exe = moat_find_executable (s, err);
  if (prog->exe == NULL)
    return -1;
  if (moat_apply_cpu_affinity (s->cpu_affinity_final, "process.execCPUAffinity.final",
                               err) < 0)
    {
      FREE_AND_NULL (prog->exe);
      return -1;
    }
  if (moat_finish_write_labels (p, err) < 0)
    {
      FREE_AND_NULL (prog->exe);
      return -1;
    }
  prog->env = env_with_home (s);
  hand_stdio_to_user (s);
  umask (s->umask);
  return 0;
}

/* ---- 2. fds and signals ---- */

/* moat's own fds (the channel, the exec fifo) must not sit in the
   preserved range, where they would reach the process: move them above.  */
static int
move_above (int *own_fds, size_t n, unsigned first_free, moat_error **err)
{
  for (size_t i = 0; i < n; i++)
    if (own_fds[i] >= 0 && (unsigned) own_fds[i] < first_free)
      {
        int fd = fcntl (own_fds[i], F_DUPFD_CLOEXEC, first_free);
        if (fd < 0)
          return moat_error_set (err, errno, "move fd %d out of the preserved range",
                                 own_fds[i]);
        close (own_fds[i]);
        own_fds[i] = fd;
      }
  return 0;
}

/* Only stdio and the preserved fds may reach the process: everything
   else becomes close-on-exec.  */
static int
seal_fds (unsigned preserve, moat_error **err)
{
  if (sys_close_range (3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return moat_error_set (err, errno, "mark inherited fds close-on-exec");
  for (unsigned fd = 3; fd < 3 + preserve; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0 && (fl & FD_CLOEXEC) && fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
        return moat_error_set (err, errno, "--preserve-fds: fd %u", fd);
    }
  return 0;
}

static void
reset_signals (void)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &dfl, NULL);
}

/* The runtime's command line and environment must not be readable in
   /proc/<pid>/cmdline and environ of a process the container can see
   before it execs (host paths, an engine's variables): zero them where
   the kernel reads them from.  */
/* arg_start, arg_end, env_start, env_end of this process, noted by the
   runtime from its own /proc before any child joins a namespace (a
   container's /proc could say anything); the children inherit them.  */
static unsigned long runtime_memory[4];

void
moat_finish_note_runtime (void)
{
  autofree char *stat = NULL;
  if (moat_read_file_at (AT_FDCWD, "/proc/self/stat", 4096, &stat, NULL, NULL) < 0)
    return;
  char *p = strrchr (stat, ')');
  /* after comm: fields 3..52; arg_start, arg_end, env_start, env_end are
     48 to 51 */
  unsigned long a[4];
  for (int field = 3; p && field <= 48; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p, " %lu %lu %lu %lu", &a[0], &a[1], &a[2], &a[3]) != 4
      || a[0] == 0 || a[1] < a[0] || a[2] == 0 || a[3] < a[2])
    return;
  memcpy (runtime_memory, a, sizeof a);
}

void
moat_finish_scrub_runtime (void)
{
  unsigned long *a = runtime_memory;
  if (a[1] > a[0])
    memset ((void *) a[0], 0, a[1] - a[0]);
  if (a[3] > a[2])
    memset ((void *) a[2], 0, a[3] - a[2]);
}

/* The filter is loaded once; a process made after that inherits it.  */
static bool filter_loaded;

/* Load the filter unless loaded already.  With SCMP_ACT_NOTIFY its
   listener goes to the runtime on sock at once (the calls made next may
   be notified, and only an agent holding it answers), and is closed
   here; without a channel (sock < 0) it is only closed at execve.  */
static int
load_filter (const struct moat_process_plan *p, int sock, moat_error **err)
{
  if (p->seccomp == NULL || filter_loaded)
    return 0;
  int listener;
  if (moat_seccomp_load (p->seccomp, &listener, err) < 0)
    return -1;
  filter_loaded = true;
  if (listener < 0 || sock < 0)
    return 0;
  int r = moat_channel_send (sock, MOAT_MSG_SECCOMP, 0, NULL, 0, listener, err);
  close (listener);
  if (r < 0)
    return moat_error_prefix (err, "pass the seccomp listener to the runtime");
  return 0;
}

int
moat_finish_seccomp (const struct moat_process_plan *p, int sock, moat_error **err)
{
  return load_filter (p, sock, err);
}

/* ---- 3-5. privileges ---- */

int
moat_finish_privileges (const struct moat_process_plan *p, int *own_fds, size_t n,
                        const struct moat_host *h, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  if (move_above (own_fds, n, 3 + p->preserve_fds, err) < 0
      || seal_fds (p->preserve_fds, err) < 0)
    return -1;
  reset_signals ();
  moat_finish_scrub_runtime ();
  /* the privilege calls below may be notified: a listener goes to the
     runtime on the channel (own_fds[0]) right away */
  if (!s->no_new_privileges && load_filter (p, n > 0 ? own_fds[0] : -1, err) < 0)
    return -1;
  if (moat_caps_and_user_apply (s, &p->caps, h->last_cap, err) < 0)
    return -1;
  /* until execve this process is the moat binary: keep /proc/<pid>/exe,
     mem and fds out of reach of the container's processes */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "prctl(PR_SET_DUMPABLE)");
  if (s->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "process.noNewPrivileges: prctl");
  return 0;
}

/* ---- 6-7. exec ---- */

int
moat_finish_exec (const struct moat_process_plan *p, const struct moat_program *prog,
                  const struct moat_hooks *h, const char *hook_state, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  const char *exe = prog->exe;
  if (!s->has_process)
    {
      /* start refuses such a container; a byte in its exec fifo is not
         a start */
      moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "process: missing: nothing to run");
      return MOAT_SETUP_FAILED;
    }
  if (load_filter (p, -1, err) < 0)
    return 1;
  if (h && h->n_start_container
      && moat_hooks_run ("startContainer", h->start_container, h->n_start_container,
                         hook_state ? hook_state : "{}", err) < 0)
    return 1;
  execve (exe, s->args, prog->env ? prog->env : (char *[]) { NULL });
  /* the program changed since it was found */
  int e = errno;
  moat_error_setk (err, e == ENOENT ? MOAT_ERR_INVALID_CONFIG : MOAT_ERR_FAILED, 0,
                   "exec \"%s\": %s", exe, e == ENOENT ? "no such file or directory"
                   : e == EACCES ? "permission denied" : strerror (e));
  return e == ENOENT ? 127 : e == EACCES ? 126 : 1;
}
