/* The container's init, from clone3 to execve.

   In the usual case the process born from clone3 is the init: alone in
   its new pid namespace, it sets up the root, finishes itself (finish.c),
   reports ready and waits for start.  Two configs need a second process:

   - a user namespace joined by path: clone3 makes no namespace, this
     process joins the user namespace and creates the others in it; new
     pid and time namespaces only take children, so the init is a new
     child (CLONE_PARENT: moat stays its parent);
   - a pid namespace joined by path (a pod's shared pid namespace): the
     process that enters it is made only after the root is the
     container's and the process is finished, so that the processes
     already in that namespace never see one with the host's root, cwd,
     fds or privileges.  */
#include <config.h>
#include "init.h"
#include "channel.h"
#include "fault.h"
#include "finish.h"
#include "hooks.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

struct init
{
  const struct moat_init_args *a;
  const struct moat_plan *p;
  int sock, fifo;
  pid_t host_pid;           /* the init as the runtime sees it, for hooks */
  struct moat_sibling sib;  /* a pid namespace joined by path */
};

static void __attribute__ ((noreturn))
fail (struct init *in, moat_error *err)
{
  moat_channel_send_error (in->sock, err);
  _exit (MOAT_SETUP_FAILED);
}

static void __attribute__ ((noreturn))
fail_errno (struct init *in, int e, const char *what)
{
  moat_error *err = NULL;
  moat_error_set (&err, e, "%s", what);
  fail (in, err);
}

pid_t
moat_clone_sibling (void)
{
  struct clone_args ca = { .flags = CLONE_PARENT };
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM))
    /* the legacy call: some profiles allow clone and not clone3 */
    pid = syscall (SYS_clone, CLONE_PARENT, 0, NULL, NULL, 0);
  return pid;
}

