/* The parent side of create and run: build the plan, take the state
   directory, make the cgroup, clone3 the init into its namespaces and
   cgroup, map its ids, serve it over the channel until it is ready,
   record it.  Any failure undoes every step before it; what a SIGKILL
   leaves half-done is recorded in the state before it is done, so that
   `delete --force` finds it.  */
#include <config.h>
#include "moat.h"
#include "cgroup/cgroup.h"
#include "log.h"
#include "state.h"
#include "spec/spec.h"
#include "channel.h"
#include "fault.h"
#include "finish.h"
#include "audit.h"
#include "hooks.h"
#include "policy/policy.h"
#include "seccomp-learn.h"
#include "sha256.h"
#include "init.h"
#include "joined-ns.h"
#include "seccomp-agent.h"
#include "internal.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "notify.h"
#include "plan/plan.h"
#include "launch.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>


static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

void
moat_launch_init (struct launch *l, const struct moat_context *ctx,
             const struct moat_create_options *o)
{
  memset (l, 0, sizeof *l);
  l->ctx = ctx;
  l->opts = o;
  l->dir.dirfd = -1;
  l->cgroup.dirfd = -1;
  l->fifo_fd = l->pidfd = l->pty_master = -1;
  l->sock[0] = l->sock[1] = -1;
}

static void
reap (pid_t pid)
{
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* Undo everything: the process, the cgroup, the state directory.  */
void
moat_launch_abort (struct launch *l)
{
  if (l->pid > 0)
    {
      /* our own child, not reaped yet: its pid is still its own */
      if (l->pidfd >= 0)
        sys_pidfd_send_signal (l->pidfd, SIGKILL);
      else
        kill (l->pid, SIGKILL);
      reap (l->pid);
      l->pid = 0;
    }
  if (l->cgroup_made)
    {
      moat_error *ignored = NULL;
      l->cgroup.driver->destroy (&l->cgroup, &ignored);
      moat_error_free (&ignored);
    }
  if (l->pid_file_written)
    unlink (l->opts->pid_file);
  /* a failed create has nothing to teach */
  if (l->learner > 0)
    {
      kill (l->learner, SIGKILL);
      reap (l->learner);
      l->learner = 0;
    }
  if (l->have_dir)
    {
      moat_error *ignored = NULL;
      moat_container_dir_remove (&l->dir, &ignored);
      moat_error_free (&ignored);
      l->have_dir = false;
    }
}

void
moat_launch_free (struct launch *l)
{
  if (l->have_dir)
    moat_container_dir_close (&l->dir);
  moat_cgroup_release (&l->cgroup);
  moat_state_clear (&l->state);
  moat_findings_free (&l->decision.findings);
  close_fd (&l->fifo_fd);
  close_fd (&l->sock[0]);
  close_fd (&l->sock[1]);
  close_fd (&l->pidfd);
  close_fd (&l->pty_master);
  moat_plan_free (l->plan);
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return xstrdup (pw ? pw->pw_name : "");
}

/* The state, and where the cgroup will be, recorded before either
   exists.  */
static int
take_state_dir (struct launch *l, moat_error **err)
{
  const struct moat_plan *p = l->plan;
  struct moat_state *st = &l->state;
  char now[64];
  moat_rfc3339_now (now, sizeof now, true);
  st->id = xstrdup (p->id);
  st->bundle = xstrdup (p->bundle);
  st->rootfs = xstrdup (p->rootfs);
  st->created = xstrdup (now);
  st->owner = owner_name ();
  st->no_new_keyring = p->no_new_keyring;
  /* the trail start, exec, kill and delete write to, and what was run */
  st->audit_log = l->ctx->audit_log ? xstrdup (l->ctx->audit_log) : NULL;
  st->config_sha256 = xstrdup (l->config_sha256);
  /* start and delete then need not read the kept config */
  st->no_late_hooks = p->spec->hooks.n_poststart == 0 && p->spec->hooks.n_poststop == 0;
  st->no_process = !p->spec->has_process;
  st->status = MOAT_STATUS_CREATING;
  st->n_annotations = p->spec->n_annotations;
  st->annotations = xmalloc0 (st->n_annotations * sizeof *st->annotations);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      st->annotations[i].key = xstrdup (p->spec->annotations[i].key);
      st->annotations[i].value = xstrdup (p->spec->annotations[i].value);
    }
  const struct moat_cgroup_driver *driver;
  if (moat_container_absent (l->ctx->state_root, p->id, err) < 0
      || moat_cgroup_driver_for (l->ctx->cgroup_manager, &driver, err) < 0)
    return -1;
  if (driver && (driver->locate (p->spec->cgroups_path, p->id, &l->cgroup, err) < 0
                 || (l->cgroup.path && driver->in_use (&l->cgroup)
                     && moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                         "%s: cgroup `%s` already has processes",
                                         p->spec->cgroups_path ? "linux.cgroupsPath"
                                         : "the container's cgroup",
                                         l->cgroup.path) < 0)))
    {
      /* a create of the same id that won meanwhile has its init there */
      moat_error *exists = NULL;
      if (moat_container_absent (l->ctx->state_root, p->id, &exists) < 0 && err)
        {
          moat_error_free (err);
          *err = steal_pointer (&exists);
        }
      moat_error_free (&exists);
      return -1;
    }
  if (l->cgroup.path)
    {
      /* not ours until the state directory is: a duplicate id must not
         touch the existing container's cgroup */
      l->cgroup.driver = driver;
      st->cgroup_driver = xstrdup (driver->name);
      st->cgroup_path = xstrdup (l->cgroup.path);
      if (l->cgroup.created_from)
        st->cgroup_created_from = xstrdup (l->cgroup.created_from);
      if (l->cgroup.created_from_v1)
        st->cgroup_created_from_v1 = xstrdup (l->cgroup.created_from_v1);
    }
  else if (driver == NULL)
    {
      /* found before anything is made on the host */
      if (moat_plan_check_no_cgroup (p, l->ctx->cgroup_manager == MOAT_CGROUP_DISABLED
                           ? "--cgroup-manager disabled" : "no cgroup v2 hierarchy", err) < 0)
        return -1;
      if (p->spec->n_device_rules)
        moat_warn ("linux.resources.devices: not enforced without a cgroup");
    }
  if (moat_container_dir_create (l->ctx->state_root, p->id, st, &l->dir, err) < 0)
    return -1;
  l->have_dir = true;
  return 0;
}

