/* exec and ps: joining a running container.

   The container's processes must never see one of moat's with the
   host's root, cwd, fds or privileges.  So the process born from clone3
   (into the container's cgroup) is not in the container's pid namespace:
   it joins every other namespace of the init in one setns(pidfd) call
   (the user namespace first, then the mount namespace, which makes the
   container's root its root and cwd), closes every inherited fd, finds
   the program, finishes itself (finish.c) and loads the seccomp filter.
   Only then does it make the process that enters the pid namespace (a
   sibling: moat stays its parent), which execs.  Until execve that
   process is the moat binary: moat runs from a sealed copy of itself
   (CVE-2019-5736 class), for every exec, since any process of the
   container may come to hold CAP_SYS_PTRACE over it.  */
#include <config.h>
#include "moat.h"
#include "cgroup/cgroup.h"
#include "log.h"
#include "state.h"
#include "spec/spec.h"
#include "channel.h"
#include "fault.h"
#include "finish.h"
#include "init.h"
#include "internal.h"
#include "log.h"
#include "audit.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "plan/plan.h"
#include "seccomp-agent.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

/* *label: FLAG when given, else what it is (the process file's), else
   FALLBACK (the container's, for a process file without one).  */
static void
choose_label (char **label, const char *flag, const char *fallback)
{
  const char *v = flag && flag[0] ? flag : *label && (*label)[0] ? NULL : fallback;
  if (v == NULL)
    return;
  free (*label);
  *label = xstrdup (v);
}

/* The process to run: --process, or the container's own process with the
   command line's command (the container's spec itself, changed in
   place); then the flags on top.  */
static struct moat_spec *
exec_process (const struct moat_exec_options *o, struct moat_spec *container,
              moat_error **err)
{
  struct moat_spec *s = NULL;
  if (o->process_file)
    {
      autofree char *text = NULL;
      size_t len;
      if (moat_read_file_at (AT_FDCWD, o->process_file, MOAT_MAX_CONFIG_SIZE, &text, &len,
                             err) < 0)
        return NULL;
      s = moat_spec_parse_process (text, len, err);
      if (s == NULL)
        {
          moat_error_prefix (err, "--process `%s`", o->process_file);
          return NULL;
        }
    }
  else
    {
      if (o->args == NULL || o->args[0] == NULL)
        {
          moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                           "exec: missing command (or --process FILE)");
          return NULL;
        }
      s = container;
      if (!s->has_process)
        {
          /* a container created without a process: the command runs as
             its init waits, at the root, with no capability but those
             given and no_new_privs */
          s->has_process = true;
          s->no_new_privileges = true;
          s->cwd = xstrdup ("/");
        }
    }
  if (o->args && o->args[0])
    {
      moat_strv_free (s->args);
      s->args = NULL;
      for (size_t i = 0; o->args[i]; i++)
        s->args = moat_strv_append (s->args, o->args[i]);
    }
  /* the labels: the flag's, else the process file's, else the
     container's */
  choose_label (&s->apparmor_profile, o->apparmor,
                s != container ? container->apparmor_profile : NULL);
  choose_label (&s->selinux_label, o->process_label,
                s != container ? container->selinux_label : NULL);
  if (o->tty_set)
    s->terminal = o->tty;
  if (o->cwd)
    {
      free (s->cwd);
      s->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; o->env && o->env[i]; i++)
    s->env = moat_env_set (s->env, o->env[i]);
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
        if (!moat_strv_contains (*sets[k], o->caps[i]))
          *sets[k] = moat_strv_append (*sets[k], o->caps[i]);
    }
  if (o->no_new_privs)
    s->no_new_privileges = true;
  if (s->cwd == NULL || s->cwd[0] != '/')
    {
      moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                       "exec: the working directory must be an absolute path");
      if (s != container)
        moat_spec_free (s);
      return NULL;
    }
  return s;
}

static int
check_options (const struct moat_exec_options *o, const struct moat_spec *s,
               moat_error **err)
{
  if (moat_plan_check_labels (s, o->process_label && o->process_label[0]
                              ? "--process-label" : "process.selinuxLabel",
                              o->apparmor && o->apparmor[0]
                              ? "--apparmor" : "process.apparmorProfile", err) < 0)
    return -1;
  if (s->terminal && o->detach && o->console_socket == NULL)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "exec: a detached process with a terminal needs "
                            "--console-socket");
  if (!s->terminal && o->console_socket)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "--console-socket: the process has no terminal");
  return 0;
}

