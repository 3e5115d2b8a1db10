/* The init of a container that joins namespaces by path.

   The net, ipc, uts, cgroup and time namespaces given by path (and a new
   time namespace with offsets) must be entered before clone3, by a
   process that has its privileges over them: the init may be born in a
   new user namespace, which has none.  moat itself does not enter them:
   it might not be allowed back into its own (uid 0 of rootless Podman's
   user namespace has no rights over the host's network namespace it
   came from), and hooks run in its own namespaces.  A short-lived
   process of moat's, the joiner, enters them and clones the init with
   CLONE_PARENT, so that the init is moat's child as any other; it
   reports the init's pid, or what failed, and exits.  The user namespace
   is joined by the init itself (namespaces it creates must belong to
   it), the pid namespace by the init once its root is the container's
   (init.c).  */
#include <config.h>
#include "joined-ns.h"
#include "fault.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const enum moat_ns_type entered_by_joiner[] = {
  MOAT_NS_NET, MOAT_NS_IPC, MOAT_NS_UTS, MOAT_NS_CGROUP, MOAT_NS_TIME,
};

bool
moat_init_needs_joiner (const struct moat_plan *p)
{
  for (size_t i = 0; i < ARRAY_SIZE (entered_by_joiner); i++)
    if (p->ns_fds[entered_by_joiner[i]] >= 0)
      return true;
  return p->spec->has_time_offsets;
}

void
moat_joined_ns_fds (const struct moat_plan *p, int *fds, size_t *k)
{
  for (size_t i = 0; i < ARRAY_SIZE (entered_by_joiner); i++)
    fds[(*k)++] = p->ns_fds[entered_by_joiner[i]];
}

static int
enter_namespaces (const struct moat_plan *p, moat_error **err)
{
  for (size_t i = 0; i < ARRAY_SIZE (entered_by_joiner); i++)
    {
      enum moat_ns_type t = entered_by_joiner[i];
      if (p->ns_fds[t] >= 0 && moat_ns_join (p->ns_fds[t], t, p->spec->ns[t].path, err) < 0)
        return -1;
    }
  if (p->spec->has_time_offsets)
    {
      /* a time namespace takes its offsets before any process is in it */
      if (unshare (CLONE_NEWTIME) < 0)
        return moat_error_set (err, errno, "create time namespace");
      if (moat_ns_write_time_offsets (p->spec, err) < 0)
        return -1;
    }
  return 0;
}

/* What the joiner tells moat: the init's pid, or the error.  */
struct report
{
  pid_t pid;
  int errnum;
  int kind;
  char msg[1024];
};

/* In the joiner: never returns.  */
static void __attribute__ ((noreturn))
joiner_main (const struct moat_plan *p, struct clone_args *ca,
             struct moat_init_args *a, int report_fd)
{
  struct report r = { .pid = -1 };
  moat_error *err = NULL;
  if (enter_namespaces (p, &err) == 0 && moat_fault ("joiner", &err) == 0)
    {
      /* CLONE_PARENT: the init is moat's child (clone3 wants exit_signal
         0 then; the init gets the joiner's, SIGCHLD) */
      ca->flags |= CLONE_PARENT;
      ca->exit_signal = 0;
      ca->pidfd = 0;
      ca->flags &= ~(unsigned long long) CLONE_PIDFD;
      pid_t pid = sys_clone3 (ca);
      if (pid == 0)
        moat_init_main (a);
      if (pid < 0)
        {
          int e = errno;
          unsigned long long ns = ca->flags & ~(unsigned long long) (CLONE_PARENT
                                                                    | CLONE_INTO_CGROUP);
          const char *hint = moat_ns_clone_hint (e, ns, moat_running_rootless ());
          moat_error_set (&err, e, "clone3 the container's init%s%s",
                          hint ? ": " : "", hint ? hint : "");
        }
      r.pid = pid;
    }
  if (err)
    {
      r.errnum = err->errnum;
      r.kind = err->kind;
      snprintf (r.msg, sizeof r.msg, "%s", err->msg);
    }
  /* one write of a fixed size: moat reads all of it or nothing */
  _exit (write (report_fd, &r, sizeof r) == sizeof r ? 0 : 1);
}

int
moat_clone_init_via_joiner (const struct moat_plan *p, struct clone_args *ca,
                            struct moat_init_args *a, pid_t *pid_out,
                            moat_error **err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "pipe");
  /* the init closes the joiner's end first thing, with moat's fds */
  for (size_t i = 0; i < ARRAY_SIZE (a->parent_fds); i++)
    if (a->parent_fds[i] < 0)
      {
        a->parent_fds[i] = pipefd[1];
        break;
      }
  pid_t joiner = fork ();
  if (joiner < 0)
    {
      int e = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return moat_error_set (err, e, "start the process that joins the namespaces");
    }
  if (joiner == 0)
    {
      close (pipefd[0]);
      joiner_main (p, ca, a, pipefd[1]);
    }
  close (pipefd[1]);
  struct report r;
  ssize_t n;
  do
    n = read (pipefd[0], &r, sizeof r);
  while (n < 0 && errno == EINTR);
  int e = errno;
  close (pipefd[0]);
  int status = 0;
  while (waitpid (joiner, &status, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof r)
    {
      /* killed after its clone3, it leaves an init moat does not know of:
         that one waits for GO, and ends when moat closes the channel */
      if (n < 0)
        return moat_error_set (err, e, "the process that joins the namespaces");
      if (WIFSIGNALED (status))
        return moat_error_set (err, 0, "the process that joins the namespaces was "
                               "killed by signal %d", WTERMSIG (status));
      return moat_error_set (err, 0, "the process that joins the namespaces exited "
                             "with status %d without a report", WEXITSTATUS (status));
    }
  r.msg[sizeof r.msg - 1] = 0;
  if (r.pid < 0)
    {
      /* the message has its strerror already */
      moat_error_setk (err, (enum moat_error_kind) r.kind, 0, "%s", r.msg);
      if (err && *err)
        (*err)->errnum = r.errnum;
      return -1;
    }
  *pid_out = r.pid;
  return 0;
}