static int
make_cgroup (struct launch *l, moat_error **err)
{
  struct moat_cgroup *cg = &l->cgroup;
  if (cg->driver == NULL)
    return 0;  /* no cgroup manager: checked before the state directory */
  int r = cg->driver->create (cg, err);
  l->cgroup_made = r == 0 && cg->path != NULL;
  if (r < 0)
    return moat_error_prefix (err, "%s", l->plan->spec->cgroups_path ? "linux.cgroupsPath"
                              : "the container's cgroup");
  if (cg->path == NULL)
    {
      if (moat_plan_check_no_cgroup (l->plan, "no cgroup this user may make", err) < 0)
        return -1;
      /* the driver found it cannot make one (rootless): say so in the state */
      FREE_AND_NULL (l->state.cgroup_driver);
      FREE_AND_NULL (l->state.cgroup_path);
      FREE_AND_NULL (l->state.cgroup_created_from);
      FREE_AND_NULL (l->state.cgroup_created_from_v1);
      cg->driver = NULL;
      return moat_state_write (&l->dir, &l->state, err);
    }
  if (cg->driver->made_by_attach)
    return 0;  /* applied once attach has made it */
  return cg->driver->apply (cg, l->plan->spec, err);
}

/* The plan of the container, nothing made yet.  */
int
moat_launch_plan (struct launch *l, bool foreground, moat_error **err)
{
  if (moat_check_proc (err) < 0)
    return -1;
  return moat_plan_build (l->opts, l->ctx->policy, foreground, &l->plan, err);
}

int
moat_launch_policy (struct launch *l, moat_error **err)
{
  if (l->policy_applied)
    return 0;
  moat_sha256_hex (l->plan->config_text, l->plan->config_len, l->config_sha256);
  if (moat_policy_apply (l->ctx, l->plan->spec, l->opts->id, l->plan->bundle,
                         l->plan->auto_range || l->plan->host.rootless, l->plan->hardened,
                         &l->decision, err) < 0)
    return -1;
  l->policy_applied = true;
  return 0;
}