int
moat_sibling_prepare (struct moat_sibling *sib, moat_error **err)
{
  if (pipe2 (sib->order, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "pipe");
  return 0;
}

int
moat_continue_in_sibling (struct moat_sibling *sib, int sock, bool ready, moat_error **err)
{
  pid_t pid = moat_clone_sibling ();
  if (pid < 0)
    return moat_error_set (err, errno, "start the process in the container's pid "
                           "namespace");
  if (pid == 0)
    {
      /* wait until the runtime has heard of us; go on only if it has (a
         runtime that died meanwhile would leave us unwatched) */
      char c = 0;
      ssize_t r;
      close (sib->order[1]);
      do
        r = read (sib->order[0], &c, 1);
      while (r < 0 && errno == EINTR);
      close (sib->order[0]);
      if (r != 1)
        _exit (MOAT_SETUP_FAILED);
      return 0;
    }
  moat_error *ignored = NULL;
  if (moat_channel_signal (sock, MOAT_MSG_PID, pid, &ignored) < 0
      || (ready && moat_channel_signal (sock, MOAT_MSG_READY, 0, &ignored) < 0))
    _exit (MOAT_SETUP_FAILED);  /* closes order[1] unsaid: the sibling ends */
  (void) !write (sib->order[1], "g", 1);
  _exit (0);
}

static void
continue_in_sibling (struct init *in, bool ready)
{
  moat_error *err = NULL;
  struct moat_sibling sib;
  if (moat_sibling_prepare (&sib, &err) < 0
      || moat_continue_in_sibling (&sib, in->sock, ready, &err) < 0)
    fail (in, err);
}

/* The inherited fds, but moat's own (finish.h says why).  */
static void
close_inherited_fds (struct init *in)
{
  const struct moat_plan *p = in->p;
  size_t n = 0;
  autofree int *keep = xmalloc0 ((5 + p->spec->n_mounts) * sizeof (int));
  keep[n++] = p->rootfs_tree_fd;
  keep[n++] = in->sock;
  keep[n++] = in->fifo;
  keep[n++] = p->ns_fds[MOAT_NS_USER];
  keep[n++] = p->ns_fds[MOAT_NS_PID];
  for (size_t i = 0; i < p->spec->n_mounts; i++)
    keep[n++] = p->mounts[i].idmap_fd;
  moat_finish_close_inherited (3 + p->process.preserve_fds, keep, n);
}

/* What is only needed to build the root must not reach the process.  */
static void
close_setup_fds (struct init *in)
{
  const struct moat_plan *p = in->p;
  if (p->rootfs_tree_fd >= 0)
    close (p->rootfs_tree_fd);
  for (size_t i = 0; i < p->spec->n_mounts; i++)
    if (p->mounts[i].idmap_fd >= 0)
      close (p->mounts[i].idmap_fd);
  if (p->ns_fds[MOAT_NS_USER] >= 0)
    close (p->ns_fds[MOAT_NS_USER]);
}

/* The state as hooks see it: the runtime's, with the init's pid.  */
static char *
hook_state (struct init *in, enum moat_status status)
{
  struct moat_state st = *in->a->state;
  st.pid = in->host_pid;
  st.status = status;
  return moat_state_to_json (&st, false);
}

/* Mounts are ready: the runtime runs prestart and createRuntime hooks,
   then createContainer hooks run here, in the container's namespaces
   (paths still resolve against the host's root: pivot_root has not
   happened).  */
static int
before_pivot (void *data, moat_error **err)
{
  struct init *in = data;
  struct moat_msg m;
  if (moat_channel_signal (in->sock, MOAT_MSG_HOOKS, 0, err) < 0)
    return -1;
  if (moat_channel_expect (in->sock, MOAT_MSG_HOOKS_DONE, &m, err) < 0)
    _exit (MOAT_SETUP_FAILED);  /* the runtime failed and reports why */
  in->host_pid = m.aux;
  const struct moat_hooks *h = &in->p->spec->hooks;
  autofree char *json = hook_state (in, MOAT_STATUS_CREATING);
  return moat_hooks_run ("createContainer", h->create_container, h->n_create_container,
                         json, err);
}

static bool
has_hooks_before_pivot (const struct moat_spec *s)
{
  const struct moat_hooks *h = &s->hooks;
  return h->n_prestart || h->n_create_runtime || h->n_create_container;
}

/* A user namespace joined by path: join it, then create the other
   namespaces in it, so that they belong to it.  */
static void
enter_joined_user_namespace (struct init *in)
{
  moat_error *err = NULL;
  const struct moat_plan *p = in->p;
  if (moat_ns_join (p->ns_fds[MOAT_NS_USER], MOAT_NS_USER, p->spec->ns[MOAT_NS_USER].path,
                    &err) < 0)
    fail (in, err);
  unsigned long long flags = in->a->unshare_flags;
  if (flags && unshare ((int) flags) < 0)
    fail_errno (in, errno, "create namespaces in the joined user namespace");
  if (flags & (CLONE_NEWPID | CLONE_NEWTIME))
    continue_in_sibling (in, false);
}

/* Set the container up, up to a finished process; *prog gets the program
   to execute.  */
static void
set_up (struct init *in, struct moat_program *prog)
{
  const struct moat_plan *p = in->p;
  const struct moat_spec *s = p->spec;
  moat_error *err = NULL;
  if (p->ns_fds[MOAT_NS_USER] >= 0)
    enter_joined_user_namespace (in);
  if (p->in_userns)
    {
      /* become root of the user namespace, when root is mapped */
      (void) !setresgid (0, 0, 0);
      (void) !setresuid (0, 0, 0);
    }
  close_inherited_fds (in);
  if (moat_finish_open_labels (&p->process, &err) < 0)
    fail (in, err);
  umask (0);
  if (moat_apply_cpu_affinity (s->cpu_affinity_initial, "process.execCPUAffinity.initial",
                               &err) < 0)
    fail (in, err);

  struct moat_terminal term = { -1, -1, "" };
  struct moat_rootfs_opts ro = { .terminal = s->terminal ? &term : NULL };
  if (has_hooks_before_pivot (s))
    {
      ro.before_pivot = before_pivot;
      ro.data = in;
    }
  if (moat_fault ("init-setup", &err) < 0 || moat_rootfs_setup (p, &ro, &err) < 0
      || moat_apply_hostname (s, &err) < 0 || moat_apply_personality (s, &err) < 0
      || ((p->clone_flags & CLONE_NEWNET) && moat_loopback_up (&err) < 0))
    fail (in, err);
  close_setup_fds (in);
  if (s->terminal)
    {
      /* the runtime hands the master to the console socket or proxies it */
      if (moat_channel_send (in->sock, MOAT_MSG_TERMINAL, 0, term.name, strlen (term.name),
                             term.master, &err) < 0
          || moat_terminal_attach (&term, !p->pid_joined, &err) < 0)
        fail (in, err);
      close (term.master);
    }
  if (!p->no_new_keyring && moat_join_session_keyring (p->id, &err) < 0)
    fail (in, err);
  /* without a terminal, out of the caller's session: its terminal is not
     the container's (TIOCSTI would type into the caller's shell) */
  if (!s->terminal && setsid () < 0)
    fail_errno (in, errno, "setsid");
  if (moat_finish_prepare (&p->process, prog, &err) < 0)
    fail (in, err);
  if (p->pid_joined)
    {
      /* for the process made below; setns needs the privileges that the
         finish sequence drops */
      if (moat_ns_join (p->ns_fds[MOAT_NS_PID], MOAT_NS_PID, s->ns[MOAT_NS_PID].path,
                        &err) < 0)
        fail (in, err);
      close (p->ns_fds[MOAT_NS_PID]);
    }
  /* the pipe that orders the sibling's start, made while every call is
     still allowed */
  if (p->pid_joined && moat_sibling_prepare (&in->sib, &err) < 0)
    fail (in, err);
  int own[2] = { in->sock, in->fifo };
  if (moat_fault ("init-finish", &err) < 0
      || moat_finish_privileges (&p->process, own, 2, &p->host, &err) < 0)
    fail (in, err);
  in->sock = own[0];
  in->fifo = own[1];
  /* Under the filter from here on, whatever noNewPrivileges says: the
     sibling a shared pid namespace sees is born under it, and a process
     of the container holding CAP_SYS_PTRACE that reaches the waiting init
     (an exec into a created container) could otherwise make it run what
     the profile forbids.  What is left before execve is read, write and
     close on the channel and the exec fifo, and the startContainer hooks
     (which run under the filter by design).  */
  if (moat_finish_seccomp (&p->process, in->sock, &err) < 0)
    fail (in, err);
}

/* Wait for `start`: the runtime's word that the state is recorded, then
   a byte in the exec fifo (create), or the runtime's START (run).  Only
   read(2) from here on: the user's filter may be loaded already.  */
static void
wait_for_start (struct init *in)
{
  struct moat_msg m;
  moat_error *err = NULL;
  bool created = in->fifo >= 0;
  if (moat_channel_expect (in->sock, created ? MOAT_MSG_COMMITTED : MOAT_MSG_START, &m,
                           &err) < 0)
    _exit (MOAT_SETUP_FAILED);
  in->host_pid = m.aux;
  /* the runtime is gone from here on: what is left to say goes to the
     container's stderr */
  moat_log_forward (-1);
  close (in->sock);
  in->sock = -1;
  if (created)
    {
      char c;
      ssize_t r;
      do
        r = read (in->fifo, &c, 1);
      while (r < 0 && errno == EINTR);
      if (r != 1)
        _exit (MOAT_SETUP_FAILED);
      close (in->fifo);
    }
}

void
moat_init_main (const struct moat_init_args *a)
{
  struct init in = { a, a->plan, a->sock, a->fifo_fd, 0 };
  moat_error *err = NULL;
  /* the state directory's fd carries its lock: holding it would block
     every later command on this container */
  for (size_t i = 0; i < ARRAY_SIZE (a->parent_fds); i++)
    if (a->parent_fds[i] >= 0)
      close (a->parent_fds[i]);
  moat_log_close ();
  struct moat_msg m;
  if (moat_channel_expect (in.sock, MOAT_MSG_GO, &m, &err) < 0)
    _exit (MOAT_SETUP_FAILED);
  in.host_pid = m.aux;
  if (a->cgroupns_after_go && unshare (CLONE_NEWCGROUP) < 0)
    fail_errno (&in, errno, "create the cgroup namespace in the container's cgroup");
  /* warnings go to the runtime, which logs them with the rest */
  moat_log_forward (in.sock);
  /* Until execve replaces it, this process is the moat binary: other
     processes must not reach it through /proc/<pid>/exe or ptrace.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    fail_errno (&in, errno, "prctl(PR_SET_DUMPABLE)");

  struct moat_program prog;
  set_up (&in, &prog);
  if (in.p->pid_joined)
    {
      if (moat_continue_in_sibling (&in.sib, in.sock, false, &err) < 0)
        fail (&in, err);
      if (in.p->spec->terminal && moat_terminal_take_control (&err) < 0)
        fail (&in, err);
    }
  if (moat_channel_signal (in.sock, MOAT_MSG_READY, 0, &err) < 0)
    _exit (MOAT_SETUP_FAILED);
  wait_for_start (&in);
  if (in.p->spec->terminal)
    moat_terminal_wait_size (0, MOAT_TERMINAL_SIZE_WAIT_MS);
  autofree char *json = in.p->spec->hooks.n_start_container
    ? hook_state (&in, MOAT_STATUS_CREATED) : NULL;
  int status = moat_finish_exec (&in.p->process, &prog, &in.p->spec->hooks, json, &err);
  /* start has returned already: stderr is all that is left */
  fprintf (stderr, "moat: %s\n", err ? err->msg : "exec failed");
  _exit (status);
}