/* ---- the child ---- */

struct exec_child
{
  const struct moat_process_plan *plan;
  const struct moat_host *host;
  int init_pidfd;
  int join;             /* the init's namespaces that differ from ours */
  int sock;
  const char *id;       /* the container's, for its session keyring */
  bool no_new_keyring;  /* the container kept the caller's keyring */
  bool foreground;      /* moat stays: the process must not outlive it */
  bool wait_go;         /* the runtime moves it into the cgroup first */
  int parent_fds[4];
};

static void __attribute__ ((noreturn))
child_fail (const struct exec_child *c, moat_error *err)
{
  moat_channel_send_error (c->sock, err);
  _exit (MOAT_SETUP_FAILED);
}

static int
make_terminal (const struct exec_child *c, moat_error **err)
{
  struct moat_terminal t;
  autoclose int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return moat_error_set (err, errno, "open the container's root");
  if (moat_terminal_create (root, c->plan->spec, false, &t, err) < 0)
    return -1;
  if (moat_channel_send (c->sock, MOAT_MSG_TERMINAL, 0, t.name, strlen (t.name), t.master,
                         err) < 0
      || moat_terminal_attach (&t, false, err) < 0)
    return -1;
  close (t.master);
  return 0;
}

static void __attribute__ ((noreturn))
exec_child_main (struct exec_child *c)
{
  const struct moat_process_plan *p = c->plan;
  moat_error *err = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (c->parent_fds); i++)
    if (c->parent_fds[i] >= 0)
      close (c->parent_fds[i]);
  moat_log_close ();
  struct moat_msg go;
  if (c->wait_go && moat_channel_expect (c->sock, MOAT_MSG_GO, &go, &err) < 0)
    _exit (MOAT_SETUP_FAILED);
  moat_log_forward (c->sock);
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      moat_error_set (&err, errno, "prctl(PR_SET_DUMPABLE)");
      child_fail (c, err);
    }
  if (moat_apply_cpu_affinity (p->spec->cpu_affinity_initial,
                               "process.execCPUAffinity.initial", &err) < 0)
    child_fail (c, err);
  /* every namespace at once, the user namespace first; pid and time
     apply to the children made below */
  /* the label now: the container's /proc does not show this process (it
     is not in the container's pid namespace), and nothing is exec'd
     before the process's own program */
  if (moat_fault ("exec-join", &err) < 0 || moat_finish_open_labels (p, &err) < 0
      || moat_finish_write_labels (p, &err) < 0)
    child_fail (c, err);
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
  moat_finish_close_inherited (3 + p->preserve_fds, (int[]) { c->sock }, 1);
  if (!c->no_new_keyring && moat_join_session_keyring (c->id, &err) < 0)
    child_fail (c, err);
  if (p->spec->terminal && make_terminal (c, &err) < 0)
    child_fail (c, err);
  /* without a terminal, out of the caller's session: its terminal is not
     the container's (TIOCSTI would type into the caller's shell) */
  if (!p->spec->terminal && setsid () < 0)
    {
      moat_error_set (&err, errno, "setsid");
      child_fail (c, err);
    }
  struct moat_program prog;
  struct moat_sibling sib;
  int own[1] = { c->sock };
  if (moat_finish_prepare (p, &prog, &err) < 0
      || moat_sibling_prepare (&sib, &err) < 0
      || moat_fault ("exec-finish", &err) < 0
      || moat_finish_privileges (p, own, 1, c->host, &err) < 0)
    child_fail (c, err);
  c->sock = own[0];
  /* the process the container sees is born under the filter */
  if (moat_finish_seccomp (p, c->sock, &err) < 0)
    child_fail (c, err);
  if (moat_continue_in_sibling (&sib, c->sock, false, &err) < 0
      || (p->spec->terminal && moat_terminal_take_control (&err) < 0))
    child_fail (c, err);
  /* the process leads a session and a process group of its own, as runc's
     and crun's do (shells and job control expect it).  Without a terminal
     the first child has left the caller's session already, so this is not
     a protection: a filter that refuses setsid leaves it in that one.  */
  if (!p->spec->terminal)
    (void) setsid ();
  /* in the foreground moat proxies the process: a moat killed must not
     leave it behind (it is moat's child; execve keeps this).  A filter
     may refuse prctl: then the process outlives a killed moat. */
  if (c->foreground)
    (void) prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* moat may have died before that was set: then its end of the channel
     is closed (a filter that refuses poll leaves this unchecked) */
  struct pollfd alive = { c->sock, POLLRDHUP, 0 };
  if (c->foreground && poll (&alive, 1, 0) == 1 && (alive.revents & (POLLRDHUP | POLLHUP)))
    _exit (MOAT_SETUP_FAILED);
  if (p->spec->terminal)
    moat_terminal_wait_size (0, MOAT_TERMINAL_SIZE_WAIT_MS);
  int status = moat_finish_exec (p, &prog, NULL, NULL, &err);
  moat_channel_send_error (c->sock, err);
  _exit (status);
}