/* The policy's word on the plan, then the state directory and the
   cgroup: from here on moat_launch_abort has something to undo.  */
int
moat_launch_take (struct launch *l, moat_error **err)
{
  if (moat_launch_policy (l, err) < 0 || moat_fault ("plan", err) < 0)
    return -1;
  return take_state_dir (l, err) < 0 || make_cgroup (l, err) < 0 ? -1 : 0;
}

static int
make_exec_fifo (struct launch *l, moat_error **err)
{
  if (moat_fault ("fifo", err) < 0)
    return -1;
  if (mkfifoat (l->dir.dirfd, "exec.fifo", 0600) < 0)
    return moat_error_set (err, errno, "create exec fifo");
  /* O_RDWR never blocks; the init keeps this fd and blocks reading it
     until `start` writes a byte.  */
  l->fifo_fd = openat (l->dir.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (l->fifo_fd < 0)
    return moat_error_set (err, errno, "open exec fifo");
  return 0;
}

/* exec, poststart and poststop come later: keep the config the container
   was made from, the very bytes the plan parsed, in the state directory
   (the bundle may change or go).  */
int
moat_launch_keep_config (struct launch *l, moat_error **err)
{
  if (moat_fault ("keep-config", err) < 0)
    return -1;
  return moat_write_file_atomic_at (l->dir.dirfd, "config.json", l->plan->config_text,
                                    l->plan->config_len, 0600, err);
}

/* ---- the init ---- */

static int
spawn_init (struct launch *l, bool with_fifo, moat_error **err)
{
  const struct moat_plan *p = l->plan;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->sock) < 0)
    return moat_error_set (err, errno, "socketpair");
  struct moat_init_args a = {
    .plan = p, .state = &l->state, .sock = l->sock[1],
    .fifo_fd = with_fifo ? l->fifo_fd : -1,
  };
  size_t k = 0;
  for (size_t i = 0; i < ARRAY_SIZE (a.parent_fds); i++)
    a.parent_fds[i] = -1;
  a.parent_fds[k++] = l->sock[0];
  a.parent_fds[k++] = l->dir.dirfd;
  a.parent_fds[k++] = l->cgroup.dirfd;
  moat_joined_ns_fds (p, a.parent_fds, &k);
  unsigned long long flags = p->clone_flags;
  if (l->cgroup_made && l->cgroup.dirfd < 0 && (flags & CLONE_NEWCGROUP)
      && p->ns_fds[MOAT_NS_USER] < 0)
    {
      /* born outside its cgroup: its cgroup namespace must be made once
         it is in it */
      flags &= ~(unsigned long long) CLONE_NEWCGROUP;
      a.cgroupns_after_go = true;
    }
  if (p->ns_fds[MOAT_NS_USER] >= 0)
    {
      /* the init creates them once in the joined user namespace */
      a.unshare_flags = flags;
      flags = 0;
    }
  struct clone_args ca = {
    .flags = flags | CLONE_PIDFD,
    .pidfd = (uintptr_t) &l->pidfd,
    .exit_signal = SIGCHLD,
  };
  if (l->cgroup.dirfd >= 0)
    {
      ca.flags |= CLONE_INTO_CGROUP;
      ca.cgroup = l->cgroup.dirfd;
    }
  if (moat_fault ("clone", err) < 0)
    return -1;
  moat_finish_note_runtime ();
  fflush (NULL);
  if (moat_init_needs_joiner (p))
    {
      pid_t pid;
      if (moat_clone_init_via_joiner (p, &ca, &a, &pid, err) < 0)
        return -1;
      l->pid = pid;
      close_fd (&l->sock[1]);
      l->pidfd = sys_pidfd_open (pid, 0);
      if (l->pidfd < 0)
        return moat_error_set (err, errno, "pidfd of the container's init");
      return 0;
    }
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0)
    {
      int e = errno;
      const char *hint = moat_ns_clone_hint (e, flags, moat_running_rootless ());
      if (hint)
        return moat_error_set (err, e, "clone3 the container's init: %s", hint);
      return moat_error_set (err, e, "clone3 the container's init");
    }
  if (pid == 0)
    moat_init_main (&a);
  l->pid = pid;
  close_fd (&l->sock[1]);
  return 0;
}

