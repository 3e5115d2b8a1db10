#include <config.h>
#include "hooks.h"
#include "linux/syscalls.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

static int
run_one (const struct moat_hook *h, const char *state_json, moat_error **err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "pipe");
  pid_t runner = getpid ();
  struct clone_args ca = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD };
  int pidfd = -1;
  ca.pidfd = (uintptr_t) &pidfd;
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0)
    {
      int e = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return moat_error_set (err, e, "start");
    }
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      /* a hook does not outlive the moat process (or init) running it:
         killed mid-way, it would leave it behind, and nothing else would
         ever end it.  A container's filter may refuse prctl: then the
         hook outlives it as any of the container's processes would, in
         its cgroup.  */
      (void) prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (getppid () != runner)
        _exit (127);
      if (dup2 (pipefd[0], 0) < 0)
        _exit (127);
      char *argv0[] = { h->path, NULL };
      execve (h->path, h->args && h->args[0] ? h->args : argv0,
              h->env ? h->env : (char *[]) { NULL });
      _exit (127);
    }
  close (pipefd[0]);
  /* the hook may not read its stdin at all: never block on it, and never
     die of it (the disposition is the caller's again afterwards) */
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  sigaction (SIGPIPE, &ign, &old);
  (void) moat_write_all (pipefd[1], state_json, strlen (state_json));
  close (pipefd[1]);
  sigaction (SIGPIPE, &old, NULL);

  int timeout_ms = h->timeout > 0 ? h->timeout * 1000 : -1;
  struct pollfd p = { pidfd, POLLIN, 0 };
  int r;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  bool timed_out = r == 0;
  if (timed_out)
    sys_pidfd_send_signal (pidfd, SIGKILL);
  close (pidfd);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out)
    return moat_error_set (err, 0, "timed out after %d s", h->timeout);
  if (WIFSIGNALED (status))
    return moat_error_set (err, 0, "killed by signal %d", WTERMSIG (status));
  if (WEXITSTATUS (status) == 127)
    return moat_error_set (err, 0, "exited with status 127 (could it be executed?)");
  if (WEXITSTATUS (status) != 0)
    return moat_error_set (err, 0, "exited with status %d", WEXITSTATUS (status));
  return 0;
}

int
moat_hooks_run (const char *kind, const struct moat_hook *hooks, size_t n,
                const char *state_json, moat_error **err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one (&hooks[i], state_json, err) < 0)
      return moat_error_prefix (err, "hooks.%s[%zu] (`%s`)", kind, i, hooks[i].path);
  return 0;
}

void
moat_hooks_run_all (const char *kind, const struct moat_hook *hooks, size_t n,
                    const char *state_json)
{
  for (size_t i = 0; i < n; i++)
    {
      moat_error *err = NULL;
      if (run_one (&hooks[i], state_json, &err) < 0)
        moat_warn ("hooks.%s[%zu] (`%s`): %s", kind, i, hooks[i].path, err->msg);
      moat_error_free (&err);
    }
}