/* ---- the runtime ---- */

struct exec_run
{
  const struct moat_seccomp *seccomp;  /* the process's profile */
  const struct moat_state *state;      /* the container's, for a seccomp agent */
  int sock;
  pid_t pid;           /* the first child, then the process */
  int pidfd;           /* of the process */
  int master;
  char pty_name[64];
};

/* The first child ended without a word: say how.  */
static int
setup_died (struct exec_run *r, moat_error **err)
{
  int status = 0;
  while (waitpid (r->pid, &status, 0) < 0 && errno == EINTR)
    ;
  r->pid = 0;
  if (WIFSIGNALED (status))
    return moat_error_set (err, 0, "exec: the process's setup was killed by signal %d",
                           WTERMSIG (status));
  return moat_error_set (err, 0, "exec: the process's setup exited with status %d",
                         WEXITSTATUS (status));
}

/* How long the process may take, once the container can see it, to
   execve: it only loads the filter and execs, unless something of the
   container stops it.  */
#define EXEC_BOUND_MS 30000

/* Serve the children until the process has exec'd: the channel is
   close-on-exec, so its end means exactly that.  Once the process
   exists it holds the channel where the container can see it: from then
   on only a log line or its error is accepted, and the wait is bounded;
   the pid that makes it known must be a child of ours.  */