/* The state as hooks see it.  */
static char *
hook_state (struct launch *l, enum moat_status status)
{
  l->state.pid = l->pid;
  l->state.status = status;
  return moat_state_to_json (&l->state, false);
}

/* HOOKS: the container's mounts are ready; run prestart and
   createRuntime hooks here, in the runtime's namespaces, then let the
   init run createContainer hooks.  */
static int
run_create_hooks (struct launch *l, moat_error **err)
{
  const struct moat_hooks *h = &l->plan->spec->hooks;
  autofree char *json = hook_state (l, MOAT_STATUS_CREATING);
  if (moat_fault ("hooks", err) < 0
      || moat_hooks_run ("prestart", h->prestart, h->n_prestart, json, err) < 0
      || moat_hooks_run ("createRuntime", h->create_runtime, h->n_create_runtime,
                         json, err) < 0)
    return -1;
  if (moat_channel_signal (l->sock[0], MOAT_MSG_HOOKS_DONE, l->pid, err) < 0)
    return moat_error_prefix (err, "resume the container's init after hooks");
  return 0;
}

/* The init is replaced by a sibling of its (the user namespace or the
   pid namespace was joined by path).  The pid arrives over a channel a
   process of a shared pid namespace could reach: it must be a child of
   ours, and not the one it replaces.  */
static int
take_new_init (struct launch *l, uint32_t pid, moat_error **err)
{
  if (pid == 0 || pid > INT32_MAX || (pid_t) pid == l->pid || !moat_is_own_child (pid))
    return moat_error_set (err, EPROTO, "pid %u is not an init moat started", pid);
  int pidfd = sys_pidfd_open (pid, 0);
  if (pidfd < 0)
    return moat_error_set (err, errno, "pidfd of the container's init");
  reap (l->pid);
  close_fd (&l->pidfd);
  l->pid = pid;
  l->pidfd = pidfd;
  return 0;
}

/* How long the init may take, once a shared pid namespace can see it, to
   say it is ready: it only takes its terminal, unless something there
   stops it.  */
#define VISIBLE_BOUND_MS 30000

/* The init ended before it was ready without a word: say how.  */
static int
init_died (struct launch *l, moat_error **err)
{
  int status = 0;
  while (waitpid (l->pid, &status, 0) < 0 && errno == EINTR)
    ;
  l->pid = 0;
  if (WIFSIGNALED (status))
    return moat_error_set (err, 0, "the container's init was killed by signal %d "
                           "during setup", WTERMSIG (status));
  return moat_error_set (err, 0, "the container's init exited with status %d during "
                         "setup", WEXITSTATUS (status));
}

/* Serve the init until it is ready: its terminal, its warnings, the
   hooks, a new pid; its failure arrives as its own error.  */
/* SCMP_ACT_NOTIFY: the init's listener to the agent, with the state as
   it is now (creating, the pid of the process that loaded the filter).  */
static int
give_listener (struct launch *l, int listener, moat_error **err)
{
  if (l->opts->seccomp_learn)
    {
      l->learner = moat_seccomp_learn_start (listener, l->opts->seccomp_learn,
                                             l->opts->seccomp_learn_merge, err);
      close (listener);
      return l->learner < 0 ? -1 : 0;
    }
  autofree char *state = hook_state (l, MOAT_STATUS_CREATING);
  int r = moat_seccomp_give_listener (&l->plan->spec->seccomp, listener, l->pid, state,
                                      err);
  close (listener);
  return r;
}

static int
wait_ready (struct launch *l, moat_error **err)
{
  /* a pid namespace joined by path, entered once the init is finished:
     from the sibling's PID on, its processes can reach the channel */
  const struct moat_plan *p = l->plan;
  bool sibling_visible = p->pid_joined;
  /* the pids to expect: a sibling in new pid or time namespaces made in a
     joined user namespace, then one in a joined pid namespace */
  unsigned pids_left = (p->ns_fds[MOAT_NS_USER] >= 0
                        && (p->clone_flags & (CLONE_NEWPID | CLONE_NEWTIME)))
    + p->pid_joined;
  bool visible = false, listener_given = false;
  long long deadline = 0;
  for (;;)
    {
      struct moat_msg m;
      int r = moat_channel_recv_until (l->sock[0], &m, deadline, err);
      if (r < 0)
        return moat_error_prefix (err, "the container's init");
      if (r == 0)
        return init_died (l, err);
      bool fd_expected = !visible
        && ((m.kind == MOAT_MSG_TERMINAL && l->pty_master < 0)
            || (m.kind == MOAT_MSG_SECCOMP && !listener_given
                && p->spec->seccomp.uses_notify));
      if (m.fd >= 0 && !fd_expected)
        {
          close (m.fd);
          return moat_error_set (err, EPROTO, "the container's init sent an fd with a "
                                 "%s message", moat_msg_kind_name (m.kind));
        }
      if (visible && m.kind != MOAT_MSG_READY && m.kind != MOAT_MSG_ERROR
          && m.kind != MOAT_MSG_LOG)
        return moat_error_set (err, EPROTO, "the container's init sent a %s message "
                               "once in the shared pid namespace",
                               moat_msg_kind_name (m.kind));
      switch (m.kind)
        {
        case MOAT_MSG_TERMINAL:
          if (m.fd < 0)
            return moat_error_set (err, EPROTO, "the container's init sent no pty");
          l->pty_master = m.fd;
          snprintf (l->pty_name, sizeof l->pty_name, "%.40s", m.data);
          break;
        case MOAT_MSG_PID:
          if (pids_left == 0)
            return moat_error_set (err, EPROTO, "the container's init sent one pid too "
                                   "many");
          pids_left--;
          if (take_new_init (l, m.aux, err) < 0)
            return -1;
          if (sibling_visible && pids_left == 0)
            {
              visible = true;
              deadline = moat_deadline_in (VISIBLE_BOUND_MS);
            }
          break;
        case MOAT_MSG_LOG:
          moat_log_forwarded (m.aux, m.data);
          break;
        case MOAT_MSG_SECCOMP:
          if (m.fd < 0)
            return moat_error_set (err, EPROTO, "the container's init sent no seccomp "
                                   "listener");
          listener_given = true;
          if (give_listener (l, m.fd, err) < 0)
            return -1;
          break;
        case MOAT_MSG_HOOKS:
          if (run_create_hooks (l, err) < 0)
            return -1;
          break;
        case MOAT_MSG_READY:
          return 0;
        case MOAT_MSG_ERROR:
          return moat_channel_error_from (&m, err);
        default:
          return moat_error_set (err, EPROTO, "unexpected %s message from the "
                                 "container's init", moat_msg_kind_name (m.kind));
        }
    }
}

static int
apply_oom_score (struct launch *l, moat_error **err)
{
  const struct moat_spec *s = l->plan->spec;
  if (!s->has_oom_score_adj)
    return 0;
  char path[64], val[16];
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", l->pid);
  snprintf (val, sizeof val, "%d", s->oom_score_adj);
  if (moat_write_file (path, val, err) < 0)
    return moat_error_prefix (err, "process.oomScoreAdj");
  return 0;
}

static int
hand_over_terminal (struct launch *l, moat_error **err)
{
  if (l->plan->spec->terminal && l->pty_master < 0)
    return moat_error_set (err, 0, "process.terminal: the container sent no terminal");
  if (l->opts->console_socket == NULL)
    return 0;
  if (moat_send_console (l->opts->console_socket, l->pty_master, l->pty_name, err) < 0)
    return -1;
  close_fd (&l->pty_master);
  return 0;
}