static int
wait_exec (struct exec_run *r, moat_error **err)
{
  long long deadline = 0;
  bool listener_given = false;
  for (;;)
    {
      struct moat_msg m;
      int n = moat_channel_recv_until (r->sock, &m, deadline, err);
      if (n < 0)
        return moat_error_prefix (err, "exec");
      if (n == 0)
        return r->pidfd >= 0 ? 0 : setup_died (r, err);
      bool visible = r->pidfd >= 0;
      bool fd_expected = !visible
        && ((m.kind == MOAT_MSG_TERMINAL && r->master < 0)
            || (m.kind == MOAT_MSG_SECCOMP && !listener_given && r->seccomp
                && r->seccomp->uses_notify));
      if (m.fd >= 0 && !fd_expected)
        {
          close (m.fd);
          return moat_error_set (err, EPROTO, "exec: an fd with a %s message",
                                 moat_msg_kind_name (m.kind));
        }
      if (visible && m.kind != MOAT_MSG_LOG && m.kind != MOAT_MSG_ERROR)
        return moat_error_set (err, EPROTO, "exec: a %s message after the process "
                               "started", moat_msg_kind_name (m.kind));
      switch (m.kind)
        {
        case MOAT_MSG_TERMINAL:
          if (m.fd < 0)
            return moat_error_set (err, EPROTO, "exec: no pty");
          r->master = m.fd;
          snprintf (r->pty_name, sizeof r->pty_name, "%.40s", m.data);
          break;
        case MOAT_MSG_LOG:
          moat_log_forwarded (m.aux, m.data);
          break;
        case MOAT_MSG_SECCOMP:
          {
            /* to the agent: the container's state, and the pid of the
               process that loaded the filter (it makes the one that
               execs, and ends) */
            if (m.fd < 0)
              return moat_error_set (err, EPROTO, "exec: no seccomp listener");
            listener_given = true;
            autofree char *state = moat_state_to_json (r->state, false);
            int g = moat_seccomp_give_listener (r->seccomp, m.fd, r->pid, state, err);
            close (m.fd);
            if (g < 0)
              return moat_error_prefix (err, "exec");
            break;
          }
        case MOAT_MSG_PID:
          if (m.aux == 0 || m.aux > INT32_MAX || (pid_t) m.aux == r->pid
              || !moat_is_own_child (m.aux))
            return moat_error_set (err, EPROTO, "exec: pid %u is not the process moat "
                                   "started", m.aux);
          r->pidfd = sys_pidfd_open (m.aux, 0);
          if (r->pidfd < 0)
            return moat_error_set (err, errno, "exec: pidfd of the process");
          /* the first child is done; the process is ours too */
          while (waitpid (r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
          r->pid = m.aux;
          deadline = moat_deadline_in (EXEC_BOUND_MS);
          break;
        case MOAT_MSG_ERROR:
          return moat_channel_error_from (&m, err);
        default:
          return moat_error_set (err, EPROTO, "exec: unexpected %s message",
                                 moat_msg_kind_name (m.kind));
        }
    }
}

/* The container's config as it was created (create keeps a copy).  */
static struct moat_spec *
container_config (struct moat_container_dir *dir, const struct moat_state *st,
                  moat_error **err)
{
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (dir->dirfd, "config.json", MOAT_MAX_CONFIG_SIZE, &text, &len,
                         NULL) < 0)
    /* a container made by an older moat */
    return moat_spec_load (st->bundle, err);
  return moat_spec_parse (text, len, err);
}

int
moat_exec (const struct moat_context *ctx, const struct moat_exec_options *o,
           int *status, moat_error **err)
{
  *status = 0;
  struct moat_container_dir dir = { -1, NULL, NULL };
  struct moat_state st = { 0 };
  struct moat_spec *container = NULL, *s = NULL;
  struct moat_process_plan plan = { 0 };
  struct moat_host host;
  struct exec_run run = { NULL, NULL, -1, 0, -1, -1, "" };
  int init_pidfd = -1, cgfd = -1, peer = -1, r = -1;
  bool audited = false;
  struct moat_cgroup cg = { .dirfd = -1 };

  /* the exec'd process is the moat binary in the container until its
     execve: from a sealed copy (sealed.c), before anything else */
  if (moat_ensure_sealed (ctx, err) < 0 || moat_check_proc (err) < 0
      || moat_host_probe (&host, err) < 0
      || moat_container_dir_open (ctx->state_root, o->id, false, &dir, err) < 0)
    return -1;
  if (moat_state_read (&dir, &st, err) < 0)
    goto out;
  moat_state_refresh (&dir, &st);
  if (st.status == MOAT_STATUS_STOPPED
      || (st.status == MOAT_STATUS_PAUSED && !o->ignore_paused))
    {
      moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                       "cannot exec in container \"%s\": it is %s", o->id,
                       moat_status_name (st.status));
      goto out;
    }
  container = container_config (&dir, &st, err);
  if (container == NULL)
    goto out;
  /* a user namespace whose maps moat chose (automatic mappings or
     range): they are the init's, not in the config */
  if (container->ns[MOAT_NS_USER].present && container->ns[MOAT_NS_USER].path == NULL
      && container->n_uid_mappings == 0 && moat_read_id_maps (st.pid, container, err) < 0)
    goto out;
  s = exec_process (o, container, err);
  if (s == NULL || check_options (o, s, err) < 0
      || moat_process_plan_build (s, container->has_seccomp ? &container->seccomp : NULL,
                                  container->ns[MOAT_NS_USER].present
                                  && container->ns[MOAT_NS_USER].path == NULL
                                  ? container : NULL, &host, o->preserve_fds, &plan,
                                  err) < 0)
    goto out;
  run.seccomp = container->has_seccomp ? &container->seccomp : NULL;
  run.state = &st;
  init_pidfd = sys_pidfd_open (st.pid, 0);
  if (init_pidfd < 0 || moat_process_start_time (st.pid, true) != st.start_time)
    {
      moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                       "cannot exec in container \"%s\": its init is gone", o->id);
      goto out;
    }
  if (moat_cgroup_from_state (&st, &cg, err) < 0
      || (o->cgroup && moat_cgroup_enter_sub (&cg, o->cgroup, err) < 0))
    goto out;
  if (cg.driver)
    {
      moat_error *cerr = NULL;
      cgfd = cg.driver->clone_fd (&cg, &cerr);
      if (cerr)
        {
          moat_error_prefix (&cerr, "exec");
          if (err && *err == NULL)
            *err = steal_pointer (&cerr);
          moat_error_free (&cerr);
          goto out;
        }
    }
  int socks[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0)
    {
      moat_error_set (err, errno, "socketpair");
      goto out;
    }
  run.sock = socks[0];
  peer = socks[1];
  struct exec_child c = {
    .plan = &plan, .host = &host, .init_pidfd = init_pidfd,
    .join = namespaces_to_join (st.pid), .sock = peer, .foreground = !o->detach,
    .id = o->id,
    .no_new_keyring = st.no_new_keyring,
    .wait_go = cg.driver && cgfd < 0,
    .parent_fds = { run.sock, dir.dirfd, cgfd, -1 },
  };
  struct clone_args ca = { .exit_signal = SIGCHLD };
  if (cgfd >= 0)
    {
      ca.flags |= CLONE_INTO_CGROUP;
      ca.cgroup = cgfd;
    }
  if (moat_fault ("exec-clone", err) < 0)
    goto out;
  moat_finish_note_runtime ();
  /* no lock while a process the container can reach (and stop) runs */
  moat_container_dir_close (&dir);
  c.parent_fds[1] = -1;
  fflush (NULL);
  run.pid = sys_clone3 (&ca);
  if (run.pid < 0)
    {
      run.pid = 0;
      moat_error_set (err, errno, "clone3 the exec process");
      goto out;
    }
  if (run.pid == 0)
    exec_child_main (&c);
  close (peer);
  peer = -1;
  if (c.wait_go && (cg.driver->attach (&cg, run.pid, err) < 0
                    || moat_channel_signal (run.sock, MOAT_MSG_GO, 0, err) < 0))
    goto out;
  if (wait_exec (&run, err) < 0 || moat_fault ("exec-wait", err) < 0)
    goto out;
  moat_audit_container (ctx, &st, "exec", s->args ? s->args[0] : NULL, NULL);
  audited = true;
  if (o->console_socket && moat_send_console (o->console_socket, run.master,
                                              run.pty_name, err) < 0)
    goto out;
  if (o->pid_file && moat_write_pid_file (o->pid_file, run.pid, err) < 0)
    goto out;
  if (o->detach)
    {
      run.pid = 0;  /* it runs on without us */
      r = 0;
      goto out;
    }
  sigset_t old;
  int sigfd = moat_block_forwarded_signals (&old);
  if (sigfd < 0)
    {
      moat_error_set (err, errno, "signalfd");
      goto out;
    }
  *status = moat_wait_forwarding (run.pid, run.pidfd, sigfd,
                                  o->console_socket ? -1 : run.master, NULL);
  run.pid = 0;
  close (sigfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  r = 0;
out:
  if (r < 0 && !audited && st.id)
    moat_audit_container (ctx, &st, "exec", s && s->args ? s->args[0] : NULL, *err);
  if (run.pid > 0)
    {
      /* without a pidfd, run.pid is still moat's own first child, not
         reaped, so its pid cannot have been reused: kill it too (it may
         wait on the channel, or in a cgroup the container froze) */
      if (run.pidfd >= 0)
        sys_pidfd_send_signal (run.pidfd, SIGKILL);
      else
        kill (run.pid, SIGKILL);
      if (run.sock >= 0)
        close (run.sock);
      run.sock = -1;
      while (waitpid (run.pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  int fds[] = { init_pidfd, cgfd, run.sock, peer, run.pidfd, run.master };
  for (size_t i = 0; i < ARRAY_SIZE (fds); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  moat_process_plan_clear (&plan);
  moat_cgroup_release (&cg);
  if (s != container)
    moat_spec_free (s);
  moat_spec_free (container);
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
      struct moat_cgroup cg;
      r = moat_cgroup_from_state (&st, &cg, err);
      if (r == 0 && cg.driver)
        r = cg.driver->pids (&cg, pids, n, err);
      else if (r == 0)
        {
          *pids = xmalloc0 (sizeof (int));
          (*pids)[0] = st.pid;
          *n = 1;
        }
      moat_cgroup_release (&cg);
    }
  moat_state_clear (&st);
  return r;
}