/* Everything up to a container waiting for start.  */
static int
launch_create (struct launch *l, bool foreground, bool with_fifo, moat_error **err)
{
  /* the init is the moat binary in the container until its execve: from a
     sealed copy (sealed.c), before anything else */
  if (moat_ensure_sealed (l->ctx, err) < 0 || moat_launch_plan (l, foreground, err) < 0)
    return -1;
  if (!with_fifo && !l->plan->spec->has_process)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process: missing (run starts the container's process; "
                            "create accepts a config without one)");
  if (l->ctx->notify_socket && moat_notify_check_host (l->ctx->notify_socket, err) < 0)
    return -1;
  if (moat_launch_take (l, err) < 0)
    return -1;
  const struct moat_plan *p = l->plan;
  if (with_fifo && make_exec_fifo (l, err) < 0)
    return -1;
  if (moat_launch_keep_config (l, err) < 0
      || moat_plan_take_id_range (l->plan, l->dir.path, l->cgroup.path != NULL, err) < 0)
    return -1;
  if (l->ctx->notify_socket)
    {
      if (moat_notify_plan (l->plan, l->dir.dirfd, l->dir.path, err) < 0)
        return -1;
      l->state.notify_socket = xstrdup (l->ctx->notify_socket);
    }
  if (moat_fault ("idmap", err) < 0
      || moat_idmapped_mounts_prepare (p->spec, l->plan->mounts, err) < 0)
    return -1;
  if (moat_fault ("join-namespaces", err) < 0 || spawn_init (l, with_fifo, err) < 0)
    return -1;
  close_fd (&l->fifo_fd);
  /* a driver that cannot have the init born in the cgroup moves it in
     before it does anything */
  if (l->cgroup_made && l->cgroup.dirfd < 0
      && l->cgroup.driver->attach (&l->cgroup, l->pid, err) < 0)
    return moat_error_prefix (err, "place the container's init in its cgroup");
  if (l->cgroup.invocation)
    l->state.cgroup_invocation = xstrdup (l->cgroup.invocation);
  if (l->cgroup_made && l->cgroup.driver->made_by_attach
      && l->cgroup.driver->apply (&l->cgroup, p->spec, err) < 0)
    return moat_error_prefix (err, "%s", p->spec->cgroups_path ? "linux.cgroupsPath"
                              : "the container's cgroup");
  if (p->new_userns && moat_write_id_maps (l->pid, p->spec, err) < 0)
    return -1;
  if (moat_fault ("go", err) < 0
      || moat_channel_signal (l->sock[0], MOAT_MSG_GO, l->pid, err) < 0)
    return moat_error_prefix (err, "start the container's init");
  if (wait_ready (l, err) < 0 || apply_oom_score (l, err) < 0
      || hand_over_terminal (l, err) < 0)
    return -1;
  l->state.pid = l->pid;
  l->state.start_time = moat_process_start_time (l->pid, false);
  l->state.status = MOAT_STATUS_CREATED;
  if (moat_fault ("created", err) < 0 || moat_state_write (&l->dir, &l->state, err) < 0)
    return -1;
  if (moat_fault ("pid-file", err) < 0
      || (l->opts->pid_file && moat_write_pid_file (l->opts->pid_file, l->pid, err) < 0))
    return -1;
  l->pid_file_written = l->opts->pid_file != NULL;
  return 0;
}

/* The create line of the audit trail.  A created container whose line
   cannot be written is one the operator would not know of: under an
   enforce policy create fails then (and undoes everything).  */
static int
audit_create (struct launch *l, const moat_error *error, moat_error **err)
{
  struct moat_audit_event e = {
    .event = "create", .id = l->opts->id, .bundle = l->plan ? l->plan->bundle : NULL,
    .config_sha256 = l->config_sha256[0] ? l->config_sha256 : NULL, .pid = l->pid,
    .decision = l->plan ? l->decision.decision : NULL,
    .findings = l->decision.findings.n ? &l->decision.findings : NULL,
    .changes = l->decision.changes, .error = error,
  };
  moat_error *werr = NULL;
  if (moat_audit_write (l->ctx->audit_log, &e, &werr) == 0)
    {
      l->audited = error == NULL;
      return 0;
    }
  l->audit_failed = true;
  if (error == NULL && moat_policy_mode (l->ctx->policy) == MOAT_POLICY_ENFORCE)
    {
      *err = werr;
      return moat_error_prefix (err, "the policy enforces its audit trail");
    }
  moat_warn ("%s", werr->msg);
  moat_error_free (&werr);
  return 0;
}

/* A failed create (or run): undone, then its line with the error in
   it (run's start line, when its create line is written).  */
static void
launch_fail (struct launch *l, const moat_error *error)
{
  moat_launch_abort (l);
  if (l->audit_failed)
    return;
  if (l->audited)
    {
      moat_audit_container (l->ctx, &l->state, "start", NULL, error);
      return;
    }
  moat_error *ignored = NULL;
  audit_create (l, error, &ignored);
  moat_error_free (&ignored);
}

int
moat_create (const struct moat_context *ctx, const struct moat_create_options *o,
             moat_error **err)
{
  struct launch l;
  moat_launch_init (&l, ctx, o);
  int r = launch_create (&l, false, true, err);
  if (r == 0)
    r = audit_create (&l, NULL, err);
  /* the init waits for start from here on, without us */
  if (r == 0 && (moat_fault ("commit", err) < 0
                 || moat_channel_signal (l.sock[0], MOAT_MSG_COMMITTED, l.pid, err) < 0))
    r = moat_error_prefix (err, "the container's init");
  if (r < 0)
    launch_fail (&l, *err);
  moat_launch_free (&l);
  return r;
}

static void
run_poststart_hooks (struct launch *l)
{
  const struct moat_hooks *h = &l->plan->spec->hooks;
  if (h->n_poststart == 0)
    return;
  autofree char *json = hook_state (l, MOAT_STATUS_RUNNING);
  moat_hooks_run_all ("poststart", h->poststart, h->n_poststart, json);
}

int
moat_run (const struct moat_context *ctx, const struct moat_create_options *o,
          bool detach, bool keep, int *status, moat_error **err)
{
  struct launch l;
  moat_launch_init (&l, ctx, o);
  *status = 0;
  sigset_t old;
  int sigfd = -1, notify = -1;
  if (launch_create (&l, !detach, false, err) < 0 || audit_create (&l, NULL, err) < 0)
    goto fail;
  if (!detach && (sigfd = moat_block_forwarded_signals (&old)) < 0)
    {
      moat_error_set (err, errno, "signalfd");
      goto fail;
    }
  /* bound before the process runs: its first sd_notify finds it */
  if (ctx->notify_socket && (notify = moat_notify_listen (l.dir.dirfd, err)) < 0)
    goto fail;
  if (moat_fault ("start", err) < 0
      || moat_channel_signal (l.sock[0], MOAT_MSG_START, l.pid, err) < 0)
    {
      moat_error_prefix (err, "start the container's process");
      goto fail;
    }
  moat_audit_container (ctx, &l.state, "start", NULL, NULL);
  run_poststart_hooks (&l);
  if (detach)
    {
      /* as runc: run -d returns once the container says it is ready */
      int r = notify >= 0 ? moat_notify_wait (notify, l.pidfd, ctx->notify_socket, l.pid,
                                             err) : 0;
      l.pid = 0;  /* it runs on without us */
      close_fd (&notify);
      moat_launch_free (&l);
      return r;
    }
  /* Let kill/state/list work on the container while it runs.  */
  moat_container_dir_close (&l.dir);
  l.have_dir = false;
  struct moat_notify_relay relay = { notify, ctx->notify_socket, l.pid };
  *status = moat_wait_forwarding (l.pid, l.pidfd, sigfd, l.pty_master, &relay);
  close_fd (&notify);
  l.pid = 0;
  close (sigfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (!keep)
    {
      moat_error *derr = NULL;
      if (moat_delete (ctx, o->id, true, &derr) < 0)
        moat_warn ("%s", derr->msg);  /* the process's status still counts */
      moat_error_free (&derr);
    }
  /* the learned profile is written once the last process under the
     filter is gone: there when run returns */
  if (l.learner > 0)
    moat_seccomp_learn_wait (l.learner, o->seccomp_learn);
  moat_launch_free (&l);
  return 0;
fail:
  if (sigfd >= 0)
    {
      close (sigfd);
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
  close_fd (&notify);
  launch_fail (&l, *err);
  moat_launch_free (&l);
  return -1;
}
